"""Write the numbers Excel shows as percentages as shown, so they are read as the clerk sees them."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pipeline.header import _merged_origin
from pipeline.registry_columns import ColumnType

if TYPE_CHECKING:
    from pipeline.cell_formats import CellFormats
    from pipeline.grids import Grid
    from pipeline.parsed_sheet import ParsedSheet


def _write_percentages(grid: Grid, sheet: ParsedSheet, formats: CellFormats) -> bool:
    """Write a number read as percent points that Excel shows as a percentage as shown (1.05 as `105%`).

    Those are the cells `ParsedSheet.note_percent_number` kept: a bare 1 (1 % or 100 %) and a number above 1 or
    below 0 (1.05 read as 1.05 %, not the 105 % typed); say whether any was written. Formats are read only when
    there is such a cell.
    """
    cells = _percent_numbers(grid, sheet)
    if not cells:
        return False
    # A merged cell shows its range's top-left cell, in that cell's format.
    origin = _merged_origin(grid)
    shown = formats.percent_cells(grid.name, {origin.get(cell, cell) for cell in cells})
    written = [cell for cell in cells if origin.get(cell, cell) in shown]
    for r, c in written:
        grid.rows[r][c] = shown_percent(grid.rows[r][c])
    return bool(written)


def shown_percent(number: float | int) -> str:
    """Return what a percent format shows of a number, exactly, as the clerk typed it: 1.05 is `105%`."""
    exact = Decimal(format(number, ".15g")) if isinstance(number, float) else Decimal(number)
    return f"{exact.scaleb(2):f}%"


def _percent_numbers(grid: Grid, sheet: ParsedSheet) -> set[tuple[int, int]]:
    """Return the number cells read as percent points whose reading a percent format would settle."""
    # A form's rate fields are noted as read, each number of 实际完成值 by check_indicators; a （%） column here.
    columns = [b.index for b in sheet.bindings if b.column.type is ColumnType.PERCENT and b.unit == "%"]
    # A text column keeps what the clerk sees: `52%` typed into a percent-formatted 1-7月实际完成情况 is the number
    # 0.52, to be written as shown. (实际完成值 is read_against: noted as it is read against its target.)
    texts = [
        b.index
        for b in sheet.bindings
        if b.column.type is ColumnType.TEXT and not b.column.read_against and not b.ticks
    ]
    rows = grid.rows
    for record in sheet.records if columns or texts else ():
        r = record["excel_row"] - 1
        row = rows[r]
        for c in columns:
            if c < len(row):
                sheet.note_percent_number(r, c, row[c])
        for c in texts:
            if c < len(row) and row[c].__class__ in (float, int):
                sheet.percent_numbers.append((r, c))
    return set(sheet.percent_numbers)
