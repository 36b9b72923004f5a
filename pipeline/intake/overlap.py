"""Flag a sheet for a project and period another office's file already holds: the marts add the two up, unless
the form is one answer for its project and period, which is then returned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from functools import partial

import duckdb

from pipeline.intake.periods import _Period, _periods, said_when
from pipeline.offices import is_written_in_full
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity
from pipeline.project_names import project_name_problem
from pipeline.projects import REGISTER_TEMPLATE
from pipeline.registry import Registry
from pipeline.slice_keys import slice_parts

# A file holding a period: its submission id, or ("run", id of the ParsedFile) for a file of this run (`Problem.named`).
_Holder = int | tuple[str, int]


def _stored_holders(
    con: duckdb.DuckDBPyConnection | None, templates: list[str]
) -> dict[_Period, dict[str, _Holder]]:
    """Return the offices whose files are in force for each period of these templates, with those files."""
    holders: dict[_Period, dict[str, _Holder]] = defaultdict(dict)
    if con is None or not templates:
        return holders
    for key, submission_id in con.execute(
        "select slice_key, submission_id from ops.current_slices where split_part(slice_key, '|', 1) in "
        "(select unnest(?::varchar[]))",
        [templates],
    ).fetchall():
        template, unit, code, year, month = slice_parts(key)
        holders[(template, code, year, month)][unit] = submission_id
    return holders


def _templates(registry: Registry, *, by_implementing_unit: bool, adds_up: bool) -> list[str]:
    """Return the templates a project's implementing unit sends (or not) whose `adds_up` is as asked, but the
    register, which names the units."""
    return [
        t.id
        for t in registry.templates.values()
        if t.project.by_implementing_unit is by_implementing_unit
        and t.project.adds_up is adds_up
        and t.id != REGISTER_TEMPLATE
    ]


def _overlaps(
    con: duckdb.DuckDBPyConnection | None, templates: list[str], files: list[ParsedFile]
) -> Iterator[tuple[ParsedFile, ParsedSheet, dict, dict[str, _Holder], _Period, set[str]]]:
    """Yield each sheet's period another office's file holds, in force or in `files`, with those offices (in name
    order, each with a file of it holding the period) and which of them hold it in force.

    Only for these templates; files with errors hold nothing.
    """
    sheets: list[tuple[ParsedFile, ParsedSheet, dict[_Period, dict]]] = []
    stored = _stored_holders(con, templates)
    holders: dict[_Period, dict[str, _Holder]] = defaultdict(
        dict, {period: dict(units) for period, units in stored.items()}
    )
    for file in files:
        if file.errors or file.unit is None:
            continue
        for sheet in file.sheets:
            if sheet.template.id not in templates:
                continue
            periods = _periods(sheet)
            sheets.append((file, sheet, periods))
            for period in periods:
                holders[period][file.unit] = ("run", id(file))
    for file, sheet, periods in sheets:
        # A slice the file takes out of force (`taken_slices`) is not beside it: its rows no longer count.
        taken = {
            ((t, code, year, month), unit)
            for t, unit, code, year, month in map(slice_parts, file.taken_slices)
        }
        for period, record in periods.items():
            others = {
                u: holders[period][u]
                for u in sorted(holders[period])
                if u != file.unit and (period, u) not in taken
            }
            if others:
                yield file, sheet, record, others, period, set(stored.get(period, ()))


def flag_overlaps(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: list[ParsedFile],
    stored_in_run: set[int] = frozenset(),
) -> None:
    """Warn on each sheet from one office for a period another office's file holds, in force or in this run.

    Only for what a project's implementing unit sends (ledgers, self-evaluations…): an office may report on a
    project it does not implement (issue 13), but its file then stands beside the unit's, not in its place.
    Whether both are meant to count (two offices' own money) or one repeats the other (a forwarded copy that
    does not name the unit) only the clerk can tell, so the receipt asks. In one night each file is told of the
    other, however the night is cut: a file stored earlier in the night (`stored_in_run`: an earlier chunk, or the
    batches of a run killed part way that this run finishes) is told once this one is stored (`told_stored`).
    """
    by_unit = _templates(registry, by_implementing_unit=True, adds_up=True)
    for file, sheet, record, others, period, _ in list(_overlaps(con, by_unit, files)):
        file.problems.append(_beside(sheet, record, file.unit, others, period))
        _tell_stored(con, file, sheet.template.name_zh, others, period, stored_in_run)
    # What offices send of their own (改造清单): two offices' lists of one project are its parts, added up unasked;
    # but not where the two names are one office's, short and in full (东关街道, 东关街道办事处), neither listed: its
    # corrected list, sent under the other name, stood beside the first instead of replacing it, unsaid.
    own = _templates(registry, by_implementing_unit=False, adds_up=True)
    for file, sheet, record, others, period, _ in list(_overlaps(con, own, files)):
        if alike := {
            o: h
            for o, h in others.items()
            if is_written_in_full(o, file.unit) or is_written_in_full(file.unit, o)
        }:
            file.problems.append(_beside(sheet, record, file.unit, alike, period))
            _tell_stored(con, file, sheet.template.name_zh, alike, period, stored_in_run)


def _tell_stored(
    con: duckdb.DuckDBPyConnection | None,
    file: ParsedFile,
    form: str,
    holders: dict[str, _Holder],
    period: _Period,
    stored_in_run: set[int],
) -> None:
    """Have `file`, once stored, warn each file of the night stored before it that holds `period` beside it."""
    # Two files of one night were each told of the other in one chunk; the earlier of two chunks (or of a killed
    # run's batches) was told nothing, its clerk left unasked whether the two count twice. Across nights only the
    # later file is asked: the earlier one's receipt was answered, and the report's note names both.
    for unit, holder in holders.items():
        if not isinstance(holder, int) or holder not in stored_in_run or con is None:
            continue
        found = _stored_sheet(con, holder, unit, period)
        if found is not None:
            told = partial(_told_beside, found, unit, file.unit, period, form)
            file.told_stored.append((holder, told))


def _stored_sheet(
    con: duckdb.DuckDBPyConnection, submission_id: int, unit: str, period: _Period
) -> tuple[str, int | None, str | None, str] | None:
    """Return where a stored file's sheet names the project of a period it holds (sheet, Excel row, the name as
    written, the header it is under), as `project_name_problem` places it on a sheet being read."""
    template = period[0]
    rows = con.execute(
        f"select r.slice_key, r.sheet, r.excel_row, r.project_name, c.column_header from raw.{template} as r "
        "left join ops.sheet_columns as c on c.submission_id = r.submission_id and c.sheet = r.sheet "
        "and c.column_name = 'project_name' "
        "where r.submission_id = ? order by r.sheet, r.excel_row",
        [submission_id],
    ).fetchall()
    for key, sheet, excel_row, project, header in rows:
        found, found_unit, *when = slice_parts(key)
        if (found, *when) == period and found_unit == unit:
            # A name from its own column is placed on its row; the row of a `项目名称：` line is not stored: no row.
            return sheet, excel_row if header else None, project, header or "项目名称"
    return None


def _told_beside(
    stored: tuple[str, int | None, str | None, str],
    unit: str,
    teller: str,
    period: _Period,
    form: str,
    number: int,
) -> Problem:
    """Return the warning of a file stored earlier in the night, beside `teller`'s file stored as `number`."""
    sheet, row, project, header = stored
    expected, fix = _beside_said(form, project, unit, [teller], period)
    return Problem(
        Severity.WARNING,
        "beside_other_unit",
        f"{f'第{row}行' if row else ''}{expected}，{fix}。",
        sheet=sheet,
        excel_row=row,
        column_header=header,
        value=project,
        expected=expected,
        fix=fix,
        named=(number,),
    )


