"""Build the frames a suite validates: every data row of a template's sheets, and the derived frames its meta
declares (one row per sheet, per 其中 group, per month…), each row with the lineage that blames an Excel row."""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import display
from pipeline.registry import Registry
from pipeline.registry_columns import ColumnType
from pipeline.registry_templates import Template
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
    # be checked when a file carries only the latest months (intake.later_months.monthly_history).
    monthly_history: Mapping[tuple, Mapping[int, Decimal]] = field(default_factory=dict)
    # The files of this run to be taken in, by batch key, named as sent, in the order they are stored: their
    # months stand in for months another file lacks, a later file's over an earlier one's and the warehouse's,
    # as their slices will.
    run_files: Mapping[Hashable, str] = field(default_factory=dict)
    # The months of `monthly_history` a file of this run stored in an earlier chunk holds, named as sent: they are
    # the run's months, told as a file of the run in one piece (intake.later_months.run_names).
    history_names: Mapping[tuple, Mapping[int, str]] = field(default_factory=dict)


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
        context = self.written_unit(column, excel_row)
        if context is not None and isinstance(value, Decimal):
            value = (value / context.factor).normalize()
        return None if value is None else display(value)

    def written_unit(self, column: str, excel_row: int | None = None) -> UnitContext | None:
        """Return the unit a cell was written in where it is not the unit stored: its row's, else its header's."""
        found = self.parsed.row_units.get((excel_row, column)) if excel_row is not None else None
        return found or self.parsed.written_units.get(column)

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
    groups = {t.header: b.header for b in parsed.bindings for t in b.ticks}
    if not groups:
        return reported
    return reported | {(row, groups[header]) for row, header in reported if header in groups}


def span(rows: list[int]) -> str:
    """Name Excel rows the way a clerk reads them: `7` or `7至12`."""
    first, last = min(rows), max(rows)
    return str(first) if first == last else f"{first}至{last}"


def _blamed(sheet: Sheet, rows: list[int]) -> dict:
    """Return the lineage of a derived-frame row blaming these Excel rows (the first one is recorded)."""
    return sheet.lineage(min(rows)) | {"_rows": span(rows)}


# Derived frames: one builder per kind a suite may declare in its meta `derived_frames`.
Builder = Callable[[list[Sheet], Context, Registry], "list[dict] | Frame"]


def _responses_per_row(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
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


def _weight_total_per_sheet(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
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


def _parts_per_parent_row(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per row with 其中 parts: its 数量 beside the sum of its parts in the same unit, both also shown
    in the unit the row was written in."""
    frame = []
    for sheet in sheets:
        for parent, parts in _part_groups(sheet.parsed.records):
            alike = [p for p in parts if p.get("quantity_unit") == parent.get("quantity_unit")]
            quantities = [sheet.values(r, "quantity") for r in (parent, *alike)]
            if not alike or None in quantities:
                continue
            (parent_quantity,), *part_quantities = quantities
            parts_sum = sum(q for (q,) in part_quantities)
            row = parent["excel_row"]
            # The receipt quotes the row as the clerk wrote it (763139300 元, not the 76313.93 万元 stored), and the
            # parts' sum in that same unit, so the two compare at a glance.
            written = sheet.written_unit("quantity", row)
            frame.append(
                _blamed(sheet, [row])
                | {
                    "parent_quantity": parent_quantity,
                    "parts_sum": parts_sum,
                    "parts_excess": parts_sum - parent_quantity,
                    "part_rows": span([p["excel_row"] for p in alike]),
                    "parent_written": sheet.as_written("quantity", parent_quantity, row),
                    "parts_sum_written": sheet.as_written("quantity", parts_sum, row),
                    "written_unit": written.name if written else parent.get("quantity_unit") or "",
                }
            )
    return frame


def _investment_total_per_project(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
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


def _money_per_row(sheets: list[Sheet], context: Context, registry: Registry) -> Frame:
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
    return Frame(dict(columns))


# area_per_household's columns for an area column `x`: `x_per_household` (平方米 a household, checked), `x_shown`
# (the same, rounded for the message), `x_unit` (its header's unit, the base where it names none) and `x_written`
# (the cell as written, with that unit).
PER_HOUSEHOLD = "_per_household"
HOUSEHOLD = "户"  # the `counts` of the column an area is divided by


def _area_per_household(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
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


def _funds_per_project(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
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
    # Read from the suite (±0.01 万元, submissions.md), so the frame and the check never disagree. Imported here:
    # reading a suite checks its derived frames against this module's builders.
    from pipeline.suites import suite_documents

    for expectation in suite_documents(template_id)["cumulative_per_row"]["expectations"]:
        kwargs = expectation["kwargs"]
        if kwargs.get("column") == "cumulative_gap" and kwargs.get("max_value") is not None:
            return Decimal(str(kwargs["max_value"]))
    return Decimal(0)  # nothing checks the gap: every change of it is one


# The rows of each month per (batch, unit, project, year): (sheet, record) pairs.
_Months = dict[tuple, dict[int, list[tuple[Sheet, dict]]]]


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


def _cumulative_per_row(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
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
        period = (template_id, unit, str(project), str(year))
        history, names = context.monthly_history.get(period, {}), context.history_names.get(period, {})
        elsewhere = {month: (amount, names.get(month)) for month, amount in history.items()} | in_run.get(
            group[1:], {}
        )
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


class Frame:
    """A frame to validate, held by column (as GX takes it); a row is built as a dict only when it is blamed."""

    def __init__(self, columns: dict[str, list]):
        self.columns = columns
        self.length = len(next(iter(columns.values()))) if columns else 0

    @classmethod
    def of_rows(cls, rows: list[dict]) -> Frame:
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
        columns[column.name] = list(map(operator.methodcaller("get", column.name), records))
    return Frame(columns)
