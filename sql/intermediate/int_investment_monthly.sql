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
