"""Flag a file whose rows repeat, value for value, the rows of another year that its office holds for the same form
and project: a year written wrong and sent again with the year put right leaves the wrong year in force, and a
sheet copied from last year and sent unchanged reads as this year's figures."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal

import duckdb

from pipeline.intake.replaced_rows import Holder
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity
from pipeline.project_names import project_name_problem
from pipeline.raw_tables import LINEAGE_COLUMNS, raw_columns
from pipeline.registry import Registry
from pipeline.registry_columns import SUMMABLE_TYPES
from pipeline.registry_templates import Template
from pipeline.slice_keys import SheetSlices, project_year_records, slice_parts

# Columns that say which slice a row is of, or where it was read, not what it holds.
_IDENTITY = {name for name, _, _ in LINEAGE_COLUMNS} | {
    "project_name",
    "project_code",
    "project_code_derived",
    "year",
}
_SCALE = re.compile(r"decimal\(\d+,\s*(\d+)\)")
# Rounds as DuckDB casts text to a decimal (half away from zero); never raises on a figure too long to store,
# which the store itself refuses.
_ROUNDING = Context(prec=100, rounding=ROUND_HALF_UP, traps=[])

# Who holds a slice: the file, and its place in the run (-1 for a file stored before it, in an earlier chunk too).
_Holder = tuple[Holder, int]


@dataclass(slots=True)
class _Group:
    """A file's rows of one project and year: where to say so, the rows, and whether any has a figure."""

    sheet: ParsedSheet
    record: dict
    rows: Counter = field(default_factory=Counter)
    figures: bool = False


def flag_other_years(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: list[ParsedFile],
    stored_in_run: set[int] = frozenset(),
    sliced: SheetSlices | None = None,
) -> None:
    """Warn on each project and year of a file whose rows equal, as a multiset of values, the rows another file of
    its office holds in force for the same form and project in another year (stored, or earlier in `files`: the
    files to be stored, in the order they are stored).

    The rows of a project and year are compared whole, months and all (a monthly report copied from last year has
    last year's months), with the rows each other file holds at the run's end. Only the clerk knows whether the
    year was wrong, the sheet copied, or the two years alike, so the file is taken with a warning. Rows with no
    amount or count other than blank or zero say nothing, and are not compared. A file of this run stored in an
    earlier chunk (`stored_in_run`) is named as one of this run: a run cut into chunks words its receipts as a run
    in one piece does. `sliced` holds each sheet's slice keys, made once (for this call alone, if not given).
    """
    sliced = SheetSlices() if sliced is None else sliced
    taken = [(place, file) for place, file in enumerate(files) if file.unit is not None and not file.errors]
    for template in registry.templates.values():
        amounts = [c.name for c in (*template.columns, *template.fields) if c.type in SUMMABLE_TYPES]
        if template.may_repeat_across_years or not amounts:
            continue
        sent = [
            (place, file, sheets)
            for place, file in taken
            if (sheets := [s for s in file.sheets if s.template.id == template.id])
        ]
        if not sent:
            continue
        compared = _Compared(template)
        # Only a project an office holds or sends for two years or more can repeat another year: the rows of the
        # rest (nearly every file of a night) are never built, which would cost seconds at 10,000 files.
        twice = _in_two_years(con, template, compared, sent, sliced)
        if not twice:
            continue
        held = _stored(con, template, compared, twice, stored_in_run)
        groups: dict[int, dict[tuple[str, str, str], _Group]] = {}
        for place, file, sheets in sent:  # in order: a later file's slices replace an earlier one's
            slices, groups[place] = _rows_sent(compared, sheets, amounts, twice, sliced)
            holder = Holder(("run", id(file)), file.original_name, None)
            held.update((key, ((holder, place), rows)) for key, rows in slices.items())
        others = _by_project(held)
        for place, file, _ in sent:
            for (unit, code, year), group in groups[place].items():
                same = [
                    (holder, other_year)
                    for (holder, other_year), rows in others[(unit, code)].items()
                    if other_year != year and holder[1] < place and rows == group.rows
                ]
                if same and group.figures:
                    same.sort(key=lambda s: (s[1], s[0][1]))
                    file.problems.append(_same(group, year, [(h, y) for (h, _), y in same]))


