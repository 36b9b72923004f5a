"""Check parsed sheets against the Great Expectations suites in `expectations/`, one run per template.

Each suite (`expectations/<template>.json`) holds expectations on two kinds of frame: the data rows of
every sheet of that template, concatenated, and the derived frames its meta declares (one row per sheet,
per 其中 group, per month…) for rules that span rows or columns. Every frame row carries its lineage
(`_batch`, `_sheet`, `_excel_row`), so a failing row maps back to the Excel row and header to blame.
Cells the parser already reported are never reported again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import operator
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.layout import ParsedSheet
from pipeline.lazy_imports import deferred
from pipeline.problems import Problem, Severity, cell_problem, display
from pipeline.registry import ColumnType, Registry, Template
from pipeline.settings import DATA_DOCS_KEEP_DAYS

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"
LINEAGE = ["_batch", "_sheet", "_excel_row"]
DATA_ROWS = "rows"  # the frame of data rows; every other frame kind is derived from it
REQUIRED_META = ("severity", "rule", "reason", "expected_zh", "fix_zh")
DERIVED_META = ("derived", "blame", "value", "found_zh")
# Expectations whose failing rows are duplicates of one another: the first occurrence is not to blame.
DUPLICATE_EXPECTATIONS = frozenset(
    {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}
)
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": LINEAGE,
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
}


class SuiteError(ValueError):
    """An expectation suite file is malformed; the message names the file."""


class Batch(NamedTuple):
    """One parsed sheet and the file it came from (`key`: anything hashable naming the file)."""

    key: Hashable
    sheet: ParsedSheet


@dataclass(frozen=True, slots=True)
class Context:
    """What the checks need from outside the sheets: the project register's names and planned totals."""

    known_projects: frozenset[str] | set[str] = frozenset()
    negative_list: frozenset[str] | set[str] = frozenset()
    # A project's 计划总投资 by name and year (ProjectRegister.planned_total): a project re-registered for a later
    # year with another total is checked, in each year, against that year's.
    planned_total: Callable[[str | None, int | None], Decimal | None] = lambda name, year: None  # none known
    # 本月完成投资 already in the warehouse, per (template, unit, project code, year as text) and month, so 累计 can
    # be checked when a file carries only the latest months (intake.later_months.monthly_history).
    monthly_history: Mapping[tuple, Mapping[int, Decimal]] = field(default_factory=dict)
    # The files of this run to be taken in, by batch key, named as sent, in the order they are stored: their
    # months stand in for months another file lacks, a later file's over an earlier one's and the warehouse's,
    # as their slices will.
    run_files: Mapping[Hashable, str] = field(default_factory=dict)


@dataclass(slots=True)
class Validation:
    """Problems found per batch key (the parser's own problems are not repeated) and the GX runs made."""

    problems: dict[Hashable, list[Problem]]
    gx_validations: int
    validated_at: dt.datetime
    results: list[tuple[str, Any]] = field(default_factory=list, repr=False)  # (suite name, GX result)


@dataclass(slots=True)
class _Sheet:
    """A sheet under validation: where it came from, its headers as written, the cells already reported."""

    batch: int
    key: Hashable
    order: int
    parsed: ParsedSheet
    headers: dict[str, str]
    positions: dict[str, int]
    reported: set[tuple[int | None, str | None]]

    @classmethod
    def of(cls, batch: int, key: Hashable, order: int, parsed: ParsedSheet) -> _Sheet:
        """Wrap a parsed sheet, indexing its headers and the cells the parser reported."""
        return cls(
            batch=batch,
            key=key,
            order=order,
            parsed=parsed,
            headers={b.column.name: b.header for b in parsed.bindings},
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
            (record["excel_row"], header) in self.reported or (_WHOLE_COLUMN, header) in self.reported
            for header in map(self.headers.get, columns)
        )

    def as_written(self, column: str, value: object, excel_row: int | None = None) -> str | None:
        """Show a cell's value as the clerk wrote it: in its header's unit (元), not the unit stored (万元); a text
        normalised to match (`（一期）` read as `(一期)`) as it was typed."""
        if (
            excel_row is not None
            and (written := self.parsed.written_text.get((excel_row, column))) is not None
        ):
            return written
        context = self.parsed.written_units.get(column)
        if context is not None and isinstance(value, Decimal):
            value = (value / context.factor).normalize()
        return None if value is None else display(value)

    def values(self, record: dict, *columns: str) -> tuple | None:
        """Return the record's values for these columns, or None if one is empty or was reported."""
        found = tuple(map(record.get, columns))
        return None if None in found or not self.readable(record, *columns) else found


# Problems that make every cell of a column unreadable: its header's unit cannot be read (千元), so every amount
# under it was read in the base unit and proves nothing.
_COLUMN_RULES = frozenset({"unit"})
_WHOLE_COLUMN = "column"


