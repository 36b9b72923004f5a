"""Hold each month a sheet writes with its year (`2022年4月`, an Excel date) to its row's reporting year."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pipeline.problems import Severity, cell_problem

if TYPE_CHECKING:
    from pipeline.parsed_file import ParsedFile
    from pipeline.parsed_sheet import ParsedSheet
    from pipeline.year_statements import Statement


def hold_dated_months(
    parsed: ParsedFile, sheet: ParsedSheet, deciding: Statement | None, filled: set[int]
) -> None:
    """Hold each month written with its year (`2022年4月`) to its row's year: another year is an error on the cell,
    a day beside the month (`2022-04-15`) a warning naming the month taken."""
    if not sheet.dated_months:
        return
    headers = {b.column.name: b.header for b in sheet.bindings}
    records = {r["excel_row"]: r for r in sheet.records}
    for (excel_row, name), (dated, raw) in sheet.dated_months.items():
        record = records.get(excel_row)
        year = record.get("year") if record is not None else None
        if year is None:
            continue  # no year to hold it to: the sheet's year_unknown says so already
        shown = raw.date() if isinstance(raw, dt.datetime) else raw
        month = dated.month
        if dated.year != year:
            if excel_row in filled and deciding is not None:
                expected = f"与报表年度{year}不一致（{deciding.says}）"
                where = deciding.label
            else:
                where = f"「{headers.get('year', '年度')}」"
                expected = f"与本行{where}{year}不一致"
            # An error on the cell, in the sheet's problems: validation leaves the month it no longer holds alone.
            sheet.error(
                rule="month_year_mismatch",
                excel_row=excel_row,
                header=headers[name],
                value=shown,
                expected=expected,
                fix=f"请核对：若是{year}年{month}月，请把月份改填为“{month}”；否则请改正{where}",
            )
            record[name] = None
        elif dated.day != 1:
            # The file's, not the sheet's problems: a warned cell would drop out of the checks across rows (月份重复).
            parsed.problems.append(
                cell_problem(
                    "month_with_day",
                    sheet=sheet.name,
                    excel_row=excel_row,
                    header=headers[name],
                    value=shown,
                    expected=f"应为月份；该单元格是一个具体日期，已按其所在的{year}年{month}月计",
                    fix=(
                        f"请核对：若这一行是{month}月的数据，改填为“{month}”即可；"
                        f"若{dated.day}日是填报日期等其他日期，请改填为这一行所属的月份"
                    ),
                    severity=Severity.WARNING,
                )
            )
