"""Name where a column's unit was written, by its cell: the header's, or the `单位：` line's above the table."""

from __future__ import annotations

from pipeline.cell_refs import column_letter
from pipeline.grids import Grid
from pipeline.header import _merged_origin
from pipeline.header_cells import unit_cell
from pipeline.header_match import Binding, HeaderMatch, header_text
from pipeline.sheet_meta import SheetMeta


def line_cell(grid: Grid, row: int) -> tuple[str, str]:
    """Return where the `单位：` line at Excel row `row` is written (`A2单元格`, or `该行` where no cell holds it) and its
    cell's text as written (`单位:元／㎡`, not folded)."""
    cells = grid.rows[row - 1] if 0 < row <= len(grid.rows) else []
    written = [(c, v.strip()) for c, v in enumerate(cells) if isinstance(v, str) and v.strip()]
    # The line's cell is the one writing 单位 (a title or 填报单位 may sit beside it); else the row's first written.
    found = next(((c, t) for c, t in written if "单位" in t.replace("填报单位", "")), None) or next(
        iter(written), None
    )
    return ("该行", "") if found is None else (f"{column_letter(found[0])}{row}单元格", found[1])


def unit_places(grid: Grid, match: HeaderMatch, meta: SheetMeta, named: set[str]) -> dict[str, str]:
    """Return where the unit of each column of `named` (those read in a unit they state) was written, by column
    name: its header's cell naming it (表头C3单元格「计划投资（万元）」), else the `单位：` line's (表上方A2单元格“单位：万元”).

    A figure written in another unit (`5000元` under 万元) is asked of by it: the clerk is to correct one of the two,
    and must know which cell said the column's.
    """
    origin = _merged_origin(grid, match.last_row + 1)
    places = {}
    for binding in match.bindings:
        if binding.column.name in named:
            places[binding.column.name] = _place(grid, match, binding, meta, origin)
    return places


def _place(grid: Grid, match: HeaderMatch, binding: Binding, meta: SheetMeta, origin: dict) -> str:
    if binding.unit is not None or "money_unit" not in meta.rows:
        r, c = unit_cell(grid, match, binding, origin)
        text = header_text(grid.rows[r][c]) if c < len(grid.rows[r]) else binding.header
        return f"表头{column_letter(c)}{r + 1}单元格「{text}」"
    cell, text = line_cell(grid, meta.rows["money_unit"])
    return f"表上方{cell}“{text or '单位：' + (meta.money_unit or '')}”"
