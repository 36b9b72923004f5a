-- intermediate.investment_monthly: one row per project (project_code), year and month of progress data, summed
-- over the units reporting it, with the month's lineage.
create or replace table intermediate.investment_monthly as
with source as (
    select * from staging.investment_progress
),

final as (
    select
        project_code,
        year,
        month,
        sum(annual_planned_investment_wan) as annual_planned_investment_wan,
        sum(monthly_completed_wan) as monthly_completed_wan,
        sum(cumulative_completed_wan) as cumulative_completed_wan,
        max(intermediate.decimals_of(cumulative_completed_wan)) as cumulative_decimals,
        max(intermediate.decimals_of(annual_planned_investment_wan)) as plan_decimals,
        list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)
            order by submission_id, sheet, excel_row) as lineage
    from source
    group by project_code, year, month
)

select * from final;

comment on table intermediate.investment_monthly is '月度投资进度：每个项目、年度、月份一行，按报送单位汇总（万元）';
comment on column intermediate.investment_monthly.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.investment_monthly.year is '年度';
comment on column intermediate.investment_monthly.month is '月份（1–12）';
comment on column intermediate.investment_monthly.annual_planned_investment_wan is '年度计划投资（万元），各报送单位之和';
comment on column intermediate.investment_monthly.monthly_completed_wan is '本月完成投资（万元），各报送单位之和';
comment on column intermediate.investment_monthly.cumulative_completed_wan is '累计完成投资（万元），各报送单位之和';
comment on column intermediate.investment_monthly.cumulative_decimals is '累计完成投资（万元）各行的最多小数位数，用于按原表精度显示';
comment on column intermediate.investment_monthly.plan_decimals is '年度计划投资（万元）各行的最多小数位数，用于按原表精度显示';
comment on column intermediate.investment_monthly.lineage is '来源：提交编号、工作表、Excel行号';
