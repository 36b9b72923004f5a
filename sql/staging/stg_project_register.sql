-- staging.project_register: one row per project as registered for a year.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.project_register.
create or replace view staging.project_register as
with source as (
    select * from raw.project_register
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
        source.year,
        source.project_code,
        source.project_name,
        source.project_type,
        source.implementing_unit,
        source.supervising_department,
        source.location,
        source.planned_start,
        source.planned_finish,
        source.planned_total_investment_wan
    from source
    inner join current_slices using (submission_id, slice_key)
)

select * from final;
