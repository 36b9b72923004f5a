"""Pass over the months a monthly form's template holds below the last one the clerk has filled in, or past the
months its title, filing date or the day it is read say it covers; refuse figures of months not yet begun."""

from __future__ import annotations

from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, row_problem
from pipeline.read_day import ReadOn
from pipeline.registry_columns import SUMMABLE_TYPES, ColumnType
from pipeline.row_problems import LEFT_BLANK, WRITTEN_EMPTY
from pipeline.text import rows_text

# A required cell's error where it was left empty, or written `—` or `无`; not one merged with the cell above it.
_LEFT_EMPTY = frozenset({LEFT_BLANK, WRITTEN_EMPTY + LEFT_BLANK})


def pass_over_unfilled_months(sheet: ParsedSheet) -> None:
    """Drop the rows after the last month filled in whose month's own figures are empty, telling the clerk once.

    Offices fill a 月报 laid out for the whole year, 1月 to 12月, one month at a time: in June the rows of July to
    December hold their month, the plan and a 累计 formula carried down (`=F9+E10`), and no 本月. Each was returned
    as 未填写…请补充填写, asking for figures of months not yet over, which a clerk could only fill with 0: read as
    months of no investment, those turn the monitoring lights red. A blank month between filled ones is still an
    error: that month was skipped, not yet to come.
    """
    month = _month_column(sheet)
    if month is None:
        return
    own, carried = _own_and_carried(sheet)
    if not own:
        return
    tail: list[dict] = []
    last = None
    for record in reversed(sheet.records):
        if any(record.get(b.column.name) is not None for b in own):
            last = record
            break
        tail.append(record)
    if last is None or not tail:
        return
    passed = {r["excel_row"] for r in tail if _unfilled(r, last, carried)}
    if len(passed) != len(tail):
        return  # a row below the last month filled holds figures of its own: its errors stand
    unfilled = {b.header for b in own} | {b.header for b in carried}
    told = [p for p in sheet.problems if p.excel_row in passed]
    if any(
        p.rule != "required" or p.column_header not in unfilled or p.expected not in _LEFT_EMPTY for p in told
    ):
        # Something else is wrong on those rows (a month that does not read), or a cell is empty because it is
        # merged with the one above (a 本月 merged over two months): the clerk is told as found.
        return
    sheet.problems = [p for p in sheet.problems if p.excel_row not in passed]
    _pass_over(
        sheet,
        tail,
        month,
        own,
        "unfilled_months",
        f"未填写，位于已填报的最后一个月（第{last['excel_row']}行）之后，视为表格中以后月份的空行，未读取",
        "如这些月份已有完成投资，请填写后重新报送；如尚未到这些月份，无需处理，也不要填0",
    )


def pass_over_months_not_covered(sheet: ParsedSheet, read_on: ReadOn) -> None:
    """Drop the rows of months after those the sheet says it covers (its title's `1-N月` or month, else the months over
    by its `填报日期：`) whose own figures are 0 and plan and 累计 carried down from the last month covered, telling the clerk
    once that they were read as months to come, not as months of no investment.

    A 月报 titled `2026年1-6月…`, or filed on 2026年7月5日, cannot report July to December: the 0s a clerk types into
    those rows of the year's template (told not to leave them blank) are placeholders. Read as months of no
    investment they light the monitoring red and move the report's latest month to December; what the sheet says of
    itself decides, and the warning asks the clerk to retitle the file `1-12月` (or correct the date) where those
    months did see no investment.
    """
    month = _month_column(sheet)
    covered = _months_covered(sheet, read_on) if month is not None else None
    if covered is None:
        return
    through, said, fix = covered
    own, carried = _own_and_carried(sheet)
    last = next((r for r in sheet.records if r.get(month) == through), None)
    later = [r for r in sheet.records if isinstance(r.get(month), int) and r[month] > through]
    if not own or last is None or not later:
        return
    if not all(_unfilled(r, last, carried) and all(r.get(b.column.name) == 0 for b in own) for r in later):
        return  # a later month with figures of its own: the title or date is the one out of date, and the rows stand
    passed = {r["excel_row"] for r in later}
    if any(p.excel_row in passed for p in sheet.problems):
        return  # something else is wrong on those rows: the clerk is told as found
    _pass_over(
        sheet,
        later,
        month,
        own,
        "months_after_title",
        f"填写为0，而{said}，视为表格中以后月份的空行，未读取，报告按截至{through}月计算",
        fix,
    )


def _pass_over(
    sheet: ParsedSheet, rows: list[dict], month: str, own: list, rule: str, said: str, fix: str
) -> None:
    """Drop rows of months to come from a sheet and warn once, naming the rows, their months and their own figures."""
    passed = {r["excel_row"] for r in rows}
    sheet.records = [r for r in sheet.records if r["excel_row"] not in passed]
    named = "、".join(
        f"{r[month]}月" for r in sorted(rows, key=lambda r: r["excel_row"]) if isinstance(r.get(month), int)
    )
    headers = "、".join(f"「{b.header}」" for b in own)
    sheet.problems.append(
        row_problem(
            rule,
            sheet=sheet.name,
            excel_row=min(passed),
            expected=f"{rows_text(tuple(sorted(passed)))}（{named}）的{headers}{said}",
            fix=fix,
            severity=Severity.WARNING,
        )
    )


