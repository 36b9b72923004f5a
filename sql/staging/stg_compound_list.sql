-- staging.compound_list: one row per renovated compound, per submitting unit, project and year.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.compound_list.
create or replace view staging.compound_list as
with source as (
    select * from raw.compound_list
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
        source.seq,
        source.compound_name,
        source.area_m2,
        source.households,
        source.planned_investment_wan,
        source.renovation_content,
        source.start_date,
        source.finish_date,
        source.status
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;
