"""Tell the clerk of a `单位：` line that writes a price (`元/平方米`): no unit of the sheet's amounts, areas or counts."""

from __future__ import annotations

from pipeline.grids import Grid
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity, cell_problem
from pipeline.registry import Registry
from pipeline.sheet_units import line_prices, price_parts
from pipeline.unit_places import line_cell

RULE = "unit_price"


def error_price_line(
    sheet: ParsedSheet,
    grid: Grid,
    registry: Registry,
    header: str,
    label: str,
    price: str,
    what: str,
    base: str,
) -> None:
    """Refuse a column whose header names no unit under a `单位：` line naming its unit only in a price: `单位：元/平方米`
    over a bare 计划投资 is read neither as 元 nor, the line passed over, as 万元: either may be ten thousand times off.

    `header`: the column's header as written; `label`: as the registry names it; `what`: 金额, 面积; `base`: its base unit.
    """
    row = sheet.meta.rows["money_unit"]
    cell, text = line_cell(grid, row)
    sheet.error(
        rule=RULE,
        excel_row=row,
        header=header,
        value=text or f"单位：{sheet.meta.money_unit}",
        expected=(
            f"表上方{cell}写的“{_spelled(price, registry)}”是单价的单位，不是本列{what}的单位，"
            f"本表也没有单价列，无法确定本列{what}按哪种单位读取"
        ),
        fix=f"请在表头注明本列的单位，如「{label}（{base}）」；如该行不是本表数值的单位，请删去该行",
    )


def warn_price_unused(sheet: ParsedSheet, grid: Grid, registry: Registry) -> None:
    """Warn where a `单位：` line writes a price no column was read by (every column naming its own unit, or the line
    another): it says something of the sheet nobody could read, perhaps that its amounts are in 元."""
    line = sheet.meta.money_unit
    prices = line_prices(line, registry) if line else []
    if not prices or any(p.rule == RULE for p in sheet.problems):
        return
    row = sheet.meta.rows["money_unit"]
    cell, text = line_cell(grid, row)
    said = "、".join(f"“{_spelled(price, registry)}”" for price in prices)
    expected = f"表上方{cell}写的{said}是单价的单位，本表没有单价列，未按其读取任何一列"
    fix = "请核对各列的单位；它不是本表数值的单位的，请删去"
    sheet.problems.append(
        cell_problem(
            RULE,
            sheet=sheet.name,
            excel_row=row,
            header=None,
            value=text or f"单位：{line}",
            expected=expected,
            fix=fix,
            severity=Severity.WARNING,
        )
    )


def _spelled(price: str, registry: Registry) -> str:
    """Spell a price as a clerk reads it: `元/m2`, folded from `元／㎡`, is 元/平方米; a count's word stays (`万元/户`)."""
    unit, per = price_parts(price, registry)
    found = registry.units.find(per)
    return f"{unit}/{found[2] if found is not None and found[0] != 'count' else per}"
