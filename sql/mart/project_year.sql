-- mart.project_year: one row per project (project_code) and year, the headline indicators of the annual report.
-- Every figure is joined on project_code; project_name is the project's latest registered name.
create or replace table mart.project_year as
with projects as (
    select * from intermediate.project_years
),

measures as (
    pivot (select project_code, year, measure, value from intermediate.project_measures)
    on measure in ('investment_completion_rate', 'payment_rate', 'satisfaction_rate')
    using first(value)
    group by project_code, year
),

-- The latest month counts each office's own latest month (intermediate.investment_monthly carries an office's
-- earlier month into the months it has not reported), so the year's figures are each office's latest, added up.
latest_progress as (
    select project_code, year, annual_planned_investment_wan, cumulative_completed_wan, carried_forward
    from intermediate.investment_monthly
    qualify row_number() over (partition by project_code, year order by month desc) = 1
),

funds as (
    select project_code, year, sum(received_wan) as received_wan, sum(paid_wan) as paid_wan
    from mart.funds_by_source
    group by all
),

scores as (
    select project_code, year, sum(score) as score
    from mart.self_evaluation
    group by all
),

-- Graded on the total itself (warehouse.md: rounded to 2 decimals only for display), to 8 decimals: each score
-- stops at its 10th, so a total the rules make 60 may come to 59.9999999999 (three times 10 × 1/3).
graded as (
    select scores.project_code, scores.year, scores.score, arg_max(grades.grade, grades.from_score) as grade
    from scores
    inner join config.grades as grades on grades.year = scores.year and round(scores.score, 8) >= grades.from_score
    group by all
),

-- What the national 自评表 states: the unit's own total and execution rate, kept beside the computed ones.
self_reported as (
    select
        project_code,
        year,
        any_value(reported_total_score) as reported_self_evaluation_score,
        any_value(budget_execution_rate) as reported_budget_execution_rate
    from staging.performance_targets
    group by all
),

lights as (
    select project_code, year, arg_max(light, severity) as worst_light
    from mart.monitoring_lights
    where light is not null
    group by all
),

final as (
    select
        projects.project_code,
        projects.project_name,
        projects.project_type,
        projects.implementing_unit,
        projects.year,
        projects.planned_total_investment_wan,
        latest_progress.annual_planned_investment_wan,
        latest_progress.cumulative_completed_wan as completed_investment_wan,
        measures.investment_completion_rate,
        funds.received_wan as funds_received_wan,
        funds.paid_wan as funds_paid_wan,
        measures.payment_rate,
        measures.payment_rate as budget_execution_rate,
        measures.satisfaction_rate,
        graded.score as self_evaluation_score,
        graded.grade,
        self_reported.reported_self_evaluation_score,
        self_reported.reported_budget_execution_rate,
        lights.worst_light,
        latest_progress.carried_forward as progress_carried_forward,
        projects.project_code_derived
    from projects
    left join measures using (project_code, year)
    left join latest_progress using (project_code, year)
    left join funds using (project_code, year)
    left join graded using (project_code, year)
    left join self_reported using (project_code, year)
    left join lights using (project_code, year)
    order by projects.year, projects.project_code, projects.project_name
)

select * from final;

comment on table mart.project_year is '项目年度绩效：每个项目、年度一行（比率为比例，0.95 即 95%；金额为万元）';
comment on column mart.project_year.project_code is '项目编码（项目基本信息表）；未填时为由实施单位和项目名称生成的“自编:实施单位/项目名称”（见project_code_derived）';
comment on column mart.project_year.project_name is '项目名称：项目基本信息表中最新登记的名称（更名前的名称见intermediate.project_years.project_aliases）';
comment on column mart.project_year.project_type is '项目类型';
comment on column mart.project_year.implementing_unit is '实施单位';
comment on column mart.project_year.year is '年度';
comment on column mart.project_year.planned_total_investment_wan is '计划总投资（万元，项目基本信息表）';
comment on column mart.project_year.annual_planned_investment_wan is '年度计划投资（万元，投资完成情况月报；多个单位报送的为各单位最近月份之和）';
comment on column mart.project_year.completed_investment_wan is '累计完成投资（万元，12月或最近月份；多个单位报送的为各单位最近月份之和，见progress_carried_forward）';
comment on column mart.project_year.investment_completion_rate is '年度计划投资完成率 = 累计完成投资 / 年度计划投资';
comment on column mart.project_year.funds_received_wan is '资金到位合计（万元）';
comment on column mart.project_year.funds_paid_wan is '资金支付合计（万元）';
comment on column mart.project_year.payment_rate is '资金支付率 = 支付合计 / 到位合计';
comment on column mart.project_year.budget_execution_rate is '预算执行率（与资金支付率同口径）';
comment on column mart.project_year.satisfaction_rate is '满意度 = (满意 + 基本满意) / 有效问卷';
comment on column mart.project_year.reported_self_evaluation_score is '单位在全国通用自评表「总分」行填报的自评总分；未填为空（与计算值相差超过0.5分时报告的数据质量提示列出两者）';
comment on column mart.project_year.reported_budget_execution_rate is '单位在全国通用自评表项目资金块填报的执行率（比例）；与按台账计算的预算执行率相差超过1个百分点时报告的数据质量提示列出两者';
comment on column mart.project_year.self_evaluation_score is '自评总分（预算执行率10分 + 各指标90分；各项得分之和，未取整；评定等级时取8位小数，只为消去各项得分第10位小数的舍入）';
comment on column mart.project_year.grade is '评价等级：优、良、中、差，按自评总分本身评定（报告显示时才保留两位小数）';
comment on column mart.project_year.progress_carried_forward is '未报送项目最近月份、完成投资和年度计划投资按其此前最近月份计入的单位及该月份（unit、month）；空列表表示各单位都报至最近月份，无月报为空';
comment on column mart.project_year.worst_light is '全年最严重的预警灯：none、blue、yellow、red';
comment on column mart.project_year.project_code_derived is '项目编码由实施单位和项目名称生成（登记时未填项目编码）';
