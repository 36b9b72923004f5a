"""Resolve each submission's 项目名称 to its project code, and check the project fits the year and the sender."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

from pipeline.implementers import implements
from pipeline.offices import Offices, is_abbreviation
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, describe_cell
from pipeline.projects import (
    REGISTER_TEMPLATE,
    ProjectRegister,
    RegisteredProject,
    Resolution,
    _planned_years,
    assign_codes,
    implemented_by,
)
from pipeline.registered_units import name_registered_unit
from pipeline.text import char_pairs
from pipeline.title_units import check_title_unit


def project_name_problem(
    severity: Severity,
    rule: str,
    sheet: ParsedSheet,
    record: dict,
    said: str,
    *,
    expected: str,
    fix: str,
    named: tuple[object, ...] = (),
) -> Problem:
    """Build a problem on the cell a record's 项目名称 was read from; `said` is the message after its row."""
    # A name from its own column is blamed on its row; one from a `项目名称：` line on the row of that line.
    in_column = any(b.column.name == "project_name" for b in sheet.bindings)
    row = record["excel_row"] if in_column else sheet.meta.rows.get("project")
    return Problem(
        severity,
        rule,
        f"{f'第{row}行' if row else ''}{said}",
        sheet=sheet.name,
        excel_row=row,
        column_header=sheet.header_of("project_name", "项目名称"),
        value=record.get("project_name"),
        expected=expected,
        fix=fix,
        named=named,
    )


def _zh_month(day: dt.date) -> str:
    """Word a planned date to its month: a register writes `2019.3` or `2022年5月` as often as a day, and the
    stored date's day 1 was never written."""
    return f"{day.year}年{day.month}月"


def span_problem(sheet: ParsedSheet, project: RegisteredProject, year: int) -> Problem | None:
    """Warn when a year falls outside the project's planned span (开工 to 完工, plus a year's grace)."""
    start, finish = project.planned_start, project.planned_finish
    first, finished = _planned_years(project)
    last = finished + 1 if finished is not None else None
    if (first is None or year >= first) and (last is None or year <= last):
        return None
    planned = "、".join(
        [
            *([f"计划开工{_zh_month(start)}"] if start else []),
            *([f"计划完工{_zh_month(finish)}"] if finish else []),
        ]
    )
    if first is not None and last is not None:
        expected = f"应在{first}至{last}年度之间（完工后宽限一年）"
    elif first is not None:
        expected = f"应不早于{first}年度"
    else:
        expected = f"应不晚于{last}年度（完工后宽限一年）"
    fix = "请核对报表年度，或请在项目基本信息表中更正计划开工、完工日期"
    return Problem(
        Severity.WARNING,
        "project_span",
        f"报表年度{year}年不在项目{project.describe()}的计划实施期内（{planned}），{expected}，{fix}。",
        sheet=sheet.name,
        column_header="年度",
        value=str(year),
        expected=expected,
        fix=fix,
    )


def _described_for(project: RegisteredProject, year: int) -> str:
    """Name a project for a clerk choosing among a year's projects, saying when it was registered in an earlier year."""
    if project.year == year or project.year is None:
        return project.describe()
    finish = f"，计划完工{_zh_month(project.planned_finish)}" if project.planned_finish else ""
    return f"{project.describe()}（{project.year}年度登记{finish}）"


def _name_unnamed(
    parsed: ParsedFile, sheet: ParsedSheet, register: ProjectRegister, offices: Offices | None
) -> None:
    """Name the project of a sheet that states none: the unit's single project of its type in the register."""
    project_type = sheet.template.project.register_project_type
    pending = [r for r in sheet.records if not r.get("project_name")]
    if not pending or project_type is None or parsed.unit is None:
        return
    for year in sorted({r["year"] for r in pending if r.get("year")}):
        candidates = register.projects_of(parsed.unit, year, project_type, offices)
        # Only a project registered for the year is taken unasked; one registered earlier and still running only
        # makes the choice one the clerk must make.
        if len(candidates) == 1 and candidates[0].year == year:
            for record in pending:
                if record.get("year") == year:
                    record["project_name"] = candidates[0].name
                    record["project_code"] = candidates[0].code
            continue
        found = (
            f"有{len(candidates)}个（{'、'.join(_described_for(p, year) for p in candidates)}）"
            if any(p.year == year for p in candidates)
            else "没有登记"
        )
        parsed.fail(
            "project_unknown",
            f"没有写明项目名称，而项目基本信息表中{parsed.unit}{year}年度的"
            f"{project_type}项目{found}。请在表格上方加一行“项目名称：…”。",
            sheet=sheet.name,
        )


