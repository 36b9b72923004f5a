"""Check the year a form's `1-N月…` headers name with their months (`2022年1-6月执行数`) against the sheet's year."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.problems import Problem, Severity
from pipeline.text import header_year

if TYPE_CHECKING:
    from pipeline.parsed_sheet import ParsedSheet
    from pipeline.year_statements import Statement

_FIX = "请把表头中的年份改为报表年度，或删去表头中的年份（截至月份仍按表头读取）"


def check_header_years(sheet: ParsedSheet, headers: list[tuple[int, str]]) -> None:
    """Note the year the headers name with their months; headers naming two years are an error on the second."""
    named = [(year, row, written) for row, written in headers if (year := header_year(written)) is not None]
    if not named:
        return
    sheet.meta.months_year = first = named[0]
    told: set[int] = {first[0]}
    for stated in named[1:]:
        if stated[0] in told:
            continue
        told.add(stated[0])
        said = f"第{first[1]}行的表头“{first[2]}”写的是{first[0]}年"
        sheet.problems.append(
            _conflict(sheet, stated, said, f"表头中的年份应一致（另有表头为“{first[2]}”）", _FIX)
        )


def header_year_conflicts(sheet: ParsedSheet, statements: list[Statement]) -> list[Problem]:
    """Reject a sheet whose headers' year is not the one its rows are filed under, naming both and where each is."""
    # Its months are read from those headers: a 2022年1-6月 form filed as 2023's (a title changed, the headers not)
    # would replace 2023's first half with 2022's figures, so it is asked, not taken either way.
    stated = sheet.meta.months_year
    filed = {record.get("year") for record in sheet.records} - {None}
    if stated is None or len(filed) != 1 or stated[0] in filed:
        return []
    (taken,) = filed
    statement = next((s for s in statements if taken in s.years), None)
    said = statement.says if statement else f"报表年度为{taken}年"
    label = statement.label if statement else "报表年度"
    fix = f"若本表是{taken}年度的，{_FIX}；若是{stated[0]}年度的，请改正{label}后重新报送"
    return [_conflict(sheet, stated, said, f"应与报表年度{taken}年一致", fix)]


def _conflict(
    sheet: ParsedSheet, stated: tuple[int, int, str], said: str, expected: str, fix: str
) -> Problem:
    """Word a header's year against another statement of the year, on the header's cell."""
    year, row, written = stated
    return Problem(
        Severity.ERROR,
        "header_year",
        f"第{row}行的表头“{written}”写的是{year}年，而{said}，二者不一致。{fix}。",
        sheet=sheet.name,
        excel_row=row,
        column_header=written,
        value=str(year),
        expected=expected,
        fix=fix,
    )
