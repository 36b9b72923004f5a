-- intermediate.area_places: one row per project (project_code) and year with a computed area indicator, with the
-- decimals the compounds' area in 万平方米 prints with: four at most, but never rounded onto (or past) an area target
-- it misses, under 项目概况 as in each indicator's row: 49,999.9 ㎡ against ≥5万平方米 read 5.0000万平方米 there and
-- 4.99999 in the indicator's row, and 49,989.9 ㎡ against ≥4.999万平方米 read 4.9990万平方米 in both. Against every
-- area target at once (`bounds`), those in 平方米 too, and where all are: 49,999.999 ㎡ against ≤50000平方米 read
-- 5.0000万平方米 there.
create or replace table intermediate.area_places as
with areas as (
    select
        evaluation.project_code,
        evaluation.year,
        intermediate.ratio(evaluation.actual_value, 10000) as area,
        list_transform(bounds.bounds, lambda bound: intermediate.ratio(bound * evaluation.target_factor, 10000)) as in_wan
    from mart.self_evaluation as evaluation
    inner join intermediate.indicator_bounds as bounds using (project_code, year, position)
    where evaluation.actual_source = 'computed' and evaluation.measure = 'area'
),

final as (
    select
        project_code,
        year,
        max(intermediate.places_apart(area, in_wan, least(4, intermediate.decimals_of(area)))) as places
    from areas
    group by all
)

select * from final;

comment on table intermediate.area_places is '面积的小数位数：有由数据计算的面积指标的每个项目、年度一行，改造面积以万平方米印出时的小数位数';
comment on column intermediate.area_places.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.area_places.year is '年度';
comment on column intermediate.area_places.places is '印出的小数位数：至多四位，但不四舍五入到（或越过）未达到的任一面积指标值';
