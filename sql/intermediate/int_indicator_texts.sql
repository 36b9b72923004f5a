-- intermediate.indicator_texts: one row per indicator of mart.self_evaluation (project_code, year, position), with
-- the detail that names it in the report and its 实际完成值 as the report prints it.
create or replace table intermediate.indicator_texts as
with evaluated as (
    select *
    from mart.self_evaluation
    inner join intermediate.indicator_bounds using (project_code, year, position)
),

-- Counted over the names alone: a window over the whole rows carries their lists of cells through each sort.
indicator_names as (
    select
        project_code,
        year,
        position,
        count(*) over (partition by project_code, year, level3) as level3_count,
        count(*) over (partition by project_code, year, level3, level2) as level3_level2_count,
        row_number() over (partition by project_code, year, level3, level2 order by position) as level2_ordinal
    from mart.self_evaluation
),

-- Each indicator's detail, and the way its 实际完成值 prints. The way, its decimals and its rounded text are columns
-- of their own (`evaluation_places`, `evaluation_rounded`): as the macros' arguments they were inlined into every
-- branch of every macro, and DuckDB took 1.2 s of CPU to plan `actual_text` alone at the yardstick's year
-- (docs/performance.md, session 69).
evaluation_kinds as (
    select
        evaluated.*,
        rate_places.places as rate_places,
        measured.decimals as measured_decimals,
        -- Each indicator's detail names it once in its project: two 三级指标 of one name (`完成率` under 质量指标 and
        -- under 时效指标) are told apart by their 二级指标, then by their order, or the report would look both up by
        -- the first one's name.
        case
            when names.level3_count = 1 then evaluated.level3
            else evaluated.level3 || '（' || concat_ws(
                '，',
                evaluated.level2,
                case when names.level3_level2_count > 1 then '第' || names.level2_ordinal || '项' end
            ) || '）'
        end as indicator_detail,
        case
            -- A bare number reported against a percent target (0.95, or 1 read as 100 %) prints as it was read: never
            -- rounded onto that target (or 100 %) it misses.
            when actual_source = 'reported' and target_unit = '%' and actual_value is not null
                and not contains(reported_value, '%') then 'percent_apart'
            -- Nothing reported and nothing to compute it from (no ledger, no survey): said, not printed blank.
            when actual_value is null and nullif(trim(reported_value), '') is null then 'no_data'
            when actual_source = 'reported' or actual_value is null then 'reported'
            -- Never rounded onto a target it misses (its own, or another bound to its measure): 0.89999 against ≥90%
            -- is 89.999%.
            when target_unit = '%' then 'percent'
            -- The compounds' area in 万平方米 prints as 项目概况 prints it, four decimals at most: 43,470 ㎡ read
            -- 4.347万平方米 there and 4.35万平方米 in its indicator's row.
            when evaluated.measure = 'area' and target_unit = '万平方米' then 'area'
            -- Planned investment in 万元 past two decimals prints as 项目概况 prints the sum it is (清单计划投资, else
            -- 计划总投资), as precise as its rows were written: 1,300.125万元 there read 1,300.13万元 in its row. In
            -- another unit (元, 亿元) it prints exactly too: 1,250.005万元 against ≥0.1亿元 read 0.13亿元 (1,300万元), and
            -- 0.001万元 against ≥0.00001亿元 0亿元.
            when evaluated.measure = 'planned_investment'
                and (target_factor <> 1 or intermediate.decimals_of(actual_in_target_unit) > 2) then 'planned_investment'
            -- A count (小区, 户) prints exactly in any unit: 619 户 against ≥0.06万户 read 0.062万户 (620) beside
            -- 惠及居民619户; 0.0619万户 is the count itself, and never on a target's side it is not.
            when evaluated.measure in ('compounds', 'households') then 'count'
            else 'number'
        end as printed_as
    from evaluated
    inner join indicator_names as names using (project_code, year, position)
    left join intermediate.rate_places as rate_places
        on rate_places.project_code = evaluated.project_code and rate_places.year = evaluated.year
        and rate_places.measure = evaluated.measure
    left join intermediate.project_measures as measured
        on measured.project_code = evaluated.project_code and measured.year = evaluated.year
        and measured.measure = evaluated.measure
),

