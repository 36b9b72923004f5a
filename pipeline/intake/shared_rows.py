"""Reject a row another office's list holds for the same project and period; the implementing unit's list stands."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial

import duckdb

from pipeline.intake.periods import _Period, _period, said_when
from pipeline.intake.unique_rows import rows_by_entry, sheets_of, unique_templates
from pipeline.offices import Offices
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, row_value_problem
from pipeline.projects import ProjectRegister, implemented_by
from pipeline.registry import Registry
from pipeline.slice_keys import SheetSlices, slice_fields, slice_parts


@dataclass(frozen=True, slots=True)
class _Held:
    """A row of a file in force: its submission, file, office, slice, sheet, Excel row and project as written."""

    submission_id: int
    original_name: str
    unit: str
    slice_key: str
    sheet: str
    excel_row: int
    project_name: str | None


def _stored_rows(
    con: duckdb.DuckDBPyConnection | None, template_id: str, column: str, by: str, keys: list[str]
) -> list[tuple[_Period, str, _Held]]:
    """Return the rows of files in force whose `by` column (project code or the unique column) is one of `sliced`:
    each row's period, value of the unique column, and where it is held."""
    if con is None or not keys:
        return []
    found = []
    for key, value, submission, name, sheet, row, project in con.execute(
        f"select r.slice_key, r.{column}, r.submission_id, s.original_name, r.sheet, r.excel_row, r.project_name "
        f"from raw.{template_id} as r join ops.current_slices as c using (slice_key, submission_id) "
        "join ops.submissions as s using (submission_id) "
        f"where r.{by} in (select unnest(?::varchar[])) and r.{column} is not null",
        [keys],
    ).fetchall():
        template, unit, code, year, month = slice_parts(key)
        found.append(
            (
                (template, code, year, month),
                str(value),
                _Held(submission, name, unit, key, sheet, row, project),
            )
        )
    return found


def _taken_by_unit(
    con: duckdb.DuckDBPyConnection | None, template_id: str, column: str
) -> list[tuple[str, str, str | None, list[tuple[str, _Held]]]]:
    """Return the slices of this template an implementing unit's list holds in another office's place (no rows of
    its own there): (slice key, the unit holding it, project name, the rows of the office's list it took: the
    value of the unique `column`, and where each is held)."""
    if con is None:
        return []
    taken = con.execute(
        "select c.slice_key, s.unit, l.project_name, c.submission_id from ops.current_slices as c "
        "join ops.slices as l using (slice_key, submission_id) join ops.submissions as s using (submission_id) "
        "where l.template = ? and l.row_count = 0",
        [template_id],
    ).fetchall()
    if not taken:
        return []
    rows: dict[str, list[tuple[str, _Held]]] = defaultdict(list)
    # The list it was taken from: the slice's last one with rows before the unit's, not withdrawn.
    for key, value, submission, name, sheet, row, project in con.execute(
        "with taken as (select unnest(?::varchar[]) as slice_key, unnest(?::integer[]) as holder), "
        "taken_from as (select t.slice_key, max(l.submission_id) as submission_id from taken as t "
        "join ops.slices as l on l.slice_key = t.slice_key and l.submission_id < t.holder and l.row_count > 0 "
        "where l.submission_id not in (select submission_id from ops.submissions where status = 'withdrawn') "
        "group by 1) "
        f"select r.slice_key, r.{column}, r.submission_id, s.original_name, r.sheet, r.excel_row, r.project_name "
        f"from raw.{template_id} as r join taken_from using (slice_key, submission_id) "
        f"join ops.submissions as s using (submission_id) where r.{column} is not null order by r.sheet, r.excel_row",
        [[key for key, *_ in taken], [holder for *_, holder in taken]],
    ).fetchall():
        rows[key].append((str(value), _Held(submission, name, slice_parts(key)[1], key, sheet, row, project)))
    return [(key, unit, project, rows[key]) for key, unit, project, _ in taken]


