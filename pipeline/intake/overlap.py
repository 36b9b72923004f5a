"""Flag a file whose project and period another office's file, or another sheet of its own, already holds: the
marts add the two up."""

from __future__ import annotations

from collections import defaultdict

import duckdb

from pipeline.layout import ParsedSheet
from pipeline.parse import ParsedFile
from pipeline.problems import Problem, Severity
from pipeline.projects import project_name_problem, slice_parts
from pipeline.registry import Registry

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


def _stored_rows(
    con: duckdb.DuckDBPyConnection | None, template_id: str, column: str, codes: list[str]
) -> dict[tuple[_Period, str], set[str]]:
    """Return, per period and value of a unique column, the offices whose files in force list it."""
    rows: dict[tuple[_Period, str], set[str]] = defaultdict(set)
    if con is None or not codes:
        return rows
    for key, value in con.execute(
        f"select r.slice_key, r.{column} from raw.{template_id} as r "
        "join ops.current_slices as c using (slice_key, submission_id) "
        f"where r.project_code in (select unnest(?::varchar[])) and r.{column} is not null",
        [codes],
    ).fetchall():
        template, unit, code, year, month = slice_parts(key)
        rows[((template, code, year, month), str(value))].add(unit)
    return rows


def flag_shared_rows(
    con: duckdb.DuckDBPyConnection | None, registry: Registry, files: list[ParsedFile]
) -> None:
    """Reject a sheet listing a row (a compound) that another office's file lists for the same project and period.

    Several offices may each send a list for one project (each its own compounds), so these templates are not
    by the implementing unit; but one compound in two offices' lists is counted twice: most often a copy forwarded
    without `填报单位：` naming the office it is for. Files of the run count in load order, so the first stands.
    """
    for template in registry.templates.values():
        unique = next((c.name for c in template.columns if c.unique), None)
        if template.project.by_implementing_unit or unique is None or "unit" not in template.slice:
            continue
        sheets = [
            (file, sheet)
            for file in files
            if not file.errors and file.unit is not None
            for sheet in file.sheets
            if sheet.template.id == template.id
        ]
        if not sheets:
            continue
        codes = sorted(
            {str(r["project_code"]) for _, s in sheets for r in s.records if r.get("project_code")}
        )
        listed = _stored_rows(con, template.id, unique, codes)
        for file, sheet in sheets:
            header = sheet.header_of(unique)
            mine: dict[tuple[_Period, str], dict] = {}
            for record in sheet.records:
                period = _period(template.id, record, "month" in template.slice)
                if period is not None and record.get(unique) is not None:
                    mine.setdefault((period, str(record[unique])), record)
            for entry, record in mine.items():
                others = sorted(listed[entry] - {file.unit})
                if others:
                    file.problems.append(
                        _listed_twice(sheet, record, header, entry[1], file.unit, others, entry[0])
                    )
            for entry in mine:
                listed[entry].add(file.unit)


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
    return Problem(
        Severity.ERROR,
        "listed_by_other_unit",
        f"第{record['excel_row']}行{expected}，{fix}。",
        sheet=sheet.name,
        excel_row=record["excel_row"],
        column_header=header,
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
    return Problem(
        Severity.ERROR,
        "repeated_in_file",
        f"第{record['excel_row']}行{expected}，{fix}。",
        sheet=sheet.name,
        excel_row=record["excel_row"],
        column_header=header,
        value=str(value),
        expected=expected,
        fix=fix,
    )
