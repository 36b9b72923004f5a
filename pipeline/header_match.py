"""Say what a header found in a sheet binds: its template, its columns, and the letters and text it names them by."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from pipeline.cell_refs import column_letter
from pipeline.registry_columns import Column
from pipeline.registry_templates import Template
from pipeline.text import is_unit_word
from pipeline.ticks import Tick

_LINE_BREAK = re.compile(r"\s*\n\s*")


def header_text(cell: object) -> str:
    """Return a header cell's text as written, with line breaks inside the cell removed."""
    return _header_text(cell) if isinstance(cell, str) else ""


@functools.lru_cache(maxsize=65536)
def _header_text(cell: str) -> str:
    # Offices write the same header cells in every file: each distinct text is cleaned once. A line is a wrap
    # (`惠及\n户数`), joined, except a last line that is a unit alone (`改造面积\n万平方米`): kept apart by a space,
    # as split_header reads a unit written after one, not read as part of the label (改造面积万平方米).
    lines = _LINE_BREAK.split(cell.strip())
    if len(lines) > 1 and is_unit_word(lines[-1]):
        return f"{''.join(lines[:-1])} {lines[-1]}"
    return "".join(lines)


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
    # Another template the header fits as well (as many columns, as many required): the sheet is not read as either.
    tied: Template | None = None

    @property
    def score(self) -> tuple[int, int, int, int]:
        required = sum(b.column.required for b in self.bindings)
        # More columns matched wins; then a one-row header over a two-row one; then the earlier row.
        return (len(self.bindings), required, -(self.last_row - self.first_row), -self.first_row)

    @property
    def missing_required(self) -> list[Column]:
        found = {b.column.name for b in self.bindings}
        return [c for c in self.template.required if c.name not in found]