-- The decimals each 实际完成值 prints with, as format_percent_places and format_number choose them. A number prints
-- as its kind does, with as many more decimals as keep it on its own side of its target (places_apart): 24.3995
-- against ≥24.4 is not 24.4, 49,999.9999 ㎡ against ≥5万平方米 is 4.99999999, not 5.000000, and 1,234.5665万元 against
-- ≥1,234.567万元 is 1,234.5665, not 1,234.57 (over it).
evaluation_places as (
    select
        * exclude (kind_places),
        case printed_as
            -- Off its target and 100 % at once: 0.999961 against ≤99.996% is neither 100% nor 99.996%.
            when 'percent_apart' then intermediate.places_apart(
                actual_value * 100, [coalesce(target_value, 1) * 100, 100], 2
            )
            when 'percent' then intermediate.percent_places(actual_value, coalesce(rate_places, 2))
            when 'area' then greatest(intermediate.places_apart(actual_in_target_unit, bounds, kind_places), area_places)
            when 'planned_investment' then intermediate.places_apart(actual_in_target_unit, bounds, kind_places)
            when 'number' then intermediate.places_apart(actual_in_target_unit, bounds, kind_places)
            when 'count' then kind_places
        end as places
    from (
        -- As a column: as places_apart's argument it was inlined at each of its branches.
        select
            evaluation_kinds.*,
            coalesce(area_places.places, 0) as area_places,
            case printed_as
                when 'area' then least(4, intermediate.decimals_of(actual_in_target_unit))
                when 'planned_investment' then case
                    when target_factor = 1 then intermediate.sum_decimals(measured_decimals, actual_in_target_unit)
                    else intermediate.decimals_of(actual_in_target_unit)
                end
                when 'number' then least(2, intermediate.decimals_of(round(actual_in_target_unit, 2)))
                when 'count' then intermediate.decimals_of(actual_in_target_unit)
            end as kind_places
        from evaluation_kinds
        left join intermediate.area_places as area_places using (project_code, year)
    )
),

-- Each printed 实际完成值 rounded to its decimals, once.
evaluation_rounded as (
    select
        *,
        case
            when printed_as in ('percent_apart', 'percent') then intermediate.rounded_text(actual_value * 100, places)
            when printed_as not in ('no_data', 'reported') then intermediate.rounded_text(actual_in_target_unit, places)
        end as rounded
    from evaluation_places
),

final as (
    select
        project_code,
        year,
        position,
        indicator_detail,
        case
            when printed_as in ('percent_apart', 'percent') then
                intermediate.format_percent_rounded(actual_value, places, rounded)
            when printed_as = 'no_data' then '—（无数据）'
            when printed_as = 'reported' then reported_value
            -- 'area' and 'planned_investment' have their unit, so coalesce changes nothing there.
            else intermediate.format_rounded(actual_in_target_unit, places, rounded) || coalesce(target_unit, '')
        end as actual_text
    from evaluation_rounded
)

select * from final;

comment on table intermediate.indicator_texts is '指标印出的文字：自评表每个指标一行，报告中称呼它的细项名称和印出的实际完成值';
comment on column intermediate.indicator_texts.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.indicator_texts.year is '年度';
comment on column intermediate.indicator_texts.position is '指标在自评表中的顺序（mart.self_evaluation.position）';
comment on column intermediate.indicator_texts.indicator_detail is '细项名称：三级指标；同一项目中同名的三级指标后注二级指标或序号，如“完成率（时效指标）”';
comment on column intermediate.indicator_texts.actual_text is '印出的实际完成值，如 95.18%、4.347万平方米；无填报也无可计算的数据时为“—（无数据）”';