def _reported(parsed: ParsedSheet) -> set[tuple[int | str | None, str | None]]:
    """Return the cells the parser reported; a problem on a tick column stands for its group's column too, and one
    on a header's unit for all its column's cells (as (`_WHOLE_COLUMN`, header))."""
    reported = {(p.excel_row, p.column_header) for p in parsed.problems}
    header_row = parsed.header_rows[1] if parsed.header_rows else None
    reported |= {
        (_WHOLE_COLUMN, p.column_header)
        for p in parsed.problems
        if p.rule in _COLUMN_RULES and p.excel_row == header_row
    }
    groups = {t.header: b.header for b in parsed.bindings for t in b.ticks}
    if not groups:
        return reported
    return reported | {(row, groups[header]) for row, header in reported if header in groups}


def _span(rows: list[int]) -> str:
    """Name Excel rows the way a clerk reads them: `7` or `7至12`."""
    first, last = min(rows), max(rows)
    return str(first) if first == last else f"{first}至{last}"


def _blamed(sheet: _Sheet, rows: list[int]) -> dict:
    """Return the lineage of a derived-frame row blaming these Excel rows (the first one is recorded)."""
    return sheet.lineage(min(rows)) | {"_rows": _span(rows)}


# Derived frames: one builder per kind a suite may declare in its meta `derived_frames`.
Builder = Callable[[list[_Sheet], Context, Registry], "list[dict] | _Frame"]


