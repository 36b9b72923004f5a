"""Find a sheet's header row(s) and bind its cells to a template's columns."""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pipeline.reader import Grid
from pipeline.registry import Registry
from pipeline.registry_columns import Column
from pipeline.registry_templates import Template
from pipeline.text import months_so_far, split_header, with_months
from pipeline.ticks import Tick, header_groups

# The national forms put their indicator table near row 13, under a title, fund and goal blocks.
HEADER_SEARCH_ROWS = 30
# Sub-headers that split a group header's amount into its total and parts: `计划投资（万元）` over `合计 | 其中：中央补助`.
# The total is the group's own column; a part is a column of its own that no template names. Narrower than a 合计
# row's words: `累计` under `完成投资` is a column of its own (自年初累计完成投资), not the group's total.
_GROUP_TOTAL = re.compile(r"^(合计|小计|总计|合计数|总计数)$")
_GROUP_PART = re.compile(r"^其中[:：]?")


def _splits_group(sub: str) -> bool:
    """Say whether a sub-header is the total or a part (`其中：…`) of the group header above it."""
    label = split_header(sub)[0]
    return bool(_GROUP_TOTAL.match(label) or _GROUP_PART.match(label))


def column_letter(index: int) -> str:
    """Return the Excel column letter for a zero-based column index (0 → A)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LINE_BREAK = re.compile(r"\s*\n\s*")


def header_text(cell: object) -> str:
    """Return a header cell's text as written, with line breaks inside the cell removed."""
    return _header_text(cell) if isinstance(cell, str) else ""


@functools.lru_cache(maxsize=65536)
def _header_text(cell: str) -> str:
    # Offices write the same header cells in every file: each distinct text is cleaned once.
    return _LINE_BREAK.sub("", cell).strip()


@dataclass(frozen=True, slots=True)
class Binding:
    """A template column found in a sheet: where, under which header as written, in which unit.

    An enum laid out as tick columns (`偏差原因分析` over `经费保障 | 制度保障 | …`) is bound at its first tick column,
    under its group header, with `ticks` naming each tick column.
    """

    column: Column
    index: int
    header: str
    unit: str | None
    ticks: tuple[Tick, ...] = ()

    @property
    def letter(self) -> str:
        if self.ticks:
            return f"{column_letter(self.ticks[0].index)}:{column_letter(self.ticks[-1].index)}"
        return column_letter(self.index)

    @property
    def indices(self) -> tuple[int, ...]:
        """Return the sheet columns this binding reads."""
        return tuple(t.index for t in self.ticks) or (self.index,)


@dataclass(slots=True)
class HeaderMatch:
    template: Template
    first_row: int
    last_row: int
    bindings: list[Binding]
    # A column whose header names a bound column again (`实际完成值` in F and in J): (that binding, this column's
    # index, its header as written). header_checks compares their cells: two columns that differ ask the clerk.
    repeats: list[tuple[Binding, int, str]] = field(default_factory=list)
    # The header as written over each column (two rows joined), as the template was matched against it.
    headers: list[str] = field(default_factory=list)

    @property
    def score(self) -> tuple[int, int, int, int]:
        required = sum(b.column.required for b in self.bindings)
        # More columns matched wins; then a one-row header over a two-row one; then the earlier row.
        return (len(self.bindings), required, -(self.last_row - self.first_row), -self.first_row)

    @property
    def missing_required(self) -> list[Column]:
        found = {b.column.name for b in self.bindings}
        return [c for c in self.template.required if c.name not in found]


def _merged_origin(grid: Grid, rows: int | None = None) -> dict[tuple[int, int], tuple[int, int]]:
    """Map each cell of a merged range to the range's top-left cell; only the first `rows` rows if given."""
    origin = {}
    for (top, left), (bottom, right) in grid.merged:
        if rows is not None:
            if top >= rows:
                continue
            bottom = min(bottom, rows - 1)
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                origin[(r, c)] = (top, left)
    return origin


def _header_cells(grid: Grid, first: int, last: int, origin: dict) -> tuple[list[str], int]:
    """Return each column's header as written (the lower row of a two-row header winning) and the top row used."""
    rows = grid.rows
    width = max(len(rows[r]) for r in range(first, last + 1))
    headers, top = [], last
    for col in range(width):
        text = ""
        for row in range(last, first - 1, -1):
            source_row, source_col = origin.get((row, col), (row, col)) if origin else (row, col)
            # A group header merged across sub-headers counts only as a fallback for its own columns.
            cells = rows[source_row] if source_row < len(rows) else ()
            cell = cells[source_col] if source_col < len(cells) else None
            text = _header_text(cell) if isinstance(cell, str) else ""
            if text:
                top = min(top, source_row)
                break
        headers.append(text)
    return headers, top


