"""Tell each national 自评表's sender where its stated 得分, 总分, 执行率 or 实际完成值 differs from the one the data give.

The computed figures come from the marts, which files sent later change: so these warnings are settled after each
rebuild, not at validation. A file whose warnings change gets its receipt written again (`ops.submissions`
`receipt_status` cleared; `receipts.write_receipts` writes what is stale).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import duckdb

from pipeline.problems import display
from pipeline.receipt_facts import FOUND_FIELDS, ReceiptIssue, recount_warnings
from pipeline.report_quality import EXECUTION_TOLERANCE, SCORE_TOLERANCE, score_differs
from pipeline.stated_grades import GRADE, grade_differences
from pipeline.stated_lights import LIGHT_RULES, light_differences

SCORE, TOTAL, RATE = "stated_score_differs", "stated_total_differs", "stated_rate_differs"
ACTUAL = "stated_actual_differs"
FORM = "performance_targets"  # the template whose stated figures are settled here
# What a dry run (`pipeline check`, the portal) says of such a form: it cannot settle them, having no rebuild.
SETTLED_LATER_ZH = "表中填报的实际完成值、得分、总分、执行率和自评等级将在正式报送后与按全部已接收数据计算的结果核对，如有不符，将在回执中另行提示。"
RULES = (SCORE, TOTAL, RATE, ACTUAL, GRADE)
# ops.validation_issues as the receipt reads it. Its warnings name no other submission: the columns retelling
# settles are left empty.
ISSUE_COLUMNS = ", ".join(["submission_id", *FOUND_FIELDS])

# Each stated figure of a current form beside the computed one: (submission, sheet, row, header, rule, what, stated,
# computed, points, source, rate, executed, budget, actual, reported, files): executed and budget the form's 全年执行数
# and 全年预算数, for a budget score with nothing to score it by (`none`), to name which of them it lacks; actual the
# 实际完成值 the data gave an indicator where it differs from the one the form reports, as the report prints it, and
# files the files it was computed from (the clerk who wrote 5.2万平方米 and 10分 was told only 9.6分, and checked a
# form that was right by its own figures). A total and a rate are stated once per form, on the cell ops.sheet_fields names.
# The budget's own score says where its execution rate came from (mart.self_evaluation's `budget`): `ledger` where
# the project has one (mart.project_year's rate is the ledger's), else the form's own 执行率 (`rate`, reported) or
# its 全年执行数 ÷ 全年预算数 (`amounts`), else nothing (`none`, scored 0). Every score is returned: `score_differs`
# judges it as rounded as written.
_STATED = f"""
with forms as (
    select distinct submission_id, sheet, project_code, year, reported_total_score, budget_execution_rate
    from staging.{FORM}
),

fields as (
    select submission_id, sheet, field_name, field_header, excel_row
    from ops.sheet_fields
    where field_name in ('reported_total_score', 'budget_execution_rate', 'budget_reported_score')
),

-- The files an indicator's 实际完成值 was computed from, where it differs from the one reported.
computed_from as (
    select
        evaluation.project_code, evaluation.year, evaluation.position,
        array_to_string(list_sort(list(distinct '《' || submissions.original_name || '》')), '、') as files
    from mart.self_evaluation as evaluation, unnest(evaluation.actual_lineage) as listed(cell)
    inner join ops.submissions on submissions.submission_id = listed.cell.submission_id
    where evaluation.differs_from_reported and evaluation.actual_source = 'computed' and evaluation.position > 0
    group by all
),

-- Such an 实际完成值 as the report prints it, with those files: told with a 得分 it changed, or on its own.
differing_actuals as (
    select computed_from.*, shown.display_text as actual
    from computed_from
    inner join mart.report_figures as shown
        on shown.project_code = computed_from.project_code and shown.year = computed_from.year
        and shown.figure_key = 'indicator_actual' and shown.position = 200 + computed_from.position
),

score_headers as (
    select submission_id, sheet, column_header
    from ops.sheet_columns
    where column_name = 'reported_score'
),

-- The form's two figures stated once, each beside the computed one and the tolerance it is judged with.
form_figures as (
    select
        forms.submission_id, forms.sheet, figure.field_name, figure.fallback_header, figure.rule,
        figure.stated, figure.computed, figure.tolerance
    from forms
    inner join mart.project_year using (project_code, year),
    lateral (
        select 'reported_total_score' as field_name, '总分' as fallback_header, $total as rule,
            forms.reported_total_score as stated, project_year.self_evaluation_score as computed,
            $score_tolerance as tolerance
        union all
        select 'budget_execution_rate', '执行率', $rate, forms.budget_execution_rate,
            project_year.budget_execution_rate, $execution_tolerance
    ) as figure
),