def refuse_second_forms(
    con: duckdb.DuckDBPyConnection | None, registry: Registry, files: list[ParsedFile]
) -> None:
    """Return each form that answers for a project and period another office's form already answers for.

    A 自评表 or 监控表 is one answer (`adds_up: false`): added up, two made weights of 180 and a score of 185
    published as 优. Run after the suites, so that a form they return holds nothing another is refused for.
    """
    forms = _templates(registry, by_implementing_unit=True, adds_up=False)
    for file, sheet, record, others, period, in_force in list(_overlaps(con, forms, files)):
        file.problems.append(_second_form(sheet, record, list(others), period, in_force))


def _beside(
    sheet: ParsedSheet, record: dict, unit: str, holders: dict[str, _Holder], period: _Period
) -> Problem:
    expected, fix = _beside_said(
        sheet.template.name_zh, record.get("project_name"), unit, list(holders), period
    )
    return project_name_problem(
        Severity.WARNING,
        "beside_other_unit",
        sheet,
        record,
        f"{expected}，{fix}。",
        expected=expected,
        fix=fix,
        # The offices' files it is about, so that the report's note names those offices alone (mart.shared_slices):
        # whether it still applies is the slices', not these files' (a correction of one stands beside as well).
        named=tuple(holders.values()),
    )


