"""Flag a file whose project and period another office's file, or another sheet of its own, already holds: the
marts add the two up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial

import duckdb

from pipeline.offices import Offices
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, row_value_problem
from pipeline.project_names import implements, project_name_problem
from pipeline.projects import ProjectRegister, slice_parts
from pipeline.registry import Registry
from pipeline.registry_templates import Template

# A slice without its office: (template, project code, year, month or "").
_Period = tuple[str, str, str, str]


def _period(template_id: str, record: dict, with_month: bool) -> _Period | None:
    code, year = record.get("project_code"), record.get("year")
    if code is None or year is None:
        return None
    return template_id, str(code), str(year), str(record.get("month") or "") if with_month else ""


def _periods(sheet: ParsedSheet) -> dict[_Period, dict]:
    """Return the periods a sheet's records are for, each with its first record."""
    with_month = "month" in sheet.template.slice
    periods: dict[_Period, dict] = {}
    for record in sheet.records:
        period = _period(sheet.template.id, record, with_month)
        if period is not None:
            periods.setdefault(period, record)
    return periods


def _stored_holders(con: duckdb.DuckDBPyConnection | None, templates: list[str]) -> dict[_Period, set[str]]:
    """Return the offices whose files are in force for each period of these templates."""
    holders: dict[_Period, set[str]] = defaultdict(set)
    if con is None or not templates:
        return holders
    for (key,) in con.execute(
        "select slice_key from ops.current_slices where split_part(slice_key, '|', 1) in "
        "(select unnest(?::varchar[]))",
        [templates],
    ).fetchall():
        template, unit, code, year, month = slice_parts(key)
        holders[(template, code, year, month)].add(unit)
    return holders


def flag_overlaps(con: duckdb.DuckDBPyConnection | None, registry: Registry, files: list[ParsedFile]) -> None:
    """Warn on each sheet from one office for a period another office's file holds, in force or in this run.

    Only for what a project's implementing unit sends (ledgers, self-evaluations…): an office may report on a
    project it does not implement (issue 13), but its file then stands beside the unit's, not in its place.
    Whether both are meant to count (two offices' own money) or one repeats the other (a forwarded copy that
    does not name the unit) only the clerk can tell, so the receipt asks.
    """
    templates = [t.id for t in registry.templates.values() if t.project.by_implementing_unit]
    sheets: list[tuple[ParsedFile, ParsedSheet, dict[_Period, dict]]] = []
    holders = _stored_holders(con, templates)
    for file in files:
        if file.errors or file.unit is None:
            continue
        for sheet in file.sheets:
            template = sheet.template
            if not template.project.by_implementing_unit:
                continue
            periods = _periods(sheet)
            sheets.append((file, sheet, periods))
            for period in periods:
                holders[period].add(file.unit)
    for file, sheet, periods in sheets:
        for period, record in periods.items():
            others = sorted(holders[period] - {file.unit})
            if others:
                file.problems.append(_beside(sheet, record, file.unit, others, period))


def _beside(sheet: ParsedSheet, record: dict, unit: str, others: list[str], period: _Period) -> Problem:
    _, _, year, month = period
    when = f"{year}年度{f'{month}月' if month else ''}"
    named = "、".join(others)
    expected = f"项目“{record.get('project_name')}”{when}的{sheet.template.name_zh}已有{named}报送的数据"
    fix = (
        f"本表与之分别计入、合计发布；如本表是代{others[0]}报送或转报的同一份数据，请写明“填报单位：{others[0]}”"
        "重新报送以替代原表；如确为本单位另行报送的数据，可忽略此提示"
    )
    return project_name_problem(
        Severity.WARNING,
        "beside_other_unit",
        sheet,
        record,
        f"{expected}，{fix}。",
        expected=expected,
        fix=fix,
    )


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
    """Return the rows of files in force whose `by` column (project code or the unique column) is one of `keys`:
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
    con: duckdb.DuckDBPyConnection | None, template_id: str
) -> list[tuple[str, str, str | None]]:
    """Return the slices of this template an implementing unit's list holds in another office's place (no rows of
    its own there): (slice key, the unit holding it, project name)."""
    if con is None:
        return []
    return con.execute(
        "select c.slice_key, s.unit, l.project_name from ops.current_slices as c "
        "join ops.slices as l using (slice_key, submission_id) join ops.submissions as s using (submission_id) "
        "where l.template = ? and l.row_count = 0",
        [template_id],
    ).fetchall()


def unique_templates(registry: Registry) -> list[tuple[Template, str]]:
    """Return the templates sent by any office (not only the implementing unit) with a unique column, and it."""
    found = []
    for template in registry.templates.values():
        unique = next((c.name for c in template.columns if c.unique), None)
        if not template.project.by_implementing_unit and unique is not None and "unit" in template.slice:
            found.append((template, unique))
    return found


def rows_by_entry(sheet: ParsedSheet, column: str) -> dict[tuple[_Period, str], dict]:
    """Return a sheet's first record for each period and value of its unique column."""
    mine: dict[tuple[_Period, str], dict] = {}
    for record in sheet.records:
        period = _period(sheet.template.id, record, "month" in sheet.template.slice)
        if period is not None and record.get(column) is not None:
            mine.setdefault((period, str(record[column])), record)
    return mine


