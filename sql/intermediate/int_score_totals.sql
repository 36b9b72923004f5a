-- intermediate.score_totals: one row per project (project_code) and year with scored indicators, with its 自评得分
-- (its indicators' scores added up, unrounded) and the decimals it prints with, and beside it the 得分 column as
-- printed (each score rounded to its decimals, as `indicator_score` prints it), added up.
create or replace table intermediate.score_totals as
with score_sums as (
    select *
    from (
        select
            *,
            -- Two decimals, or as many more as a total short of the next grade (or of 100) needs not to print as
            -- reaching it: 89.995 is 良, printed 89.995分, not 90.00分. Graded as mart.project_year grades it, to 8
            -- decimals.
            intermediate.decimals_apart(score, next_bound) as places
        from (
            -- The next bound as a column: as decimals_apart's argument the subquery ran (and was planned) at each
            -- of the places the macro names it.
            select
                *,
                coalesce(
                    (
                        select min(grades.from_score) from config.grades as grades
                        where grades.year = summed.year and grades.from_score > round(summed.score, 8)
                    ),
                    100
                ) as next_bound
            from (
                select
                    project_code,
                    year,
                    sum(score) as score,
                    sum(intermediate.rounded(score, score_places))
                        as printed_sum,
                    max(score_places) as printed_places
                from mart.self_evaluation
                inner join intermediate.score_places using (project_code, year, position)
                group by all
            ) as summed
        )
    )
    -- Each cell once: a project's indicators computed from the same rows would repeat them (2,565 cells for one
    -- project's total at 10,000 files).
    left join (
        select project_code, year, list_sort(list(distinct cell)) as lineage
        from mart.self_evaluation, unnest(lineage) as listed(cell)
        group by all
    ) as cells using (project_code, year)
),

-- The tolerance the 数据质量提示 hold a stated 总分 to (pipeline/report_quality.py).
tolerances as (
    select * from config.stated_tolerances
),

-- A stated 总分 the 数据质量提示 names as more than the tolerance off the computed one: the decimals that print the
-- two that far apart (places_beyond), where their own do not: 90分 stated beside 90.5000001 printed 90.50分, under
-- "相差超过0.5分". The 自评得分 prints so wherever it is printed.
score_gaps as (
    select
        project_code,
        year,
        intermediate.places_beyond(
            score_sums.score, score_sums.places, stated.reported_total_score, stated.total_places, tolerances.score
        ) as places
    from score_sums
    inner join intermediate.self_reported as stated using (project_code, year)
    cross join tolerances
    where stated.reported_total_score is not null
),

final as (
    select
        * exclude (wanted) replace (intermediate.places_up_to(score, places, wanted) as places),
        intermediate.rounded(score, intermediate.places_up_to(score, places, wanted)) as printed_total,
        wanted as apart_places
    from score_sums
    left join (select project_code, year, places as wanted from score_gaps) as gaps using (project_code, year)
)

select * from final;

comment on table intermediate.score_totals is '自评得分合计：有指标得分的每个项目、年度一行，各指标得分之和（不四舍五入）及其印出的小数位数，与按印出的得分相加之和';
comment on column intermediate.score_totals.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.score_totals.year is '年度';
comment on column intermediate.score_totals.score is '自评得分：各指标得分之和（不四舍五入）';
comment on column intermediate.score_totals.printed_sum is '得分列按印出的（各自四舍五入后的）得分相加之和';
comment on column intermediate.score_totals.printed_places is '得分列中印出小数位数最多的得分的位数（printed_sum 按此印出）';
comment on column intermediate.score_totals.next_bound is '高于自评得分的最近等级分界（config.grades），无则为100';
comment on column intermediate.score_totals.places is '自评得分印出的小数位数：两位，或不印作达到下一等级（或100）、与自报总分相差超过容差时印出其差所需的更多位';
comment on column intermediate.score_totals.lineage is '来源：各指标得分所用的单元格（每个一次）：提交编号、工作表、Excel行号';
comment on column intermediate.score_totals.printed_total is '自评得分按 places 位四舍五入后的值';
comment on column intermediate.score_totals.apart_places is '自评表自报总分与自评得分相差超过容差（config.stated_tolerances）时，使两者印出的差也超过容差所需的小数位数；否则为空';
