-- mart.self_evaluation: one row per indicator of a project's 绩效目标及自评表, plus one row for 预算执行率,
-- scored by the year's rules (registry/rules.yaml). Values are in the measure's base unit: percentages as
-- fractions, areas in 平方米, money in 万元; target_unit says how the target was written.
-- The texts are read by read_indicator, the parser's own reading (pipeline.indicator_values.read_indicator, registered
-- by pipeline.indicators): the warning a clerk got for a bare 1 under a percent target names the value used here.
create or replace table mart.self_evaluation as
with bound as (
    select names.year, names.level3, arg_min(bindings.measure, bindings.position) as measure,
        arg_min(bindings.rate, bindings.position) as rate,
        arg_min(bindings.unit_measure, bindings.position) as unit_measure,
        arg_min(bindings.counts, bindings.position) as counts
    from (select distinct year, level3 from staging.performance_targets) as names
    inner join config.bindings as bindings
        -- A cell wrapped in Excel (`改造小区⏎数量`) is one name to the clerk: spaces and line breaks do not part it
        -- (pipeline.rules.folded_name, as the receipt reads it).
        on bindings.year = names.year
        and contains(
            regexp_replace(names.level3, '[\s\x{3000}]', '', 'g'),
            regexp_replace(bindings.contains, '[\s\x{3000}]', '', 'g')
        )
    group by all
),

-- Each distinct pair of texts is read once: read_indicator runs in Python, and a year's thousands of indicators
-- repeat a few hundred targets. An indicator computed as a rate reads a target without a unit as a percentage; a
-- 三级指标 naming its unit (`改造面积（万平方米）`) gives it to the bare numbers of its row.
readings as (
    select
        level3, target_text, reported_value, target_header_unit, reported_header_unit, rate,
        read_indicator(target_text, reported_value, target_header_unit, reported_header_unit, rate, level3) as reading
    from (
        select distinct
            performance_targets.level3,
            performance_targets.target_text,
            performance_targets.reported_value,
            performance_targets.target_header_unit,
            performance_targets.reported_header_unit,
            coalesce(bound.rate, false) as rate
        from staging.performance_targets as performance_targets
        left join bound using (year, level3)
    )
),

targets as (
    select
        performance_targets.*,
        row_number() over (
            partition by performance_targets.project_code, performance_targets.year
            order by performance_targets.submission_id, performance_targets.sheet, performance_targets.excel_row
        ) as position,
        -- A target written in a unit the measure is not in is no measure of it: `项目总投资控制率 ≤100%` is bound
        -- by 总投资 to an amount in 万元, `满意度调查覆盖户数 ≥500户` by 满意度 to a rate. Its reported value is used.
        -- So it is for a number written with no unit at all (cell, 三级指标, header) bound to an amount: `改造面积`
        -- `≥24.4` may be ㎡ or 万㎡, never compared with the data's ㎡ on a guess (pipeline.layout warns of it); a
        -- count's bare `≥3148` is 户 (nobody's 万户) and stays bound. A rate's
        -- bare target is read as a percentage (read_indicator's `rate`); a 定性 target keeps its binding.
        -- An indicator of one compound (`水利局东院惠及户数 ≥265户`) is no measure of the project: bound by 户数, the
        -- project's 14,244 households stood as that compound's, full marks whatever it reported. Its reported
        -- value is used, as for any indicator no measure fits.
        case
            when names_compound.project_code is not null then null
            -- A count in another word (`惠及户数 ≥9000人`: people) is no count of the measure's (config.bindings.counts).
            when readings.reading.target_measure = bound.unit_measure
                and (bound.counts is null or readings.reading.target_counts in (bound.counts, '个'))
                or readings.reading.target_number is null
                or (readings.reading.target_unit is null and bound.unit_measure = 'count')
                then bound.measure
        end as measure,
        readings.reading
    from staging.performance_targets as performance_targets
    left join bound using (year, level3)
    left join (
        select distinct t.project_code, t.year, t.level3
        from (
            select distinct project_code, year, level3, regexp_replace(level3, '[\s\x{3000}]', '', 'g') as folded
            from staging.performance_targets
        ) as t
        inner join (
            select distinct project_code, year, regexp_replace(compound_name, '[\s\x{3000}]', '', 'g') as compound
            from staging.compound_list
            where length(regexp_replace(compound_name, '[\s\x{3000}]', '', 'g')) >= 3
        ) as c
            on c.project_code = t.project_code and c.year = t.year
            and contains(t.folded, c.compound)
    ) as names_compound
        on names_compound.project_code = performance_targets.project_code
        and names_compound.year = performance_targets.year
        and names_compound.level3 is not distinct from performance_targets.level3
    left join readings
        on readings.level3 is not distinct from performance_targets.level3
        and readings.target_text is not distinct from performance_targets.target_text
        and readings.reported_value is not distinct from performance_targets.reported_value
        and readings.target_header_unit is not distinct from performance_targets.target_header_unit
        and readings.reported_header_unit is not distinct from performance_targets.reported_header_unit
        and readings.rate = coalesce(bound.rate, false)
),

