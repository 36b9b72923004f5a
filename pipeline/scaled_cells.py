"""Refuse an amount Excel shows scaled (15700000 shown as `1570.0000`): the cell holds one number, the clerk sees another.

Money only: the trick shows 元 as 万元. An area shown as 万㎡ the same way is not looked for.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pipeline.problems import display
from pipeline.registry_columns import ColumnType

if TYPE_CHECKING:
    from pipeline.cell_formats import CellFormats
    from pipeline.grids import Grid
    from pipeline.parsed_sheet import ParsedSheet

# The smallest amount whose format is read: 10000 元 shown as 万元 is `1.0000`; 万元 amounts that large (a row of
# 1亿元) are few. Of the 2,000 files of `bench.run --n 2000`, 384 then read their styles, 0.07 ms each.
_SCALED_FROM = 10_000


def _error_scaled_amounts(grid: Grid, sheet: ParsedSheet, formats: CellFormats) -> None:
    """Refuse each amount whose number format shows it moved (`0!.0000`: 元 shown as 万元), naming both readings.

    Read as its number, 15700000 under 金额（万元） is 1570万元 times ten thousand; read as shown, it would take the
    format for the unit. Only the clerk can say which they meant.
    """
    columns = [b for b in sheet.bindings if b.column.type is ColumnType.MONEY and not b.ticks]
    rows = grid.rows
    cells = {}
    for record in sheet.records if columns else ():
        r = record["excel_row"] - 1
        row = rows[r]
        for binding in columns:
            c = binding.index
            if c < len(row) and row[c].__class__ in (float, int) and abs(row[c]) >= _SCALED_FROM:
                cells[(r, c)] = binding
    for (r, c), (places, code) in sorted(formats.scaled_cells(grid.name, cells).items()):
        number = rows[r][c]
        exact = Decimal(format(number, ".15g")) if isinstance(number, float) else Decimal(number)
        shown = display(exact.scaleb(-places))
        sheet.error(
            rule="scaled_format",
            excel_row=r + 1,
            header=cells[(r, c)].header,
            value=number,
            expected=f"单元格中的数值是{display(exact)}，按其数字格式“{code}”显示为{shown}，所见与所填相差{10**places}倍",
            fix=f"请把该单元格改为要填报的数值本身（如所见的{shown}），并把数字格式改为常规后重新报送",
        )
