"""Parse one received file: match each sheet to a template and settle who sent it, for which year."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pipeline.layout import ParsedSheet, find_header, parse_sheet
from pipeline.limits import LimitExceeded, Limits
from pipeline.problems import Problem, Severity
from pipeline.reader import UnreadableFile, read_workbook
from pipeline.registry import Registry
from pipeline.text import clean_name

logger = logging.getLogger(__name__)

_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")

# The sheet of instructions every generated template carries; it holds no data.
INSTRUCTIONS_SHEET = "填表说明"


@dataclass(slots=True)
class ParsedFile:
    """Everything read from one file, before anything is stored."""

    original_name: str
    folder_unit: str | None
    sheets: list[ParsedSheet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unit: str | None = None

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for sheet in self.sheets for p in sheet.problems)]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.all_problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.all_problems if p.severity is Severity.WARNING]

    @property
    def templates(self) -> list[str]:
        return sorted({sheet.template.id for sheet in self.sheets})

    @property
    def years(self) -> list[int]:
        return sorted(
            {r["year"] for sheet in self.sheets for r in sheet.records if r.get("year") is not None}
        )

    def fail(self, rule: str, message: str, sheet: str | None = None, excel_row: int | None = None) -> None:
        self.problems.append(Problem(Severity.ERROR, rule, message, sheet=sheet, excel_row=excel_row))


def folder_unit_of(inbox_path: str) -> str | None:
    """Return the submitting unit named by the inbox sub-folder a file was dropped in, if any."""
    parts = PurePosixPath(inbox_path).parts
    return clean_name(parts[0]) if len(parts) > 1 else None


def _unparsed(inbox_path: str) -> ParsedFile:
    folder_unit = folder_unit_of(inbox_path)
    # Until a sheet says otherwise the folder tells who sent it, so even an unreadable file's receipt reaches them.
    return ParsedFile(original_name=PurePosixPath(inbox_path).name, folder_unit=folder_unit, unit=folder_unit)


def too_large_file(inbox_path: str, size: int, limits: Limits) -> ParsedFile:
    """Return the rejection of a file larger than the file-size limit, judged without reading it."""
    parsed = _unparsed(inbox_path)
    parsed.problems.append(LimitExceeded("max_file_bytes", limits.max_file_bytes, size).problem())
    return parsed


def unreadable_file(inbox_path: str, reason: str) -> ParsedFile:
    """Return the rejection of a file the pipeline may not open, say for its permissions."""
    parsed = _unparsed(inbox_path)
    parsed.fail("unreadable", f"{reason}。请重新报送该文件，或请管理员检查收件箱中该文件的权限。")
    return parsed


def parse_file(
    content: bytes, inbox_path: str, registry: Registry, limits: Limits | None = None
) -> ParsedFile:
    """Read a file and every sheet in it; nothing is stored, every problem is collected."""
    parsed = _unparsed(inbox_path)
    name = parsed.original_name
    try:
        workbook = read_workbook(content, name, limits)
    except UnreadableFile as exc:
        parsed.fail("unreadable", str(exc))
        return parsed
    except LimitExceeded as exc:
        parsed.problems.append(exc.problem())
        return parsed
    if not workbook.grids:
        parsed.fail("empty", "文件中没有任何填写了内容的工作表")
        return parsed
    for grid in workbook.grids:
        try:
            match = find_header(grid, registry)
            sheet = parse_sheet(grid, match, registry) if match else None
        except Exception:
            # A fault of ours, not the clerk's: log it for the engineers, reject the file, and go on with the run.
            logger.exception("parsing sheet %r of %s failed", grid.name, inbox_path)
            parsed.fail(
                "unreadable",
                f"工作表“{grid.name}”的内容无法解析（系统内部错误，已记录）。请联系区财政局，并附上本回执。",
                sheet=grid.name,
            )
            continue
        if match is None and grid.name == INSTRUCTIONS_SHEET:
            continue  # the instructions `pipeline templates` puts in every blank template
        if match is None:
            parsed.problems.append(
                Problem(
                    Severity.WARNING,
                    "unmatched_sheet",
                    f"工作表“{grid.name}”的表头与任何报表模板都不符，已忽略该工作表。",
                    sheet=grid.name,
                )
            )
            continue
        parsed.sheets.append(sheet)
    if not parsed.sheets and not parsed.errors:
        parsed.fail(
            "unknown_template",
            "无法识别的报表模板：没有一个工作表的表头与报表模板相符，请使用统一下发的模板。",
        )
        return parsed
    _settle_unit(parsed)
    for sheet in parsed.sheets:
        _settle_year(parsed, sheet, name)
        _settle_project(parsed, sheet)
    return parsed


def _settle_unit(parsed: ParsedFile) -> None:
    stated = next((s.meta.unit for s in parsed.sheets if s.meta.unit), None)
    parsed.unit = stated or parsed.folder_unit
    if parsed.unit is None:
        parsed.fail(
            "unit_unknown",
            "无法确定填报单位：表格上方没有“填报单位：…”一行，文件也不在以单位命名的文件夹中。请补充“填报单位：…”后重新报送。",
        )
    for sheet in parsed.sheets:
        for record in sheet.records:
            record["unit"] = parsed.unit


def _settle_year(parsed: ParsedFile, sheet: ParsedSheet, filename: str) -> None:
    """Give every record its year from the first source the template lists that has one."""
    template = sheet.template
    sheet_year = None
    for source in template.year_from:
        if source == "line":
            sheet_year = sheet.meta.year
        elif source == "title":
            sheet_year = sheet.meta.title_year
        elif source == "filename" and (found := _YEAR_IN_NAME.search(filename)):
            sheet_year = int(found.group(1))
        if sheet_year is not None:
            break
    if "dates" in template.year_from:
        years = {r[template.date_column].year for r in sheet.records if r.get(template.date_column)}
        if len(years) > 1:
            parsed.fail(
                "year_span",
                f"工作表“{sheet.name}”的日期跨越了{'、'.join(map(str, sorted(years)))}多个年度，一个文件只能填报一个年度，请分开报送。",
                sheet=sheet.name,
            )
        elif years:
            sheet_year = years.pop()
    missing = False
    for record in sheet.records:
        if "column" in template.year_from and record.get("year") is not None:
            continue
        record["year"] = sheet_year
        missing = missing or sheet_year is None
    if missing:
        parsed.fail(
            "year_unknown",
            f"无法确定工作表“{sheet.name}”的报表年度：请在表格上方加一行“年度：2022”，或在标题中写明年度。",
            sheet=sheet.name,
        )


def _settle_project(parsed: ParsedFile, sheet: ParsedSheet) -> None:
    """Give every record its project: its own column, else the `项目名称：` line; the register may fill the rest."""
    rule = sheet.template.project
    stated = sheet.meta.project if rule.line else None
    unresolved = False
    for record in sheet.records:
        if rule.column and record.get(rule.column):
            continue
        record["project_name"] = stated
        unresolved = unresolved or stated is None
    if unresolved and rule.register_project_type is None and "project" in sheet.template.slice:
        parsed.fail(
            "project_unknown",
            f"无法确定工作表“{sheet.name}”所属项目：请填写“项目名称”列，或在表格上方加一行“项目名称：…”。",
            sheet=sheet.name,
        )
