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

comment on view staging.satisfaction_survey is '群众满意度调查汇总表：每个项目、年度的每个调查对象（小区）一行，仅当前有效的提交';
comment on column staging.satisfaction_survey.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.satisfaction_survey.sheet is '工作表名称';
comment on column staging.satisfaction_survey.excel_row is 'Excel中显示的行号';
comment on column staging.satisfaction_survey.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.satisfaction_survey.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）';
comment on column staging.satisfaction_survey.project_name is '「项目名称」，按报送时的写法；项目最新登记的名称见intermediate.project_years';
comment on column staging.satisfaction_survey.year is '报表年度';
comment on column staging.satisfaction_survey.respondent is '「小区名称」：调查对象';
comment on column staging.satisfaction_survey.valid_responses is '「有效问卷」（份）';
comment on column staging.satisfaction_survey.satisfied is '「满意」（份）';
comment on column staging.satisfaction_survey.basically_satisfied is '「基本满意」（份）；未填写时为0';
comment on column staging.satisfaction_survey.dissatisfied is '「不满意」（份）';
