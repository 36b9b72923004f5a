-- staging.performance_targets: one row per performance indicator of a project and year.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.performance_targets.
create or replace view staging.performance_targets as
with source as (
    select * from raw.performance_targets
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
        source.level1,
        source.level2,
        source.level3,
        source.target_text,
        source.reported_value,
        source.weight,
        source.deviation_note
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;
