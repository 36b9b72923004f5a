-- mart.report_figures: one row per number (or short text) the annual report prints, ready to print, with the
-- files, sheets and Excel rows it was computed from. The report takes its numbers from here and nowhere else.
-- Figures are computed per project_code; project_name is the project's latest registered name.
create or replace table mart.report_figures as
with compounds as (
    select
        project_code,
        year,
        sum(compounds) as compounds,
        sum(completed_compounds) as completed_compounds,
        sum(area_m2) as area_m2,
        sum(households) as households,
        sum(planned_investment_wan) as planned_investment_wan,
        max(planned_decimals) as planned_decimals,
        list_sort(flatten(list(lineage))) as lineage
    from mart.renovated_compounds
    group by all
),

-- The latest month counts each office's own latest month (intermediate.investment_monthly), added up.
latest_progress as (
    select *
    from intermediate.investment_monthly
    qualify row_number() over (partition by project_code, year order by month desc) = 1
),

measures as (
    select * from intermediate.project_measures
),

funds as (
    select
        project_code,
        year,
        sum(received_wan) as received_wan,
        sum(paid_wan) as paid_wan,
        max(received_decimals) as received_decimals,
        max(paid_decimals) as paid_decimals,
        list_sort(flatten(list(received_lineage))) as received_lineage,
        list_sort(flatten(list(paid_lineage))) as paid_lineage
    from mart.funds_by_source
    group by all
),

survey as (
    select project_code, year, sum(valid_responses) as responses,
        list_sort(list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row))) as lineage
    from staging.satisfaction_survey
    group by all
),

-- The national 自评表's own 总分 and 执行率.
self_reported as (
    select * from intermediate.self_reported
),

-- Each indicator with its detail and printed 实际完成值. Materialized: eight of the figures below read it, and
-- inlined into each DuckDB planned its layers eight times (docs/performance.md, session 70).
evaluation as materialized (
    select *
    from mart.self_evaluation
    inner join intermediate.indicator_texts using (project_code, year, position)
),

lights as (
    select
        *,
        case light when 'none' then '无' when 'blue' then '蓝灯' when 'yellow' then '黄灯' when 'red' then '红灯' end
            as light_zh
    from mart.monitoring_lights
),

negative as (
    select project_code, year, count(*) as hits, sum(amount_wan) as amount_wan,
        max(intermediate.decimals_of(amount_wan)) as decimals,
        list_sort(list(struct_pack(submission_id := submission_id, sheet := sheet, excel_row := excel_row))) as lineage
    from mart.negative_list_hits
    group by all
),

