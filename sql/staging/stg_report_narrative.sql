-- staging.report_narrative: one row per paragraph a unit supplies for the annual report, in sheet order.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.report_narrative.
create or replace view staging.report_narrative as
with source as (
    select * from raw.report_narrative
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
        source.section,
        source.content
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;

comment on view staging.report_narrative is '报告文字材料：实施单位为年度报告提供的每个段落一行，按工作表中的顺序，仅当前有效的提交';
comment on column staging.report_narrative.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.report_narrative.sheet is '工作表名称';
comment on column staging.report_narrative.excel_row is 'Excel中显示的行号';
comment on column staging.report_narrative.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.report_narrative.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）';
comment on column staging.report_narrative.project_name is '「项目名称」，按报送时的写法；项目最新登记的名称见intermediate.project_years';
comment on column staging.report_narrative.year is '报表年度';
comment on column staging.report_narrative.section is '「章节」：项目概况 · 绩效目标 · 主要做法 · 完成情况 · 未完成情况及原因 · 存在问题 · 下一步工作';
comment on column staging.report_narrative.content is '「内容」：一个段落，标点与换行按原样保存';