def _bind(template: Template, split: Iterable[tuple[str, str, str | None]]) -> list[Binding]:
    bindings: dict[str, Binding] = {}
    for index, (written, label, unit) in enumerate(split):
        column = template.label_index.get(label)
        if column is not None and column.name not in bindings:
            bindings[column.name] = Binding(column, index, written, unit)
    return list(bindings.values())


@dataclass(frozen=True, slots=True)
class _Fit:
    """How one template fits one header row as written: its bindings and whether they could be its header."""

    template: Template
    bindings: tuple[Binding, ...]
    plausible: bool  # enough required columns to tell templates apart, and two columns at least


def _fit(template: Template, split: tuple[tuple[str, str, str | None], ...], labels: set[str]) -> _Fit:
    if labels.isdisjoint(template.label_index):  # most rows scanned for a header are data or titles
        return _Fit(template, (), False)
    bindings = tuple(_bind(template, split))
    found = {b.column.name for b in bindings}
    required = template.required
    required_found = sum(c.name in found for c in required)
    # Enough to tell templates apart, while still matching a sheet that lacks a required column.
    plausible = required_found >= max(1, math.ceil(len(required) / 2)) and len(bindings) >= 2
    return _Fit(template, bindings, plausible)


class _Matcher:
    """What matching header rows to one registry's templates remembers from sheet to sheet in a process.

    Offices send the same headers in file after file, so a row of headers is bound to the templates once per
    process, not once per sheet. And most rows scanned for a header are titles or data: a cell's text is looked
    up once among every template's labels, so a row naming fewer than two labels is passed over unbuilt.
    """

    KEPT = 50_000

    def __init__(self, registry: Registry):
        self.registry = registry
        self.labels = frozenset(label for t in registry.templates.values() for label in t.label_index)
        self.fits: dict[tuple[str, ...], tuple[_Fit, ...]] = {}
        self.known: dict[str, bool] = {}

    def fits_of(self, headers: tuple[str, ...]) -> tuple[_Fit, ...]:
        fits = self.fits.get(headers)
        if fits is None:
            if len(self.fits) >= self.KEPT:
                self.fits.clear()
            split = tuple(
                (written, *split_header(written)) for written in headers
            )  # once per row, not per template
            labels = {label for _, label, _ in split}
            fits = self.fits[headers] = tuple(
                _fit(t, split, labels) for t in self.registry.templates.values()
            )
        return fits

    def is_label(self, cell: str) -> bool:
        """Say whether a cell's text, as a header, is the label of some template's column."""
        known = self.known.get(cell)
        if known is None:
            # Not through their caches: data rows' texts would push the real headers out of them.
            text = _header_text.__wrapped__(cell)
            known = bool(text) and split_header.__wrapped__(text)[0] in self.labels
            if len(cell) <= 64:  # a paragraph is seldom seen twice and would only hold memory
                if len(self.known) >= 4 * self.KEPT:
                    self.known.clear()
                self.known[cell] = known
        return known

    def label_columns(self, grid: Grid, row: int, merged: list[tuple[int, tuple[int, int]]]) -> set[int]:
        """Return the columns whose header text in `row` is a label; `merged`: its merged cells' origins."""
        rows = grid.rows
        found = {c for c, cell in enumerate(rows[row]) if isinstance(cell, str) and self.is_label(cell)}
        for c, (source_row, source_col) in merged:
            cells = rows[source_row] if source_row < len(rows) else ()
            cell = cells[source_col] if source_col < len(cells) else None
            if isinstance(cell, str) and self.is_label(cell):
                found.add(c)
            else:
                found.discard(c)
        return found


_MATCHERS: dict[int, _Matcher] = {}
# A process loading the registry anew for each task keeps the matchers of the last few only.
_MATCHERS_KEPT = 4


def _matcher(registry: Registry) -> _Matcher:
    matcher = _MATCHERS.get(id(registry))
    if matcher is None or matcher.registry is not registry:
        if len(_MATCHERS) >= _MATCHERS_KEPT:
            _MATCHERS.pop(next(iter(_MATCHERS)))
        matcher = _MATCHERS[id(registry)] = _Matcher(registry)
    return matcher