def _ambiguous(
    sheet: ParsedSheet, record: dict, unit: str | None, found: Resolution, offices: Offices | None
) -> Problem:
    name, year = record["project_name"], record["year"]
    listed = "、".join(p.describe() for p in found.candidates)
    if any(implemented_by(p, unit, offices) for p in found.candidates):
        fix = "请区财政局在项目基本信息表中为这些项目登记可以区分的项目名称，再按新名称重新报送本文件"
    else:
        fix = (
            f"{unit or '报送单位'}不是其中任何一个项目的实施单位；请由项目的实施单位报送，"
            "或请区财政局在项目基本信息表中为这些项目登记可以区分的项目名称"
        )
    expected = "项目名称应在项目基本信息表中只对应一个项目"
    return project_name_problem(
        Severity.ERROR,
        "project_ambiguous",
        sheet,
        record,
        f"项目名称“{name}”在{year}年度的项目基本信息表中对应{len(found.candidates)}个项目："
        f"{listed}，无法确定是哪一个，{expected}，{fix}。",
        expected=expected,
        fix=fix,
    )


def _check_sender(
    parsed: ParsedFile, sheet: ParsedSheet, register: ProjectRegister, offices: Offices
) -> None:
    """Refuse a sheet the template wants from a project's implementing unit, sent unsaid by one who may forward it."""
    if parsed.unit is None:
        return
    checked: set[str] = set()
    for record in sheet.records:
        code, year = record.get("project_code"), record.get("year")
        if code is None or year is None or code in checked or not register.rows_of(code):
            continue
        checked.add(code)
        project = register.row_for(code, year)
        implementer = project.implementing_unit
        if not implementer or implements(parsed.unit, implementer, offices):
            continue
        # An office that may send the unit's data (代报, the bureau forwarding a correction) and does not say so is
        # asked to: as its own slice the file would be added to the unit's. One that may not is reporting on a
        # uniquely named project (issue 13), as a street office may for a district bureau's project.
        if not any(parsed.unit in offices.who_may_send(o) for o in offices.named(implementer)):
            continue
        fix = f"如系代{implementer}报送（如转报更正件），请在表格上方写明“填报单位：{implementer}”，本表即替代其原表"
        expected = f"该项目的实施单位为{implementer}，{sheet.template.name_zh}应由实施单位报送或写明代谁报送"
        parsed.problems.append(
            project_name_problem(
                Severity.ERROR,
                "not_implementing_unit",
                sheet,
                record,
                f"项目“{project.name}”的数据由{parsed.unit}报送，{expected}，"
                f"否则会与{implementer}报送的数据重复计入，{fix}。",
                expected=expected,
                fix=fix,
            )
        )


def resolve_projects(parsed: ParsedFile, register: ProjectRegister, offices: Offices | None = None) -> None:
    """Give every record its project code; a name matching several projects is an error, a year outside the
    project's planned span a warning. An unknown name is left to the validation's `unknown_project`."""
    if offices is not None:
        name_registered_unit(parsed, register, offices)  # before its projects: they are its own, found so
        check_title_unit(parsed, register, offices)
    for sheet in parsed.sheets:
        spans: dict[tuple[str, int], RegisteredProject] = {}
        if sheet.template.id == REGISTER_TEMPLATE:
            assign_codes(sheet)
            for r in sheet.records:
                if r.get("project_code") and r.get("year"):
                    spans[(r["project_code"], r["year"])] = RegisteredProject(
                        r["project_code"],
                        r["project_name"],
                        implementing_unit=r.get("implementing_unit"),
                        planned_start=r.get("planned_start"),
                        planned_finish=r.get("planned_finish"),
                    )
        else:
            _name_unnamed(parsed, sheet, register, offices)
            resolved: dict[tuple[str, int], Resolution] = {}
            for record in sheet.records:
                name, year = record.get("project_name"), record.get("year")
                if not name or not year or record.get("project_code"):
                    continue
                if (name, year) not in resolved:
                    found = resolved[(name, year)] = register.resolve(name, year, parsed.unit, offices)
                    if found.candidates:
                        parsed.problems.append(_ambiguous(sheet, record, parsed.unit, found, offices))
                record["project_code"] = resolved[(name, year)].code
            if offices is not None and sheet.template.project.by_implementing_unit:
                _check_sender(parsed, sheet, register, offices)
            for r in sheet.records:
                key = (r.get("project_code"), r.get("year"))
                if None not in key and key not in spans and register.rows_of(key[0]):
                    spans[key] = register.row_for(*key)
        for (_, year), project in spans.items():
            if (problem := span_problem(sheet, project, year)) is not None:
                parsed.problems.append(problem)


