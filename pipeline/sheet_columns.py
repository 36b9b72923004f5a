"""Plan how a matched sheet's rows are read: each column's parser, unit and role, worked out once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.cell_parsers import cell_parser, quantity_parser, written_date_parser, written_month_parser
from pipeline.column_units import column_contexts
from pipeline.grids import Grid, MergedRange
from pipeline.header_match import Binding, HeaderMatch
from pipeline.legends import legend_parser, legend_rows, read_legend
from pipeline.parsed_sheet import ParsedSheet
from pipeline.printed import printed_parser
from pipeline.registry import Registry
from pipeline.registry_columns import SUMMABLE_TYPES, Column, ColumnType
from pipeline.row_kinds import filled_width
from pipeline.rules import IndicatorKinds, indicator_kinds, qualitative_readings
from pipeline.sheet_totals import _sum_unit_column
from pipeline.unit_places import unit_places
from pipeline.values import UnitContext

# A column's name, its position in the row, its cell parser, its binding.
Cell = tuple[str, int, Callable[[object], object], Binding]


@dataclass(frozen=True, slots=True)
class SheetColumns:
    """What the rows' loop needs of a sheet's columns, looked up once per sheet instead of once per cell."""

    contexts: dict[str, UnitContext]  # each column's unit, by name
    unit_places: dict[str, str]  # where the unit of each column read in one it states was written, by name
    printed: list[tuple[int, Column]]  # name columns with a printed prefix or placeholder, by position
    summable: list[Binding]  # the amounts a 合计 adds up
    summed: list[tuple[str, str | None, tuple[str, None]]]  # each amount, its unit column, its fixed sum key
    data_cells: list[Cell]  # a data row's cells, tick groups aside
    total_cells: list[Cell]  # a 合计 row's cells
    tick_groups: list[Binding]
    required: list[tuple[str, Binding]]
    required_cells: list[tuple[int, Callable[[object], object]]]  # the required cells outside tick groups
    by_name: dict[str, Binding]
    qualitative: frozenset[str]
    # What the rules compute each 三级指标 as, where indicators are read: the rules file looked at once a sheet.
    indicators: IndicatorKinds | None
    read_against: list[tuple[Binding, Binding | None]]  # each indicator's reported value and its target
    merged_into: dict[tuple[int, int], int]  # (row, column) under a merge → the merge's top row
    merged_optional: list[Binding]  # the optional amounts a merge leaves in its first row (none unmerged)
    filled: dict[tuple[int, int], MergedRange]  # (row, column) given its vertical merge's value → the merge
    header_width: int  # a CSV header's fields; 0 for a workbook
    unused_line: frozenset[int]
    prose: frozenset[int]
    notes: frozenset[int]  # optional text columns (摘要, 支出用途, 文号): a row's notes, never its label
    ordinals: frozenset[int]  # 序号
    names: frozenset[int]  # required name columns (小区名称): where a group heading names its group
    legend_rows: frozenset[int] = frozenset()  # the Excel rows of a legend below the table: lines, not data


def sheet_columns(grid: Grid, match: HeaderMatch, registry: Registry, sheet: ParsedSheet) -> SheetColumns:
    """Return the plan of a matched sheet's columns; keep on the sheet the units its numbers are in."""
    template = match.template
    # Cells under a merged amount left empty: a required one is told why it reads as empty.
    merged_into = {
        (index, left): top
        for (top, left), (bottom, _) in grid.merged
        if top > match.last_row
        for index in range(top + 1, bottom + 1)
    }
    contexts = column_contexts(grid, match, registry, sheet)
    sheet.written_units = {name: c for name, c in contexts.items() if c.factor != 1}
    parsers = {
        b.column.name: cell_parser(b.column, registry.units, contexts[b.column.name]) for b in match.bindings
    }
    if grid.as_text:
        # A CSV keeps no number format to tell 2022.10 shown as `2022.1` from January: its dates are read as text,
        # and so are its months written with their year.
        written = {ColumnType.DATE: written_date_parser, ColumnType.MONTH: written_month_parser}
        parsers.update(
            {b.column.name: written[b.column.type] for b in match.bindings if b.column.type in written}
        )
    if template.row_unit is not None and template.row_unit.value in parsers:
        parsers[template.row_unit.value] = quantity_parser(registry.units)
    # Name columns a printed form writes `指标1：` or `……` in: the prefix dropped, a placeholder alone no name.
    printed = [(b.index, b.column) for b in match.bindings if b.column.strip_prefix or b.column.placeholder]
    for _, column in printed:
        parsers[column.name] = printed_parser(column, parsers[column.name])
    legend_lines: frozenset[int] = frozenset()
    for binding in (b for b in match.bindings if b.column.legend and not b.ticks):
        legend = read_legend(grid, (match.first_row + 1, match.last_row + 1), binding.column, binding.header)
        parsers[binding.column.name] = legend_parser(binding.column, legend, parsers[binding.column.name])
        legend_lines |= legend_rows(legend)
    summable = [b for b in match.bindings if b.column.type in SUMMABLE_TYPES and b.column.adds_up]
    row_unit = next(
        (b for b in match.bindings if template.row_unit and b.column.name == template.row_unit.unit), None
    )
    # A 合计 row reads its amounts and, where each row names its own unit, that unit too.
    total_columns = summable + ([row_unit] if row_unit else [])
    required = [(b.column.name, b) for b in match.bindings if b.column.required]
    by_name = {b.column.name: b for b in match.bindings}
    # Each amount's running-sum key as _sum_key gives it: fixed, or (for a quantity in its row's unit) per row.
    summed = [
        (name, _sum_unit_column(name, template), (name, None)) for name in (b.column.name for b in summable)
    ]
    # A CSV row with more fields than its header is shifted (an unquoted 1,250.10 is two fields): read, every
    # field after the split would land in the next column.
    header_width = (
        max(filled_width(grid.rows[r]) for r in range(match.first_row, match.last_row + 1))
        if grid.as_text
        else 0
    )
    reads_indicators = any(b.column.read_against for b in match.bindings)
    qualitative = qualitative_readings() if reads_indicators else frozenset()
    # A row with only these written is an unused line of a printed form: its 序号, or its pre-printed headings.
    unused_line = frozenset(b.index for b in match.bindings if b.column.ordinal or b.column.preprinted)
    # A paragraph opening with `累计（截至12月）…` or `合计：` is text, not the label of a 合计 row.
    prose = frozenset(b.index for b in match.bindings if b.column.type is ColumnType.PROSE)
    return SheetColumns(
        contexts=contexts,
        unit_places=unit_places(grid, match, sheet.meta, {n for n, c in contexts.items() if c.name}),
        printed=printed,
        summable=summable,
        summed=summed,
        data_cells=[
            (b.column.name, b.index, parsers[b.column.name], b) for b in match.bindings if not b.ticks
        ],
        total_cells=[(b.column.name, b.index, parsers[b.column.name], b) for b in total_columns],
        tick_groups=[b for b in match.bindings if b.ticks],
        required=required,
        required_cells=[(b.index, parsers[name]) for name, b in required if not b.ticks],
        by_name=by_name,
        qualitative=qualitative,
        indicators=indicator_kinds() if reads_indicators else None,
        read_against=[
            (b, by_name.get(b.column.read_against)) for b in match.bindings if b.column.read_against
        ],
        merged_into=merged_into,
        merged_optional=[b for b in summable if not b.column.required] if merged_into else [],
        filled=grid.filled,
        header_width=header_width,
        unused_line=unused_line,
        prose=prose,
        notes=frozenset(
            b.index for b in match.bindings if b.column.type is ColumnType.TEXT and not b.column.required
        ),
        ordinals=frozenset(b.index for b in match.bindings if b.column.ordinal),
        names=frozenset(b.index for _, b in required if b.column.type is ColumnType.NAME and not b.ticks),
        legend_rows=legend_lines,
    )