totals_and_rates as (
    select
        form_figures.submission_id, form_figures.sheet, fields.excel_row,
        coalesce(fields.field_header, form_figures.fallback_header) as header,
        form_figures.rule, null as what, form_figures.stated, form_figures.computed, null as points,
        null as source, null as rate, null as executed, null as budget,
        null as actual, null as reported, null as files
    from form_figures
    left join fields
        on fields.submission_id = form_figures.submission_id and fields.sheet = form_figures.sheet
        and fields.field_name = form_figures.field_name
    where abs(form_figures.computed - form_figures.stated) > form_figures.tolerance
),

scores as (
    select
        cell.submission_id, cell.sheet, cell.excel_row,
        coalesce(
            case when evaluation.position = 0 then fields.field_header else score_headers.column_header end, '得分'
        ) as header,
        $score as rule, case when evaluation.position > 0 then evaluation.level3 end as what,
        evaluation.reported_score as stated,
        evaluation.score as computed, evaluation.weight as points,
        case
            when evaluation.position > 0 then null
            when project_year.budget_execution_rate is not null then 'ledger'
            -- Asked before its source: the mart calls a rate it has nothing to compute from `reported` too.
            when evaluation.actual_value is null then 'none'
            when evaluation.actual_source = 'reported' then 'rate'
            else 'amounts'
        end as source,
        case when evaluation.position = 0 then evaluation.actual_value end as rate,
        amounts.budget_executed_wan as executed, amounts.budget_annual_wan as budget,
        differing_actuals.actual, evaluation.reported_value as reported, differing_actuals.files
    from (
        select *, reported_score_lineage[1] as cell
        from mart.self_evaluation
        where reported_score is not null and len(reported_score_lineage) = 1
    ) as evaluation
    left join mart.project_year using (project_code, year)
    left join score_headers
        on score_headers.submission_id = evaluation.cell.submission_id and score_headers.sheet = evaluation.cell.sheet
    left join fields
        on fields.submission_id = evaluation.cell.submission_id and fields.sheet = evaluation.cell.sheet
        and fields.field_name = 'budget_reported_score'
    left join (
        select distinct submission_id, sheet, budget_executed_wan, budget_annual_wan from staging.{FORM}
    ) as amounts
        on evaluation.position = 0
        and amounts.submission_id = evaluation.cell.submission_id and amounts.sheet = evaluation.cell.sheet
    left join differing_actuals
        on differing_actuals.project_code = evaluation.project_code and differing_actuals.year = evaluation.year
        and differing_actuals.position = evaluation.position
),

-- An indicator whose 实际完成值 the data give otherwise, on the row of its 年度指标值: the report's 数据质量提示
-- names each, whatever its score, so the form's receipt does too (`stated_differences` keeps it where no 得分 warning
-- tells it already).
actuals as (
    select
        evaluation.cell.submission_id, evaluation.cell.sheet, evaluation.cell.excel_row,
        coalesce(actual_headers.column_header, '实际完成值') as header,
        $actual as rule, evaluation.level3 as what, evaluation.reported_score as stated,
        evaluation.score as computed, evaluation.weight as points,
        null as source, null as rate, null as executed, null as budget,
        differing_actuals.actual, evaluation.reported_value as reported, differing_actuals.files
    from (
        select *, target_lineage[1] as cell
        from mart.self_evaluation
        where differs_from_reported and position > 0 and len(target_lineage) >= 1
    ) as evaluation
    inner join differing_actuals
        on differing_actuals.project_code = evaluation.project_code and differing_actuals.year = evaluation.year
        and differing_actuals.position = evaluation.position
    left join ops.sheet_columns as actual_headers
        on actual_headers.submission_id = evaluation.cell.submission_id
        and actual_headers.sheet = evaluation.cell.sheet and actual_headers.column_name = 'reported_value'
)

