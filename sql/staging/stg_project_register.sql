-- staging.project_register: one row per project (by project_code) as registered for a year by a sending unit.
-- Only rows of the latest accepted submission of each slice (unit, project_code, year); earlier versions, and
-- the names a project had before it was renamed, stay in raw.project_register. A row without 项目编码 carries
-- the code derived from its implementing unit and name, `自编:<实施单位>/<项目名称>`, and project_code_derived.
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
        coalesce(source.project_code_derived, false) as project_code_derived,
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
