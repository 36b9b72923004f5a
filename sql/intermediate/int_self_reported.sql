-- intermediate.self_reported: one row per project (project_code) and year whose national 自评表 states its own 总分
-- or 执行率 (the form repeats them on every indicator row), with the rows that state them and the decimals the
-- stated 总分 prints with.
create or replace table intermediate.self_reported as
with stated as (
    select
        project_code,
        year,
        any_value(reported_total_score) as reported_total_score,
        any_value(budget_execution_rate) as budget_execution_rate,
        list_sort(list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row))) as table_rows
    from staging.performance_targets
    where reported_total_score is not null or budget_execution_rate is not null
    group by all
),

grade_bounds as (
    select year, list(from_score) as bounds from config.grades group by year
),

-- A 自评表's own 总分 prints with two decimals at most, as written where fewer, but never rounded onto a grade's bound
-- or 100 (89.995 printed 90.00分 beside 优's 90).
final as (
    select
        stated.*,
        case when stated.reported_total_score is not null then intermediate.places_apart(
            stated.reported_total_score,
            list_append(coalesce(grade_bounds.bounds, []), 100),
            least(2, intermediate.decimals_of(stated.reported_total_score))
        ) end as total_places
    from stated
    left join grade_bounds on grade_bounds.year = stated.year
)

select * from final;

comment on table intermediate.self_reported is '自评表自报总分与执行率：全国通用自评表填报了总分或预算执行率的每个项目、年度一行（表中各指标行重复填写）';
comment on column intermediate.self_reported.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.self_reported.year is '年度';
comment on column intermediate.self_reported.reported_total_score is '自评表填报的总分';
comment on column intermediate.self_reported.budget_execution_rate is '自评表填报的预算执行率（比例）';
comment on column intermediate.self_reported.table_rows is '填报这两项的自评表各行：提交编号、工作表、Excel行号';
comment on column intermediate.self_reported.total_places is '自报总分印出的小数位数：至多两位（原文更少时按原文），但不四舍五入到等级分界或100；未填总分为空';
