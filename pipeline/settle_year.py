"""Settle each record's reporting year from where its sheet states it, telling the clerk of every conflict."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from pipeline.dated_months import hold_dated_months
from pipeline.form_years import header_year_conflicts
from pipeline.problems import cell_problem
from pipeline.year_conflicts import dated_problem, flag_conflicts, year_span
from pipeline.year_range import FIRST_YEAR, PLANNED_YEARS_AHEAD, RANGE_FIX, check_other_dates, out_of_range
from pipeline.year_statements import (
    date_written,
    sheet_name_years,
    short_filename,
    short_title,
    year_statements,
)
from pipeline.year_unknown import fail_unknown, year_example

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet
    from pipeline.year_statements import Statement


def _settle_year(parsed: ParsedFile, sheet: ParsedSheet, filename: str, latest: int) -> None:
    """Give every record its year: its own 年度 cell, else the first other statement its template lists."""
    template = sheet.template
    headers = {b.column.name: b.header for b in sheet.bindings}

    def bounded(year: int) -> bool:
        return FIRST_YEAR <= year <= latest

    check_other_dates(parsed, sheet, headers, latest + PLANNED_YEARS_AHEAD)
    if "dates" in template.year_from:
        header = headers.get(template.date_column)
        for record in sheet.records:
            date = record.get(template.date_column)
            if date and not bounded(date.year):
                fix = "请核对日期中的年份"
                parsed.problems.append(out_of_range(sheet, latest, record["excel_row"], header, date, fix))
    statements = year_statements(sheet, filename, headers, bounded)
    # A 年度 column speaks for its own rows only; the rows without one take the first other statement, and
    # a statement naming no year or several decides all the same: the clerk says which, nothing is guessed.
    deciding = next((s for s in statements if s.source != "column"), None)
    # A year in two digits, or in the sheet's name, is checked against the year taken, never taking it; the sheet's
    # name only where another statement stands first, the one compared with.
    statements += short_title(sheet) + short_filename(sheet, filename)
    named_sheet = sheet_name_years(sheet, filename)
    statements += named_sheet if statements else []
    # `latest` is next year (year_range.latest_year): the year before it is the run's own.
    this_year = latest - 1
    _refuse_unread(parsed, sheet, filename, statements, deciding, this_year)
    sheet_year = deciding.years[0] if deciding is not None and len(deciding.years) == 1 else None
    if deciding is not None and sheet_year is not None and not bounded(sheet_year):
        value = filename if deciding.source == "filename" else sheet_year
        fix = RANGE_FIX[deciding.source]
        parsed.problems.append(out_of_range(sheet, latest, deciding.excel_row, deciding.header, value, fix))
    missing = False
    filled: list[int] = []  # the rows whose blank 年度 cell took the sheet's year
    for record in sheet.records:
        if "column" in template.year_from and record.get("year") is not None:
            if not bounded(record["year"]):
                fix = "请核对填写的年度"
                parsed.problems.append(
                    out_of_range(sheet, latest, record["excel_row"], headers.get("year"), record["year"], fix)
                )
            continue
        record["year"] = sheet_year
        missing = missing or sheet_year is None
        filled.append(record["excel_row"])
    if (
        filled
        and sheet_year is not None
        and bounded(sheet_year)
        and (dated := date_written(sheet, deciding, filename))
    ):
        parsed.problems.append(dated_problem(sheet, deciding, dated, sheet_year))
    column = next((s for s in statements if s.source == "column"), None)
    if column is not None and len(column.years) == 1 and sheet_year not in (None, *column.years) and filled:
        # A column of one year whose blank cells take another from the line: one file, two 报表年度 all the same.
        mixed = dataclasses.replace(
            column,
            years=tuple(sorted({*column.years, sheet_year})),
            rows=tuple(sorted((*column.rows, *((row, sheet_year) for row in filled)))),
            label=f"{column.label}（空白处按{deciding.label}）",
        )
        parsed.problems.append(year_span(sheet, mixed))
    if missing:
        # Alone, the sheet's name still gives the `年度：` line asked for its year, as a clerk copies it.
        fail_unknown(parsed, sheet, filename, deciding, column, filled, statements or named_sheet)
    flag_conflicts(parsed, sheet, statements, bounded)
    parsed.problems += header_year_conflicts(sheet, statements)
    hold_dated_months(parsed, sheet, deciding, set(filled))


def _refuse_unread(
    parsed: ParsedFile,
    sheet: ParsedSheet,
    filename: str,
    statements: list[Statement],
    deciding: Statement | None,
    this_year: int,
) -> None:
    """Reject each statement no one year can be read from: a column or deciding dates spanning years, a `年度：` line
    naming none (shown the line the file most likely means, as year_unknown is)."""
    for statement in statements:
        # A file is one 报表年度: a 年度 column naming two would file one submission under two years. Dates span
        # years freely under a `年度：` line that decides (a 2022 ledger's funds arriving in January 2023).
        spanning = statement.source == "column" or (statement.source == "dates" and statement is deciding)
        if spanning and len(statement.years) > 1:
            vouched = next(
                (
                    s.years[0]
                    for s in statements
                    if statement.source == "dates"
                    and s.source in ("title", "filename")
                    and len(s.years) == 1
                    and s.years[0] in statement.years
                    and date_written(sheet, s, filename) is None  # the day it was filled vouches for no year
                ),
                None,
            )
            parsed.problems.append(year_span(sheet, statement, vouched))
        elif statement.source == "line" and not statement.years:
            # Worded as a 年度 cell that cannot be read is; the line is never passed over for another statement's
            # year, which only the example shows (a fixed 2022, copied onto a 2026 file, would file it under 2022).
            parsed.problems.append(
                cell_problem(
                    "type",
                    sheet=sheet.name,
                    excel_row=statement.excel_row,
                    header="年度",
                    value=sheet.meta.year_written,
                    expected="应为四位年份",
                    fix=f"请按报表年度改写，如{year_example(statement, statements)}",
                )
            )