parsed as (
    select
        *,
        reading.operator as operator,
        reading.target_unit as target_unit,
        reading.reported_number as reported_number,
        reading.reported_unit as reported_unit,
        reading.target_factor as target_factor,
        reading.reported_factor as reported_factor
    from targets
),

valued as (
    select
        *,
        cast(reading.target_number * target_factor as decimal(28, 10)) as target_value,
        cast(reported_number * reported_factor as decimal(28, 10)) as reported_base,
        -- Half a unit in the reported value's last written digit: closer than that is the same figure rounded.
        0.5 * pow(10, -intermediate.decimals_of(reported_number))
            * reported_factor as reported_tolerance
    from parsed
),

indicators as (
    select
        valued.*,
        measures.value as computed_value,
        measures.lineage as computed_lineage,
        qualitative.share as qualitative_share,
        coalesce(measures.value, valued.reported_base) as actual_base,
        -- The actual value as a fraction with a positive denominator: a rate as its two sums, anything else over 1.
        case when measures.denominator < 0 then -measures.numerator
            else coalesce(measures.numerator, valued.reported_base) end as actual_numerator,
        coalesce(abs(measures.denominator), 1) as actual_denominator
    from valued
    left join intermediate.project_measures as measures
        on measures.project_code = valued.project_code
        and measures.year = valued.year
        and measures.measure = valued.measure
        and valued.operator <> '定性'
    -- The national form writes 达成预期指标 for 达成: other words for an outcome are read as the outcome they mean.
    left join config.qualitative_words as words
        on words.year = valued.year
        and words.word = trim(valued.reported_value)
    left join config.qualitative as stated
        on stated.year = valued.year
        and stated.outcome = trim(valued.reported_value)
    left join config.qualitative as qualitative
        on qualitative.year = valued.year
        and qualitative.outcome = coalesce(
            -- An outcome written (`基本达成`, or words for it) scores as its own grade (warehouse.md, Self-evaluation
            -- score), even when the target is worded the same: 基本达成 met by 基本达成 is 80 %, not 达成.
            stated.outcome,
            words.outcome,
            -- Else the target's own words, or them said done (`已建立` for `建立`), mean it was met
            -- (pipeline.indicator_warnings.unscored_words reads them alike, so the receipt never warns of either).
            case when trim(valued.reported_value) in (trim(valued.target_text), '已' || trim(valued.target_text))
                then '达成' end,
            trim(valued.reported_value)
        )
),

