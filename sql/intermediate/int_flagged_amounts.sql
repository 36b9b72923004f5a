-- intermediate.flagged_amounts: one row per project (project_code) and year with an amount above the scale the
-- suites allow (config.amount_checks), with how many there are and the cells they were read from.
create or replace table intermediate.flagged_amounts as
-- The national forms' 项目资金 amounts, one row per form (submission and sheet): its rows repeat them. `first_row`
-- is what a form stored before ops.sheet_fields existed is cited by (flagged_cells).
with national_forms as (
    select 'performance_targets' as template, submission_id, sheet, project_code, year, min(excel_row) as first_row,
        budget_initial_wan, budget_annual_wan, budget_executed_wan, null::decimal(38, 10) as budget_expected_wan
    from staging.performance_targets
    group by all
    union all
    select 'performance_monitoring', submission_id, sheet, project_code, year, min(excel_row),
        budget_initial_wan, budget_annual_wan, budget_executed_wan, budget_expected_wan
    from staging.performance_monitoring
    group by all
),

form_amounts as (
    -- UNPIVOT leaves out an amount not filled in (null), as the suites do.
    from national_forms
    unpivot (
        amount for column_name in (budget_initial_wan, budget_annual_wan, budget_executed_wan, budget_expected_wan)
    )
),

-- Amounts above the scale the suites allow (config.amount_checks, from expectations/): one row's amount above its
-- project's 计划总投资 for that year, or a 计划总投资 above 100亿元, most often 元 under a 万元 header. Checked here
-- against the current register, so a warning a corrected register has answered is not printed.
-- Each (template, column) of config.amount_checks has its line here, a table's amount once per row, a form's once
-- per form (form_amounts). tests/pipeline/test_indicators.py holds every check of the suites to it.
amounts as (
    select 'fund_ledger' as template, 'amount_wan' as column_name, amount_wan as amount,
        submission_id, sheet, excel_row, project_code, year
    from staging.fund_ledger
    union all
    select 'investment_progress', 'annual_planned_investment_wan', annual_planned_investment_wan,
        submission_id, sheet, excel_row, project_code, year
    from staging.investment_progress
    union all
    select 'investment_progress', 'monthly_completed_wan', monthly_completed_wan,
        submission_id, sheet, excel_row, project_code, year
    from staging.investment_progress
    union all
    select 'investment_progress', 'cumulative_completed_wan', cumulative_completed_wan,
        submission_id, sheet, excel_row, project_code, year
    from staging.investment_progress
    union all
    select 'compound_list', 'planned_investment_wan', planned_investment_wan,
        submission_id, sheet, excel_row, project_code, year
    from staging.compound_list
    union all
    select 'project_register', 'planned_total_investment_wan', planned_total_investment_wan,
        submission_id, sheet, excel_row, project_code, year
    from staging.project_register
    union all
    select template, column_name, amount, submission_id, sheet, first_row, project_code, year
    from form_amounts
),

-- Each amount above its scale, on the cells it was read from: a form's amount on those ops.sheet_fields names (one,
-- or each 其中 row it was added up from), else on its row. The cells are looked up for the flagged amounts only:
-- looked up for every form, they took the demo's rebuild past PIPELINE_MARTS_MEMORY_LIMIT at 64MB.
flagged_cells as (
    select
        flagged.project_code,
        flagged.year,
        coalesce(
            list_sort(
                list(struct_pack(submission_id := fields.submission_id, sheet := fields.sheet, excel_row := fields.excel_row))
                    filter (where fields.excel_row is not null)
            ),
            [any_value(struct_pack(submission_id := flagged.submission_id, sheet := flagged.sheet, excel_row := flagged.excel_row))]
        ) as cells
    from (
        select amounts.*
        from amounts
        inner join config.amount_checks as checks using (template, column_name)
        left join intermediate.project_years as planned using (project_code, year)
        where case checks.rule
            when 'exceeds_planned_total' then amounts.amount - planned.planned_total_investment_wan > checks.max_value
            when 'amount_implausible' then amounts.amount > checks.max_value
        end
    ) as flagged
    left join ops.sheet_fields as fields
        on fields.submission_id = flagged.submission_id and fields.sheet = flagged.sheet
        and fields.field_name = flagged.column_name
    group by flagged.template, flagged.column_name, flagged.submission_id, flagged.sheet, flagged.excel_row,
        flagged.project_code, flagged.year
),

final as (
    select project_code, year, count(*) as flagged, list_sort(flatten(list(cells))) as lineage
    from flagged_cells
    group by all
)

select * from final;

comment on table intermediate.flagged_amounts is '金额存疑：有金额超出校验允许范围（config.amount_checks，如超出计划总投资或超过100亿元）的每个项目、年度一行';
comment on column intermediate.flagged_amounts.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.flagged_amounts.year is '年度';
comment on column intermediate.flagged_amounts.flagged is '超出范围的金额个数（表格每行一次，全国通用表每表一次）';
comment on column intermediate.flagged_amounts.lineage is '这些金额读自的单元格：提交编号、工作表、Excel行号';
