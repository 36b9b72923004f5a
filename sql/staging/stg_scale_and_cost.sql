-- staging.scale_and_cost: one row per scale or cost item of a project and year; 其中 rows name their parent.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.scale_and_cost.
create or replace view staging.scale_and_cost as
with source as (
    select * from raw.scale_and_cost
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
        source.category,
        regexp_replace(source.item, '^其中[:：]\s*', '') as item,
        source.parent_item,
        source.quantity,
        source.quantity_unit
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;
