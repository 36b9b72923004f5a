-- mart.monitoring_findings: one row per project (project_code), year and month N of a 项目支出绩效运行监控表: the
-- reported budget execution against the time progress, and every indicator whose 完成目标可能性 is not 确定能, with
-- its reason. project_name is the project's latest registered name.
create or replace table mart.monitoring_findings as
with monitoring as (
    select * from staging.performance_monitoring
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

-- The cells the 项目资金 block was read from; a form stored before ops.sheet_fields existed has none.
block_cells as (
    -- The block's fields share a row: each row once.
    select distinct submission_id, sheet, excel_row
    from ops.sheet_fields
    where field_name in ('budget_initial_wan', 'budget_annual_wan', 'budget_executed_wan', 'budget_execution_rate', 'budget_expected_wan')
),

-- The 项目资金 block is repeated on every indicator row of a form: one value per project, year and month.
execution as (
    select
        project_code,
        year,
        month,
        any_value(budget_initial_wan) as budget_initial_wan,
        any_value(budget_annual_wan) as budget_annual_wan,
        any_value(budget_executed_wan) as budget_executed_wan,
        any_value(budget_execution_rate) as reported_execution_rate,
        any_value(budget_expected_wan) as budget_expected_wan,
        any_value(budget_deviation_cause) as budget_deviation_cause,
        any_value(budget_deviates) as budget_deviates,
        any_value(budget_likelihood) as budget_likelihood,
        any_value(budget_reason) as budget_reason,
        list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)) as table_rows
    from monitoring
    group by all
),

-- The block's own cells where they are known, else the table's rows that repeat its values.
execution_cells as (
    select
        forms.project_code,
        forms.year,
        forms.month,
        list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)) as lineage
    from (select distinct project_code, year, month, submission_id, sheet from monitoring) as forms
    inner join block_cells using (submission_id, sheet)
    group by all
),

-- The unit's own light where its form carries one (a local variant's 预警情况 column, or its 项目资金 block's), in
-- the marts' words; the worst any row or the block states is the form's, cited by the rows or cells stating it.
stated_said as (
    select project_code, year, month, submission_id, sheet, excel_row, stated_light as said
    from monitoring
    where stated_light is not null
    union all
    -- The block's value is repeated on every row: its own cells where they are known, else the form's first row.
    select forms.project_code, forms.year, forms.month, forms.submission_id, forms.sheet,
        coalesce(cells.excel_row, forms.first_row), forms.said
    from (
        select project_code, year, month, submission_id, sheet, any_value(budget_stated_light) as said,
            min(excel_row) as first_row
        from monitoring
        where budget_stated_light is not null
        group by all
    ) as forms
    left join ops.sheet_fields as cells
        on cells.submission_id = forms.submission_id and cells.sheet = forms.sheet
        and cells.field_name = 'budget_stated_light'
),

stated_rows as (
    select
        project_code,
        year,
        month,
        submission_id,
        sheet,
        excel_row,
        case said when '绿灯' then 'none' when '蓝灯' then 'blue' when '黄灯' then 'yellow' when '红灯' then 'red'
        end as light,
        case said when '绿灯' then 0 when '蓝灯' then 1 when '黄灯' then 2 when '红灯' then 3 end as severity
    from stated_said
),

stated as (
    select
        project_code,
        year,
        month,
        any_value(light) as stated_light,
        any_value(severity) as stated_severity,
        -- A row of the block stating it beside the table's own rows stating it, each once.
        list(distinct struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)
            order by struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row))
            as stated_light_lineage
    from (
        select *, max(severity) over (partition by project_code, year, month) as worst from stated_rows
    )
    where severity = worst
    group by all
),

-- The light the rules compute from the 投资完成情况月报 for the same month (mart.monitoring_lights), ranked as above.
progress as (
    select
        project_code,
        year,
        month,
        light as progress_light,
        case light when 'none' then 0 when 'blue' then 1 when 'yellow' then 2 when 'red' then 3 end as progress_severity
    from mart.monitoring_lights
    where light is not null
),

findings as (
    select
        project_code,
        year,
        month,
        list(
            struct_pack(
                level1 := level1,
                level2 := level2,
                level3 := level3,
                target_text := target_text,
                progress_value := progress_value,
                expected_value := expected_value,
                deviation_cause := deviation_cause,
                likelihood := likelihood,
                reason := reason,
                submission_id := submission_id,
                sheet := sheet,
                excel_row := excel_row
            )
            order by submission_id, sheet, excel_row
        ) as findings
    from monitoring
    where likelihood <> '确定能'
    group by all
),

