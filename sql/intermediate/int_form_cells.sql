-- intermediate.form_cells: one row per project (project_code), year and field of a national 自评表's own figures
-- (总分, 执行率, 全年执行数, …) with the cells it was read from (ops.sheet_fields). A form stored before
-- ops.sheet_fields existed has none: its figures point to the table's rows that repeat them.
create or replace table intermediate.form_cells as
with forms as (
    select distinct project_code, year, submission_id, sheet from staging.performance_targets
),

final as (
    select
        forms.project_code,
        forms.year,
        fields.field_name,
        list_sort(
            list(struct_pack(submission_id := fields.submission_id, sheet := fields.sheet, excel_row := fields.excel_row))
        )
            as lineage
    from forms
    inner join ops.sheet_fields as fields using (submission_id, sheet)
    group by all
)

select * from final;

comment on table intermediate.form_cells is '自评表单元格：全国通用自评表每个项目、年度、表头字段一行，附该字段读自的单元格';
comment on column intermediate.form_cells.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.form_cells.year is '年度';
comment on column intermediate.form_cells.field_name is '字段（ops.sheet_fields.field_name），如 reported_total_score、budget_execution_rate';
comment on column intermediate.form_cells.lineage is '该字段读自的单元格：提交编号、工作表、Excel行号';
