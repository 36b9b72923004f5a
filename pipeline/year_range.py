"""Hold a sheet's reporting year and its dates to the years the warehouse takes: 2000 to next year, a plan's dates to
ten years past it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline.problems import Problem, cell_problem
from pipeline.registry_columns import ColumnType
from pipeline.settings import TIMEZONE

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet

# The first reporting year the warehouse takes; the last is next year (a plan may be filed ahead).
FIRST_YEAR = 2000
# How far past next year a planned date (计划完工日期, a compound's 完工日期) may lie. A district's renovation or
# resettlement project is planned over a few years; ten past next year leaves room for any real plan, and still
# catches 2099 written for "not yet known" and a slipped digit (2202 for 2022, 2203 for 2023).
PLANNED_YEARS_AHEAD = 10

# How to correct a year out of range, by where it was stated.
RANGE_FIX = {
    "line": "请核对填写的年度",
    "title": "请核对标题中的年度",
    "filename": "请改正文件名中的年度，或在表格上方加一行“年度：…”",
}


def latest_year(read_on: dt.date | None = None) -> int:
    """Return the last reporting year taken: the year after the day a file is read by (`read_day`), else after
    today, in the district's time zone."""
    return (read_on or dt.datetime.now(TIMEZONE)).year + 1


def out_of_range(
    sheet: ParsedSheet, latest: int, excel_row: int | None, header: str, value: object, fix: str
) -> Problem:
    """Report a year before 2000 or after `latest` where it was found, with the years allowed."""
    noun = "日期" if isinstance(value, dt.date) else "年度"
    return cell_problem(
        "year_range",
        sheet=sheet.name,
        excel_row=excel_row,
        header=header,
        value=value,
        expected=f"应为{FIRST_YEAR}年至{latest}年之间的{noun}",
        fix=fix,
    )


def check_other_dates(parsed: ParsedFile, sheet: ParsedSheet, headers: dict[str, str], last: int) -> None:
    """Reject a date before 2000 or after `last` in a column that does not decide the year (开工日期, 计划完工日期)."""
    # 1900-01-01 is what a date cell shows for a formula's 1 (=B5 of a count), 1999 or 2202 a mistyped year, 2099
    # a placeholder. Stored, a register's such 计划完工日期 moved the project's span, that every form's year is held
    # to: with 2099 no year of the project would ever be told it lies outside its plan.
    columns = [
        b.column.name
        for b in sheet.bindings
        if b.column.type is ColumnType.DATE and b.column.name != sheet.template.date_column
    ]
    for record in sheet.records:
        for column in columns:
            date = record.get(column)
            if date is not None and not FIRST_YEAR <= date.year <= last:
                fix = "请核对日期中的年份，或检查该单元格的公式"
                parsed.problems.append(
                    out_of_range(sheet, last, record["excel_row"], headers.get(column), date, fix)
                )
