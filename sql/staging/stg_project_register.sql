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

comment on view staging.project_register is '项目基本信息表：每个报送单位、年度登记的每个项目（按项目编码）一行，仅当前有效的提交';
comment on column staging.project_register.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.project_register.sheet is '工作表名称';
comment on column staging.project_register.excel_row is 'Excel中显示的行号';
comment on column staging.project_register.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.project_register.year is '报表年度';
comment on column staging.project_register.project_code is '「项目编码」；未填写时为生成的编码“自编:实施单位/项目名称”（见project_code_derived）';
comment on column staging.project_register.project_code_derived is '未填项目编码时为true：项目编码由实施单位和项目名称生成，形如“自编:实施单位/项目名称”；否则为false';
comment on column staging.project_register.project_name is '「项目名称」：该年度登记的名称';
comment on column staging.project_register.project_type is '「项目类型」：老旧小区改造 · 棚户区改造 · 其他';
comment on column staging.project_register.implementing_unit is '「实施单位」';
comment on column staging.project_register.supervising_department is '「主管部门」';
comment on column staging.project_register.location is '「建设地点」';
comment on column staging.project_register.planned_start is '「计划开工日期」';
comment on column staging.project_register.planned_finish is '「计划完工日期」';
comment on column staging.project_register.planned_total_investment_wan is '「计划总投资」（万元）';