def flag_shared_rows(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: list[ParsedFile],
    register: ProjectRegister,
    offices: Offices,
    entries: Entries | None = None,
) -> None:
    """Reject a sheet listing a row (a compound) that another office's list holds for the same project and period;
    the project's implementing unit's own list stands, whichever came first.

    Several offices may each send a list for one project (each its own compounds), so these templates are not
    by the implementing unit; but one compound in two offices' lists is counted twice: a copy forwarded without
    `填报单位：` naming the office it is for, or an office listing the unit's compounds. The implementing unit's
    list (or one sent for it, 代报) is the project's, so arrival must not decide: it is checked first, another
    office's list of this run naming one of its rows is returned, and another office's list in force naming one
    gives the unit's list its slice (`taken_slices`: it no longer counts) and is told so on its receipt. Between
    lists of other offices only arrival can decide: the first stands. `entries`: the files' `listed_rows`, where a
    caller has them already.
    """
    for template, unique in unique_templates(registry):
        sheets = sheets_of(files, template)
        if not sheets:
            continue
        codes = sorted(
            {str(r["project_code"]) for _, s in sheets for r in s.records if r.get("project_code")}
        )
        listed: dict[tuple[_Period, str], set[str]] = defaultdict(set)
        stored: dict[tuple[_Period, str], list[_Held]] = defaultdict(list)
        for period, value, held in _stored_rows(con, template.id, unique, "project_code", codes):
            listed[(period, value)].add(held.unit)
            stored[(period, value)].append(held)
        taken = _taken_by_unit(con, template.id, unique)
        rows = [
            (file, sheet, entries[id(sheet)] if entries is not None else rows_by_entry(sheet, unique))
            for file, sheet in sheets
        ]
        owns = partial(_owns, register, offices)
        for file, sheet, mine in rows:  # the implementing units' lists first
            own = {entry: record for entry, record in mine.items() if owns(file, entry[0])}
            _take_over(file, sheet, own, listed, stored, taken)
            for entry in own:
                listed[entry].add(file.unit)
        for file, sheet, mine in rows:
            header = sheet.header_of(unique)
            others_of = {entry: record for entry, record in mine.items() if not owns(file, entry[0])}
            for entry, record in others_of.items():
                others = sorted(listed[entry] - {file.unit})
                if others:
                    file.problems.append(
                        _listed_twice(sheet, record, header, entry[1], file.unit, others, entry[0])
                    )
            for entry in others_of:
                listed[entry].add(file.unit)


def _owns(register: ProjectRegister, offices: Offices, file: ParsedFile, period: _Period) -> bool:
    """Say whether a file's office implements the project of a period (its list is the project's)."""
    return implements_project(register, offices, file.unit, period[1], int(period[2]))


def implements_project(
    register: ProjectRegister, offices: Offices, unit: str | None, code: str, year: int
) -> bool:
    """Say whether an office implements a project in a year, as the register says."""
    project = register.row_for(code, year) if register.rows_of(code) else None
    return project is not None and bool(project.implementing_unit) and implemented_by(project, unit, offices)


# A file's rows by entry (`rows_by_entry`) on each sheet `flag_shared_rows` judges, by the sheet's id.
Entries = dict[int, dict[tuple[_Period, str], dict]]


def listed_rows(registry: Registry, file: ParsedFile) -> Entries:
    """Return a file's rows by entry on each sheet `flag_shared_rows` judges: a file read ahead walks its rows once,
    for `listed_entries` and `flag_shared_rows` both."""
    return {
        id(sheet): rows_by_entry(sheet, unique)
        for template, unique in unique_templates(registry)
        for _, sheet in sheets_of([file], template)
    }


def listed_entries(
    file: ParsedFile, entries: Entries, register: ProjectRegister, offices: Offices
) -> tuple[set[str], set[str]]:
    """Return the rows a file lists (its `listed_rows`) as keys of their template, period and value: those of
    projects its office implements, and the others."""
    own: set[str] = set()
    others: set[str] = set()
    for mine in entries.values():
        for period, value in mine:
            (own if _owns(register, offices, file, period) else others).add("|".join([*period, value]))
    return own, others