def sheets_of(files: list[ParsedFile], template: Template) -> list[tuple[ParsedFile, ParsedSheet]]:
    return [
        (file, sheet)
        for file in files
        if not file.errors and file.unit is not None
        for sheet in file.sheets
        if sheet.template.id == template.id
    ]


def flag_shared_rows(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: list[ParsedFile],
    register: ProjectRegister,
    offices: Offices,
) -> None:
    """Reject a sheet listing a row (a compound) that another office's list holds for the same project and period;
    the project's implementing unit's own list stands, whichever came first.

    Several offices may each send a list for one project (each its own compounds), so these templates are not
    by the implementing unit; but one compound in two offices' lists is counted twice: a copy forwarded without
    `填报单位：` naming the office it is for, or an office listing the unit's compounds. The implementing unit's
    list (or one sent for it, 代报) is the project's, so arrival must not decide: it is checked first, another
    office's list of this run naming one of its rows is returned, and another office's list in force naming one
    gives the unit's list its slice (`taken_slices`: it no longer counts) and is told so on its receipt. Between
    lists of other offices only arrival can decide: the first stands.
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
        taken = _taken_by_unit(con, template.id)
        rows = [(file, sheet, rows_by_entry(sheet, unique)) for file, sheet in sheets]

        def owns(file: ParsedFile, period: _Period) -> bool:
            code, year = period[1], int(period[2])
            implementer = register.row_for(code, year).implementing_unit if register.rows_of(code) else None
            return bool(implementer) and implements(file.unit, implementer, offices)

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


def _take_over(
    file: ParsedFile,
    sheet: ParsedSheet,
    own: dict[tuple[_Period, str], dict],
    listed: dict[tuple[_Period, str], set[str]],
    stored: dict[tuple[_Period, str], list[_Held]],
    taken: list[tuple[str, str, str | None]],
) -> None:
    """Give an implementing unit's list the slices of other offices' lists in force naming its rows, and those its
    unit's earlier list took; word a warning for it and for each list it takes out of force."""
    periods = {period for period, _ in own}
    # An earlier list of the unit took them: this one, replacing it, keeps them.
    for key, holder, project in taken:
        template, unit, code, year, month = slice_parts(key)
        if holder == file.unit and (template, code, year, month) in periods:
            file.taken_slices[key] = _slice_fields(key, project)
    shared: dict[str, list[tuple[dict, str, _Held]]] = defaultdict(list)
    for entry, record in own.items():
        for held in stored[entry]:
            if held.unit != file.unit:
                shared[held.slice_key].append((record, entry[1], held))
    header = sheet.header_of(next(c.name for c in sheet.template.columns if c.unique))
    for key, found in shared.items():
        record, value, held = found[0]
        file.taken_slices[key] = _slice_fields(key, held.project_name)
        _, unit, _, year, month = slice_parts(key)
        for entry in listed:  # out of force: a list of this run naming its rows is not returned for them
            if entry[0][1:] == slice_parts(key)[2:]:
                listed[entry].discard(unit)
        file.problems.append(_took(sheet, record, header, found, file.unit))
        file.told_stored.append((held.submission_id, partial(_taken, sheet, found, header, file)))


def _slice_fields(key: str, project_name: str | None) -> dict:
    template, unit, code, year, month = slice_parts(key)
    return {
        "template": template,
        "unit": unit,
        "project_code": code,
        "project_name": project_name,
        "year": int(year),
        "month": int(month) if month else None,
    }


def _when(period: _Period) -> str:
    _, _, year, month = period
    return f"{year}年度{f'{month}月' if month else ''}"


