-- staging.performance_targets: one row per performance indicator of a project and year.
-- Only rows of the latest accepted submission of each slice; earlier versions stay in raw.performance_targets.
create or replace view staging.performance_targets as
with source as (
    select * from raw.performance_targets
),

current_slices as (
    select submission_id, slice_key from ops.current_slices
),

-- The unit a header names (`年度指标值（%）`) is the unit of a bare number beneath it.
header_units as (
    select
        submission_id,
        sheet,
        max(written_unit) filter (where column_name = 'target_text') as target_header_unit,
        max(written_unit) filter (where column_name = 'reported_value') as reported_header_unit
    from ops.sheet_columns
    where column_name in ('target_text', 'reported_value')
    group by submission_id, sheet
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
        source.level1,
        source.level2,
        source.level3,
        source.target_text,
        source.stated_operator,
        source.stated_unit,
        source.reported_value,
        header_units.target_header_unit,
        header_units.reported_header_unit,
        source.weight,
        source.reported_score,
        source.deviation_note,
        source.implementing_unit,
        source.competent_department,
        source.goal_expected,
        source.goal_achieved,
        source.budget_initial_wan,
        source.budget_annual_wan,
        source.budget_executed_wan,
        source.budget_execution_rate,
        source.budget_points,
        source.budget_reported_score,
        source.reported_total_score,
        source.reported_grade
    from source
    inner join current_slices using (submission_id, slice_key)
    left join header_units using (submission_id, sheet)
    -- Rows stored before project codes whose name matched several projects stay in raw only.
    where source.project_code is not null
)

select * from final;

comment on view staging.performance_targets is '项目绩效目标及自评表（简表或全国通用的项目支出绩效自评表）：每个项目、年度的每个绩效指标一行，仅当前有效的提交；表外填写的字段（项目资金、年度总体目标、总分等）在每行重复';
comment on column staging.performance_targets.submission_id is '提交编号（ops.submissions）：该行所属切片当前有效的提交';
comment on column staging.performance_targets.sheet is '工作表名称';
comment on column staging.performance_targets.excel_row is 'Excel中显示的行号';
comment on column staging.performance_targets.unit is '填报单位：报送文件夹所属单位的全称（ops.submissions.unit）';
comment on column staging.performance_targets.project_code is '项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）';
comment on column staging.performance_targets.project_name is '「项目名称」，按报送时的写法；项目最新登记的名称见intermediate.project_years';
comment on column staging.performance_targets.year is '报表年度';
comment on column staging.performance_targets.level1 is '「一级指标」，如产出指标、效益指标、满意度指标';
comment on column staging.performance_targets.level2 is '「二级指标」，如数量指标、质量指标、时效指标、成本指标';
comment on column staging.performance_targets.level3 is '「三级指标」：指标名称';
comment on column staging.performance_targets.target_text is '「年度指标值」，按原样保存的文字（如≥95%、16个）；比较方式、单位另列填写（指标性质、度量单位）时已并入，如≤9163.6万元';
comment on column staging.performance_targets.stated_operator is '「指标性质」（或「指标方向」）：年度指标值的比较方式，另列填写时已并入target_text；多数表无此列';
comment on column staging.performance_targets.stated_unit is '「度量单位」（或「计量单位」「单位」）：年度指标值的单位，另列填写时已并入target_text；多数表无此列';
comment on column staging.performance_targets.reported_value is '「实际完成值」，按原样保存的文字；按年度指标值的单位读取（read_indicator）';
comment on column staging.performance_targets.target_header_unit is '「年度指标值」表头括号中注明的单位（如%），未写单位的数值按此单位读取';
comment on column staging.performance_targets.reported_header_unit is '「实际完成值」表头括号中注明的单位（如%），未写单位的数值按此单位读取';
comment on column staging.performance_targets.weight is '「分值」：该指标的满分';
comment on column staging.performance_targets.deviation_note is '「偏差原因分析及改进措施」';
comment on column staging.performance_targets.reported_score is '「得分」：单位自评的该指标得分（全国通用自评表才有；计算得分见mart.self_evaluation.score）';
comment on column staging.performance_targets.implementing_unit is '自评表「实施单位」行（全国通用自评表才有）';
comment on column staging.performance_targets.competent_department is '自评表「主管部门」行（全国通用自评表才有）';
comment on column staging.performance_targets.goal_expected is '年度总体目标·「预期目标」，按原文保存';
comment on column staging.performance_targets.goal_achieved is '年度总体目标·「实际完成情况」，按原文保存';
comment on column staging.performance_targets.budget_initial_wan is '项目资金·年度资金总额「年初预算数」（万元），单位填报';
comment on column staging.performance_targets.budget_annual_wan is '项目资金·年度资金总额「全年预算数」（万元），单位填报';
comment on column staging.performance_targets.budget_executed_wan is '项目资金·年度资金总额「全年执行数」（万元），单位填报';
comment on column staging.performance_targets.budget_execution_rate is '项目资金·年度资金总额「执行率」（比例，0.95=95%），单位填报；按台账计算的预算执行率见mart.project_year';
comment on column staging.performance_targets.budget_points is '项目资金·年度资金总额「分值」';
comment on column staging.performance_targets.budget_reported_score is '项目资金·年度资金总额「得分」：单位自评的预算执行得分';
comment on column staging.performance_targets.reported_total_score is '「总分」行的得分：单位自评的总分';
comment on column staging.performance_targets.reported_grade is '「自评等级」（或「评价等级」）：单位自评的等级（优、良、中、差），按原表保存，不替代按计算总分评定的等级（mart.project_year.grade）；与之不同时回执中提示（stated_grade_differs）；表中未填为空';