-- 分值 × actual / target, multiplied before dividing, with actual = numerator / denominator: 60 × 1 / 3 is 20
-- exactly, where 60 × (1/3 to 10 decimals) fell short of 20 and a total of exactly 60 was graded 差.
scored as (
    select
        *,
        case
            when operator = '定性' then weight * coalesce(qualitative_share, 0)
            -- A number's target met with words (`达成预期指标`) scores as the words say (indicator_warnings.scored_by_outcome).
            when actual_numerator is null then weight * coalesce(qualitative_share, 0)
            when operator = '≥' then
                case when target_value <= 0 or actual_numerator >= target_value * actual_denominator then weight
                    -- A percentage below zero (`-5%`, read_indicator) meets none of a target above it: no score below 0.
                    when actual_numerator <= 0 then 0
                    else intermediate.ratio(weight * actual_numerator, target_value * actual_denominator) end
            when operator = '≤' then
                case when actual_numerator <= target_value * actual_denominator then weight
                    else intermediate.ratio(weight * target_value * actual_denominator, actual_numerator) end
            when actual_numerator = target_value * actual_denominator then weight
            when actual_numerator <= 0 or target_value <= 0 then 0
            when actual_numerator < target_value * actual_denominator then
                intermediate.ratio(weight * actual_numerator, target_value * actual_denominator)
            else intermediate.ratio(weight * target_value * actual_denominator, actual_numerator)
        end as score
    from indicators
),

-- 预算执行率 is computed from the ledger; with no ledger, the national 自评表's own 执行率 is the reported value
-- (warehouse.md: "the reported 实际完成值 is used otherwise"), its lineage the 执行率 cell. A form whose 执行率 is
-- blank still states its 全年执行数 and 全年预算数: the rate is computed from them (the receipt says so, `rate_blank`),
-- rather than scored 0 as if nothing had been spent. So is one whose 执行率 is not its own 全年执行数 ÷ 全年预算数 as
-- rounded as written (`rate_mismatch`, judged at intake where the digits written are known): 预算执行率 is the
-- money's (warehouse.md: it "uses the same figures" as 资金支付率), the written rate a self-reported figure kept
-- beside it (submissions.md), and a bare 1 or 0.95 against figures giving 80 % scored 10 or 9.5 of 10 untold.
off_figures as (
    select distinct submission_id, sheet from ops.validation_issues where rule = 'rate_mismatch'
),

-- A ledger whose 到位 add up to 0 gives no rate (intermediate.project_measures keeps none): it is still a ledger
-- sent, and the row's note says so rather than that none was.
ledgers as (
    select distinct project_code, year from staging.fund_ledger
),