def _took(
    sheet: ParsedSheet, record: dict, header: str, found: list[tuple[dict, str, _Held]], unit: str
) -> Problem:
    held = found[0][2]
    values = "、".join(f"“{value}”" for _, value, _ in found)
    form = sheet.template.name_zh
    expected = (
        f"{header}{values}已列在{held.unit}报送的第{held.submission_id}号提交“{held.original_name}”的项目"
        f"“{record.get('project_name')}”{_when(_period(sheet.template.id, record, 'month' in sheet.template.slice))}"
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


def _taken(
    sheet: ParsedSheet, found: list[tuple[dict, str, _Held]], header: str, file: ParsedFile, number: int
) -> Problem:
    """Tell another office's list in force that the implementing unit's list, stored as `number`, replaced it."""
    record, value, held = found[0]
    form = sheet.template.name_zh
    expected = (
        f"{header}“{value}”也列在项目实施单位{file.unit}报送的第{number}号提交“{file.original_name}”第"
        f"{record['excel_row']}行；项目“{record.get('project_name')}”的{form}以实施单位报送的为准，本表中该项目"
        f"{_when(_period(sheet.template.id, record, 'month' in sheet.template.slice))}的各行已由其替代，不再计入"
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
        # Out of force with no list of the unit holding the slice after it (`store._name_keepers`), this file's
        # rows count again: the warning no longer applies.
        named=(number,),
    )


def _listed_twice(
    sheet: ParsedSheet, record: dict, header: str, value: str, unit: str, others: list[str], period: _Period
) -> Problem:
    _, _, year, month = period
    when = f"{year}年度{f'{month}月' if month else ''}"
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


def flag_second_forms(files: list[ParsedFile]) -> None:
    """Reject a sheet of a form (`one_sheet_per_slice`) for a project and period an earlier sheet of its file holds."""
    for file in files:
        first: dict[_Period, ParsedSheet] = {}
        for sheet in file.sheets:
            if not sheet.template.one_sheet_per_slice:
                continue
            for period, record in _periods(sheet).items():
                earlier = first.setdefault(period, sheet)
                if earlier is not sheet:
                    file.problems.append(_second_form(sheet, earlier, record, period))


def _second_form(sheet: ParsedSheet, earlier: ParsedSheet, record: dict, period: _Period) -> Problem:
    _, _, year, month = period
    when = f"{year}年度{f'{month}月' if month else ''}"
    expected = (
        f"工作表“{sheet.name}”与工作表“{earlier.name}”都是项目“{record.get('project_name')}”{when}的"
        f"{sheet.template.name_zh}，两份都计入会重复计算"
    )
    fix = "同一文件中每个项目每期只能有一份，请删去草稿或旧版的工作表，只保留定稿后重新报送"
    return Problem(
        Severity.ERROR,
        "second_form",
        f"{expected}，{fix}。",
        sheet=sheet.name,
        excel_row=record.get("excel_row"),
        value=earlier.name,
        expected=expected,
        fix=fix,
    )


def flag_repeated_across_sheets(registry: Registry, files: list[ParsedFile]) -> None:
    """Reject a row whose unique value (a 小区名称) another sheet of its file already lists for the same project
    and period: both sheets are stored in the one slice, and the row would be counted twice (a 汇总 sheet copying
    the 清单). Within one sheet the template's suite checks the same."""
    unique = {t.id: c.name for t in registry.templates.values() for c in t.columns if c.unique}
    for file in files:
        first: dict[tuple[_Period, str], tuple[ParsedSheet, dict]] = {}
        for sheet in file.sheets:
            column = unique.get(sheet.template.id)
            if column is None:
                continue
            with_month = "month" in sheet.template.slice
            for record in sheet.records:
                period = _period(sheet.template.id, record, with_month)
                if period is None or record.get(column) is None:
                    continue
                earlier = first.setdefault((period, str(record[column])), (sheet, record))
                if earlier[0] is not sheet:
                    file.problems.append(_repeated(sheet, record, column, *earlier, period))


def _repeated(
    sheet: ParsedSheet, record: dict, column: str, earlier: ParsedSheet, first: dict, period: _Period
) -> Problem:
    _, _, year, month = period
    when = f"{year}年度{f'{month}月' if month else ''}"
    header = sheet.header_of(column)
    value = record[column]
    expected = (
        f"{header}“{value}”已在本文件工作表“{earlier.name}”第{first['excel_row']}行填写，两张工作表都是项目"
        f"“{record.get('project_name')}”{when}的{sheet.template.name_zh}，都计入会重复计算"
    )
    fix = "请删去重复的行；如其中一张工作表只是另一张的副本或汇总，请删去该工作表后重新报送"
    return row_value_problem(
        "repeated_in_file",
        Severity.ERROR,
        sheet=sheet.name,
        excel_row=record["excel_row"],
        header=header,
        value=str(value),
        expected=expected,
        fix=fix,
    )