class _Compared:
    """The raw columns a template's rows are compared by: all but those saying which slice a row is of or where it
    was read, a decimal rounded to its column's places as the warehouse keeps it."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.names: list[str] = []
        self.decimals: list[tuple[int, Decimal]] = []
        for name, sql_type, _ in raw_columns(template):
            if name not in _IDENTITY:
                if scale := _SCALE.fullmatch(sql_type):
                    self.decimals.append((len(self.names), Decimal(1).scaleb(-int(scale.group(1)))))
                self.names.append(name)

    def values(self, record: dict) -> tuple:
        values = list(map(record.get, self.names))
        for at, places in self.decimals:
            if isinstance(values[at], Decimal):
                values[at] = values[at].quantize(places, context=_ROUNDING)
        return tuple(values)


def _slices_of(
    compared: _Compared, sheets: list[ParsedSheet], sliced: SheetSlices | None = None
) -> Iterator[tuple[ParsedSheet, dict, str, tuple[str, str, str]]]:
    """Yield each record of a project and year with its sheet, slice key and (office, project code, year)."""
    periods: dict[str, tuple[str, str, str]] = {}  # by key: the rows of a sheet share a few slices
    for sheet, record, key in project_year_records(compared.template, sheets, sliced):
        period = periods.get(key)
        if period is None:
            period = periods[key] = slice_parts(key)[1:4]
        yield sheet, record, key, period


def _in_two_years(
    con: duckdb.DuckDBPyConnection | None,
    template: Template,
    compared: _Compared,
    sent: list[tuple[int, ParsedFile, list[ParsedSheet]]],
    sliced: SheetSlices,
) -> set[tuple[str, str]]:
    """Return the (office, project code) pairs held in force or sent for two years or more."""
    years: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _, _, sheets in sent:
        for _, _, _, (unit, code, year) in _slices_of(compared, sheets, sliced):
            years[(unit, code)].add(year)
    if con is not None:
        for (key,) in con.execute(
            "select slice_key from ops.current_slices where split_part(slice_key, '|', 1) = ?", [template.id]
        ).fetchall():
            _, unit, code, year, _ = slice_parts(key)
            if (unit, code) in years:
                years[(unit, code)].add(year)
    return {pair for pair, seen in years.items() if len(seen) > 1}


def _rows_sent(
    compared: _Compared,
    sheets: list[ParsedSheet],
    amounts: list[str],
    twice: set[tuple[str, str]],
    sliced: SheetSlices,
) -> tuple[dict[str, list[tuple]], dict[tuple[str, str, str], _Group]]:
    """Return a file's rows by slice key, and by office, project and year with where to name them, of the projects
    in `twice` only."""
    slices: dict[str, list[tuple]] = defaultdict(list)
    groups: dict[tuple[str, str, str], _Group] = {}
    for sheet, record, key, period in _slices_of(compared, sheets, sliced):
        if period[:2] not in twice:
            continue
        row = compared.values(record)
        slices[key].append(row)
        group = groups.get(period)
        if group is None:
            group = groups[period] = _Group(sheet, record)
        group.rows[row] += 1
        group.figures = group.figures or any(record.get(a) for a in amounts)
    return slices, groups


def _stored(
    con: duckdb.DuckDBPyConnection | None,
    template: Template,
    compared: _Compared,
    twice: set[tuple[str, str]],
    stored_in_run: set[int],
) -> dict[str, tuple[_Holder, list[tuple]]]:
    """Return, per slice in force of these offices' projects, the file holding it and its rows."""
    held: dict[str, tuple[_Holder, list[tuple]]] = {}
    if con is None:
        return held
    units = sorted({unit for unit, _ in twice})
    codes = sorted({code for _, code in twice})
    names = ", ".join(f"r.{name}" for name in compared.names)
    for key, number, original, *values in con.execute(
        f"select r.slice_key, s.submission_id, s.original_name, {names} from raw.{template.id} as r "
        "join ops.current_slices as c using (slice_key, submission_id) "
        "join ops.submissions as s using (submission_id) "
        "where r.unit in (select unnest(?::varchar[])) and r.project_code in (select unnest(?::varchar[]))",
        [units, codes],
    ).fetchall():
        # Decimals come back at their column's places, as `_Compared.values` rounds the run's.
        holder = Holder.stored(number, original, stored_in_run)
        held.setdefault(key, ((holder, -1), []))[1].append(tuple(values))
    return held


def _by_project(held: dict[str, tuple[_Holder, list[tuple]]]) -> dict[tuple[str, str], dict]:
    """Gather the slices held by office and project: (unit, code) → (holder, year) → the rows it holds that year."""
    gathered: dict[tuple[str, str], dict[tuple[_Holder, str], Counter]] = defaultdict(dict)
    for key, (holder, rows) in held.items():
        _, unit, code, year, _ = slice_parts(key)
        gathered[(unit, code)].setdefault((holder, year), Counter()).update(rows)
    return gathered


def _same(group: _Group, year: str, same: list[tuple[Holder, str]]) -> Problem:
    sheet, record = group.sheet, group.record
    form = sheet.template.name_zh
    named, withdraw = [], []
    for holder, other_year in same:
        if holder.number is not None:
            named.append(f"已入库的{other_year}年度《{form}》（第{holder.number}号提交“{holder.name}”）")
            withdraw.append(f"第{holder.number}号提交")
        else:
            named.append(f"本次同时接收的{other_year}年度《{form}》（“{holder.name}”）")
            withdraw.append(f"“{holder.name}”")
    years = "、".join(dict.fromkeys(f"{other_year}年度" for _, other_year in same))
    expected = f"本表项目“{record.get('project_name')}”{year}年度的各行数据与{'、'.join(named)}完全相同"
    fix = (
        f"若本表是更正年度填写错误，请联系财政局撤回{'、'.join(withdraw)}；若是沿用{years}的表格，请核对数据后"
        "重新报送；如确属两个年度数据相同，可忽略此提示"
    )
    return project_name_problem(
        Severity.WARNING,
        "same_as_other_year",
        sheet,
        record,
        f"{expected}：{fix}。",
        expected=expected,
        fix=fix,
        # A file of this run is numbered once stored: it is named by the parsed file until then.
        named=tuple(dict.fromkeys(holder.key for holder, _ in same)),
    )
