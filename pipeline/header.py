"""Find a sheet's header row(s) and bind its cells to a template's columns."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.grids import Grid
from pipeline.header_cells import _bind_tick_groups, _repeats, _take_units_row, _text_at, _with_group_unit
from pipeline.header_match import Binding, HeaderMatch, _header_text
from pipeline.registry import Registry
from pipeline.registry_templates import Template
from pipeline.text import months_so_far, split_header, with_months

# The national forms put their indicator table near row 13, under a title, fund and goal blocks.
HEADER_SEARCH_ROWS = 30
# How far down a sheet with no header in its first thirty rows is looked at again, only to tell the clerk where
# the header stands: a sheet of long instructions above the table is otherwise told to use the template.
DEEP_SEARCH_ROWS = 200
# Sub-headers that split a group header's amount into its total and parts: `计划投资（万元）` over `合计 | 其中：中央补助`.
# The total is the group's own column; a part is a column of its own that no template names. Narrower than a 合计
# row's words: `累计` under `完成投资` is a column of its own (自年初累计完成投资), not the group's total.
_GROUP_TOTAL = re.compile(r"^(合计|小计|总计|合计数|总计数)$")
_GROUP_PART = re.compile(r"^其中[:：]?")


def _splits_group(sub: str) -> bool:
    """Say whether a sub-header is the total or a part (`其中：…`) of the group header above it."""
    label = split_header(sub)[0]
    return bool(_GROUP_TOTAL.match(label) or _GROUP_PART.match(label))


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
        known, is_label = self.known, self.is_label  # a text seen before is answered without a call
        found = {
            c
            for c, cell in enumerate(rows[row])
            if isinstance(cell, str) and (known[cell] if cell in known else is_label(cell))
        }
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


def find_header(grid: Grid, registry: Registry, search_rows: int = HEADER_SEARCH_ROWS) -> HeaderMatch | None:
    """Find the template and header rows (one or two, within the first thirty rows) that fit a sheet best."""
    matcher = _matcher(registry)
    rows = len(grid.rows)
    scanned = min(search_rows + 1, rows)  # a two-row header may end one row below the last row scanned
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
    # Another template fitting the best header as well: which is meant, none can say.
    tied: Template | None = None
    for first in range(min(search_rows, rows)):
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
                        best_headers, tied = written, None
                    elif score == best_score and fit.template is not best.template:
                        tied = fit.template
    if best is not None and best.first_row < best.last_row:
        best.bindings = [_with_group_unit(grid, best, b, origin) for b in best.bindings]
    if best is not None:
        _bind_tick_groups(grid, best, origin)
        _take_units_row(grid, best, registry)
        best.headers, best.tied = best_headers, tied
        best.repeats = _repeats(best, best_headers)
    return best


def header_too_low(grid: Grid, registry: Registry) -> HeaderMatch | None:
    """Return a template's header found below the first thirty rows of a sheet none fits within them, if any."""
    if len(grid.rows) <= HEADER_SEARCH_ROWS:
        return None
    found = find_header(grid, registry, search_rows=DEEP_SEARCH_ROWS)
    return found if found is not None and found.first_row >= HEADER_SEARCH_ROWS else None


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
