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

comment on view staging.compound_list is '老旧小区改造项目清单：每个报送单位、项目、年度的每个改造小区一行，仅当前有效的提交';
comment on column staging.compound_list.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.compound_list.sheet is '工作表名称';
comment on column staging.compound_list.excel_row is 'Excel中显示的行号';
comment on column staging.compound_list.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.compound_list.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）';
comment on column staging.compound_list.project_name is '「项目名称」，按报送时的写法；项目最新登记的名称见intermediate.project_years';
comment on column staging.compound_list.year is '报表年度';
comment on column staging.compound_list.seq is '「序号」';
comment on column staging.compound_list.compound_name is '「小区名称」';
comment on column staging.compound_list.area_m2 is '「改造面积」（平方米）';
comment on column staging.compound_list.households is '「惠及户数」（户）';
comment on column staging.compound_list.planned_investment_wan is '「计划投资」（万元）';
comment on column staging.compound_list.renovation_content is '「改造内容」';
comment on column staging.compound_list.start_date is '「开工日期」';
comment on column staging.compound_list.finish_date is '「完工日期」';
comment on column staging.compound_list.status is '「改造状态」：未开工 · 在建 · 已完工';