def _take_over(
    file: ParsedFile,
    sheet: ParsedSheet,
    own: dict[tuple[_Period, str], dict],
    listed: dict[tuple[_Period, str], set[str]],
    stored: dict[tuple[_Period, str], list[_Held]],
    taken: list[tuple[str, str, str | None, list[tuple[str, _Held]]]],
) -> None:
    """Give an implementing unit's list the slices of other offices' lists in force naming its rows, and those its
    unit's earlier list took; word a warning for it and for each list it takes out of force."""
    periods = {period for period, _ in own}
    kept: dict[str, list[tuple[dict, str, _Held]]] = {}
    unnamed: list[tuple[str, dict, list[tuple[str, _Held]]]] = []  # kept, naming none of the office's rows
    # An earlier list of the unit took them: this one, replacing it, keeps them, and says so where it names a row
    # of the office's list too, as the earlier list did (that receipt is superseded with it).
    for key, holder, project, rows in taken:
        template, unit, code, year, month = slice_parts(key)
        if holder == file.unit and (template, code, year, month) in periods:
            file.taken_slices[key] = slice_fields(key, project)
            period = (template, code, year, month)
            found = [  # in the order of its own rows, as a list taking a slice says it
                (record, value, held)
                for (at, value), record in own.items()
                if at == period
                for named, held in rows
                if named == value
            ]
            if found:
                kept[key] = found
            elif rows:
                # The rows both listed dropped, the office's stay out all the same: said at this list's first row of
                # the project, as nothing else in force would say it.
                unnamed.append((key, next(r for (at, _), r in own.items() if at == period), rows))
    shared: dict[str, list[tuple[dict, str, _Held]]] = defaultdict(list)
    for entry, record in own.items():
        for held in stored[entry]:
            if held.unit != file.unit:
                shared[held.slice_key].append((record, entry[1], held))
    header = sheet.header_of(next(c.name for c in sheet.template.columns if c.unique))
    for key, found in kept.items():
        _tell(file, key, _took(sheet, found[0][0], header, found, file.unit))
    for key, record, rows in unnamed:
        _tell(file, key, _kept_unnamed(sheet, record, header, rows))
    for key, found in shared.items():
        record, value, held = found[0]
        file.taken_slices[key] = slice_fields(key, held.project_name)
        _, unit, _, year, month = slice_parts(key)
        for entry in listed:  # out of force: a list of this run naming its rows is not returned for them
            if entry[0][1:] == slice_parts(key)[2:]:
                listed[entry].discard(unit)
        _tell(file, key, _took(sheet, record, header, found, file.unit))
        told = (held.submission_id, partial(_taken, sheet, found, header, file))
        file.told_stored.append(told)
        file.taken_told[key].append(told)


def _tell(file: ParsedFile, key: str, problem: Problem) -> None:
    """Warn a list of taking a slice, remembering the warning with the slice."""
    file.problems.append(problem)
    file.taken_told.setdefault(key, []).append(problem)


def give_back_slices(files: list[ParsedFile], sliced: SheetSlices | None = None) -> None:
    """Give back each slice an implementing unit's list took from another office's list in force where a list of
    that office holding the slice is taken in before it in the same run: given in files to be taken in, as received.

    That list replaces the one in force first, as on a night of its own, so the unit's list finds nothing of the
    office's to take: taken all the same, and stored after it, the office's own rows (compounds the unit's list does
    not name) would drop out of force with nothing said. A list of the office naming a row of the unit's is returned
    (`_listed_twice`), so it never gets here.
    """
    held: set[str] = set()  # the office slices of the files received so far
    sliced = SheetSlices() if sliced is None else sliced
    for file in files:
        for key in [key for key in file.taken_slices if key in held]:
            del file.taken_slices[key]
            for told in file.taken_told.pop(key, []):
                if isinstance(told, Problem):
                    file.problems.remove(told)
                else:
                    file.told_stored.remove(told)
        for sheet in file.sheets:
            held |= sliced.keys(sheet)


def _record_when(sheet: ParsedSheet, record: dict) -> str:
    """Say the year (and month) of the slice a row of a sheet belongs to."""
    return said_when(*_period(sheet.template.id, record, "month" in sheet.template.slice)[2:])


