"""Lay out a blank template's data sheet: the metadata lines the parser reads, its columns and their headers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.template_form import FormBlocks, blocks_of


@dataclass(frozen=True, slots=True)
class Layout:
    """What the data sheet of one template holds, and where."""

    template: Template
    meta_lines: tuple[str, ...]  # the labels, e.g. ("填报单位", "年度")
    columns: tuple[Column, ...]
    blocks: FormBlocks | None = None  # a form's fields around its table (the national forms)

    @property
    def header_row(self) -> int:
        # The title, one row per metadata line, then a form's blocks.
        return 2 + len(self.meta_lines) + (self.blocks.height if self.blocks else 0)

    @property
    def first_column(self) -> int:
        """Return the zero-based column the table starts in: right of a leading column, if the form has one."""
        return 1 if self.template.leading_column else 0

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


def _line_stands_in(template: Template, sources: Iterable[str]) -> bool:
    """Say whether a metadata line is read at all: no required column ahead of it always settles the value."""
    required = {c.name for c in template.required}
    for source in sources:
        if source == "line":
            return True
        if source == "column" and "year" in required:
            return False
        if source == "dates" and template.date_column in required:
            return False
    return False


def layout_of(template: Template) -> Layout:
    """Choose the metadata lines and columns: a line only where the parser reads it, no column repeating it."""
    project_line = template.project.line and not (
        template.project.column and template.column(template.project.column).required
    )
    year_line = _line_stands_in(template, template.year_from)
    lines = ("填报单位", *(("项目名称",) if project_line else ()), *(("年度",) if year_line else ()))
    # An optional column the line above already gives would only be a second place to write the same thing.
    repeated = {template.project.column if project_line else None, "year" if year_line else None}
    # A target's comparison and unit are written in its cell; only other layouts give them columns of their own.
    repeated |= template.target_part_columns
    columns = tuple(c for c in template.columns if c.required or (c.printed and c.name not in repeated))
    return Layout(template, lines, columns, blocks_of(template) if template.fields else None)


def count_unit(column: Column, registry: Registry) -> str | None:
    """Return the count unit a count column's header names (惠及户数 → 户), if it names one."""
    count = registry.units.measures.get("count")
    if count is None:
        return None
    spellings = [s for unit, d in count.units.items() for s in (unit, *d.aliases)]
    texts = (column.header, *column.aliases)
    return next((s for s in spellings if any(s in text for text in texts)), None)


def unit_of(column: Column, registry: Registry) -> str | None:
    """Return the unit written in a column's header: the measure's base unit, `%`, or a count's unit."""
    if column.type in MEASURE_OF_TYPE:
        return registry.units.measures[MEASURE_OF_TYPE[column.type]].base
    if column.type is ColumnType.PERCENT:
        return "%"
    if column.type is ColumnType.COUNT:
        return count_unit(column, registry)
    return None


def header_of(column: Column, registry: Registry) -> str:
    """Return a column's header as the template writes it: `计划投资（万元）`."""
    unit = unit_of(column, registry)
    return f"{column.header}（{unit}）" if unit else column.header
