-- staging.report_narrative: one row per paragraph a unit supplies for the annual report, in sheet order.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.report_narrative.
create or replace view staging.report_narrative as
with source as (
    select * from raw.report_narrative
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
        source.section,
        source.content
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;