budget as (
    select
        project_years.project_code,
        project_years.year,
        coalesce(
            measures.value,
            case when not project_years.rate_off then project_years.reported_rate end,
            intermediate.ratio(project_years.executed, project_years.annual)
        ) as rate,
        measures.value is null and project_years.reported_rate is not null and not project_years.rate_off
            as reported,
        case when measures.value is not null then measures.numerator else project_years.executed end as paid,
        case when measures.value is not null then measures.denominator else project_years.annual end as received,
        ledgers.project_code is not null as ledger,
        -- The ledger as the receipts and the report name it (registry name_zh), in the note on a rate none gives.
        (select name_zh from config.forms where template = 'fund_ledger') as ledger_name,
        project_years.reported_rate is null and project_years.executed is null and project_years.annual is null
            as block_blank,
        scoring.budget_execution_points as points,
        case
            when measures.value is not null then measures.lineage
            when project_years.reported_rate is not null and not project_years.rate_off
                then project_years.rate_lineage
            else project_years.budget_lineage
        end as lineage,
        project_years.budget_reported_score,
        project_years.score_lineage
    from (
        select
            targets.project_code,
            targets.year,
            any_value(targets.budget_reported_score) as budget_reported_score,
            any_value(targets.budget_execution_rate) as reported_rate,
            any_value(targets.budget_executed_wan) as executed,
            any_value(targets.budget_annual_wan) as annual,
            -- The amounts give the rate only where both are written (a form off them states both).
            coalesce(bool_or(off_figures.submission_id is not null), false)
                and any_value(targets.budget_executed_wan) is not null
                and any_value(targets.budget_annual_wan) is not null as rate_off,
            list_sort(list(distinct struct_pack(
                submission_id := fields.submission_id, sheet := fields.sheet, excel_row := fields.excel_row
            )) filter (where fields.submission_id is not null)) as rate_lineage,
            list_sort(list(distinct struct_pack(
                submission_id := budget_cells.submission_id, sheet := budget_cells.sheet,
                excel_row := budget_cells.excel_row
            )) filter (where budget_cells.submission_id is not null)) as budget_lineage,
            -- The 得分 cell of the form's 项目资金 block; a form stored before ops.sheet_fields, the rows repeating it.
            coalesce(
                list_sort(list(distinct struct_pack(
                    submission_id := scores.submission_id, sheet := scores.sheet, excel_row := scores.excel_row
                )) filter (where scores.submission_id is not null)),
                list_sort(list(distinct struct_pack(
                    submission_id := targets.submission_id, sheet := targets.sheet, excel_row := targets.excel_row
                )) filter (where targets.budget_reported_score is not null))
            ) as score_lineage
        from staging.performance_targets as targets
        left join off_figures
            on off_figures.submission_id = targets.submission_id and off_figures.sheet = targets.sheet
        left join ops.sheet_fields as fields
            on fields.submission_id = targets.submission_id
            and fields.sheet = targets.sheet
            and fields.field_name = 'budget_execution_rate'
            and targets.budget_execution_rate is not null
        left join ops.sheet_fields as budget_cells
            on budget_cells.submission_id = targets.submission_id
            and budget_cells.sheet = targets.sheet
            and budget_cells.field_name in ('budget_executed_wan', 'budget_annual_wan')
            and (targets.budget_execution_rate is null or off_figures.submission_id is not null)
            and targets.budget_executed_wan is not null
            and targets.budget_annual_wan is not null
        left join ops.sheet_fields as scores
            on scores.submission_id = targets.submission_id
            and scores.sheet = targets.sheet
            and scores.field_name = 'budget_reported_score'
            and targets.budget_reported_score is not null
        group by all
    ) as project_years
    inner join config.scoring as scoring using (year)
    left join intermediate.project_measures as measures
        on measures.project_code = project_years.project_code
        and measures.year = project_years.year
        and measures.measure = 'payment_rate'
    left join ledgers
        on ledgers.project_code = project_years.project_code and ledgers.year = project_years.year
),