def refuse_months_not_begun(sheet: ParsedSheet, read_on: ReadOn) -> None:
    """Return a 月报 whose month of this year not yet begun on the day it is read (`read_on`) holds a figure of its own.

    Investment completed in October cannot be reported in July: such a figure is a plan typed into the 本月 column or
    a month written wrong, and read as written it would stand in the report as done.
    """
    month = _month_column(sheet)
    if month is None:
        return
    day = read_on.day
    own, _ = _own_and_carried(sheet)
    for record in sheet.records:
        if record.get("year") != day.year or not isinstance(record.get(month), int):
            continue
        if record[month] <= day.month:
            continue
        for binding in own:
            if record.get(binding.column.name) in (None, 0):
                continue
            sheet.error(
                rule="month_not_begun",
                excel_row=record["excel_row"],
                header=binding.header,
                value=record[binding.column.name],
                expected=(f"应为空：{record[month]}月尚未开始（{read_on.said}），不会已有完成数"),
                fix="请核对月份是否写错；如是计划数，请填在计划列，并删去该月的完成数后重新报送",
            )


def _months_covered(sheet: ParsedSheet, read_on: ReadOn) -> tuple[int, str, str] | None:
    """Return the last month a sheet covers, how that is known and how the clerk would say otherwise: what the sheet
    says of itself (`_months_said`), but never a month not over on the day it is read.

    A 月报 of this year read in July cannot report July to December, whatever its title or 填报日期 say or leave out:
    0s in those months, plan and 累计 carried down, are placeholders, never months of no investment (they lit the
    monitoring red and moved the report's latest month to December when the sheet said nothing of its months).
    """
    said = _months_said(sheet)
    day = read_on.day
    if {r.get("year") for r in sheet.records} != {day.year} or (said is not None and said[0] < day.month):
        if said is None:
            return None
        through, how, other = said
        return (
            through,
            how,
            f"如这些月份确实没有完成投资，{other}后重新报送；如尚未到这些月份，无需处理，以后月份请留空，不要填0",
        )
    return (
        day.month - 1,
        f"{read_on.said}，这些月份尚未结束",
        "无需处理；以后月份请留空，不要填0，待月份结束后再填写",
    )


def _months_said(sheet: ParsedSheet) -> tuple[int, str, str] | None:
    """Return the last month a sheet says it covers, how it says so and how the clerk would say otherwise: its title's
    `1-N月` or one month of its year, else the month before the one its `填报日期：` of that year falls in (a month is
    not over on any day of it)."""
    meta = sheet.meta
    if meta.title_months is not None:
        if meta.title_months >= 12:
            return None
        said = f"标题写明本表为1-{meta.title_months}月（第{meta.rows['title_months']}行）"
        return meta.title_months, said, "请把标题改为“1-12月”"
    years = {r.get("year") for r in sheet.records}
    if meta.title_month is not None and set(meta.title_years or years) == years:
        # `2026年6月…月报`: June's report, its year's; `2027年1月…月报` over 2026's rows is the month it was filed in.
        if meta.title_month == 12:
            return None  # December's: the whole year, whatever day it was filed
        said = f"标题写明本表为{meta.title_month}月的月报（第{meta.rows['title_month']}行）"
        return meta.title_month, said, "请改正标题中的月份"
    if meta.filed is None or meta.filed.month == 1 or years != {meta.filed.year}:
        return None  # filed in another year (a 2025 月报 filed in January 2026): every month of it was over
    filed = meta.filed
    said = f"第{meta.filed_row}行的填报日期为{filed.year}年{filed.month}月，这些月份当时尚未结束"
    return filed.month - 1, said, "请改正填报日期"


def _month_column(sheet: ParsedSheet) -> str | None:
    """Return the name of a monthly form's month column (its slice by month), or None for any other sheet."""
    if "month" not in sheet.template.slice:
        return None
    return next((b.column.name for b in sheet.bindings if b.column.type is ColumnType.MONTH), None)


def _own_and_carried(sheet: ParsedSheet) -> tuple[list, list]:
    """Return the bindings of a month's own figures (本月, adding up over months) and of those carried down (the plan,
    the 累计: `adds_up: false`)."""
    own = [
        b
        for b in sheet.bindings
        if b.column.type in SUMMABLE_TYPES and b.column.adds_up and b.column.required
    ]
    carried = [b for b in sheet.bindings if b.column.type in SUMMABLE_TYPES and not b.column.adds_up]
    return own, carried


def _unfilled(record: dict, last: dict, carried: list) -> bool:
    """Say whether a row's plan and 累计 are empty or carried down from the last month filled, as a template's are."""
    return all(
        record.get(b.column.name) is None or record.get(b.column.name) == last.get(b.column.name)
        for b in carried
    )
