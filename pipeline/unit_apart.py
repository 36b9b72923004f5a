"""Refuse a column read in the assumed unit where a `单位：` line below the table, or a cell beside it, names another."""

from __future__ import annotations

from typing import NamedTuple

from pipeline.column_units import _line_count_reading, _measure, _measures, _unit_name
from pipeline.grids import Grid
from pipeline.header_match import HeaderMatch, column_letter
from pipeline.parsed_sheet import ParsedSheet
from pipeline.registry import Registry
from pipeline.sheet_meta import read_meta
from pipeline.sheet_units import read_unit
from pipeline.values import UnitContext


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
            if isinstance(value, str) and "单位" in value and (unit := read_meta([value]).money_unit):
                return Beside(index + 1, f"{column_letter(column)}{index + 1}", unit)
    return None


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
