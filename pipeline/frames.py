"""Build the frame of a template's data rows and what every frame a suite validates is built from: the sheets under
validation, the lineage that blames an Excel row, a frame held by column."""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import display
from pipeline.registry_templates import Template
from pipeline.text import item_key
from pipeline.values import UnitContext

LINEAGE = ["_batch", "_sheet", "_excel_row"]


@dataclass(frozen=True, slots=True)
class Context:
    """What the checks need from outside the sheets: the project register's names and planned totals."""

    known_projects: frozenset[str] | set[str] = frozenset()
    negative_list: frozenset[str] | set[str] = frozenset()
    # A project's 计划总投资 by name and year (ProjectRegister.planned_total): a project re-registered for a later
    # year with another total is checked, in each year, against that year's.
    planned_total: Callable[[str | None, int | None], Decimal | None] = lambda name, year: None  # none known
    # 本月完成投资 already in the warehouse, per (template, unit, project code, year as text) and month, so 累计 can
    # be checked when a file carries only the latest months (intake.held_months.monthly_history).
    monthly_history: Mapping[tuple, Mapping[int, Decimal]] = field(default_factory=dict)
    # The files of this run to be taken in, by batch key, named as sent, in the order they are stored: their
    # months stand in for months another file lacks, a later file's over an earlier one's and the warehouse's,
    # as their slices will.
    run_files: Mapping[Hashable, str] = field(default_factory=dict)
    # The months of `monthly_history` a file of this run stored in an earlier chunk holds, named as sent: they are
    # the run's months, told as a file of the run in one piece (intake.held_months.run_names).
    history_names: Mapping[tuple, Mapping[int, str]] = field(default_factory=dict)
    # Names the file of an earlier night holding a month of `monthly_history`, with its night and number, for a
    # figure worked back from it to say where it came from (intake.held_months.stored_namer); None: not such a month.
    stored_name: Callable[[tuple, int], str | None] = lambda period, month: None  # none known


@dataclass(slots=True)
class Sheet:
    """A sheet under validation: where it came from, its headers as written, the cells already reported."""

    batch: int
    key: Hashable
    order: int
    parsed: ParsedSheet
    headers: dict[str, str]
    positions: dict[str, int]
    reported: set[tuple[int | None, str | None]]

    @classmethod
    def of(cls, batch: int, key: Hashable, order: int, parsed: ParsedSheet) -> Sheet:
        """Wrap a parsed sheet, indexing its headers and the cells the parser reported."""
        return cls(
            batch=batch,
            key=key,
            order=order,
            parsed=parsed,
            # A form's fields are told under the header their cell was read by (`年度资金总额·年初预算数`).
            headers={name: cells[0][2] for name, cells in parsed.field_cells.items()}
            | {b.column.name: b.header for b in parsed.bindings},
            positions={b.column.name: b.index for b in parsed.bindings},
            reported=_reported(parsed),
        )

    def lineage(self, excel_row: int) -> dict:
        """Return the lineage columns of a frame row that blames this Excel row."""
        return {"_batch": self.batch, "_sheet": self.parsed.name, "_excel_row": excel_row}

    def readable(self, record: dict, *columns: str) -> bool:
        """Say whether the parser reported none of these cells of the record, nor their columns as a whole."""
        if not self.reported:  # most sheets: the parser found nothing to report
            return True
        return not any(
            (record["excel_row"], header) in self.reported or (WHOLE_COLUMN, header) in self.reported
            for header in map(self.headers.get, columns)
        )

    def as_written(self, column: str, value: object, excel_row: int | None = None) -> str | None:
        """Show a cell's value as the clerk wrote it: in its row's or header's unit (元), not the unit stored (万元); a
        text normalised to match (`（一期）` read as `(一期)`) as it was typed."""
        if (
            excel_row is not None
            and (written := self.parsed.written_text.get((excel_row, column))) is not None
        ):
            return written
        if (typed := self.parsed.typed_number(column, value, excel_row)) is not None:
            return typed
        if isinstance(value, Decimal):
            value = self.parsed.in_written_unit(column, value, excel_row)
        return None if value is None else display(value)

    def written_unit(self, column: str, excel_row: int | None = None) -> UnitContext | None:
        """Return the unit a cell was written in where it is not the unit stored: its row's, else its header's."""
        return self.parsed.written_unit(column, excel_row)

    def values(self, record: dict, *columns: str) -> tuple | None:
        """Return the record's values for these columns, or None if one is empty or was reported."""
        found = tuple(map(record.get, columns))
        return None if None in found or not self.readable(record, *columns) else found


