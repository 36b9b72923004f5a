-- staging.satisfaction_survey: one row per surveyed compound (调查对象) of a project and year.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.satisfaction_survey.
create or replace view staging.satisfaction_survey as
with source as (
    select * from raw.satisfaction_survey
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
        source.respondent,
        source.valid_responses,
        source.satisfied,
        coalesce(source.basically_satisfied, 0) as basically_satisfied,
        source.dissatisfied
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;