-- Every figure: (project, year, key, detail, position, value, unit, decimals, text, lineage); text is set only
-- where the figure is not a plain number, the others are formatted once below. Every value is cast to one type,
-- to print from all its decimals: a union of DECIMALs keeps the fewest decimals among them (a rate's 4 cut
-- 95.178881 to 95.1789), and one DOUBLE among them makes every value a DOUBLE (59.995 printed 59.99).
figures as (
    select project_code, year, 'compounds' as figure_key, null as detail, 10 as position,
        compounds::decimal(38, 10) as value, '个' as unit, 0 as decimals,
        null as display_text, lineage
    from compounds
    union all
    select project_code, year, 'completed_compounds', null, 11, completed_compounds::decimal(38, 10), '个', 0,
        null, lineage
    from compounds
    union all
    select project_code, year, 'area_m2', null, 12, area_m2::decimal(38, 10), '平方米', intermediate.decimals_of(area_m2),
        null, lineage
    from compounds
    union all
    -- Multiplied, not divided: DuckDB divides DECIMALs as DOUBLE.
    select project_code, year, 'area_wan_m2', null, 13, (area_m2 * 0.0001)::decimal(38, 10), '万平方米',
        greatest(least(4, intermediate.decimals_of(area_m2 * 0.0001)), coalesce(area_places.places, 0)),
        null,
        lineage
    from compounds
    left join intermediate.area_places as area_places using (project_code, year)
    union all
    select project_code, year, 'households', null, 14, households::decimal(38, 10), '户', 0,
        null, lineage
    from compounds
    union all
    -- As precise as the rows were written, but past 分 (two decimals) only with digits, not the zeros a sum
    -- converted from 元 carries: 9,163.60万元 stays, 400.000000万元 is 400.00万元.
    select project_code, year, 'compound_planned_investment_wan', null, 15, planned_investment_wan::decimal(38, 10), '万元',
        intermediate.sum_decimals(planned_decimals, planned_investment_wan), null, lineage
    from compounds
    union all
    select project_code, year, 'planned_total_investment_wan', null, 20, planned_total_investment_wan::decimal(38, 10), '万元',
        intermediate.decimals_of(planned_total_investment_wan),
        null,
        register_lineage
    from intermediate.project_years
    where planned_total_investment_wan is not null
    union all
    select project_code, year, 'annual_planned_investment_wan', null, 21, annual_planned_investment_wan::decimal(38, 10), '万元',
        intermediate.sum_decimals(plan_decimals, annual_planned_investment_wan), null, lineage
    from latest_progress
    union all
    select project_code, year, 'completed_investment_wan', null, 22, cumulative_completed_wan::decimal(38, 10), '万元',
        intermediate.sum_decimals(cumulative_decimals, cumulative_completed_wan), null,
        lineage
    from latest_progress
    union all
    -- The month the year's progress stands at, where it is not December: the 累计 and the completion rate printed are
    -- that month's (warehouse.md: December, or the latest month), which the reader could not tell before.
    select project_code, year, 'progress_month', null, 24, month::decimal(38, 10), '月', 0, '截至' || month || '月',
        lineage
    from latest_progress
    where month < 12
    union all
    select project_code, year, measure, null,
        case measure when 'investment_completion_rate' then 23 when 'payment_rate' then 32 else 40 end,
        value::decimal(38, 10), '%', coalesce(rate_places.places, 2), null, lineage
    from measures
    left join intermediate.rate_places as rate_places using (project_code, year, measure)
    where measure in ('investment_completion_rate', 'payment_rate', 'satisfaction_rate')
    union all
    select project_code, year, 'budget_execution_rate', null, 33, value::decimal(38, 10), '%',
        coalesce(rate_places.places, 2), null, lineage
    from measures
    left join intermediate.rate_places as rate_places using (project_code, year, measure)
    where measure = 'payment_rate'
    union all
    -- As precise as the ledger's rows, but past 分 only with digits: 199.999999 + 200.000001 from 元 is 400.00万元.
    select project_code, year, 'funds_received_wan', null, 30, received_wan::decimal(38, 10), '万元',
        intermediate.sum_decimals(received_decimals, received_wan),
        null, received_lineage
    from funds
    union all
    select project_code, year, 'funds_paid_wan', null, 31, paid_wan::decimal(38, 10), '万元',
        intermediate.sum_decimals(paid_decimals, paid_wan),
        null, paid_lineage
    from funds
    union all
    select project_code, year, 'funds_received_wan', fund_source, 34, received_wan::decimal(38, 10), '万元',
        intermediate.sum_decimals(received_decimals, received_wan),
        null, received_lineage
    from mart.funds_by_source
    union all
    select project_code, year, 'funds_paid_wan', fund_source, 35, paid_wan::decimal(38, 10), '万元',
        intermediate.sum_decimals(paid_decimals, paid_wan),
        null, paid_lineage
    from mart.funds_by_source
    union all
    select project_code, year, 'surveys_valid', null, 41, responses::decimal(38, 10), '份', 0,
        null, lineage
    from survey
    union all
    select project_code, year, 'scale_and_cost', item, 100 + position, quantity::decimal(38, 10), unit, quantity_decimals,
        null, lineage
    from mart.scale_and_cost
    union all
    -- In the unit printed beside them, as every other figure (24.4 万平方米, not 244000); a rate stays a fraction.
    -- The national form's 百分比 prints as %, as its 实际完成值 does: ≥95百分比 stood beside 90.44%.
    select project_code, year, 'indicator_target', indicator_detail, 200 + position,
        (case when target_unit = '%' then target_value else target_value / target_factor end)::decimal(38, 10),
        target_unit, null,
        case when target_unit = '%' then replace(target_text, '百分比', '%') else target_text end,
        target_lineage
    from evaluation
    union all
    select project_code, year, 'indicator_actual', indicator_detail, 200 + position,
        (case when target_unit = '%' then actual_value else actual_value / target_factor end)::decimal(38, 10),
        target_unit, null, actual_text, actual_lineage
    from evaluation
    union all
    select project_code, year, 'indicator_weight', indicator_detail, 200 + position, weight::decimal(38, 10), '分',
        intermediate.decimals_of(weight), null,
        target_lineage
    from evaluation
    union all
    -- With the decimals intermediate.score_places gives it, and the 自评表's own 得分 beside it.
    select project_code, year, 'indicator_score', indicator_detail, 200 + position, score::decimal(38, 10), '分',
        score_places, null, lineage
    from evaluation
    inner join intermediate.score_places using (project_code, year, position)
    union all
    select project_code, year, 'self_evaluation_score', null, 50, score, '分', places, null, coalesce(lineage, [])
    from intermediate.score_totals
    union all
    -- The 得分 column as printed, added up, where that is not the 自评得分 printed under it: the 数据质量提示 says the
    -- difference is the rounding of each score. Printed with the most decimals a score of the column has.
    select project_code, year, 'printed_score_sum', null, 56, printed_sum, '分', printed_places, null,
        coalesce(lineage, [])
    from intermediate.score_totals
    where printed_sum <> printed_total
    union all
    -- What the unit reported as achieved where the data give another figure (4个 reported, 3 compounds listed): the
    -- report scores the computed one and names the two in its 数据质量提示.
    select project_code, year, 'indicator_reported_actual', indicator_detail, 200 + position, null::decimal(38, 10),
        target_unit, null, reported_value, target_lineage
    from evaluation
    where differs_from_reported
    union all
    -- What the unit scored itself on the national 自评表, printed beside the computed score: two decimals at most, as
    -- written where fewer, but never rounded onto its 分值 (44.9997 of 45 printed 45.00, full marks the form did not
    -- claim), nor its 总分 onto a grade's bound or 100 (89.995 printed 90.00分 beside 优's 90).
    select project_code, year, 'indicator_reported_score', indicator_detail, 200 + position, reported_score::decimal(38, 10), '分',
        reported_places, null, reported_score_lineage
    from evaluation
    inner join intermediate.score_places using (project_code, year, position)
    where reported_score is not null
    union all
    select self_reported.project_code, self_reported.year, 'reported_self_evaluation_score', null, 52,
        self_reported.reported_total_score::decimal(38, 10), '分',
        intermediate.places_up_to(self_reported.reported_total_score, self_reported.total_places, gaps.apart_places),
        null, coalesce(cells.lineage, self_reported.table_rows)
    from self_reported
    left join intermediate.score_totals as gaps
        on gaps.project_code = self_reported.project_code and gaps.year = self_reported.year
    left join intermediate.form_cells as cells
        on cells.project_code = self_reported.project_code and cells.year = self_reported.year
        and cells.field_name = 'reported_total_score'
    where self_reported.reported_total_score is not null
    union all
    -- Two decimals, or those that print it as far from the ledger's rate as the 数据质量提示 says it is.
    select self_reported.project_code, self_reported.year, 'reported_budget_execution_rate', null, 53,
        self_reported.budget_execution_rate::decimal(38, 10), '%',
        intermediate.places_up_to(self_reported.budget_execution_rate * 100, 2, gaps.apart_places),
        null, coalesce(cells.lineage, self_reported.table_rows)
    from self_reported
    left join intermediate.rate_places as gaps
        on gaps.project_code = self_reported.project_code and gaps.year = self_reported.year
        and gaps.measure = 'payment_rate'
    left join intermediate.form_cells as cells
        on cells.project_code = self_reported.project_code and cells.year = self_reported.year
        and cells.field_name = 'budget_execution_rate'
    where self_reported.budget_execution_rate is not null
    union all
    select project_code, year, 'form_budget_execution_rate', null, 54, rate::decimal(38, 10), '%', 2, null, lineage
    from intermediate.form_rates
    where rate is not null
    union all
    -- Why a 预算执行率 no ledger, 执行率 or 执行数 and 预算数 gives was scored 0 (mart.self_evaluation's note), citing
    -- the 自评表 that lacks them: the 数据质量提示 says the total and grade count it so. A ledger whose 到位 add up to
    -- 0 has a note of its own, naming that sum.
    select budget.project_code, budget.year, 'budget_execution_unrated', null, 55, null, null, null,
        budget.deviation_note, coalesce(forms.lineage, [])
    from mart.self_evaluation as budget
    left join (
        select project_code, year, list_sort(list(distinct cell)) as lineage
        from mart.self_evaluation, unnest(target_lineage) as listed(cell)
        where position > 0
        group by all
    ) as forms using (project_code, year)
    anti join funds using (project_code, year)
    where budget.position = 0 and budget.deviation_note is not null
    union all
    -- An indicator with nothing reported whose measure's data are there but divide by 0 (a 月报's 年度计划投资 of 0, a
    -- ledger's 到位 adding up to 0, a survey of 0 有效问卷), citing those rows: the 数据质量提示 names that cause, where
    -- it said "没有可据以计算的数据" beside a monitoring section saying the plan was 0. So is one whose form was sent and
    -- returned (a survey of 0 有效问卷 is refused whole, no_responses), none of it in force: it said 请核实是否漏报 of a
    -- form the office had sent. The 预算执行率 (position 0) has its own notes.
    select evaluation.project_code, evaluation.year, 'indicator_unmeasured', evaluation.indicator_detail,
        200 + evaluation.position, null, null, null, zeros.cause, zeros.lineage
    from evaluation
    inner join (
        select * from (
            select project_code, year, 'investment_completion_rate' as measure,
                (select name_zh from config.forms where template = 'investment_progress') || '中年度计划投资为0' as cause,
                lineage, 0 as preference
            from latest_progress
            where annual_planned_investment_wan = 0
            union all
            select project_code, year, 'payment_rate',
                (select name_zh from config.forms where template = 'fund_ledger') || '的到位资金合计为0', received_lineage, 0
            from funds
            where coalesce(received_wan, 0) = 0
            union all
            select project_code, year, 'satisfaction_rate',
                (select name_zh from config.forms where template = 'satisfaction_survey') || '的有效问卷合计为0份', lineage,
                0
            from survey
            where coalesce(responses, 0) = 0
            union all
            -- The form each measure is computed from (config.measure_forms, registry/report_notes.yaml), sent for the
            -- project and year and returned: its rows were never stored, so nothing is cited.
            select distinct returned.project_code, returned.year, fed.measure,
                (select name_zh from config.forms where template = returned.template) || '已报送，但未通过校验被退回',
                [], 1
            from ops.returned_slices as returned
            inner join ops.submissions using (submission_id)
            inner join config.measure_forms as fed on fed.template = returned.template
            where submissions.status = 'rejected'
        )
        -- Data in force that divide by 0 are the cause, not a returned file beside them.
        qualify preference = min(preference) over (partition by project_code, year, measure)
    ) as zeros using (project_code, year, measure)
    where evaluation.position > 0 and evaluation.actual_text = '—（无数据）'
    union all
    -- The 运行监控表: reported execution against time progress per month N, and each indicator not sure to be met.
    select project_code, year, 'monitoring_execution_rate', month || '月', 300 + month,
        coalesce(reported_execution_rate, computed_execution_rate)::decimal(38, 10), '%', places, null, lineage
    from mart.monitoring_findings
    inner join intermediate.monitoring_places using (project_code, year, month)
    union all
    select project_code, year, 'monitoring_time_progress', month || '月', 300 + month, time_progress::decimal(38, 10), '%',
        coalesce(places, 2), null, lineage
    from mart.monitoring_findings
    left join intermediate.monitoring_places using (project_code, year, month)
    union all
    -- Two findings of one month under one 三级指标 name (`完成率` under 质量指标 and under 时效指标) are told apart as
    -- the self-evaluation's indicators are, by their 二级指标, then their order: else the report printed two rows
    -- alike, and which was 有可能 and which 完全不可能 no reader could tell.
    select project_code, year, 'monitoring_finding',
        month || '月·' || case
            when count(*) over (partition by project_code, year, month, finding.level3) = 1 then finding.level3
            else finding.level3 || '（' || concat_ws(
                '，',
                finding.level2,
                case when count(*) over (partition by project_code, year, month, finding.level3, finding.level2) > 1
                    then '第' || row_number() over (
                        partition by project_code, year, month, finding.level3, finding.level2
                        order by finding.submission_id, finding.sheet, finding.excel_row
                    ) || '项'
                end
            ) || '）'
        end,
        300 + month, null, null, null,
        '完成目标可能性：' || finding.likelihood
            || coalesce('；偏差原因：' || finding.deviation_cause, '')
            || coalesce('；原因说明：' || finding.reason, ''),
        [struct_pack(submission_id := finding.submission_id, sheet := finding.sheet, excel_row := finding.excel_row)]
    from mart.monitoring_findings, unnest(findings) as found(finding)
    union all
    -- The unit's own light (a local 运行监控表's 预警情况) where it is not the light computed for the month from the
    -- 投资完成情况月报, or is a light where none could be computed: the 数据质量提示 say so beside the lights printed.
    select project_code, year,
        case stated_light_against_progress when 'milder' then 'monitoring_light_milder'
            when 'harsher' then 'monitoring_light_harsher' else 'monitoring_light_uncomputed' end,
        month || '月', 300 + month, null, null, null,
        case stated_light when 'none' then '绿灯' when 'blue' then '蓝灯' when 'yellow' then '黄灯' when 'red' then '红灯'
        end,
        stated_light_lineage
    from mart.monitoring_findings
    where stated_light_against_progress in ('milder', 'harsher')
        or (progress_light is null and stated_light <> 'none')
    union all
    select project_code, year, 'grade', null, 51, null, null, null, grade, []
    from mart.project_year
    where grade is not null
    union all
    select project_code, year, 'worst_light', null, 60, null, null, null,
        arg_max(light_zh, severity), list_sort(flatten(list(lineage)))
    from lights
    where light is not null
    group by all
    union all
    select project_code, year, 'light', month || '月', 60 + month, null, null, null, light_zh, lineage
    from lights
    where light is not null
    union all
    select project_code, year, 'gap_points', month || '月', 60 + month, gap_points::decimal(38, 10), '百分点',
        coalesce(gap_decimals.decimals, 2), null, lineage
    from lights
    left join intermediate.gap_decimals as gap_decimals using (project_code, year, month)
    union all
    -- 0 hits only where a ledger is in force: a project that sent none has no payments checked, and the report says
    -- the ledger was not sent (or was returned) instead of printing 0笔 as if it had been searched.
    select funds.project_code, funds.year, 'negative_list_hits', null, 80,
        coalesce(negative.hits, 0)::decimal(38, 10), '笔', 0, null, coalesce(negative.lineage, [])
    from funds
    left join negative using (project_code, year)
    union all
    select project_code, year, 'negative_list_amount_wan', null, 81, amount_wan::decimal(38, 10), '万元', decimals,
        null, lineage
    from negative
    union all
    select project_code, year, 'amount_doubts', null, 90, flagged::decimal(38, 10), '处', 0, null, lineage
    from intermediate.flagged_amounts
    union all
    -- Detail: the template, and the month of a monthly one (template|month); the text names the offices.
    select project_code, year, 'shared_slice', template || coalesce('|' || month, ''), 91,
        len(units)::decimal(38, 10), '家', 0, array_to_string(units, '、'), lineage
    from mart.shared_slices
    union all
    -- Detail: the office and the month its figures were counted from (empty: not counted); text: the months.
    select project_code, year, 'progress_unit_missing', unit || '|' || coalesce(from_month::varchar, ''), 92, null,
        null, null, array_to_string(months, '、') || '月', lineage
    from intermediate.progress_units_missing
    union all
    -- Detail: the template and the rule (template|rule); the value, how many of its warnings are open.
    select project_code, year, 'open_warning', template || '|' || rule, 93, warnings::decimal(38, 10), '处', 0,
        null, lineage
    from mart.open_warnings
),