# Problems that make every cell of a column unreadable: its header's unit cannot be read (千元), so every amount
# under it was read in the base unit and proves nothing.
_COLUMN_RULES = frozenset({"unit"})
WHOLE_COLUMN = "column"


def _reported(parsed: ParsedSheet) -> set[tuple[int | str | None, str | None]]:
    """Return the cells the parser reported; a problem on a tick column stands for its group's column too, and one
    on a header's unit for all its column's cells (as (`WHOLE_COLUMN`, header))."""
    reported = {(p.excel_row, p.column_header) for p in parsed.problems}
    # A header's unit is told on whichever header row (or `单位：` line above it) it is written on: any row down to
    # the header's last; a data row's 单位 cell (千元) is that row's alone.
    last = parsed.header_rows[1] if parsed.header_rows else 0
    reported |= {
        (WHOLE_COLUMN, p.column_header)
        for p in parsed.problems
        if p.rule in _COLUMN_RULES and p.excel_row is not None and p.excel_row <= last
    }
    rule = parsed.template.row_unit
    if rule is not None:
        # A row's 单位 that cannot be converted (千元) leaves the row's 数量 unread: told on the 单位 cell, not as 未填写.
        unit, value = parsed.header_of(rule.unit), parsed.header_of(rule.value)
        reported |= {
            (p.excel_row, value) for p in parsed.problems if p.rule == "unit" and p.column_header == unit
        }
    groups = {t.header: b.header for b in parsed.bindings for t in b.ticks}
    if not groups:
        return reported
    return reported | {(row, groups[header]) for row, header in reported if header in groups}


def span(items: list) -> str:
    """Name Excel rows, or dates, the way a clerk reads them: `7` or `7至12`, `2022-02-25` or `2022-02-25至2022-03-28`."""
    first, last = min(items), max(items)
    return str(first) if first == last else f"{first}至{last}"


def _blamed(sheet: Sheet, rows: list[int]) -> dict:
    """Return the lineage of a derived-frame row blaming these Excel rows (the first one is recorded)."""
    # Set, not merged into a new dict: a row of most derived frames is built here.
    lineage = sheet.lineage(min(rows))
    lineage["_rows"] = span(rows)
    return lineage


class Frame:
    """A frame to validate, held by column (as GX takes it); a row is built as a dict only when it is blamed."""

    def __init__(self, columns: dict[str, list]):
        self.columns = columns
        self.length = len(next(iter(columns.values()))) if columns else 0

    @classmethod
    def of_rows(cls, rows: list[dict]) -> Frame:
        """Hold row dicts by column: every key any row has, in first-seen order (None where a row lacks it)."""
        names: dict[str, object] = {}
        for row in rows:
            names.update(row)  # its keys, in first-seen order (the values are not kept)
        # Most frames: every row has every key, each read in one pass (an itemgetter of one key gives no tuple).
        if len(names) > 1 and all(len(row) == len(names) for row in rows):
            whole = zip(*map(operator.itemgetter(*names), rows), strict=True)
            return cls({name: list(values) for name, values in zip(names, whole, strict=True)})
        return cls({name: [row.get(name) for row in rows] for name in names})

    def __len__(self) -> int:
        return self.length

    def row(self, position: int) -> dict:
        return {name: values[position] for name, values in self.columns.items()}

    def positions(self) -> dict[tuple, int]:
        """Map each row's lineage (batch, sheet, Excel row) to its position."""
        return {lineage: i for i, lineage in enumerate(zip(*(self.columns[c] for c in LINEAGE), strict=True))}


def data_rows(sheets: list[Sheet], template: Template) -> Frame:
    """Build one row per data row: every template column (None where the sheet lacks it), with lineage."""
    columns: dict[str, list] = {"_batch": [], "_sheet": [], "_excel_row": []}
    for sheet in sheets:
        records = sheet.parsed.records
        columns["_batch"] += [sheet.batch] * len(records)
        columns["_sheet"] += [sheet.parsed.name] * len(records)
        columns["_excel_row"] += [record["excel_row"] for record in records]
    records = [record for sheet in sheets for record in sheet.parsed.records]
    for column in template.columns:
        if column.checked_as_item:
            columns[column.name] = _as_items(sheets, column.name)
        else:
            columns[column.name] = list(map(operator.methodcaller("get", column.name), records))
    return Frame(columns)


def _as_items(sheets: list[Sheet], column: str) -> list[object]:
    """Return a text column's cells as held against a list (`item_key`); a receipt still quotes each as typed."""
    values = []
    for sheet in sheets:
        for record in sheet.parsed.records:
            value = record.get(column)
            if isinstance(value, str) and (item := item_key(value)) != value:
                sheet.parsed.written_text.setdefault((record["excel_row"], column), value)
                value = item
            values.append(value)
    return values