def _beside_said(
    form: str, project: str | None, unit: str, others: list[str], period: _Period
) -> tuple[str, str]:
    """Word what `_beside` tells a file of `unit` whose form for a project and period other offices' files hold."""
    named = "、".join(others)
    expected = f"项目“{project}”{said_when(*period[2:])}的{form}已有{named}报送的数据"
    fix = (
        f"本表与之分别计入、合计发布；如本表是代{others[0]}报送或转报的同一份数据，请写明“填报单位：{others[0]}”"
        "重新报送以替代原表；如确为本单位另行报送的数据，可忽略此提示"
    )
    if same := next((o for o in others if is_written_in_full(o, unit) or is_written_in_full(unit, o)), None):
        # One office short and in full, neither in the office registry: two offices as the spec reads unlisted
        # names, so each list stands; asked, not merged, as only the bureau can say they are one.
        full, short = (same, unit) if is_written_in_full(same, unit) else (unit, same)
        expected += f"；“{short}”似为“{full}”的简称，单位名录中均未登记，两者按两个单位分别计入"
        # A file resent under the other name would stand beside it again: the short name's is withdrawn.
        fix = (
            f"本表与之合计发布；如是同一单位，两表互不替代，数字会重复计算：请联系财政局撤回以“{short}”报送的表"
            f"（应计入的数据以“{full}”报送），今后统一填写全称，并请区财政局在单位名录中登记“{full}”；"
            "如确为两个单位，可忽略此提示"
        )
    return expected, fix


def _second_form(
    sheet: ParsedSheet, record: dict, others: list[str], period: _Period, in_force: set[str]
) -> Problem:
    named = "、".join(others)
    form = sheet.template.name_zh
    which = f"项目“{record.get('project_name')}”{said_when(*period[2:])}的{form}"
    if in_force & set(others):
        said, returned = f"{which}已有{named}报送", "本表未接收"
        settle, replace = "不应报送的一方撤回其表后，由另一方重新报送", "以替代原表"
    else:
        # Only files of this run hold it, and each is returned: there is nothing in force to withdraw.
        said, returned = f"{which}本次另有{named}同时报送", f"本表和{named}的表均未接收"
        settle, replace = "由应报送的一方重新报送即可，另一方无需再报送", ""
    expected = f"{said}；一个项目同一期间只能有一份{form}，两份不能合计（指标分值和项目资金都会重复计算），{returned}"
    fix = (
        f"请与{named}核对应由哪个单位报送：{settle}；"
        f"如本表是代{others[0]}报送或转报的，请写明“填报单位：{others[0]}”重新报送{replace}"
    )
    return project_name_problem(
        Severity.ERROR,
        "form_beside_other_unit",
        sheet,
        record,
        f"{expected}。{fix}。",
        expected=expected,
        fix=fix,
    )
