-- intermediate.score_places: one row per indicator of mart.self_evaluation (project_code, year, position), with the
-- decimals its 得分 and the 自评表's own beside it print with: two (as written where fewer, for the form's), or as
-- many more as keep a score short of its 分值 off full marks (14.9997, not 15.00), or print the two apart where they
-- are further apart than the 数据质量提示's `score_differs` ever takes for one (places_beyond): 43.882 stated beside
-- 43.875 computed both printed 43.88, under "得分…不同".
create or replace table intermediate.score_places as
with scored as (
    select
        project_code,
        year,
        position,
        score,
        reported_score,
        intermediate.decimals_apart(score, weight) as own_score,
        intermediate.places_apart(reported_score, [weight], least(2, intermediate.decimals_of(reported_score)))
            as own_reported
    from mart.self_evaluation
),

-- The tolerance the 数据质量提示 hold a stated 得分 to (pipeline/report_quality.py).
tolerances as (
    select * from config.stated_tolerances
),

wanted as (
    select
        scored.*,
        case when abs(scored.reported_score - scored.score) > tolerances.indicator_score
            then intermediate.places_beyond(
                scored.score, scored.own_score, scored.reported_score, scored.own_reported, 0
            ) end as wanted
    from scored
    cross join tolerances
),

final as (
    select
        project_code,
        year,
        position,
        intermediate.places_up_to(score, own_score, wanted) as score_places,
        intermediate.places_up_to(reported_score, own_reported, wanted) as reported_places
    from wanted
)

select * from final;

comment on table intermediate.score_places is '得分的小数位数：自评表每个指标一行，计算得分与单位自评得分印出的小数位数';
comment on column intermediate.score_places.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.score_places.year is '年度';
comment on column intermediate.score_places.position is '指标在自评表中的顺序（mart.self_evaluation.position）';
comment on column intermediate.score_places.score_places is '计算得分印出的小数位数：两位，或不足分值时不印作满分、与自评得分相差超过容差时印出其差所需的更多位';
comment on column intermediate.score_places.reported_places is '单位自评得分印出的小数位数：至多两位（原文更少时按原文），但不印作满分，且与计算得分相差超过容差时印出其差';
