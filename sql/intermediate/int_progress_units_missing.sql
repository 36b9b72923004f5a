-- intermediate.progress_units_missing: one row per project (project_code), year, office and month its figures were
-- counted from, for the months an office of a project has not reported while another office has: counted at the
-- office's latest earlier month (from_month), or, before its first month, not counted (from_month null). Each cites
-- that office's rows of that month (of its first month, where not counted).
create or replace table intermediate.progress_units_missing as
with progress_missing as (
    select missing.project_code, missing.year, missing.unit, missing.from_month, list_sort(list(missing.month)) as months
    from (
        select project_code, year, carried.unit, carried.month as from_month, month
        from intermediate.investment_monthly, unnest(carried_forward) as listed(carried)
        union all
        select project_code, year, unit, null, month
        from intermediate.investment_monthly, unnest(units_not_counted) as listed(unit)
    ) as missing
    group by all
),

progress_unit_rows as (
    select
        project_code,
        year,
        unit,
        month,
        min(month) over (partition by project_code, year, unit) as first_month,
        list_sort(list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)))
            as lineage
    from staging.investment_progress
    group by project_code, year, unit, month
),

final as (
    select missing.project_code, missing.year, missing.unit, missing.from_month, missing.months, cited.lineage
    from progress_missing as missing
    inner join progress_unit_rows as cited
        on cited.project_code = missing.project_code and cited.year = missing.year and cited.unit = missing.unit
        and cited.month = coalesce(missing.from_month, cited.first_month)
)

select * from final;

comment on table intermediate.progress_units_missing is '未报送的月报：项目有单位报送、另一单位未报送投资完成情况月报的月份，每个项目、年度、单位、计入月份一行';
comment on column intermediate.progress_units_missing.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.progress_units_missing.year is '年度';
comment on column intermediate.progress_units_missing.unit is '未报送这些月份的单位';
comment on column intermediate.progress_units_missing.from_month is '这些月份按该单位此前最近的哪个月份计入；在其首个报送月份之前、未计入的为空';
comment on column intermediate.progress_units_missing.months is '该单位未报送的月份（升序）';
comment on column intermediate.progress_units_missing.lineage is '来源：该单位计入月份（未计入的为其首个报送月份）的月报各行：提交编号、工作表、Excel行号';
