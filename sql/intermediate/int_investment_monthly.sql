-- intermediate.investment_monthly: one row per project (project_code), year and month of progress data, summed
-- over the units reporting the project, with the rows each figure came from.
-- Two offices' 月报 of one project are added up (README: beside_other_unit), each office as of the month: a
-- month one office has not reported counts that office's latest earlier month (its 累计 never falls, so the last
-- one reported is the least it has done, and its 年度计划投资 stays its own), as the project-year's 完成投资 is each
-- office's latest month; summed per month alone, the month would read as if the project were the other office's,
-- and the latest month (read as the year's figure) dropped the lagging office. An office with no month yet
-- reported is left out of that month: nothing says what it had done. Both are listed, for the report to say so.
create or replace table intermediate.investment_monthly as
with source as (
    select * from staging.investment_progress
),

-- What each office reported for each month.
unit_months as (
    select
        project_code,
        year,
        unit,
        month,
        sum(annual_planned_investment_wan) as annual_planned_investment_wan,
        sum(monthly_completed_wan) as monthly_completed_wan,
        sum(cumulative_completed_wan) as cumulative_completed_wan,
        max(intermediate.decimals_of(cumulative_completed_wan)) as cumulative_decimals,
        max(intermediate.decimals_of(annual_planned_investment_wan)) as plan_decimals,
        list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)
            order by submission_id, sheet, excel_row) as lineage
    from source
    group by all
),

-- Every office of the project-year in every month any of them reported.
grid as (
    select months.project_code, months.year, months.month, units.unit
    from (select distinct project_code, year, month from unit_months) as months
    inner join (select distinct project_code, year, unit from unit_months) as units using (project_code, year)
),

-- Each office's month as of that month: its own row, else its latest earlier one (none before its first).
counted as (
    select
        grid.project_code,
        grid.year,
        grid.month,
        grid.unit,
        reported.month as reported_month,
        reported.annual_planned_investment_wan,
        reported.monthly_completed_wan,
        reported.cumulative_completed_wan,
        reported.cumulative_decimals,
        reported.plan_decimals,
        reported.lineage
    from grid
    asof left join unit_months as reported
        on reported.project_code = grid.project_code
        and reported.year = grid.year
        and reported.unit = grid.unit
        and reported.month <= grid.month
),

final as (
    select
        project_code,
        year,
        month,
        sum(annual_planned_investment_wan) as annual_planned_investment_wan,
        -- 本月 of the offices that reported this month: an office's figure carried forward did nothing known this month.
        sum(monthly_completed_wan) filter (where reported_month = month) as monthly_completed_wan,
        sum(cumulative_completed_wan) as cumulative_completed_wan,
        max(cumulative_decimals) as cumulative_decimals,
        max(plan_decimals) as plan_decimals,
        coalesce(list_sort(list(unit) filter (where reported_month = month)), []) as units_reported,
        coalesce(
            list_sort(list(struct_pack(unit := unit, month := reported_month)) filter (where reported_month < month)),
            []
        ) as carried_forward,
        coalesce(list_sort(list(unit) filter (where reported_month is null)), []) as units_not_counted,
        list_sort(flatten(list(lineage) filter (where reported_month is not null))) as lineage
    from counted
    group by project_code, year, month
)

select * from final;

comment on table intermediate.investment_monthly is '月度投资进度：每个项目、年度、月份一行，按报送单位汇总（万元）；某单位未报送的月份按其此前最近月份计入';
comment on column intermediate.investment_monthly.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.investment_monthly.year is '年度';
comment on column intermediate.investment_monthly.month is '月份（1–12）';
comment on column intermediate.investment_monthly.annual_planned_investment_wan is '年度计划投资（万元），各报送单位截至本月最近一期月报之和';
comment on column intermediate.investment_monthly.monthly_completed_wan is '本月完成投资（万元），报送了本月的各单位之和';
comment on column intermediate.investment_monthly.cumulative_completed_wan is '累计完成投资（万元），各报送单位截至本月最近一期月报之和（未报送本月的单位按其此前最近月份计入，见carried_forward）';
comment on column intermediate.investment_monthly.cumulative_decimals is '累计完成投资（万元）各行的最多小数位数，用于按原表精度显示';
comment on column intermediate.investment_monthly.plan_decimals is '年度计划投资（万元）各行的最多小数位数，用于按原表精度显示';
comment on column intermediate.investment_monthly.units_reported is '报送了本月月报的单位，按名称排序';
comment on column intermediate.investment_monthly.carried_forward is '未报送本月、按此前最近月份计入的单位及该月份（unit、month）；空列表表示无';
comment on column intermediate.investment_monthly.units_not_counted is '只报送了以后月份、本月未计入的单位，按名称排序；空列表表示无';
comment on column intermediate.investment_monthly.lineage is '来源：计入本月的各行（含按此前月份计入的行）的提交编号、工作表、Excel行号';
