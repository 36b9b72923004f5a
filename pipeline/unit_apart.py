"""Refuse a column read in the assumed unit where a `单位：` line below the table, a cell beside it, or a 单位 column
no template reads, names another."""

from __future__ import annotations

from typing import NamedTuple

from pipeline.cell_refs import column_letter
from pipeline.column_units import _line_count_reading, _measure, _measures, _unit_name
from pipeline.grids import Grid
from pipeline.header_match import Binding, HeaderMatch
from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry import Registry
from pipeline.row_kinds import filled_width
from pipeline.sheet_meta import read_meta
from pipeline.sheet_units import read_unit
from pipeline.text import UNIT_LABELS, squash
from pipeline.values import UnitContext
from pipeline.written_units import column_unit


class Beside(NamedTuple):
    """A `单位：` cell to the right of the table's rows: its Excel row, its cell (`H4`) and the unit it names."""

    excel_row: int
    cell: str
    unit: str


def unit_beside(grid: Grid, match: HeaderMatch, footer_row: int) -> Beside | None:
    """Return the first `单位：` cell right of the table's last column, on a row of the table (above `footer_row`, the
    first footer line's Excel row, 0 for none)."""
    last = max(b.index for b in match.bindings)
    end = footer_row - 1 if footer_row else len(grid.rows)
    for index in range(match.last_row + 1, end):
        for column, value in enumerate(grid.rows[index][last + 1 :], start=last + 1):
            if unit := _unit_line(value):
                return Beside(index + 1, f"{column_letter(column)}{index + 1}", unit)
    return None


def _unit_line(value: object) -> str | None:
    """Return the unit a cell writes as a `单位：` line (`单位：元`), else None."""
    return read_meta([value]).money_unit if isinstance(value, str) and "单位" in value else None


def wider_by_unit_only(row: list[object], width: int) -> bool:
    """Say whether a CSV row is wider than its header only by one `单位：` cell right of the table (`unit_beside`).

    Its fields are where the header says: told as a workbook's is (`unit_beside_table` where a column was read in
    another unit), not as a row whose fields moved (`csv_fields`, blaming a thousands comma nobody wrote).
    """
    beyond = row[width : width + filled_width(row[width:])]
    return bool(beyond) and filled_width(beyond[:-1]) == 0 and _unit_line(beyond[-1]) is not None


def error_unit_below(
    sheet: ParsedSheet,
    match: HeaderMatch,
    registry: Registry,
    contexts: dict[str, UnitContext],
    row: int,
    beside: Beside | None = None,
) -> None:
    """Refuse each amount, area or count read in the assumed unit where a `单位：` line below the table names another
    (`填表人：… 单位：元` as the footer), or a cell right of its rows does (`beside`): the sheet says 元, the column was
    read as 万元, ten thousand times each figure; `单位：万户` under a bare 惠及户数 read 3 as 3 households."""
    written, measures = beside.unit if beside else sheet.meta.money_unit, _measures(match)
    where = f"表格右侧（{beside.cell}单元格）" if beside else "表格下方"
    for binding in match.bindings:
        measure = _measure(binding)
        if measure is None or binding.unit:
            continue
        reading = (
            _line_count_reading(binding, written, registry, measures)[0]
            if measure == "count"
            else read_unit(measure, None, written, registry, measures)
        )
        if reading is None or reading.issue or reading.context.factor == contexts[binding.column.name].factor:
            continue
        base = _unit_name(binding, measure, registry)
        sheet.error(
            rule="unit_beside_table" if beside else "unit_below_table",
            excel_row=row,
            header=binding.header,
            value=f"单位：{written}",
            expected=f"单位写在{where}，未用于读取本列，本列已按{base}读取（只读表头和表格上方“单位：”一行中的单位）",
            fix=f"请把“单位：{written}”移到表格上方，或在表头注明单位，"
            f"如「{binding.column.header}（{_unit_name(binding, measure, registry, reading.context)}）」",
        )


def error_unit_columns(
    sheet: ParsedSheet, grid: Grid, match: HeaderMatch, registry: Registry, contexts: dict[str, UnitContext]
) -> None:
    """Refuse a column whose header names no unit where a 单位 column right of it, which no template reads, names
    another on a row (`改造面积 | 单位` over `2.4 | 万㎡`): the figure was read in the assumed unit, 2.4 平方米."""
    bound = {b.index: b for b in match.bindings}
    for column in _unit_columns(grid, match, bound):
        binding = bound[max(i for i in bound if i < column)]
        measure = _measure(binding)
        if measure is None or binding.unit:
            continue
        context = contexts[binding.column.name]
        for record in sheet.records:
            row = grid.rows[record["excel_row"] - 1]
            written = row[column].strip() if column < len(row) and isinstance(row[column], str) else ""
            found = registry.units.find(column_unit(written, measure, registry.units)) if written else None
            if record.get(binding.column.name) is None or found is None or found[0] != measure:
                continue
            if found[1] != context.factor:
                read_in = _unit_name(binding, measure, registry, context)
                _error_unit_column(sheet, binding, read_in, record["excel_row"], column, written)
                break  # told once, at the first row read in another unit than its own


def _unit_columns(grid: Grid, match: HeaderMatch, bound: dict) -> list[int]:
    """Return the columns headed 单位 or 计量单位 that no template column is bound to, each right of a bound one."""
    first = min(bound)
    found = []
    for r in range(match.first_row, match.last_row + 1):
        for c, value in enumerate(grid.rows[r]):
            if c > first and c not in bound and isinstance(value, str) and squash(value) in UNIT_LABELS:
                found.append(c)
    return sorted(set(found))


def _error_unit_column(
    sheet: ParsedSheet, binding: Binding, read_in: str, row: int, column: int, written: str
) -> None:
    """Refuse a column read in one unit (`read_in`) where the 单位 column beside it names another at Excel row `row`."""
    label = binding.column.header
    sheet.error(
        rule="unit_column",
        excel_row=row,
        header=binding.header,
        value=written,
        expected=f"{column_letter(column)}{row}单元格“单位”列写的“{written}”未用于读取本列，本列已按{read_in}读取"
        "（只读表头和表格上方“单位：”一行中的单位）",
        fix=f"请删去“单位”列，在表头注明本列的单位，如「{label}（{written}）」，且本列各行按同一单位填写",
    )
