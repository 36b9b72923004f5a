"""Problems found in a submission, worded for the clerk who has to fix them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: where it is (sheet, Excel row, header as written), what was found and how to fix it."""

    severity: Severity
    rule: str
    message_zh: str
    sheet: str | None = None
    excel_row: int | None = None
    column_header: str | None = None
    value: str | None = None
    expected: str | None = None
    fix: str | None = None


def describe_cell(
    excel_row: int | None, header: str | None, value: str | None, expected: str, fix: str
) -> str:
    """Word a cell problem the way a clerk reads it: 第7行「惠及户数（户）」填写为“约200”，应为…，请…。"""
    where = f"第{excel_row}行" if excel_row else ""
    if header:
        where += f"「{header}」"
    found = "未填写" if value in (None, "") else f"填写为“{value}”"
    return f"{where}{found}，{expected}，{fix}。"


def cell_problem(
    rule: str,
    *,
    sheet: str | None,
    excel_row: int | None,
    header: str | None,
    value: object,
    expected: str,
    fix: str,
    severity: Severity = Severity.ERROR,
) -> Problem:
    """Build the problem for one cell, with its Chinese message."""
    shown = None if value is None else display(value)
    return Problem(
        severity=severity,
        rule=rule,
        message_zh=describe_cell(excel_row, header, shown, expected, fix),
        sheet=sheet,
        excel_row=excel_row,
        column_header=header,
        value=shown,
        expected=expected,
        fix=fix,
    )


def display(value: object) -> str:
    """Show a cell value as the clerk typed it."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()
