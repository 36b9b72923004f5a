-- intermediate.indicator_bounds: one row per indicator of mart.self_evaluation (project_code, year, position), with
-- its computed actual in the unit its target is written in and, beside it, every target of its measure in the
-- project (`bounds`) in that unit: two rows of one measure print one figure, held against both targets at once
-- (≥1.19万户 and ≤1.2万户: 11,999 户 is 1.1999万户 in both rows, where the first printed 1.2万户, on the bound it is
-- under; 49,999.999 ㎡ against ≥49990平方米 and ≤5万平方米 printed 50,000平方米 beside the second).
create or replace table intermediate.indicator_bounds as
with targets as (
    select
        project_code,
        year,
        position,
        actual_value,
        target_factor,
        -- Computed rates have their own decimals (intermediate.rate_places), which hold them off every percent target.
        list(target_value) filter (
            where actual_source = 'computed' and target_unit is distinct from '%' and target_value is not null
        ) over (partition by project_code, year, measure) as measure_targets
    from mart.self_evaluation
),

-- Converted once, and divided (exactly, so slowly) only where the target's unit is not the base unit.
final as (
    select
        project_code,
        year,
        position,
        case
            when target_factor = 1 then actual_value else intermediate.ratio(actual_value, target_factor)
        end as actual_in_target_unit,
        case
            when target_factor = 1 then measure_targets
            else list_transform(measure_targets, lambda bound: intermediate.ratio(bound, target_factor))
        end as bounds
    from targets
)

select * from final;

comment on table intermediate.indicator_bounds is '指标值单位下的实际完成值：自评表每个指标一行，实际完成值与该项目同一计算口径的全部指标值，均折算为该指标值书写的单位';
comment on column intermediate.indicator_bounds.project_code is '项目编码（未填编码的项目为“自编:实施单位/项目名称”）';
comment on column intermediate.indicator_bounds.year is '年度';
comment on column intermediate.indicator_bounds.position is '指标在自评表中的顺序（mart.self_evaluation.position）';
comment on column intermediate.indicator_bounds.actual_in_target_unit is '实际完成值，折算为指标值书写的单位（精确除法）';
comment on column intermediate.indicator_bounds.bounds is '该项目同一计算口径、非百分比的由数据计算的指标值，折算为本指标值的单位（印出时不四舍五入越过其中任一个）';
