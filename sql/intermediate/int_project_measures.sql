-- intermediate.project_measures: one row per project (project_code), year and measure computed from the data,
-- in the measure's base unit (rates as fractions, area in 平方米, money in 万元), with the rows it came from.
create or replace table intermediate.project_measures as
-- The latest month counts each office's own latest month (intermediate.investment_monthly), added up.
with latest_progress as (
    select *
    from intermediate.investment_monthly
    qualify row_number() over (partition by project_code, year order by month desc) = 1
),

ledger as (
    select
        project_code,
        year,
        -- A ledger with no 支付 row has paid nothing: 0, not an unknown rate the form's own claim would stand in for.
        coalesce(sum(amount_wan) filter (where entry_type = '到位'), 0) as received_wan,
        coalesce(sum(amount_wan) filter (where entry_type = '支付'), 0) as paid_wan,
        list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)
            order by submission_id, sheet, excel_row) as lineage
    from staging.fund_ledger
    group by project_code, year
),

survey as (
    select
        project_code,
        year,
        sum(satisfied + basically_satisfied) as content,
        sum(valid_responses) as responses,
        list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)
            order by submission_id, sheet, excel_row) as lineage
    from staging.satisfaction_survey
    group by project_code, year
),

compounds as (
    select
        project_code,
        year,
        count(*) as compounds,
        sum(area_m2) as area_m2,
        sum(households) as households,
        sum(planned_investment_wan) as planned_investment_wan,
        max(intermediate.decimals_of(planned_investment_wan)) as planned_decimals,
        max(intermediate.decimals_of(area_m2)) as area_decimals,
        list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)
            order by submission_id, sheet, excel_row) as lineage
    from staging.compound_list
    group by project_code, year
),

-- A rate keeps the two sums it divides, so a score can multiply before it divides (30 × 2 / 3 = 20 exactly);
-- any other measure is its value over 1. Each cast to one type: a union of DECIMALs keeps the fewest decimals.
measures as (
    select project_code, year, 'investment_completion_rate' as measure,
        cumulative_completed_wan::decimal(38, 6) as numerator,
        annual_planned_investment_wan::decimal(38, 6) as denominator,
        '%' as unit, null::integer as decimals, lineage
    from latest_progress
    union all
    select project_code, year, 'payment_rate', paid_wan::decimal(38, 6), received_wan::decimal(38, 6), '%', null,
        lineage
    from ledger
    union all
    select project_code, year, 'satisfaction_rate', content::decimal(38, 6), responses::decimal(38, 6), '%', null,
        lineage
    from survey
    union all
    select project_code, year, 'compounds', compounds::decimal(38, 6), 1, '个', 0, lineage from compounds
    union all
    select project_code, year, 'area', area_m2::decimal(38, 6), 1, '平方米', area_decimals, lineage from compounds
    union all
    select project_code, year, 'households', households::decimal(38, 6), 1, '户', 0, lineage from compounds
    union all
    select project_code, year, 'planned_investment', planned_investment_wan::decimal(38, 6), 1, '万元',
        planned_decimals, lineage
    from compounds
    union all
    select
        project_years.project_code,
        project_years.year,
        'planned_investment',
        project_years.planned_total_investment_wan::decimal(38, 6),
        1,
        '万元',
        intermediate.decimals_of(project_years.planned_total_investment_wan),
        project_years.register_lineage
    from intermediate.project_years
    anti join compounds using (project_code, year)
    where project_years.planned_total_investment_wan is not null
),

valued as (
    select *, cast(intermediate.ratio(numerator, denominator) as decimal(28, 10)) as value
    from measures
),

final as (
    select project_code, year, measure, value, numerator, denominator, unit, decimals, lineage
    from valued
    where value is not null
)

select * from final;

comment on table intermediate.project_measures is '由数据计算的指标：每个项目、年度、指标一行，以指标的基本单位表示';
comment on column intermediate.project_measures.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.project_measures.year is '年度';
comment on column intermediate.project_measures.measure is '指标：investment_completion_rate · payment_rate · satisfaction_rate · compounds · area · households · planned_investment';
comment on column intermediate.project_measures.value is '指标值 = numerator / denominator（保留10位小数）：比率为小数（0.95=95%），面积为平方米，金额为万元';
comment on column intermediate.project_measures.numerator is '比率的分子（如支付合计、满意与基本满意份数）；其他指标为指标值本身';
comment on column intermediate.project_measures.denominator is '比率的分母（如到位合计、有效问卷份数）；其他指标为1';
comment on column intermediate.project_measures.unit is '显示单位：% · 个 · 平方米 · 户 · 万元';
comment on column intermediate.project_measures.decimals is '按原表精度显示的小数位数；比率为空';
comment on column intermediate.project_measures.lineage is '来源：提交编号、工作表、Excel行号';