def _took(
    sheet: ParsedSheet, record: dict, header: str, found: list[tuple[dict, str, _Held]], unit: str
) -> Problem:
    held = found[0][2]
    values = "、".join(f"“{value}”" for _, value, _ in found)
    form = sheet.template.name_zh
    expected = (
        f"{header}{values}已列在{held.unit}报送的第{held.submission_id}号提交“{held.original_name}”的项目"
        f"“{record.get('project_name')}”{_record_when(sheet, record)}"
        f"{form}中；本单位是该项目的实施单位，该项目的{form}以本表为准，{held.unit}该份{form}中本项目的各行不再计入"
    )
    fix = f"请与{held.unit}核对：如其中有确由其负责的小区，请其只填写这些小区重新报送；否则无需处理"
    return row_value_problem(
        "took_other_unit_list",
        Severity.WARNING,
        sheet=sheet.name,
        excel_row=record["excel_row"],
        header=header,
        value=found[0][1],
        expected=expected,
        fix=fix,
        # The list whose slice it took: that slice tells whether the warning still applies (`retell.retell_took`).
        named=(held.submission_id,),
    )


def _kept_unnamed(sheet: ParsedSheet, record: dict, header: str, rows: list[tuple[str, _Held]]) -> Problem:
    """Tell a unit's list that it keeps another office's slice its earlier list took, though it names none of the
    rows of the office's list any more: those rows still do not count."""
    held = rows[0][1]
    form = sheet.template.name_zh
    shown = "、".join(f"“{value}”" for value, _ in rows[:_SHOWN])
    more = f"等{len(rows)}个" if len(rows) > _SHOWN else ""
    expected = (
        f"所在的项目“{record.get('project_name')}”"
        f"{_record_when(sheet, record)}的各行未再列出{held.unit}"
        f"报送的第{held.submission_id}号提交“{held.original_name}”中的{header}{shown}{more}，但本单位此前报送的"
        f"{form}已替代该表：本单位是该项目的实施单位，该表中本项目的各行仍不计入"
    )
    fix = (
        f"请与{held.unit}核对：其中确由其负责的{header}，请其只填写这些{header}重新报送该项目的{form}，"
        "届时按其新表计入；如确已不属本项目，无需处理"
    )
    return row_value_problem(
        "took_other_unit_list",
        Severity.WARNING,
        sheet=sheet.name,
        excel_row=record["excel_row"],
        header=header,
        value=None,
        expected=expected,
        fix=fix,
        named=(held.submission_id,),  # as `_took`'s: the slice tells whether it still applies
    )


# Rows of the office's list a warning names; more are counted.
_SHOWN = 5


def _taken(
    sheet: ParsedSheet, found: list[tuple[dict, str, _Held]], header: str, file: ParsedFile, number: int
) -> Problem:
    """Tell another office's list in force that the implementing unit's list, stored as `number`, replaced it."""
    record, value, held = found[0]
    form = sheet.template.name_zh
    expected = (
        f"{header}“{value}”也列在项目实施单位{file.unit}报送的第{number}号提交“{file.original_name}”第"
        f"{record['excel_row']}行；项目“{record.get('project_name')}”的{form}以实施单位报送的为准，本表中该项目"
        f"{_record_when(sheet, record)}的各行已由其替代，不再计入"
    )
    fix = f"如本单位另有该项目的{header}，请只填写确由本单位负责的各行重新报送；如本表是代{file.unit}报送的，无需处理"
    return row_value_problem(
        "listed_by_other_unit",
        Severity.WARNING,
        sheet=held.sheet,
        excel_row=held.excel_row,
        header=header,
        value=value,
        expected=expected,
        fix=fix,
        # Out of force with no list of the unit holding the slice after it (`stored_before._name_keepers`), this file's
        # rows count again: the warning no longer applies.
        named=(number,),
    )


def _listed_twice(
    sheet: ParsedSheet, record: dict, header: str, value: str, unit: str, others: list[str], period: _Period
) -> Problem:
    when = said_when(*period[2:])
    expected = (
        f"{header}“{value}”已列在{'、'.join(others)}报送的项目“{record.get('project_name')}”{when}"
        f"{sheet.template.name_zh}中，两份都计入会重复计算"
    )
    fix = (
        f"如本表是代{others[0]}报送或转报的同一份数据，请在表格上方写明“填报单位：{others[0]}”后重新报送，"
        f"本表即替代其原表；如该{header}确属{unit}，请与{others[0]}核对，只由一方填报"
    )
    return row_value_problem(
        "listed_by_other_unit",
        Severity.ERROR,
        sheet=sheet.name,
        excel_row=record["excel_row"],
        header=header,
        value=value,
        expected=expected,
        fix=fix,
    )