select * from totals_and_rates
union all select * from scores
union all select * from actuals
order by 1, 2, 3, 5, 6
"""


def _shown(value: Decimal, apart: Callable[[Decimal], bool] = lambda _: True) -> str:
    """Show a computed figure to two decimals, as the report does, or to the fewest up to six (else all its digits)
    at which it is still `apart` from the stated figure, as the warning says it is.

    Two decimals alone told a 总分 of 90 stated against 90.5000001 as 计算为90.5分 under 相差超过0.5分, and a 得分 of
    43.882 against 43.875 as 计算为43.88分: the report prints them so far apart too (`intermediate.places_beyond`).
    """
    for places in range(2, 7):
        shown = value.quantize(Decimal(1).scaleb(-places))
        if apart(shown):
            return format(shown.normalize(), "f")
    return format(value.normalize(), "f")


def _apart(rule: str, stated: Decimal) -> Callable[[Decimal], bool]:
    """Return whether a computed figure, as printed, is as far from the stated one as `rule` warns it is."""
    if rule == TOTAL:
        return lambda shown: abs(shown - stated) > SCORE_TOLERANCE
    if rule == RATE:  # printed in percent
        return lambda shown: abs(shown - stated * 100) > EXECUTION_TOLERANCE * 100
    return lambda shown: score_differs(stated, shown)


def _issue(row: tuple) -> tuple:
    """Word one stated figure that differs, as a warning row of ops.validation_issues."""
    submission_id, sheet, excel_row, header, rule, what, stated, computed, points, source, rate, *rest = row
    *amounts, actual, reported, files = rest
    if rule == ACTUAL:
        message = (
            f"三级指标「{what}」的「{header}」填报为{reported or '空白'}，按已入库的{files}计算为{actual}"
        )
        return (
            submission_id,
            sheet,
            excel_row,
            header,
            reported,
            "warning",
            rule,
            f"{message}。",
            f"按{files}计算的实际完成值{actual}",
            f"{_recheck(files, '实际完成值')}。",
        )
    # Scores and totals in 分; a rate in percent.
    value, got = display(stated), f"{_shown(computed, _apart(rule, stated))}分"
    if rule == TOTAL:
        message = (
            f"「{header}」填报的自评总分为{value}分，按评分规则由已入库的数据计算为{got}，"
            f"相差超过{display(SCORE_TOLERANCE)}分"
        )
        expected = f"按评分规则计算的总分{got}（各指标得分与预算执行得分之和）"
        fix = "请逐项核对各指标的实际完成值和得分；填报有误的，请改正后重新报送。年度报告按计算的总分评定等级"
    elif rule == RATE:
        value = f"{display(stated * 100)}%"
        got = f"{_shown(computed * 100, _apart(rule, stated))}%"
        message = (
            f"项目资金「{header}」填报为{value}，按已入库的资金到位与支付台账计算的预算执行率为{got}，"
            f"相差超过{display(EXECUTION_TOLERANCE * 100)}个百分点"
        )
        expected = f"按资金台账计算的预算执行率{got}"
        fix = "请核对全年执行数、全年预算数与报送的资金台账；填报有误的，请改正后重新报送。年度报告采用台账计算的执行率"
    elif what is None and source == "ledger":
        # The budget's own score: 分值 × the execution rate of the ledger.
        message = (
            f"项目资金「{header}」（预算执行得分，分值{display(points)}）填报为{value}分，"
            f"按已入库的资金到位与支付台账计算为{got}"
        )
        expected = f"分值×按资金台账计算的预算执行率＝{got}"
        fix = "请核对全年执行数、全年预算数与报送的资金台账；填报有误的，请改正后重新报送。年度报告采用计算的得分"
    elif what is None and source == "none":  # no ledger, and the form gives no rate to score by
        message = (
            f"项目资金「{header}」（预算执行得分，分值{display(points)}）填报为{value}分，"
            f"本表未填执行率，{_unscorable(*amounts)}，计算为{got}"
        )
        expected = f"分值×执行率，执行率无从计算，为{got}"
        fix = "请填写项目资金的全年预算数、全年执行数和执行率后重新报送。年度报告采用计算的得分"
    elif what is None:  # no ledger: 分值 × the form's own 执行率, or its 全年执行数 ÷ 全年预算数
        basis = "本表填报的执行率" if source == "rate" else "本表全年执行数÷全年预算数"
        shown = f"{_shown(rate * 100)}%" + ("（超过100%的按100%计）" if rate > 1 else "")
        message = (
            f"项目资金「{header}」（预算执行得分，分值{display(points)}）填报为{value}分，"
            f"按{basis}{'' if source == 'rate' else '＝'}{shown}计算为{got}"
        )
        expected = f"分值×{basis}＝{display(points)}×{shown}＝{got}"
        checked = "执行率和得分" if source == "rate" else "全年执行数、全年预算数和得分"
        fix = f"请核对项目资金的{checked}；填报有误的，请改正后重新报送。年度报告采用计算的得分"
    elif actual and files:
        # Scored by the data's own figure, not the one written: say which and where from, or the clerk checks a row
        # that adds up.
        message = (
            f"三级指标「{what}」（分值{display(points)}）的「{header}」填报为{value}分，按评分规则由已入库的数据计算为"
            f"{got}：实际完成值按已入库的{files}计算为{actual}，本表填报为{reported or '空白'}"
        )
        expected = f"按{files}计算的实际完成值{actual}，得分{got}"
        fix = _recheck(files, "实际完成值和得分")
    else:
        message = (
            f"三级指标「{what}」（分值{display(points)}）的「{header}」填报为{value}分，"
            f"按评分规则由已入库的数据计算为{got}"
        )
        expected = f"按评分规则计算的得分{got}"
        fix = "请核对该指标的年度指标值和实际完成值；填报有误的，请改正后重新报送。年度报告采用计算的得分"
    return (
        submission_id,
        sheet,
        excel_row,
        header,
        value,
        "warning",
        rule,
        f"{message}。",
        expected,
        f"{fix}。",
    )


def _recheck(files: str, figures: str) -> str:
    """Word how to settle an 实际完成值 the data give otherwise: correct the form's `figures`, or the files'."""
    return (
        f"请核对本表的实际完成值与{files}，以实际情况为准：本表有误的，请改正{figures}后重新报送；"
        f"{files}有误的，请改正该表后重新报送。年度报告采用按数据计算的{figures}"
    )


def _unscorable(executed: Decimal | None, budget: Decimal | None) -> str:
    """Say why a form's 执行率 cannot be computed from its 全年执行数 and 全年预算数: the one it lacks, or a budget of 0."""
    # Only what is missing is named, as the form's rate_blank does: the clerk who wrote 全年执行数 is not told it is
    # not there.
    missing = "和".join(name for name, v in (("全年执行数", executed), ("全年预算数", budget)) if v is None)
    if missing:
        return f"也没有可据以计算执行率的{missing}"
    return "全年预算数为0，无法据以计算执行率"