rows as (
    select
        project_code,
        year,
        position,
        level1,
        level2,
        level3,
        target_text,
        operator,
        target_value,
        target_unit,
        target_factor,
        case when operator = '定性' then null else actual_base end as actual_value,
        case when computed_value is not null then 'computed' else 'reported' end as actual_source,
        reported_value,
        weight,
        cast(score as decimal(28, 10)) as score,
        reported_score,
        deviation_note,
        measure,
        computed_value is not null and reported_base is not null
            and abs(computed_value - reported_base) > reported_tolerance as differs_from_reported,
        -- The score is computed from the target's row and, where the actual value is computed, the data's rows;
        -- the 自评表 row's own 实际完成值 (93%) is not where a computed 93.12% comes from.
        list_concat(target_lineage, coalesce(computed_lineage, [])) as lineage,
        target_lineage,
        coalesce(computed_lineage, target_lineage) as actual_lineage,
        target_lineage as reported_score_lineage
    from (
        select *, [struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row)] as target_lineage
        from scored
    )
    union all
    select
        project_code,
        year,
        0,
        '预算执行',
        '预算执行率',
        '预算执行率',
        '100%',
        '≥',
        1,
        '%',
        0.01,
        rate,
        -- Computed only where the ledger (or the form's 执行数 and 预算数) gave a rate: with neither, nothing was.
        case when reported or rate is null then 'reported' else 'computed' end,
        null,
        points,
        -- 分值 × min(paid / received, 1), multiplied before dividing like the indicators'; a reported rate as it is.
        cast(
            case
                when rate is null then 0
                when reported then points * greatest(least(rate, 1), 0)
                when paid * sign(received) >= abs(received) then points
                else intermediate.ratio(points * paid, received)
            end
            as decimal(28, 10)
        ),
        budget_reported_score,
        -- 10 × min(rate, 1) gives no points without a rate, so 0 it is; but a 0 for want of data is said, never
        -- left to read as nothing spent (the report's 数据质量提示 prints it: budget_execution_unrated).
        case
            when rate is not null then null
            when ledger then ledger_name || '的到位资金合计为0，预算执行率无法计算，按0分计'
            when block_blank then
                '未报送' || ledger_name || '，自评表也未填写执行率、全年执行数和全年预算数，预算执行率无法计算，按0分计'
            else '未报送' || ledger_name || '，自评表的执行率、全年执行数和全年预算数不足以计算预算执行率，按0分计'
        end,
        'payment_rate',
        false,
        coalesce(lineage, []),
        coalesce(lineage, []),
        coalesce(lineage, []),
        coalesce(score_lineage, [])
    from budget
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

final as (
    select rows.project_code, projects.project_name, rows.* exclude (project_code)
    from rows
    left join projects using (project_code, year)
    order by projects.project_name, rows.project_code, rows.year, rows.position
)

select * from final;

comment on table mart.self_evaluation is '绩效自评：每个项目、年度的每个指标一行，另加预算执行率一行（评分规则见 registry/rules.yaml）';
comment on column mart.self_evaluation.project_code is '项目编码（按项目编码汇总；未填编码的项目为“自编:实施单位/项目名称”）';
comment on column mart.self_evaluation.project_name is '项目名称：项目基本信息表中最新登记的名称';
comment on column mart.self_evaluation.year is '年度';
comment on column mart.self_evaluation.position is '指标在自评表中的顺序；预算执行率为0';
comment on column mart.self_evaluation.level1 is '一级指标';
comment on column mart.self_evaluation.level2 is '二级指标';
comment on column mart.self_evaluation.level3 is '三级指标';
comment on column mart.self_evaluation.target_text is '年度指标值（原文）';
comment on column mart.self_evaluation.operator is '比较方式：≥、≤、= 或 定性';
comment on column mart.self_evaluation.target_value is '指标值（基本单位：百分比为比例，面积为平方米，金额为万元）';
comment on column mart.self_evaluation.target_unit is '指标值书写的单位（%、个、万平方米…）';
comment on column mart.self_evaluation.target_factor is '指标值单位折算为基本单位的系数（取自registry/units.yaml：万平方米为10000，元为0.0001，%为0.01）';
comment on column mart.self_evaluation.actual_value is '实际完成值（基本单位；能由数据计算的取计算值，否则取填报值）';
comment on column mart.self_evaluation.actual_source is 'computed：由数据计算；reported：取单位填报的实际完成值';
comment on column mart.self_evaluation.reported_value is '单位填报的实际完成值（原文）';
comment on column mart.self_evaluation.weight is '分值';
comment on column mart.self_evaluation.score is '得分 = 分值 × 实际完成值 / 指标值，先乘后除，精确到10位小数（显示时保留两位小数）';
comment on column mart.self_evaluation.reported_score is '单位自评的得分（全国通用自评表的「得分」列；预算执行率行为项目资金块的得分）；未填为空';
comment on column mart.self_evaluation.deviation_note is '偏差原因分析及改进措施（单位填报）；预算执行率行为数据仓库的说明：无从计算预算执行率（未报送资金台账、自评表也未填执行率及执行数和预算数，或台账到位资金合计为0）而按0分计时写明原因，否则为空';
comment on column mart.self_evaluation.measure is '指标绑定的计算口径（registry/rules.yaml 的 bindings）；未绑定为空';
comment on column mart.self_evaluation.differs_from_reported is '计算值与填报的实际完成值不一致（超出填报精度）';
comment on column mart.self_evaluation.lineage is '得分的来源（提交编号、工作表、Excel行号）：自评表该行，及实际完成值由数据计算时所用的行';
comment on column mart.self_evaluation.target_lineage is '指标值、分值和填报的实际完成值的来源：自评表该行（预算执行率行为资金台账的行）';
comment on column mart.self_evaluation.reported_score_lineage is '单位自评得分的来源：自评表该行；预算执行率行为自评表项目资金块的得分单元格';
comment on column mart.self_evaluation.actual_lineage is '实际完成值的来源：由数据计算时为计算所用的行（如满意度调查、小区清单、资金台账），否则为自评表该行';
