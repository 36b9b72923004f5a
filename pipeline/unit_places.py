"""Name where a column's unit was written, by its cell: the header's, or the `单位：` line's above the table."""

from __future__ import annotations

from pipeline.grids import Grid
from pipeline.header_match import column_letter


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