def returned_registers(files: Iterable[ParsedFile]) -> dict[str, tuple[str, str | None]]:
    """Map each project name a returned file's register sheet holds to how that file is named, and its folder."""
    returned: dict[str, tuple[str, str | None]] = {}
    for file in files:
        if not file.errors:
            continue
        path = f"{file.sending_folder}/{file.original_name}" if file.sending_folder else file.original_name
        said = f"“{path}”" + (f"（{file.unit}）" if file.unit else "")
        for sheet in file.sheets:
            if sheet.template.id == REGISTER_TEMPLATE:
                for record in sheet.records:
                    if record.get("project_name"):
                        returned.setdefault(record["project_name"], (said, file.sending_folder))
    return returned


def tell_own_register(file: ParsedFile, returned: dict[str, tuple[str, str | None]] | None = None) -> None:
    """Tell a returned file's `unknown_project` rows that their project's register was sent and is not in force:
    its own sheet, or a register of the run that was returned (`returned`, by `returned_registers`)."""
    # The suite's fix (先报送该项目的项目基本信息表) would send the clerk to a sheet already sent.
    own = {
        record["project_name"]: sheet.name
        for sheet in file.sheets
        if sheet.template.id == REGISTER_TEMPLATE
        for record in sheet.records
        if record.get("project_name")
    }
    # Most files carry no register, and most runs return none: their problems are not gathered for nothing.
    if not (own or returned) or not file.errors:
        return
    for at, problem in enumerate(file.problems):
        if problem.rule != "unknown_project":
            continue
        if problem.value in own:
            fix = (
                f"该项目在本文件的「{own[problem.value]}」中登记，但本文件因本回执所列其他错误被退回，登记未生效："
                "改正这些错误后重新报送本文件即可"
            )
        elif returned and problem.value in returned:
            said, folder = returned[problem.value]
            # A returned file is not read again when its register is taken in: only sent again (scan.sent_again),
            # with the register or after it (registers are stored first), does it find its project.
            who = (
                "请按该表的回执改正后重新报送"
                if folder == file.sending_folder
                else "请联系报送单位按该表的回执改正后重新报送"
            )
            fix = (
                f"该项目登记在本次同时报送的项目基本信息表{said}中，但该表已被退回，登记未生效：{who}，"
                "并将本文件与改正后的该表一并（或在其接收后）重新报送；本文件不会自动重新入库"
            )
        else:
            continue
        file.problems[at] = replace(
            problem,
            fix=fix,
            message_zh=describe_cell(
                problem.excel_row, problem.column_header, problem.value, problem.expected or "", fix
            ),
        )


def _close(written: str, registered: str) -> bool:
    """Say whether a 项目名称 written is close to a registered one: either holds the other's characters in order
    (`…改造老旧小区项目` for `…改造老旧小区`), or most two-character runs of the shorter are the other's (`枣林老旧小区
    改造` for `枣林街道办事处改造老旧小区`: words in another order)."""
    if is_abbreviation(registered, written) or is_abbreviation(written, registered):
        return True
    shorter, longer = sorted((char_pairs(written), char_pairs(registered)), key=len)
    # Two thirds: `枣林街道背街小巷整治项目` shares only its 枣林街道 with the unit's 老旧小区 project.
    return bool(shorter) and 3 * len(shorter & longer) >= 2 * len(shorter)


def name_close_projects(file: ParsedFile, register: ProjectRegister, offices: Offices | None = None) -> None:
    """Name, on each `unknown_project` row, the sender's registered projects its 项目名称 is close to (`_close`)."""
    # The suite's words name no project, and the clerk who added or dropped a `项目` could not tell which was meant.
    if file.unit is None or not file.errors:
        return
    own: list[RegisteredProject] | None = None
    for at, problem in enumerate(file.problems):
        if problem.rule != "unknown_project" or not problem.value:
            continue
        if own is None:
            own = [p for p in register.projects if p.current and implemented_by(p, file.unit, offices)]
        written = str(problem.value)
        close = sorted({p.name for p in own if _close(written, p.name)})
        if not close:
            continue
        names = "”或“".join(close)
        fix = (
            f"项目基本信息表中{file.unit}登记的相近项目为“{names}”：如即该项目，请将项目名称改为登记的名称，"
            f"一字不差；如不是，请先报送该项目的项目基本信息表"
        )
        file.problems[at] = replace(
            problem,
            fix=fix,
            message_zh=describe_cell(
                problem.excel_row, problem.column_header, problem.value, problem.expected or "", fix
            ),
        )