def _responses_per_row(sheets: list[_Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per survey row: 有效问卷 beside the sum of 满意, 基本满意 (blank = 0) and 不满意."""
    frame = []
    for sheet in sheets:
        for record in sheet.parsed.records:
            counts = sheet.values(record, "valid_responses", "satisfied", "dissatisfied")
            if counts is None or not sheet.readable(record, "basically_satisfied"):
                continue
            valid, satisfied, dissatisfied = counts
            responses = satisfied + (record.get("basically_satisfied") or 0) + dissatisfied
            frame.append(
                _blamed(sheet, [record["excel_row"]]) | {"valid_responses": valid, "responses_sum": responses}
            )
    return frame


def _weight_total_per_sheet(sheets: list[_Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per sheet of indicators: the total of its 分值."""
    frame = []
    for sheet in sheets:
        records = sheet.parsed.records
        weights = [sheet.values(r, "weight") for r in records]
        if not records or None in weights:
            continue
        rows = [r["excel_row"] for r in records]
        frame.append(_blamed(sheet, rows) | {"weight_total": sum(w for (w,) in weights)})
    return frame


def _part_groups(records: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Pair each top-level row with the 其中 rows that follow it."""
    groups: list[tuple[dict, list[dict]]] = []
    for record in records:
        if record.get("parent_item") is None:
            groups.append((record, []))
        elif groups:
            groups[-1][1].append(record)
    return groups


def _parts_per_parent_row(sheets: list[_Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per row with 其中 parts: its 数量 beside the sum of its parts in the same unit."""
    frame = []
    for sheet in sheets:
        for parent, parts in _part_groups(sheet.parsed.records):
            alike = [p for p in parts if p.get("quantity_unit") == parent.get("quantity_unit")]
            quantities = [sheet.values(r, "quantity") for r in (parent, *alike)]
            if not alike or None in quantities:
                continue
            (parent_quantity,), *part_quantities = quantities
            parts_sum = sum(q for (q,) in part_quantities)
            frame.append(
                _blamed(sheet, [parent["excel_row"]])
                | {
                    "parent_quantity": parent_quantity,
                    "parts_sum": parts_sum,
                    "parts_excess": parts_sum - parent_quantity,
                    "part_rows": _span([p["excel_row"] for p in alike]),
                }
            )
    return frame


def _investment_total_per_project(sheets: list[_Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per sheet and project: the sum of its top-level 投资构成 rows beside 计划总投资."""
    money = registry.units.measures["money"].base
    frame = []
    for sheet in sheets:
        by_project: dict[tuple, list[dict]] = defaultdict(list)
        for record in sheet.parsed.records:
            if (
                record.get("parent_item") is None
                and record.get("category") == "投资构成"
                and record.get("quantity_unit") == money
            ):
                by_project[(record.get("project_name"), record.get("year"))].append(record)
        for (project, year), records in by_project.items():
            planned = context.planned_total(project, year)
            quantities = [sheet.values(r, "quantity") for r in records]
            if planned is None or None in quantities:
                continue
            total = sum(q for (q,) in quantities)
            frame.append(
                _blamed(sheet, [r["excel_row"] for r in records])
                | {"cost_total": total, "planned_total": planned, "cost_gap": total - planned}
            )
    return frame


# money_per_row's column for an amount's excess over its project's 计划总投资 (`amount_wan_over_planned`).
OVER_PLANNED = "_over_planned"


def _money_per_row(sheets: list[_Sheet], context: Context, registry: Registry) -> _Frame:
    """Build one row per data row of a project with a 计划总投资: each amount and its excess over that total."""
    # Held by column as it is built: a row per data row is hundreds of thousands of rows at a city's scale.
    columns: dict[str, list] = defaultdict(list)
    totals: dict[tuple, Decimal | None] = {}  # by (name, year): a sheet's rows name a project or two
    for sheet in sheets:
        money = [c.name for c in sheet.parsed.template.columns if c.type is ColumnType.MONEY]
        for record in sheet.parsed.records:
            key = (record.get("project_name"), record.get("year"))
            if key not in totals:
                totals[key] = context.planned_total(*key)
            planned = totals[key]
            if planned is None:
                continue
            excel_row = record["excel_row"]
            columns["_batch"].append(sheet.batch)
            columns["_sheet"].append(sheet.parsed.name)
            columns["_excel_row"].append(excel_row)
            columns["_rows"].append(str(excel_row))
            columns["planned_total"].append(planned)
            for name in money:
                # A cell the parser reported stays out: its reading is in question already.
                amount = record.get(name)
                if amount is not None and not sheet.readable(record, name):
                    amount = None
                columns[name].append(amount)
                columns[name + OVER_PLANNED].append(None if amount is None else amount - planned)
    return _Frame(dict(columns))


# area_per_household's columns for an area column `x`: `x_per_household` (平方米 a household, checked), `x_shown`
# (the same, rounded for the message), `x_unit` (its header's unit, the base where it names none) and `x_written`
# (the cell as written, with that unit).
PER_HOUSEHOLD = "_per_household"
HOUSEHOLD = "户"  # the `counts` of the column an area is divided by


def _area_per_household(sheets: list[_Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per data row with area and households above 0: area per household, and the header's unit."""
    base = registry.units.measures["area"].base
    frame = []
    for sheet in sheets:
        columns = sheet.parsed.template.columns
        areas = [c.name for c in columns if c.type is ColumnType.AREA]
        households = next((c.name for c in columns if c.counts == HOUSEHOLD), None)
        if not areas or households is None:
            continue
        units = {name: getattr(sheet.parsed.written_units.get(name), "name", None) or base for name in areas}
        for record in sheet.parsed.records:
            row = {}
            for name in areas:
                found = sheet.values(record, name, households)
                # 0 of either has no ratio to judge; a negative one is an error of its own already.
                if found is None or found[0] <= 0 or found[1] <= 0:
                    continue
                area, count = found
                ratio = area / count
                row |= {
                    name: area,
                    households: count,
                    name + PER_HOUSEHOLD: ratio,
                    name + "_shown": _about(ratio),
                    name + "_unit": units[name],
                    name + "_written": f"{sheet.as_written(name, area)}{units[name]}",
                }
            if row:
                frame.append(_blamed(sheet, [record["excel_row"]]) | row)
    return frame


def _about(ratio: Decimal) -> Decimal:
    """Round a ratio for a message: to a whole number from 1 up, else to two significant digits."""
    exponent = 0 if ratio >= 1 else ratio.adjusted() - 1
    return ratio.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _funds_per_project(sheets: list[_Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per sheet, project and year of a ledger: Σ 到位 beside Σ 支付, both the year so far."""
    frame = []
    for sheet in sheets:
        by_project: dict[tuple, list[dict]] = defaultdict(list)
        for record in sheet.parsed.records:
            by_project[(record.get("project_name"), record.get("year"))].append(record)
        for (project, _), records in by_project.items():
            if project not in context.known_projects:  # already an error of its own; its totals mean nothing
                continue
            amounts = [sheet.values(r, "entry_type", "amount_wan") for r in records]
            if None in amounts:  # a cell the parser reported: the totals would be guesses
                continue
            received = sum((a for kind, a in amounts if kind == "到位"), Decimal(0))
            paid = sum((a for kind, a in amounts if kind == "支付"), Decimal(0))
            frame.append(
                _blamed(sheet, [r["excel_row"] for r in records])
                | {"received": received, "paid": paid, "paid_excess": paid - received}
            )
    return frame


def gap_tolerance(template_id: str) -> Decimal:
    """Return how far a 累计 may be from its months' sum: the bound the suite checks `cumulative_gap` against."""
    # Read from the suite (±0.01 万元, submissions.md), so the frame and the check never disagree.
    for expectation in suite_documents(template_id)["cumulative_per_row"]["expectations"]:
        kwargs = expectation["kwargs"]
        if kwargs.get("column") == "cumulative_gap" and kwargs.get("max_value") is not None:
            return Decimal(str(kwargs["max_value"]))
    return Decimal(0)  # nothing checks the gap: every change of it is one


# The rows of each month per (batch, unit, project, year): (sheet, record) pairs.
_Months = dict[tuple, dict[int, list[tuple[_Sheet, dict]]]]


def _months_in_run(groups: _Months, context: Context) -> dict[tuple, dict[int, tuple[Decimal | None, str]]]:
    """Return the 本月 in force per (unit, project, year) and month among the run's files, and its file's name."""
    # A month is the last stored file's that holds it, as its slice will be. Where that file cannot say it (the
    # month twice, a cell the parser reported) the amount is None: the month is unknown, not an older file's.
    order = {key: position for position, key in enumerate(context.run_files)}
    held = [
        (order[rows[0][0].key], group[1:], month, rows)
        for group, by_month in groups.items()
        for month, rows in by_month.items()
        if rows[0][0].key in order
    ]
    in_force: dict[tuple, dict[int, tuple[Decimal | None, str]]] = defaultdict(dict)
    for _, key, month, rows in sorted(held, key=operator.itemgetter(0)):
        sheet, record = rows[0]
        amount = sheet.values(record, "monthly_completed_wan") if len(rows) == 1 else None
        in_force[key][month] = (None if amount is None else amount[0], context.run_files[sheet.key])
    return in_force


def _taken_from(borrowed: dict[str, list[int]], unsent: list[int]) -> str:
    """Say where a sum's months came from when not this file or the warehouse: `（其中1、2月取自本次同时报送的“甲”，
    3月未报送，按0计）`."""
    parts = [f"{'、'.join(map(str, months))}月取自“{name}”" for name, months in borrowed.items()]
    if parts:
        parts[0] = parts[0].replace("取自", "取自本次同时报送的", 1)
    if unsent:
        parts.append(f"{'、'.join(map(str, unsent))}月未报送，按0计")
    # Nothing said where the months were the file's own or the warehouse's, as a file sent alone is told.
    return f"（其中{'，'.join(parts)}）" if parts else ""


def _cumulative_per_row(sheets: list[_Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per month m whose months 1..m are each once in its file, else in force in the run or warehouse."""
    groups: _Months = defaultdict(lambda: defaultdict(list))
    for sheet in sheets:
        for record in sheet.parsed.records:
            # By project code, as the warehouse's months are: a project renamed in its register is still itself.
            project = record.get("project_code") or record.get("project_name")
            group = (sheet.batch, record.get("unit"), project, record.get("year"))
            groups[group][record.get("month")].append((sheet, record))
    template_id = sheets[0].parsed.template.id
    tolerance = gap_tolerance(template_id)
    in_run = _months_in_run(groups, context)
    frame = []
    for group, by_month in groups.items():
        _, unit, project, year = group
        history = context.monthly_history.get((template_id, unit, str(project), str(year)), {})
        elsewhere = {month: (amount, None) for month, amount in history.items()} | in_run.get(group[1:], {})
        borrowed: dict[str, list[int]] = {}  # months taken from other files of this run, by file name
        # Months no file has sent (a project begun in March): counted as nothing done, and said so, so that 累计 is
        # still checked; a clerk whose 累计 holds spending of those months is asked to send them.
        unsent: list[int] = []
        running = Decimal(0)
        carried = Decimal(0)  # the gap the month before left, which this month's 累计 may carry on
        for month in range(1, 13):
            if month not in by_month and month not in elsewhere:
                unsent.append(month)
                carried = Decimal(0)
                continue
            if month not in by_month:
                amount, source = elsewhere[month]
                if amount is None:
                    break  # the month in force cannot be read: no 累计 from it on can be verified
                running += amount
                if source is not None:
                    borrowed.setdefault(source, []).append(month)
                carried = Decimal(0)  # that month's 累计 is not at hand: its gap is unknown
                continue
            if len(by_month.get(month, ())) != 1:
                break
            sheet, record = by_month[month][0]
            monthly = sheet.values(record, "monthly_completed_wan")
            if monthly is None:
                break
            running += monthly[0]
            cumulative = sheet.values(record, "cumulative_completed_wan")
            if cumulative is None:
                carried = Decimal(0)
                continue
            gap = cumulative[0] - running
            # One wrong 本月 (in 元, say) puts every later 累计 off by the same amount: the month it happened is
            # blamed, and later months only where their gap differs again (a second error), not once a month.
            opened = gap if abs(gap - carried) > tolerance else Decimal(0)
            carried = gap
            frame.append(
                _blamed(sheet, [record["excel_row"]])
                | {
                    "month": month,
                    "cumulative": cumulative[0],
                    "expected_cumulative": running,
                    "cumulative_gap": opened,
                    "months_from_run": _taken_from(borrowed, unsent),
                }
            )
    return frame


DERIVED_FRAMES: dict[str, Builder] = {
    "responses_per_row": _responses_per_row,
    "weight_total_per_sheet": _weight_total_per_sheet,
    "parts_per_parent_row": _parts_per_parent_row,
    "investment_total_per_project": _investment_total_per_project,
    "cumulative_per_row": _cumulative_per_row,
    "funds_per_project": _funds_per_project,
    "money_per_row": _money_per_row,
    "area_per_household": _area_per_household,
}


class _Frame:
    """A frame to validate, held by column (as GX takes it); a row is built as a dict only when it is blamed."""

    def __init__(self, columns: dict[str, list]):
        self.columns = columns
        self.length = len(next(iter(columns.values()))) if columns else 0

    @classmethod
    def of_rows(cls, rows: list[dict]) -> _Frame:
        """Hold row dicts by column: every key any row has, in first-seen order (None where a row lacks it)."""
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        return cls({name: [row.get(name) for row in rows] for name in names})

    def __len__(self) -> int:
        return self.length

    def row(self, position: int) -> dict:
        return {name: values[position] for name, values in self.columns.items()}

    def positions(self) -> dict[tuple, int]:
        """Map each row's lineage (batch, sheet, Excel row) to its position."""
        return {lineage: i for i, lineage in enumerate(zip(*(self.columns[c] for c in LINEAGE), strict=True))}


def _data_rows(sheets: list[_Sheet], template: Template) -> _Frame:
    """Build one row per data row: every template column (None where the sheet lacks it), with lineage."""
    columns: dict[str, list] = {"_batch": [], "_sheet": [], "_excel_row": []}
    for sheet in sheets:
        records = sheet.parsed.records
        columns["_batch"] += [sheet.batch] * len(records)
        columns["_sheet"] += [sheet.parsed.name] * len(records)
        columns["_excel_row"] += [record["excel_row"] for record in records]
    records = [record for sheet in sheets for record in sheet.parsed.records]
    for column in template.columns:
        columns[column.name] = list(map(operator.methodcaller("get", column.name), records))
    return _Frame(columns)


def _check_meta(path: Path, position: int, meta: dict, declared: Iterable[str]) -> None:
    """Reject an expectation whose meta cannot word a problem or names an unknown derived frame."""
    needed = REQUIRED_META + (DERIVED_META if "derived" in meta else ())
    if missing := [k for k in needed if not meta.get(k)]:
        raise SuiteError(f"{path}: expectation {position}: meta lacks {missing}")
    if meta["severity"] not in (Severity.ERROR, Severity.WARNING):
        raise SuiteError(f"{path}: expectation {position}: severity must be error or warning")
    kind = meta.get("derived")
    if kind is not None and (kind not in declared or kind not in DERIVED_FRAMES):
        raise SuiteError(
            f"{path}: expectation {position}: derived frame {kind!r} is not declared or not built"
        )


@cache
def suite_documents(template_id: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, dict]:
    """Read a template's suite and split it by frame kind into GX suite documents, data rows first."""
    path = directory / f"{template_id}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{path}: cannot read the suite: {exc}") from exc
    if document.get("name") != template_id:
        raise SuiteError(f"{path}: the suite must be named {template_id!r}")
    declared = document.get("meta", {}).get("derived_frames", {})
    by_kind: dict[str, list[dict]] = {DATA_ROWS: []}
    for position, expectation in enumerate(document.get("expectations", [])):
        meta = expectation.get("meta", {})
        _check_meta(path, position, meta, declared)
        by_kind.setdefault(meta.get("derived", DATA_ROWS), []).append(expectation)
    return {
        kind: document
        | {
            "name": template_id if kind == DATA_ROWS else f"{template_id}.{kind}",
            "expectations": expectations,
            "meta": document.get("meta", {}) | {"frame": kind},
        }
        for kind, expectations in by_kind.items()
        if expectations
    }


class _ConfigurationCache:
    """Let each GX expectation build its configuration once per validation instead of at every look.

    GX 1.x rebuilds `Expectation.configuration` (a pydantic `dict()` of the whole expectation) each time it is
    read, and reads it dozens of times per expectation while planning metrics: a fixed cost of about 5 ms per
    expectation per validation, whatever the number of rows. Expectations are built afresh for each
    validation and only read afterwards, so while one of ours runs, each one's configuration is kept and
    given again. Outside our validations GX behaves as shipped.
    """

    def __init__(self) -> None:
        self.kept: dict[int, tuple[Any, Any]] | None = None
        self.lock = threading.Lock()

    def install(self, expectation_class: type) -> None:
        built = expectation_class.configuration.fget
        built = getattr(built, "built", built)  # installed once per process; a second context rebinds it
        cache = self

        def configuration(expectation: Any) -> Any:
            kept = cache.kept
            if kept is None:
                return built(expectation)
            found = kept.get(id(expectation))
            if found is None or found[0] is not expectation:
                # The expectation is kept alive with it, so its id cannot be reused while the cache holds it.
                found = kept[id(expectation)] = (expectation, built(expectation))
            return found[1]

        configuration.built = built
        expectation_class.configuration = property(configuration, doc=expectation_class.configuration.__doc__)

    @contextmanager
    def active(self) -> Iterator[None]:
        with self.lock:
            self.kept = {}
            try:
                yield
            finally:
                self.kept = None


# Modules GX imports at its top for what validation here never does: scipy.stats and altair for its distribution
# expectations, boto3 for its S3 datasources (this pipeline reaches object storage through its own layer).
GX_DEFERRED = ("altair", "boto3", "scipy", "scipy.stats")


def import_great_expectations() -> None:
    """Import GX and the parts of it validation uses, quietly and with its analytics off; build no context."""
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    # Before the import: importing GX logs some 200 INFO lines (its API-docs registry skipping closures), which
    # a task's log under Airflow would show.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # A third of GX's import time, for parts of it no suite here uses (`GX_DEFERRED`); they load if one ever does.
    with deferred(*GX_DEFERRED):
        import great_expectations  # noqa: F401
        import great_expectations.data_context.types.base  # noqa: F401
        import great_expectations.execution_engine.pandas_execution_engine  # noqa: F401
        import great_expectations.expectations.expectation  # noqa: F401
        import great_expectations.validator.v1_validator  # noqa: F401


class _GreatExpectations:
    """The process's ephemeral GX context: one pandas dataframe asset and one suite per frame kind."""

    def __init__(self) -> None:
        import_great_expectations()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine
        from great_expectations.expectations.expectation import Expectation
        from great_expectations.validator.v1_validator import Validator

        # GX fingerprints every frame it is given below this many bytes (an MD5 over a hash of each cell, for a
        # batch marker in the result's meta): 1.2 s of a profiled 10,000-file ingest of 40 s. Nothing here reads
        # that marker; each file's fingerprint is its SHA-256 in ops.submissions.
        pandas_execution_engine.HASH_THRESHOLD = 0
        self.validator = Validator
        self.configurations = _ConfigurationCache()
        self.configurations.install(Expectation)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.datasource = self.context.data_sources.add_pandas("parsed_sheets")
        self.batch_definitions: dict[str, Any] = {}
        self.suites: dict[str, Any] = {}
        self.lock = threading.RLock()  # suites and assets are registered by the warm-up thread too

    def suite(self, document: dict) -> Any:
        """Return the GX suite for a suite document, registered once in the context."""
        name = document["name"]
        with self.lock:
            if name not in self.suites:
                suite = self.gx.ExpectationSuite(**{k: v for k, v in document.items() if k != "id"})
                if len(suite.expectations) != len(document["expectations"]):
                    raise SuiteError(f"suite {name!r}: GX rejected some expectations (see its log)")
                self.suites[name] = self.context.suites.add(suite)
            return self.suites[name]

    def batch_definition(self, name: str) -> Any:
        """Return the batch definition of a suite's frames, added once to the context."""
        with self.lock:
            if name not in self.batch_definitions:
                asset = self.datasource.add_dataframe_asset(name)
                self.batch_definitions[name] = asset.add_batch_definition_whole_dataframe("all rows")
            return self.batch_definitions[name]

    def prepare(self, document: dict) -> None:
        """Register a suite document's suite and frame asset ahead of its first validation."""
        self.suite(document)
        self.batch_definition(document["name"])

    def validate(self, document: dict, frame: _Frame, parameters: dict) -> Any:
        """Validate a frame against a suite document; return the GX result."""
        # A validator on the batch definition itself: `get_batch(...).validate(...)` builds the batch, then a
        # validator that builds it again.
        validator = self.validator(
            self.batch_definition(document["name"]),
            result_format=RESULT_FORMAT,
            batch_parameters={"dataframe": _gx_frame(frame)},
        )
        suite = self.suite(document)
        with self.configurations.active():
            return validator.validate_expectation_suite(suite, expectation_parameters=parameters)


_GX_LOCK = threading.Lock()
_GX: _GreatExpectations | None = None
_WARMING: threading.Thread | None = None


def _great_expectations() -> _GreatExpectations:
    """Return the process's GX context, importing GX on first use (once, whichever thread asks first)."""
    global _GX
    warming = _WARMING
    if warming is not None and warming is not threading.current_thread():
        warming.join()  # GX's context is not built for two threads at once: let the warm-up finish
    if _GX is None:
        with _GX_LOCK:
            if _GX is None:
                _GX = _GreatExpectations()
    return _GX


def warm_up(registry: Registry) -> None:
    """Import GX and register every template's suites now, so a validation later finds them ready."""
    gx = _great_expectations()
    for template_id in registry.templates:
        if (EXPECTATIONS_DIR / f"{template_id}.json").is_file():
            for document in suite_documents(template_id).values():
                gx.prepare(document)


def warm_up_in_background(registry: Registry) -> threading.Thread:
    """Start `warm_up` in a thread, so GX's import (seconds) overlaps parsing instead of following it.

    Every later use of GX in this process waits for it to finish. A failure is not raised here: the
    validation that needs GX meets it again and raises it where it belongs.
    """
    global _WARMING
    if _WARMING is not None:
        return _WARMING

    def run() -> None:
        try:
            warm_up(registry)
        except Exception:  # raised again, in context, by the validation that needs GX
            logging.getLogger(__name__).debug("GX warm-up failed", exc_info=True)

    thread = threading.Thread(target=run, name="gx-warm-up", daemon=True)
    _WARMING = thread
    thread.start()
    return thread


_AS_THEY_ARE = frozenset({str, int, type(None)})  # what `_gx_value` leaves alone, by exact class
_NUMBERS = _AS_THEY_ARE | {Decimal}


def _gx_frame(frame: _Frame) -> Any:
    """Build the GX frame, column by column: Decimal to float, a date to a Timestamp, the rest as they are."""
    import pandas as pd  # loaded with GX already; imported here so importing this module stays light

    columns = {}
    for name, values in frame.columns.items():
        classes = set(map(type, values))
        if classes <= _AS_THEY_ARE:
            columns[name] = values
        elif classes <= _NUMBERS:  # most columns: amounts beside blanks, converted without a call per value
            columns[name] = [float(v) if v.__class__ is Decimal else v for v in values]
        else:
            columns[name] = [_gx_value(v) for v in values]
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame)), dtype=object)


def _gx_value(value: object) -> object:
    """Convert a value for the GX frame only: Decimal to float, a date to a pandas Timestamp."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        import pandas as pd  # loaded with GX already; imported here so importing this module stays light

        return pd.Timestamp(value)
    return value


def _raised(exception_info: dict | None) -> str | None:
    """Return the message of an exception GX caught while checking an expectation, if any."""
    info = exception_info or {}
    # One record for the expectation, or one per metric it needed.
    records = [info] if "raised_exception" in info else list(info.values())
    failed = (r for r in records if isinstance(r, dict) and r.get("raised_exception"))
    return next((r.get("exception_message") or "unknown error" for r in failed), None)


def _fill(text: str, row: dict, extra: Mapping[str, object] | None = None) -> str:
    """Fill the `{column}` placeholders of a suite text with displayed frame values."""
    fields = {k: display(v) for k, v in (row | dict(extra or {})).items() if v is not None}
    return text.format_map(fields)


class _Findings:
    """Collect problems per batch key, once per cell, skipping cells the parser already reported."""

    def __init__(self, sheets: list[_Sheet]):
        self.sheets = {(s.batch, s.parsed.name): s for s in sheets}
        self.problems: dict[Hashable, list[tuple[tuple, Problem]]] = {s.key: [] for s in sheets}
        self.seen: set[tuple] = set()

    def add(self, sheet: _Sheet, column: str, problem: Problem) -> None:
        """Keep a problem unless it repeats one already kept or a cell the parser reported."""
        identity = (
            sheet.batch,
            problem.sheet,
            problem.excel_row,
            problem.column_header,
            problem.rule,
            problem.value,
        )
        if identity in self.seen or (problem.excel_row, problem.column_header) in sheet.reported:
            return
        self.seen.add(identity)
        order = (sheet.order, problem.excel_row or 0, sheet.positions.get(column, -1))
        self.problems[sheet.key].append((order, problem))

    def read(self, template: Template, kind: str, result: Any, frame: _Frame) -> None:
        """Turn the failed expectations of one GX result into problems."""
        by_lineage = frame.positions()
        if len(by_lineage) != len(frame):
            raise RuntimeError(f"suite {result.suite_name!r}: two frame rows blame the same Excel row")
        rows: dict[int, dict] = {}  # the rows blamed so far, by position
        for outcome in result.results:
            config = outcome.expectation_config
            if message := _raised(outcome.exception_info):
                raise RuntimeError(f"suite {result.suite_name!r}: {config.type} failed to run: {message}")
            if outcome.success:
                continue
            indices = outcome.result.get("unexpected_index_list")
            if indices is None:
                raise RuntimeError(f"suite {result.suite_name!r}: {config.type} failed without row lineage")
            meta = config.meta
            blame = meta.get("blame") or config.kwargs["column"]
            failing = []
            for i in indices:
                position = by_lineage[(int(i["_batch"]), i["_sheet"], int(i["_excel_row"]))]
                if position not in rows:
                    rows[position] = frame.row(position)
                failing.append(rows[position])
            duplicates = config.type in DUPLICATE_EXPECTATIONS
            alike = config.kwargs.get("column_list") or [config.kwargs.get("column", blame)]
            for row, extra in _blamed_rows(failing, alike if duplicates else None):
                sheet = self.sheets[(row["_batch"], row["_sheet"])]
                if kind == DATA_ROWS:
                    self._cell(template, sheet, meta, blame, row, extra)
                else:
                    self._derived(template, sheet, meta, row)

    def _cell(
        self, template: Template, sheet: _Sheet, meta: dict, column: str, row: dict, extra: dict
    ) -> None:
        """Report a data-row cell, under its header as written."""
        header = sheet.headers.get(column)
        excel_row: int | None = row["_excel_row"]
        if header is None:
            if meta["rule"] == "required":
                return  # the parser reported the missing column
            # The value came from a line above the table (`项目名称：…`), not from a cell: report it once, on that line.
            header = template.column(column).header
            excel_row = sheet.parsed.meta.rows.get(_META_ROW_OF.get(column, ""))
        problem = cell_problem(
            meta["rule"],
            sheet=sheet.parsed.name,
            excel_row=excel_row,
            header=header,
            value=sheet.as_written(column, row[column], excel_row),
            expected=_fill(meta["expected_zh"], row, extra),
            fix=_fill(meta["fix_zh"], row, extra),
            severity=Severity(meta["severity"]),
        )
        self.add(sheet, column, problem)

    def _derived(self, template: Template, sheet: _Sheet, meta: dict, row: dict) -> None:
        """Report a derived-frame row against the rows and header it blames."""
        column = meta["blame"]
        header = sheet.headers.get(column, template.column(column).header)
        found, expected, fix = (_fill(meta[k], row) for k in ("found_zh", "expected_zh", "fix_zh"))
        problem = Problem(
            severity=Severity(meta["severity"]),
            rule=meta["rule"],
            message_zh=f"第{row['_rows']}行「{header}」{found}，{expected}，{fix}。",
            sheet=sheet.parsed.name,
            excel_row=row["_excel_row"],
            column_header=header,
            value=sheet.as_written(meta["value"], row[meta["value"]]),
            expected=expected,
            fix=fix,
        )
        self.add(sheet, column, problem)

    def by_key(self) -> dict[Hashable, list[Problem]]:
        """Return each batch key's problems by sheet, Excel row and column."""
        return {
            key: [p for _, p in sorted(found, key=lambda item: item[0])]
            for key, found in self.problems.items()
        }


# The line above a table each column's value may come from, as `SheetMeta.rows` keys it.
_META_ROW_OF = {"project_name": "project", "year": "year"}


def _blamed_rows(failing: list[dict], alike: list[str] | None) -> list[tuple[dict, dict]]:
    """Return the failing rows to report; of duplicates (rows alike in these columns), every one after the first,
    naming the first."""
    if alike is None:
        return [(row, {}) for row in failing]
    first_of: dict[tuple, int] = {}
    blamed = []
    for row in sorted(failing, key=lambda r: (r["_batch"], r["_sheet"], r["_excel_row"])):
        # Alike in every column checked, not only the one blamed: two pairs of copies may share an amount.
        group = (row["_batch"], row["_sheet"], *(row[c] for c in alike))
        if group in first_of:
            blamed.append((row, {"duplicate_of": first_of[group]}))
        else:
            first_of[group] = row["_excel_row"]
    return blamed


def validate(batches: Iterable[Batch], registry: Registry, context: Context) -> Validation:
    """Validate parsed sheets: one GX run per template present, plus one per derived frame kind."""
    batches = [Batch(*b) for b in batches]
    batch_numbers: dict[Hashable, int] = {}
    by_template: dict[str, list[_Sheet]] = defaultdict(list)
    seen: set[tuple[int, str]] = set()
    for order, (key, parsed) in enumerate(batches):
        number = batch_numbers.setdefault(key, len(batch_numbers))
        if (number, parsed.name) in seen:
            raise ValueError(f"two sheets named {parsed.name!r} under one batch key {key!r}")
        seen.add((number, parsed.name))
        by_template[parsed.template.id].append(_Sheet.of(number, key, order, parsed))
    findings = _Findings([s for sheets in by_template.values() for s in sheets])
    parameters = {
        "known_projects": sorted(context.known_projects),
        "negative_list": sorted(context.negative_list),
    }
    results = []
    for template_id, sheets in by_template.items():
        template = registry.template(template_id)
        for kind, document in suite_documents(template_id).items():
            if kind == DATA_ROWS:
                frame = _data_rows(sheets, template)
            else:
                built = DERIVED_FRAMES[kind](sheets, context, registry)
                frame = built if isinstance(built, _Frame) else _Frame.of_rows(built)
            if not len(frame):
                continue
            result = _great_expectations().validate(document, frame, parameters)
            results.append((document["name"], result))
            findings.read(template, kind, result, frame)
    return Validation(
        problems=findings.by_key(),
        gx_validations=len(results),
        validated_at=dt.datetime.now(dt.UTC),
        results=results,
    )


def write_data_docs(validation: Validation, directory: Path, keep_days: int = DATA_DOCS_KEEP_DAYS) -> Path:
    """Write offline GX Data Docs of the suites, this validation and the runs of the last `keep_days`."""
    from pipeline import data_docs

    context = _great_expectations().context
    return data_docs.build(context, validation.results, validation.validated_at, directory, keep_days)
