"""Name a form's cells and headers as its problems name them, and warn of one."""

from __future__ import annotations

from pipeline.cell_refs import column_letter
from pipeline.form_places import Place
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, cell_problem
from pipeline.text import with_months


def _where(place: Place) -> str:
    """Name a field's cell the way its problems do: `年度资金总额·执行率（G列）`."""
    return f"{place[2]}（{column_letter(place[1])}列）"


def _as_written(header: str, sheet: ParsedSheet) -> str:
    """Name a `1-N月…` header with the form's own N (`1-7月执行数`), once the form's headers gave it."""
    return with_months(header, sheet.meta.months_so_far)


def _warn_at(sheet: ParsedSheet, place: Place, *, rule: str, value: object, expected: str, fix: str) -> None:
    """Warn of a form's cell, named as its problems name it: its Excel row and `_where` it is."""
    sheet.problems.append(
        cell_problem(
            rule,
            sheet=sheet.name,
            excel_row=place[0] + 1,
            header=_where(place),
            value=value,
            expected=expected,
            fix=fix,
            severity=Severity.WARNING,
        )
    )