district as (
    select null as project_code, year, 'projects' as figure_key, null as detail, 1 as position,
        count(*)::decimal(38, 10) as value, '个' as unit, 0 as decimals, null as display_text,
        [] as lineage
    from intermediate.project_years
    group by year
    union all
    select null, year, figure_key, null,
        case figure_key when 'funds_received_wan' then 2 when 'funds_paid_wan' then 3 else 4 end,
        -- Printed by the same rule as each project's sum: 0.005 + 1,000.004 + 100.001 is 1,100.01, not 1,100.010.
        sum(value), '万元', intermediate.sum_decimals(max(decimals), sum(value)), null,
        list_sort(flatten(list(lineage)))
    from figures
    where detail is null and figure_key in ('funds_received_wan', 'funds_paid_wan', 'completed_investment_wan')
    group by year, figure_key
),

-- Not materialized, nor cell_lists: computed again for each use, which costs no more time here, DuckDB can
-- spill the operators to disk under the marts' memory limit. Materialized, they held every figure's list of
-- cells in memory at once: at 10,000 files (four years) the rebuild ran out of its 512 MB.
every_figure as not materialized (
    select * from figures
    union all
    select * from district
),

-- Each distinct list of cells is described once: figures computed from the same rows (a target, its actual
-- value, weight and score; a project's compound figures) share it, 37,000 lists for 90,000 figures in a year
-- of 400 projects.
-- Each list is known by its hash, the same in every read of this CTE (a row_number would not be, as it is not
-- materialized). Two lists with one hash would stop the rebuild (`mixed` below), never mix their cells. For the
-- hash to be the same in both reads, so must each list: every list this model aggregates is sorted (list_sort),
-- since list() keeps the order the rows came in, which threads may change from one read to the next.
cell_lists as not materialized (
    select cell_list, hash(cell_list) as lineage_id
    from (select distinct lineage as cell_list from every_figure)
),

cells as (
    select
        cell_lists.lineage_id,
        cell.submission_id,
        cell.sheet,
        list_sort(list(distinct cell.excel_row)) as excel_rows,
        count(*) as cells_read,
        max(len(cell_lists.cell_list)) as cells_listed
    from cell_lists, unnest(cell_lists.cell_list) as lineage(cell)
    group by cell_lists.lineage_id, cell.submission_id, cell.sheet
),

lineage as (
    select
        cells.lineage_id,
        -- list_sort orders the structs field by field: by submission, then sheet (the fields between are the
        -- submission's own); far cheaper than an ordered aggregate over every list.
        list_sort(
            list(
                struct_pack(
                    submission_id := cells.submission_id,
                    original_name := submissions.original_name,
                    sha256 := submissions.sha256,
                    unit := submissions.unit,
                    sheet := cells.sheet,
                    excel_rows := cells.excel_rows
                )
            )
        ) as lineage,
        -- A list's cells add up to its length; two lists with one hash give more cells than the longer holds.
        sum(cells.cells_read) <> max(cells.cells_listed) as mixed,
        max(cells.cells_listed) as cells_listed
    from cells
    left join ops.submissions as submissions using (submission_id)
    group by cells.lineage_id
),

projects as (
    select project_code, year, project_name from intermediate.project_years
),

final as (
    select
        every_figure.year,
        every_figure.project_code,
        projects.project_name,
        every_figure.figure_key,
        every_figure.detail,
        every_figure.position,
        cast(every_figure.value as decimal(38, 10)) as value,
        every_figure.unit,
        every_figure.decimals,
        coalesce(
            every_figure.display_text,
            -- As format_percent_places and format_number print, from the rounded text computed once below.
            case
                when every_figure.unit = '%' then intermediate.format_percent_rounded(
                    every_figure.value, every_figure.percent_places, every_figure.rounded
                )
                else intermediate.format_rounded(every_figure.value, every_figure.decimals, every_figure.rounded)
                    || case when every_figure.figure_key in ('indicator_weight', 'indicator_score', 'indicator_reported_score', 'gap_points')
                        then '' else coalesce(every_figure.unit, '') end
            end
        ) as display_text,
        case
            -- An empty list (no cells to add up) sharing a hash shows in its length.
            when lineage.mixed or lineage.cells_listed <> coalesce(len(every_figure.lineage), 0)
                then error('mart.report_figures: two lists of cells share one hash; their lineage cannot be told apart')
            -- A list the second read made differently from the first: never printed without its rows.
            when lineage.lineage_id is null and coalesce(len(every_figure.lineage), 0) > 0
                then error('mart.report_figures: a figure''s list of cells was not found among those described')
            else coalesce(lineage.lineage, [])
        end as lineage
    from (
        -- Each figure's value rounded to its printed decimals, as text, once: a column, not a macro's argument,
        -- which format_number inlined three times (half the projection's time for the year's 90,000 figures).
        select
            *,
            case
                when display_text is not null then null
                when unit = '%' then intermediate.rounded_text(value * 100, percent_places)
                else intermediate.rounded_text(value, decimals)
            end as rounded
        from (
            select
                *,
                case when display_text is null and unit = '%'
                    then intermediate.percent_places(value, coalesce(decimals, 2)) end as percent_places
            from every_figure
        )
    ) as every_figure
    left join lineage on lineage.lineage_id = hash(every_figure.lineage)
    left join projects
        on projects.project_code = every_figure.project_code and projects.year = every_figure.year
    order by every_figure.year, projects.project_name nulls first, every_figure.project_code, every_figure.position,
        every_figure.figure_key, every_figure.detail
)

select * from final;

comment on table mart.report_figures is '报告数字：年度报告印出的每个数字（或简短文字）一行，附其来源文件、工作表和Excel行号';
comment on column mart.report_figures.year is '年度';
comment on column mart.report_figures.project_code is '项目编码（数字按项目编码计算；未填编码的项目为“自编:实施单位/项目名称”）；全区合计为空';
comment on column mart.report_figures.project_name is '项目名称：项目基本信息表中最新登记的名称；全区合计为空';
comment on column mart.report_figures.figure_key is '数字的含义（如 compounds、funds_received_wan、indicator_score、indicator_reported_score、monitoring_finding）';
comment on column mart.report_figures.detail is '细项：资金来源、建设规模及投资构成的内容、三级指标（同一项目中同名的三级指标后注二级指标或序号，如“完成率（时效指标）”）、月份、“N月·三级指标”（监控发现；同月同名的三级指标后注二级指标或序号）、“模板编号|月份”（多单位同期报送）、“单位|月份”（未报送部分月份投资完成情况月报的单位及按其计入的月份，未计入为空）、“模板编号|规则编号”（仍未解决的可能使数字有误的接收警告）；无则为空';
comment on column mart.report_figures.position is '在报告中的先后顺序（同一项目内）';
comment on column mart.report_figures.value is '数值（比率为比例；文字类为空）';
comment on column mart.report_figures.unit is '单位：万元、平方米、万平方米、户、个、份、%、分、笔、处、家、月、百分点；建设规模及投资构成（scale_and_cost）和指标（indicator_…）为原表所写的单位（如 套、栋、次）；等级、预警灯和定性指标为空';
comment on column mart.report_figures.decimals is '印出的小数位数（金额为原表的小数位数）；百分比（unit 为 %）为至少保留的位数：按此位数会四舍五入成100%（而实际不足）时多印几位，末尾的0不印（如 1 印作100%，0.9999999967 印作99.99999967%）';
comment on column mart.report_figures.display_text is '印出的文字，如 1,250.1万元、3,148户、100%、优';
comment on column mart.report_figures.lineage is '来源：每个来源文件的提交编号、文件名、SHA-256、报送单位、工作表和Excel行号';
