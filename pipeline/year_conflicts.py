"""Tell the clerk where a sheet's statements of its year disagree: with one another, across a column's rows, or with
the day the form was filled."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.problems import Problem, Severity, cell_problem
from pipeline.text import rows_text
from pipeline.year_statements import Statement, years_zh

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet


def year_span(sheet: ParsedSheet, statement: Statement, vouched: int | None = None) -> Problem:
    """Reject a column whose rows state several years, naming the rows of each and where the second begins; dates
    of a year the title or file name `vouched` for are told how a `年度：` line keeps them together."""
    by_year = {year: [row for row, said in statement.rows if said == year] for year in statement.years}
    where = "；".join(f"{year}年：{rows_text(tuple(rows))}" for year, rows in by_year.items())
    first_year = min(statement.rows)[1]
    other_row = min(row for row, year in statement.rows if year != first_year)
    found = "、".join(map(str, statement.years))
    fix = "一个文件只能报送一个年度的数据，请按年度分别报送"
    if vouched is not None:
        # A 2022 ledger's funds paid in January 2023 belong in it: split by year, as told alone, they would be
        # filed as 2023's. A `年度：` line lets its dates span years.
        others = years_zh(tuple(year for year in statement.years if year != vouched))
        fix = (
            f"一个文件只能报送一个年度的数据：如{others}的几行也是{vouched}年度的资金（跨年到位或支付），"
            f"请在表格上方加一行“年度：{vouched}”后重新报送，否则请按年度分别报送"
        )
    return Problem(
        Severity.ERROR,
        "year_span",
        f"{statement.label}跨越了{found}多个年度（{where}），{fix}。",
        sheet=sheet.name,
        excel_row=other_row,
        column_header=statement.header,
        value=found,
        expected="应为同一年度",
        fix=fix,
    )


def dated_problem(sheet: ParsedSheet, deciding: Statement, dated: str, year: int) -> Problem:
    """Warn that the year was read from a date (the day a form was filled or runs to), which may be a later year's."""
    return cell_problem(
        "year_from_date",
        sheet=sheet.name,
        excel_row=deciding.excel_row,
        header=deciding.header,
        value=dated,
        expected=f"报表年度只写在这一日期中，已按{year}年度读取；填报或截止日期常在报表年度之后",
        fix=f"如本表不是{year}年度的报表，请在表格上方加一行“年度：…”写明报表年度，如“年度：{year - 1}”",
        severity=Severity.WARNING,
    )


def flag_conflicts(
    parsed: ParsedFile, sheet: ParsedSheet, statements: list[Statement], bounded: Callable[[int], bool]
) -> None:
    """Warn of each statement naming a year other than the one taken, so the clerk sees both and the year used."""
    if not statements:
        return
    taken, *others = statements
    if not taken.years or not all(map(bounded, taken.years)):
        return  # the year taken is unreadable or out of range: rejected on its own already
    if len(taken.years) > 1:
        return  # a column or dates spanning years, or a title naming several: rejected on its own already
    used = years_zh(taken.years)
    if _stale_line(taken, others):
        parsed.problems.append(_stale_line_problem(sheet, taken, others))
        return
    for other in others:
        if set(other.years) <= set(taken.years):
            continue
        if other.source == "filename" and set(other.years) & set(taken.years):
            continue  # `2023年1月报送-2022年度台账`: the day it was sent beside the year it reports
        expected = f"应与{taken.label}一致"
        fix = (
            f"本表已按{taken.label}取{used}度；若报表年度不是{used}，请改正{taken.label}后重新报送，"
            f"否则请改正{other.label}"
        )
        if taken.source == "dates" and len(other.years) == 1:
            # The dates are when the money moved, true as written: a ledger of another year's funds is told by a
            # `年度：` line (its dates may span years), never by changing them.
            fix = (
                f"本表已按{taken.label}取{used}度；若本表是{other.years[0]}年度的{sheet.template.name_zh}"
                "（资金跨年到位或支付），"
                f"请在表格上方加一行“年度：{other.years[0]}”后重新报送，否则请改正{other.label}"
            )
        parsed.problems.append(
            Problem(
                Severity.WARNING,
                "year_conflict",
                f"{other.says}，而{taken.says}，二者不一致。{fix}。",
                sheet=sheet.name,
                excel_row=other.excel_row or taken.excel_row,
                column_header=other.header,
                value="、".join(map(str, other.years)),
                expected=expected,
                fix=fix,
            )
        )


def _stale_line(taken: Statement, others: list[Statement]) -> bool:
    """Say whether a `年度：` line is all that names its year, against every date of the sheet and all else stated.

    Last year's template sent again with January's rows (`年度：2022` over dates, title and name of 2023) would file
    them as 2022 and replace that year's whole ledger: a line behind every date, and named nowhere else, is asked
    about. Dates before the line's year are a year's funds issued ahead (提前下达 in December), as dates spanning
    into the next year are late ones; a title or file name naming the line's year too (`2022年度资金台账`) vouches
    for it.
    """
    dates = [o for o in others if o.source == "dates"]
    if taken.source != "line" or not dates:
        return False
    later = all(year > max(taken.years) for o in dates for year in o.years)
    return later and all(not set(o.years) & set(taken.years) for o in others)


def _stale_line_problem(sheet: ParsedSheet, taken: Statement, others: list[Statement]) -> Problem:
    used = years_zh(taken.years)
    said = "；".join(o.says for o in others)
    fix = (
        f"若本表是{years_zh(others[0].years)}度的，请把“年度：”一行改正后重新报送；若确是{used}度的资金"
        f"（全部在次年到位或支付），请在标题中写明{used}度后重新报送"
    )
    return Problem(
        Severity.ERROR,
        "year_conflict",
        f"{taken.says}，而{said}，本表没有一处与之相同，无法确定报表年度。{fix}。",
        sheet=sheet.name,
        excel_row=taken.excel_row,
        column_header=taken.header,
        value="、".join(map(str, taken.years)),
        expected="应与日期等处的年度一致",
        fix=fix,
    )