def find_header(grid: Grid, registry: Registry) -> HeaderMatch | None:
    """Find the template and header rows (one or two, within the first thirty rows) that fit a sheet best."""
    matcher = _matcher(registry)
    rows = len(grid.rows)
    scanned = min(HEADER_SEARCH_ROWS + 1, rows)  # a two-row header may end one row below the last row scanned
    origin = _merged_origin(grid, scanned)
    # A header names two columns at least (see _fit), so a row pair holding fewer labels is never built.
    every_cell = "" in matcher.labels  # an empty label would make every cell one: nothing can be ruled out
    merged_in: dict[int, list[tuple[int, tuple[int, int]]]] = defaultdict(list)
    for (r, c), source in origin.items():
        merged_in[r].append((c, source))
    labelled = [set() if every_cell else matcher.label_columns(grid, r, merged_in[r]) for r in range(scanned)]
    text = _text_at(grid, origin)

    # A cell merged across columns over cells of their own naming columns (`1-7月执行情况` over `1-7月实际完成情况 |
    # 全年预计完成情况`) is a group header: a header ending on its row would name a column it only groups.
    groups: dict[int, set[int]] = defaultdict(set)
    for (top, left), (_, right) in grid.merged:
        if right > left and top + 1 < scanned:
            below = top + 1
            own = {c for c in labelled[below] if origin.get((below, c), (below, c))[0] == below}
            # A total or part (`合计 | 其中：…`) is a sub-header too, though no template names it.
            split = {
                c
                for c in range(left, right + 1)
                if (below, c) not in origin and _splits_group(text(below, c))
            }
            own |= split
            if not own.isdisjoint(range(left, right + 1)):
                groups[top].update(range(left, right + 1))

    def may_name_columns(first: int, last: int) -> bool:
        return every_cell or len(labelled[first] | labelled[last]) >= 2

    cells: dict[tuple[int, int], tuple[list[str], int]] = {}

    def header_cells(first: int, last: int) -> tuple[list[str], int]:
        if (first, last) not in cells:
            headers, top = _header_cells(grid, first, last, origin)
            if groups.get(last):  # a header ending on a group header's row: its sub-headers are cut off
                headers = ["" if c in groups[last] else h for c, h in enumerate(headers)]
            cells[(first, last)] = headers, top
        return cells[(first, last)]

    best: HeaderMatch | None = None
    best_headers: list[str] = []
    best_score: tuple[int, int, int, int] | None = None
    for first in range(min(HEADER_SEARCH_ROWS, rows)):
        for last in (first, first + 1):
            if last >= rows or not may_name_columns(first, last):
                continue
            headers, top = header_cells(first, last)
            below_fits = matcher.fits_of(tuple(header_cells(last, last)[0])) if last != first else ()
            # Sub-headers read with a group header need a cell merged across them on the upper row.
            composed = _composed(grid, first, last, origin, headers) if merged_in[first] else ()
            for written in (headers, *composed):
                for number, fit in enumerate(matcher.fits_of(tuple(written))):
                    if last != first and len(fit.bindings) <= len(below_fits[number].bindings):
                        continue  # the upper row names no column: at best a one-row header on the lower row
                    if not fit.plausible:
                        continue
                    required = sum(b.column.required for b in fit.bindings)
                    # More columns matched wins; then a one-row header over a two-row one; then the earlier row.
                    score = (len(fit.bindings), required, -(last - top), -top)
                    if best_score is None or score > best_score:
                        best, best_score = HeaderMatch(fit.template, top, last, list(fit.bindings)), score
                        best_headers = written
    if best is not None and best.first_row < best.last_row:
        best.bindings = [_with_group_unit(grid, best, b, origin) for b in best.bindings]
    if best is not None:
        _bind_tick_groups(grid, best, origin)
        _take_units_row(grid, best, registry)
        best.headers = best_headers
        best.repeats = _repeats(best, best_headers)
    return best


def _composed(grid: Grid, first: int, last: int, origin: dict, headers: list[str]) -> list[list[str]]:
    """Return a two-row header's sub-headers read with their group header, after and before it: `完成投资（万元）` over
    `本月 | 自年初累计` names 本月完成投资 and 自年初累计完成投资; none where no group stands over a sub-header."""
    if first == last:
        return []
    text = _text_at(grid, origin)
    after, before = list(headers), list(headers)
    for col, sub in enumerate(headers):
        source = origin.get((first, col))
        group = text(first, col) if source is not None and source[0] == first else ""
        if not sub or not group or group == sub:
            continue
        (group_label, group_unit), (sub_label, sub_unit) = split_header(group), split_header(sub)
        # `1-7月` over `执行数 | 执行率`: the group's N is what the form covers, not to be folded away unread.
        group_label = with_months(group_label, months_so_far(group))
        unit = f"（{sub_unit or group_unit}）" if sub_unit or group_unit else ""
        if _GROUP_TOTAL.match(sub_label):  # the group's total is the group's column
            after[col] = before[col] = group_label + unit
            continue
        after[col], before[col] = sub_label + group_label + unit, group_label + sub_label + unit
    return [] if after == headers else [after, before]


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
    cell = _group_cell(grid, match, binding.index, origin)
    group = _text_at(grid, origin)(*cell) if cell is not None else ""
    unit = split_header(group)[1] if group and group != binding.header else None
    return Binding(binding.column, binding.index, binding.header, unit) if unit else binding


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
