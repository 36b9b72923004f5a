"""Read an enum laid out as tick columns: a group header (`偏差原因分析`) over one sub-header per value, a √ under each.

The national 运行监控表 asks for 偏差原因分析 as ticks under `经费保障 | 制度保障 | 人员保障 | 硬件条件保障 | 其他`, and
some provinces lay out 完成目标可能性 the same way. Nothing here is particular to those columns: any enum column whose
header (or alias) stands over sub-headers that are its values (or their aliases) is read so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pipeline.grids import Grid
from pipeline.problems import display
from pipeline.registry_columns import Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.text import split_header, squash

# Written in a tick cell, these say the value applies (compared after width folding, case-insensitively), as does
# the column's own value (`own_word`). WPS and printed forms pair a filled box or dot with an empty one: ■ and ● are
# ticked, □, ☐ and ○ are not. A check box's linked cell holds TRUE or FALSE, which a CSV saved of it writes as text.
MARKS = frozenset({"√", "✓", "✔", "☑", "✅", "v", "y", "是", "1", "●", "■", "true"})
# And these that it does not; a blank cell says so too. Anything else is an error, never a guess: ☒ is a tick
# on a Western form and a cross (不是) on a Chinese one, so it is asked about.
UNMARKED = frozenset({"×", "✗", "否", "无", "-", "--", "—", "——", "/", "0", "□", "☐", "○", "false"})
_VARIATION_SELECTORS = dict.fromkeys(range(0xFE00, 0xFE10))
TICK_FIX = "请在符合的一列打“√”，其余留空"
SEVERAL_FIX = "请只在符合的一列打“√”，其余留空"
# A printed form may list an enum's values in one cell, a box before (or after) each for the clerk to fill or tick:
# `☑确定能 □有可能 □完全不可能`. Only symbols mark a box there, never a letter or digit (v, 1, 是) a word may hold;
# ☒ is asked about, as in a tick column.
BOX_MARKED = frozenset(m for m in MARKS if len(m) == 1 and unicodedata.category(m)[0] == "S")
BOX_EMPTY = frozenset(m for m in UNMARKED if len(m) == 1 and unicodedata.category(m)[0] == "S")
BOX_ASKED = "☒"
_BOXES = re.compile(f"([{re.escape(''.join(sorted(BOX_MARKED | BOX_EMPTY)) + BOX_ASKED)}])")
_BETWEEN_BOXES = "、,，;；。.:："

# The header as written at (row, column), merges followed to their origin; "" where there is none.
HeaderText = Callable[[int, int], str]


@dataclass(frozen=True, slots=True)
class Tick:
    """One tick column of a group: where it is, the enum value a mark in it means, its sub-header as written."""

    index: int
    value: str
    header: str


@dataclass(frozen=True, slots=True)
class TickGroup:
    """An enum column found as tick columns under its group header as written."""

    column: Column
    header: str
    ticks: tuple[Tick, ...]

    @property
    def indices(self) -> frozenset[int]:
        """Return the sheet columns of the group's ticks."""
        return frozenset(t.index for t in self.ticks)


class TickError(NamedTuple):
    """A tick group's cell (or row) that cannot be read: what the problem on it says."""

    rule: str
    header: str
    value: object
    expected: str
    fix: str


def header_groups(
    grid: Grid,
    template: Template,
    origin: dict,
    rows: tuple[int, int],
    bound: dict[str, int],
    text: HeaderText,
) -> tuple[list[TickGroup], int]:
    """Return a matched header's tick groups and its last row: one row lower if it takes in a sub-header row.

    Below a one-row header, a row holding only an enum's values under its header is that enum's sub-headers; in
    a two-row header, an enum's header in the upper row may stand over its values in the lower. `rows`: the
    header's first and last row; `bound`: the column each template column is bound at so far.
    """
    first, last = rows
    below = last + 1
    groups = _unclaimed(find_groups(grid, template, origin, last, below, text), bound)
    if groups and _only_sub_headers(grid, origin, below, groups):
        return groups, below
    if first < last:
        return _unclaimed(find_groups(grid, template, origin, first, last, text), bound), last
    return [], last


def _unclaimed(groups: list[TickGroup], bound: dict[str, int]) -> list[TickGroup]:
    """Keep the groups of columns bound nowhere else (a one-row header binds one at its group header)."""
    return [g for g in groups if bound.get(g.column.name, g.ticks[0].index) in g.indices]


def _only_sub_headers(grid: Grid, origin: dict, row: int, groups: list[TickGroup]) -> bool:
    """Say whether a row below a header holds only tick sub-headers: a data row is never taken for one."""
    taken = {index for g in groups for index in g.indices}
    return all(
        c in taken
        or origin.get((row, c), (row, c))[0] < row  # a header merged down from above
        or cell is None
        or (isinstance(cell, str) and not cell.strip())
        for c, cell in enumerate(grid.rows[row])
    )


def find_groups(
    grid: Grid, template: Template, origin: dict, group_row: int, sub_row: int, text: HeaderText
) -> list[TickGroup]:
    """Return the enum columns whose header in `group_row` stands over their values' sub-headers in `sub_row`."""
    if sub_row >= len(grid.rows):
        return []
    spans = dict(grid.merged)
    width = max(len(grid.rows[group_row]), len(grid.rows[sub_row]))
    groups, seen = [], set()
    for col in range(width):
        source = origin.get((group_row, col), (group_row, col))
        written = text(group_row, col)
        if source in seen or not written:
            continue
        seen.add(source)
        column = template.label_index.get(split_header(written)[0])
        if column is None or column.type is not ColumnType.ENUM:
            continue
        if ticks := ticks_under(grid, column, origin, source, sub_row, text, spans):
            groups.append(TickGroup(column, written, ticks))
    return groups