final as (
    select
        execution.project_code,
        projects.project_name,
        execution.year,
        execution.month,
        execution.budget_initial_wan,
        execution.budget_annual_wan,
        execution.budget_executed_wan,
        execution.reported_execution_rate,
        -- The rate is a share of the budget as adjusted in the year where the form states it, as on the 自评表.
        intermediate.ratio(
            execution.budget_executed_wan, coalesce(execution.budget_annual_wan, execution.budget_initial_wan)
        ) as computed_execution_rate,
        execution.budget_expected_wan,
        execution.budget_deviation_cause,
        execution.budget_deviates,
        execution.budget_likelihood,
        execution.budget_reason,
        intermediate.ratio(execution.month, 12) as time_progress,
        -- Reported execution is what the unit states; it falls back on 执行数 / 全年预算数 (else 年初预算数) where the
        -- rate is blank.
        cast(round(
            (intermediate.ratio(execution.month, 12)
                - coalesce(execution.reported_execution_rate,
                    intermediate.ratio(execution.budget_executed_wan,
                        coalesce(execution.budget_annual_wan, execution.budget_initial_wan))))::double * 100,
            6) as decimal(18, 6)) as gap_points,
        stated.stated_light,
        coalesce(stated.stated_light_lineage, []) as stated_light_lineage,
        progress.progress_light,
        case
            when stated.stated_severity is null or progress.progress_severity is null then null
            when stated.stated_severity < progress.progress_severity then 'milder'
            when stated.stated_severity > progress.progress_severity then 'harsher'
            else 'same'
        end as stated_light_against_progress,
        coalesce(findings.findings, []) as findings,
        len(coalesce(findings.findings, [])) as finding_count,
        coalesce(execution_cells.lineage, execution.table_rows) as lineage
    from execution
    left join execution_cells using (project_code, year, month)
    left join findings using (project_code, year, month)
    left join stated using (project_code, year, month)
    left join progress using (project_code, year, month)
    left join projects using (project_code, year)
    order by projects.project_name, execution.project_code, execution.year, execution.month
)

select * from final;

comment on table mart.monitoring_findings is '绩效运行监控发现：每个项目、年度、截至月份N（运行监控表）一行：填报的预算执行情况对照时间进度，及完成目标可能性不是“确定能”的指标';
comment on column mart.monitoring_findings.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.monitoring_findings.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.monitoring_findings.year is '年度';
comment on column mart.monitoring_findings.month is '截至月份N（监控表“1-N月”）';
comment on column mart.monitoring_findings.budget_initial_wan is '年初预算数（万元，单位填报）';
comment on column mart.monitoring_findings.budget_executed_wan is '1-N月执行数（万元，单位填报）';
comment on column mart.monitoring_findings.reported_execution_rate is '单位填报的执行率（比例）';
comment on column mart.monitoring_findings.budget_annual_wan is '全年预算数（万元，单位填报；年中调整后的预算，全国通用格式无此列，多为空）';
comment on column mart.monitoring_findings.computed_execution_rate is '1-N月执行数 / 全年预算数（未填时为年初预算数）（比例）';
comment on column mart.monitoring_findings.budget_expected_wan is '全年预计执行数（万元，单位填报）';
comment on column mart.monitoring_findings.budget_deviation_cause is '项目资金块的偏差原因分析（单位填报，各行勾选或填写的原因合并，以“、”连接）';
comment on column mart.monitoring_findings.budget_deviates is '项目资金块是否偏离（单位填报：是、否；未填为空）';
comment on column mart.monitoring_findings.budget_likelihood is '项目资金块的完成目标可能性（单位填报：确定能、有可能、完全不可能，各行不同时取最差的一项）';
comment on column mart.monitoring_findings.budget_reason is '项目资金块的原因说明（单位填报；分项行的说明前加行名）';
comment on column mart.monitoring_findings.time_progress is '时间进度 = N / 12（比例）';
comment on column mart.monitoring_findings.gap_points is '时间进度 − 执行率（百分点；执行率取填报值，未填时取计算值）；正数为执行慢于时间进度';
comment on column mart.monitoring_findings.stated_light is '单位在监控表中自报的预警（地方格式指标表或项目资金块的「预警情况」「预警等级」「偏差等级」列）：none 绿灯（正常）、blue 蓝灯、yellow 黄灯、red 红灯，各行及项目资金块不同时取最严重的；表中无此列或未填为空';
comment on column mart.monitoring_findings.stated_light_lineage is '自报预警的来源：填报该最严重预警的指标行或项目资金块各行（提交编号、工作表、Excel行号）';
comment on column mart.monitoring_findings.progress_light is '规则按投资完成情况月报计算的同一项目、同一月份的预警灯（mart.monitoring_lights.light）：none、blue、yellow、red；该月无进度数据为空';
comment on column mart.monitoring_findings.stated_light_against_progress is '自报预警与计算的预警相比：milder 轻于计算（报告数据质量提示请核实）、harsher 重于计算、same 相同；任一方为空时为空';
comment on column mart.monitoring_findings.findings is '完成目标可能性不是“确定能”的指标：一级/二级/三级指标、年度指标值、1-N月实际完成情况、全年预计完成情况、偏差原因分析、完成目标可能性、原因说明及其提交编号、工作表、Excel行号';
comment on column mart.monitoring_findings.finding_count is '完成目标可能性不是“确定能”的指标个数';
comment on column mart.monitoring_findings.lineage is '来源：提交编号、工作表、Excel行号';
