-- intermediate.rate_places: one row per project (project_code), year and measure of a computed rate (a percent
-- indicator's measure, the ledger's 资金支付率) that prints with decimals of its own: the decimals that keep it off
-- every percent target bound to its measure and 100 %, and, for the ledger's rate, those that print it as far from
-- the 自评表's own 执行率 as the 数据质量提示 says it is.
create or replace table intermediate.rate_places as
with rates as (
    select
        project_code,
        year,
        measure,
        count(*) filter (where actual_source = 'computed' and target_unit = '%')
            over (partition by project_code, year, measure) as rate_rows,
        max(actual_value) filter (where actual_source = 'computed' and target_unit = '%')
            over (partition by project_code, year, measure) as rate,
        list(target_value * 100) filter (
            where actual_source = 'computed' and target_unit = '%' and target_value is not null
        ) over (partition by project_code, year, measure) as rate_bounds
    from mart.self_evaluation
),

-- A computed rate prints with the decimals that keep it off every percent target bound to its measure and 100 %, all
-- at once, wherever it is printed: a survey's 89.9999 % against ≥90% read 90% under 群众满意度, 89.9999% in the table.
own_rate_places as (
    select distinct project_code, year, measure, places
    from (
        select
            project_code,
            year,
            measure,
            case when rate_rows > 0 then intermediate.places_apart(rate * 100, list_append(rate_bounds, 100), 2) end
                as places
        from rates
    )
    where places is not null
),

-- The tolerances the 数据质量提示 hold a stated 执行率 to (pipeline/report_quality.py).
tolerances as (
    select * from config.stated_tolerances
),

-- A 自评表's 执行率 the 数据质量提示 names as more than the tolerance off the ledger's (资金支付率): the decimals that
-- print the two that far apart (places_beyond), where 2 do not: 4% stated beside 5.000001 % printed 5%, a point
-- apart, under "相差超过1个百分点". The ledger's rate prints so wherever it is printed (rate_places).
execution_gaps as (
    select
        measures.project_code,
        measures.year,
        measures.measure,
        measures.value as rate,
        intermediate.places_beyond(
            measures.value * 100,
            intermediate.percent_places(measures.value, coalesce(own.places, 2)),
            self_reported.budget_execution_rate * 100,
            intermediate.percent_places(self_reported.budget_execution_rate, 2),
            tolerances.execution * 100
        ) as places
    from intermediate.project_measures as measures
    inner join intermediate.self_reported as self_reported using (project_code, year)
    cross join tolerances
    left join own_rate_places as own using (project_code, year, measure)
    where measures.measure = 'payment_rate'
),

final as (
    select
        project_code,
        year,
        measure,
        case
            when gaps.places is null then own.places
            else intermediate.places_up_to(gaps.rate * 100, coalesce(own.places, 2), gaps.places)
        end as places,
        gaps.places as apart_places
    from own_rate_places as own
    full join (select * from execution_gaps where places is not null) as gaps using (project_code, year, measure)
)

select * from final;

comment on table intermediate.rate_places is '比率的小数位数：每个项目、年度、由数据计算的比率（百分比指标的计算口径、资金支付率）一行，该比率在报告各处印出的小数位数';
comment on column intermediate.rate_places.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.rate_places.year is '年度';
comment on column intermediate.rate_places.measure is '计算口径（intermediate.project_measures.measure），如 satisfaction_rate、payment_rate';
comment on column intermediate.rate_places.places is '印出的小数位数（百分数）：不四舍五入到该口径任一百分比指标值或100%，且资金支付率与自评表执行率相差超过容差时印出其差';
comment on column intermediate.rate_places.apart_places is '资金支付率与自评表所填执行率相差超过容差（config.stated_tolerances）时，使两者印出的差也超过容差所需的小数位数；否则为空';