def stated_differences(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Return the warnings, as ops.validation_issues rows, for every stated figure the marts do not bear out."""
    found = con.execute(
        _STATED,
        {
            "total": TOTAL,
            "rate": RATE,
            "score": SCORE,
            "actual": ACTUAL,
            "score_tolerance": SCORE_TOLERANCE,
            "execution_tolerance": EXECUTION_TOLERANCE,
        },
    ).fetchall()
    # A rule index 4, stated 6, computed 7: a 得分 differs as the report's 数据质量提示 says (`score_differs`).
    found = [row for row in found if row[4] != SCORE or score_differs(row[6], row[7])]
    # An 实际完成值 is told on its own only where no 得分 warning on its row tells it (with the file it came from).
    told = {row[:3] for row in found if row[4] == SCORE}
    return [_issue(row) for row in found if row[4] != ACTUAL or row[:3] not in told]


def settle_stated(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Bring these warnings, a 自评表's 自评等级 other than the computed one (`pipeline.stated_grades`) and a 运行监控表's
    light milder than the computed one (`pipeline.stated_lights`), in ops.validation_issues up to date with the marts,
    in one transaction; return the submissions whose warnings changed, their receipts marked to be written again."""
    found = set(stated_differences(con)) | set(grade_differences(con)) | set(light_differences(con))
    listed = ", ".join(f"'{rule}'" for rule in (*RULES, *LIGHT_RULES))
    stored = set(
        con.execute(f"select {ISSUE_COLUMNS} from ops.validation_issues where rule in ({listed})").fetchall()
    )
    changed = sorted({row[0] for row in found ^ stored})
    if not changed:
        return set()
    con.execute("begin")
    try:
        con.execute(
            f"delete from ops.validation_issues where rule in ({listed}) and submission_id in (select unnest(?))",
            [changed],
        )
        # Imported here: a rebuild that changes none of these warnings (most) does not load the intake's package.
        from pipeline.intake.file_rows import add_issues
        from pipeline.intake.pending_rows import PendingRows

        touched = set(changed)
        pending = PendingRows()
        for row in found:
            if row[0] in touched:
                add_issues(pending, row[0], [ReceiptIssue(*row[1:])])
        pending.insert(con)
        recount_warnings(con, changed)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return set(changed)
