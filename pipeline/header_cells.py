"""Complete a header once found (a row of units, group units, tick groups, repeats) and locate its cells."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.grids import Grid
from pipeline.header_match import Binding, HeaderMatch, header_text
from pipeline.registry import Registry
from pipeline.text import split_header
from pipeline.ticks import header_groups

# What a row of units may be labelled in a cell of its own, in the 序号 column mostly.
_UNITS_ROW_LABELS = frozenset({"单位", "计量单位"})


def _take_units_row(grid: Grid, match: HeaderMatch, registry: Registry) -> None:
    """Take a row of units alone under the header (`（万平方米） | （户） | （万元）`, or two or more without brackets:
    `万平方米 | 户 | 万元`) as the header's units."""
    below = match.last_row + 1
    if below >= len(grid.rows):
        return
    units, bare = {}, 0
    for index, cell in enumerate(grid.rows[below]):
        text = header_text(cell) if isinstance(cell, str) else ("" if cell is None else None)
        if text is None:
            return  # a number: a data row
        if text:
            label, unit = split_header(text)
            if not unit and label in _UNITS_ROW_LABELS:
                continue  # the row's own label (`单位 | | 万平方米 | 户 | 万元`): read as data, each unit was no number
            if label and not unit and registry.units.find(label) is not None:
                label, unit, bare = "", label, bare + 1
            if label or not unit:
                return
            units[index] = unit
    if not units or 0 < bare < 2:  # one bare word alone may be a row's only value, not a row of units
        return
    match.bindings = [
        Binding(b.column, b.index, f"{b.header}（{units[b.index]}）", units[b.index], b.ticks)
        if b.unit is None and b.index in units
        else b
        for b in match.bindings
    ]
    match.last_row = below


def _repeats(match: HeaderMatch, headers: list[str]) -> list[tuple[Binding, int, str]]:
    """Return the columns whose header names a column bound elsewhere in the same header."""
    by_name = {b.column.name: b for b in match.bindings}
    read = {index for b in match.bindings for index in b.indices}
    repeats = []
    for index, written in enumerate(headers):
        if index in read or not written:
            continue
        column = match.template.label_index.get(split_header(written)[0])
        if column is not None and column.name in by_name:
            repeats.append((by_name[column.name], index, written))
    return repeats


def _text_at(grid: Grid, origin: dict) -> Callable[[int, int], str]:
    """Return a reader of the header as written at (row, column), merges followed to their origin."""

    def text(row: int, col: int) -> str:
        row, col = origin.get((row, col), (row, col))
        cells = grid.rows[row] if row < len(grid.rows) else ()
        return header_text(cells[col] if col < len(cells) else None)

    return text


def _bind_tick_groups(grid: Grid, match: HeaderMatch, origin: dict) -> None:
    """Bind each enum column laid out as tick columns in place of its one-column binding, if any."""
    bound = {b.column.name: b.index for b in match.bindings}
    rows = (match.first_row, match.last_row)
    groups, match.last_row = header_groups(grid, match.template, origin, rows, bound, _text_at(grid, origin))
    if not groups:
        return
    taken = {index for g in groups for index in g.indices}
    names = {g.column.name for g in groups}
    kept = [b for b in match.bindings if b.column.name not in names and b.index not in taken]
    ticked = [Binding(g.column, g.ticks[0].index, g.header, None, g.ticks) for g in groups]
    match.bindings = sorted(kept + ticked, key=lambda b: b.index)


def _with_group_unit(grid: Grid, match: HeaderMatch, binding: Binding, origin: dict) -> Binding:
    """Give a sub-header that names no unit the unit of the group header above it (`完成投资（万元）`)."""
    if binding.unit is not None:
        return binding
    unit = split_header(group_header(grid, match, binding, origin))[1]
    return Binding(binding.column, binding.index, binding.header, unit) if unit else binding


def group_header(grid: Grid, match: HeaderMatch, binding: Binding, origin: dict) -> str:
    """Return the group header written over a column (`完成投资（万元）` over `本月`); '' where none is."""
    cell = _group_cell(grid, match, binding.index, origin)
    group = _text_at(grid, origin)(*cell) if cell is not None else ""
    return group if group != binding.header else ""


def _group_cell(grid: Grid, match: HeaderMatch, index: int, origin: dict) -> tuple[int, int] | None:
    """Return the cell on the header's first row a column's group header is read from, if it may have one."""
    top, text = match.first_row, _text_at(grid, origin)
    col = index
    # Unmerged (a CSV, a careless sheet), a group header stands over its first sub-header only: the ones to its
    # right have nothing above them. A header over nothing is a column of its own, not a group.
    while col > 0 and not text(top, col) and (top, col) not in origin:
        col -= 1
        if text(top, col) and not text(match.last_row, col):
            return None
    return top, col


def header_cell(
    grid: Grid, match: HeaderMatch, index: int, origin: dict, holds: Callable[[str], bool] = bool
) -> tuple[int, int]:
    """Return the cell (zero-based row and column) a column's header shows in, as Excel shows it: the lowest of
    the header's rows whose text `holds` (any text), a merged cell at its top-left; else the header's last row.

    A header merged down over both header rows shows on the first, a group header on its own row: a receipt naming
    the header's last row sends the clerk to a cell that says nothing of it.
    """
    return _holding(grid, match, index, origin, holds) or (match.last_row, index)


def unit_cell(grid: Grid, match: HeaderMatch, binding: Binding, origin: dict) -> tuple[int, int]:
    """Return the cell (zero-based row and column) a column's unit is written in: the lowest of its header cells
    naming it (a row of units, its sub-header, a group header merged over it), else the group header over it."""
    if binding.unit is None:
        return header_cell(grid, match, binding.index, origin)
    found = _holding(grid, match, binding.index, origin, lambda text: binding.unit in split_header(text))
    if found is None and (group := _group_cell(grid, match, binding.index, origin)) is not None:
        found = origin.get(group, group)  # unmerged, over its first sub-header only
    return found or header_cell(grid, match, binding.index, origin)


def _holding(
    grid: Grid, match: HeaderMatch, index: int, origin: dict, holds: Callable[[str], bool]
) -> tuple[int, int] | None:
    for row in range(match.last_row, match.first_row - 1, -1):
        r, c = origin.get((row, index), (row, index))
        cells = grid.rows[r] if r < len(grid.rows) else ()
        text = header_text(cells[c]) if c < len(cells) else ""
        if text and holds(text):
            return r, c
    return None
