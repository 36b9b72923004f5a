-- staging.investment_progress: one row per project, year and month of investment progress.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.investment_progress.
create or replace view staging.investment_progress as
with source as (
    select * from raw.investment_progress
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
        source.month,
        source.annual_planned_investment_wan,
        source.monthly_completed_wan,
        source.cumulative_completed_wan
    from source
    inner join current_slices using (submission_id, slice_key)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;

comment on view staging.investment_progress is '投资完成情况月报：每个项目、年度、月份一行，仅当前有效的提交';
comment on column staging.investment_progress.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.investment_progress.sheet is '工作表名称';
comment on column staging.investment_progress.excel_row is 'Excel中显示的行号';
comment on column staging.investment_progress.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.investment_progress.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）';
comment on column staging.investment_progress.project_name is '「项目名称」，按报送时的写法；项目最新登记的名称见intermediate.project_years';
comment on column staging.investment_progress.year is '报表年度';
comment on column staging.investment_progress.month is '「月份」（1–12）';
comment on column staging.investment_progress.annual_planned_investment_wan is '「年度计划投资」（万元）';
comment on column staging.investment_progress.monthly_completed_wan is '「本月完成投资」（万元）';
comment on column staging.investment_progress.cumulative_completed_wan is '「累计完成投资」（万元）：自年初至本月';