def ticks_under(
    grid: Grid,
    column: Column,
    origin: dict,
    source: tuple[int, int],
    sub_row: int,
    text: HeaderText,
    spans: dict | None = None,
) -> tuple[Tick, ...]:
    """Return the tick columns an enum's header written at `source` stands over in `sub_row`, or none."""
    if sub_row >= len(grid.rows):
        return ()
    columns = _extent(
        grid, origin, dict(grid.merged) if spans is None else spans, source, source[0], sub_row, text
    )
    return _ticks(column, columns, origin, sub_row, text)


def _extent(
    grid: Grid,
    origin: dict,
    spans: dict,
    source: tuple[int, int],
    group_row: int,
    sub_row: int,
    text: HeaderText,
) -> range:
    """Return the columns a group header stands over: its merge's, else itself and the blanks right of it."""
    if source in spans:
        bottom, right = spans[source]
        # Merged down over the sub-header row, the header is a column of its own with nothing beneath it.
        return range(0) if bottom >= sub_row else range(source[1], right + 1)
    # Unmerged (a CSV, a careless sheet), a group header stands over its first sub-header only: the ones to its
    # right have nothing above them.
    right = source[1]
    while (
        (group_row, right + 1) not in origin and not text(group_row, right + 1) and text(sub_row, right + 1)
    ):
        right += 1
    return range(source[1], right + 1)


def _ticks(column: Column, columns: range, origin: dict, sub_row: int, text: HeaderText) -> tuple[Tick, ...]:
    """Return a tick per column when every sub-header names a different value of the column (two at least)."""
    ticks = []
    for col in columns:
        if origin.get((sub_row, col), (sub_row, col))[0] != sub_row:
            return ()  # merged down from the group's row: a header of its own, not a value
        written = text(sub_row, col)
        value = column.enum_lookup.get(squash(written).strip("*")) if written else None
        if value is None:
            return ()
        ticks.append(Tick(col, value, written))
    if len(ticks) < 2 or len({t.value for t in ticks}) < len(ticks):
        return ()
    return tuple(ticks)


def read_ticks(
    row: Sequence[object], column: Column, header: str, ticks: tuple[Tick, ...]
) -> tuple[str | None, list[TickError]]:
    """Read a row's tick cells as the column's value: the marked sub-headers' values, or the problems found."""
    marked, errors = [], []
    width = len(row)
    for tick in ticks:
        raw = row[tick.index] if tick.index < width else None
        mark = is_mark(raw)
        if mark is None and own_word(raw, column, tick):
            mark = True
        if mark is None:
            errors.append(
                TickError(
                    rule="tick_mark",
                    header=tick.header,
                    value=raw,
                    expected=f"「{header}」下各列只能打“√”或留空，“{display(raw)}”无法识别为勾选",
                    fix=TICK_FIX,
                )
            )
        elif mark:
            marked.append(tick)
    if errors:
        return None, errors
    if not marked:
        return None, []
    if len(marked) > 1 and not column.multiple:
        names = "”“".join(t.header for t in marked)
        error = TickError(
            rule="tick_several",
            header=header,
            value="、".join(t.header for t in marked),
            expected=f"只能勾选一项，现同时勾选了“{names}”",
            fix=SEVERAL_FIX,
        )
        return None, [error]
    found = {t.value for t in marked}
    return "、".join(v for v in column.values or {} if v in found), []


def own_word(cell: object, column: Column, tick: Tick) -> bool:
    """Say whether a tick cell holds its own column's value, as some clerks write `有可能` under 有可能 for a √."""
    # Under its own sub-header the word can mean nothing but that value; under another value's it contradicts
    # the column, and stays an error.
    return isinstance(cell, str) and column.enum_lookup.get(squash(cell).strip("*")) == tick.value


def is_mark(cell: object) -> bool | None:
    """Say whether a tick cell is marked (True), unmarked (False), or holds something that is neither (None)."""
    if cell is None or isinstance(cell, bool):
        return bool(cell)  # a check box's linked cell holds TRUE or FALSE
    if isinstance(cell, int | float):
        return {1: True, 0: False}.get(cell)
    if not isinstance(cell, str):
        return None
    # `✔️` is ✔ and an invisible variation selector asking for the emoji glyph: the mark is the same.
    text = squash(cell).lower().translate(_VARIATION_SELECTORS)
    if not text or text in UNMARKED:
        return False
    return True if text in MARKS else None


def boxed_values(written: str, lookup: Mapping[str, str]) -> list[tuple[str, str]] | None:
    """Return (box, value) for each value a cell lists behind a box, or None where it is no such list.

    The boxes stand all before their values (`☑确定能 □有可能`) or all after (`确定能☑ 有可能□`); every word between
    them must be a different value (or alias) of the column, else the cell is read as an enum cell is.
    """
    parts = _BOXES.split(written.translate(_VARIATION_SELECTORS))
    if len(parts) < 3:
        return None
    words = [squash(part).strip(_BETWEEN_BOXES).strip("*") for part in parts[0::2]]
    boxes = parts[1::2]
    if not words[0] and all(words[1:]):
        named = words[1:]
    elif not words[-1] and all(words[:-1]):
        named = words[:-1]
    else:
        return None
    values = [lookup.get(word) for word in named]
    if None in values or len(set(values)) < len(values):
        return None
    if len(values) == 1 and boxes[0] in BOX_EMPTY:
        return None  # one value behind an empty box or circle (`○红灯`) is no list of choices to pick from
    return list(zip(boxes, values, strict=True))
