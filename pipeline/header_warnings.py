"""Warn on a column's header of how its numbers were read: 第4行「改造面积」：表头未注明单位，已按…"""

from __future__ import annotations

from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity


def warn_on_header(
    sheet: ParsedSheet,
    header: str,
    *,
    rule: str,
    expected: str,
    fix: str,
    severity: Severity = Severity.WARNING,
    row: int,
) -> None:
    """Warn of how a column was read, on its header as written: 第4行「改造面积」：表头未注明单位，已按…

    `row`: the Excel row the text warned of shows on (header.header_cell, header.unit_cell).
    """
    sheet.problems.append(
        Problem(
            severity,
            rule,
            f"第{row}行「{header}」：{expected}，{fix}。",
            sheet=sheet.name,
            excel_row=row,
            column_header=header,
            expected=expected,
            fix=fix,
        )
    )
