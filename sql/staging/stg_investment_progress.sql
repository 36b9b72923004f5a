-- staging.investment_progress: one row per project, year and month of investment progress.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.investment_progress.
create or replace view staging.investment_progress as
with source as (
    select * from raw.investment_progress
),

current_slices as (
    select submission_id, slice_key from ops.current_slices
),

final as (
    select
        source.submission_id,
        source.sheet,
        source.excel_row,
        source.unit,
        source.project_code,
        source.project_name,
        source.year,
        source.month,
        source.annual_planned_investment_wan,
        source.monthly_completed_wan,
        source.cumulative_completed_wan
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;
