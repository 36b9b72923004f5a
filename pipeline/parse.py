"""Parse one received file: match each sheet to a template and settle who sent it, for which year."""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from pipeline.cell_formats import CellFormats
from pipeline.drop_downs import note_drop_downs
from pipeline.forms import read_form
from pipeline.grids import Grid, UnreadableFile
from pipeline.header import HEADER_SEARCH_ROWS, find_header, header_too_low
from pipeline.header_checks import check_header
from pipeline.header_match import HeaderMatch
from pipeline.layout import parse_sheet
from pipeline.limits import LimitExceeded, Limits
from pipeline.name_text import name_warning
from pipeline.negative_amounts import explain_negative_amounts
from pipeline.offices import Offices
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.percent_cells import _write_percentages
from pipeline.problems import Problem, Severity
from pipeline.read_day import ReadOn, read_today
from pipeline.reader import read_workbook
from pipeline.registry import Registry
from pipeline.scaled_cells import _error_scaled_amounts
from pipeline.settle_month import _settle_month, check_title_month
from pipeline.settle_project import _settle_project
from pipeline.settle_unit import _settle_unit, folder_office
from pipeline.settle_year import _settle_year
from pipeline.struck_cells import error_struck_rows
from pipeline.summaries import pass_over_summaries
from pipeline.summed_ledger import summed_by_month
from pipeline.unfilled_months import (
    pass_over_months_not_covered,
    pass_over_unfilled_months,
    refuse_months_not_begun,
)
from pipeline.unsaved_cells import _name_unsaved_formulas
from pipeline.voided_rows import check_voided_rows
from pipeline.written_rates import check_written_rates
from pipeline.year_range import latest_year

logger = logging.getLogger(__name__)

# The sheet of instructions every generated template carries; it holds no data.
INSTRUCTIONS_SHEET = "填表说明"


def _path_parts(inbox_path: str) -> tuple[str, ...] | list[str]:
    """Return an inbox path's parts as PurePosixPath gives them, splitting a plain path without building one."""
    parts = inbox_path.split("/")
    # An empty or `.` part (`a//b`, `./a`, a leading or trailing `/`) is one PurePosixPath drops or keeps as root.
    if all(part and part != "." for part in parts):
        return parts
    return PurePosixPath(inbox_path).parts


def sending_folder_of(inbox_path: str) -> str | None:
    """Return the inbox sub-folder a file was dropped in, as it is named there; None for the inbox root."""
    parts = _path_parts(inbox_path)
    return parts[0] if len(parts) > 1 else None


def _unparsed(inbox_path: str, offices: Offices | None = None) -> ParsedFile:
    parts = _path_parts(inbox_path)
    folder = parts[0] if len(parts) > 1 else None
    sender = folder_office(folder, offices or Offices())
    # Until a sheet says otherwise the folder tells who sent it, so even an unreadable file names its office.
    parsed = ParsedFile(
        original_name=parts[-1] if isinstance(parts, list) else PurePosixPath(inbox_path).name,
        sending_folder=folder,
        unit=sender[0].name if len(sender) == 1 else None,
    )
    if warned := name_warning(parsed.original_name):
        parsed.problems.append(warned)
    return parsed


def too_large_file(inbox_path: str, size: int, limits: Limits, offices: Offices | None = None) -> ParsedFile:
    """Return the rejection of a file larger than the file-size limit, judged without reading it."""
    parsed = _unparsed(inbox_path, offices)
    parsed.problems.append(LimitExceeded("max_file_bytes", limits.max_file_bytes, size).problem())
    return parsed


def unreadable_file(inbox_path: str, reason: str, offices: Offices | None = None) -> ParsedFile:
    """Return the rejection of a file the pipeline may not open, say for its permissions."""
    parsed = _unparsed(inbox_path, offices)
    parsed.fail("unreadable", f"{reason}。请重新报送该文件，或请管理员检查收件箱中该文件的权限。")
    return parsed


def parse_file(
    content: bytes,
    inbox_path: str,
    registry: Registry,
    limits: Limits | None = None,
    read_on: ReadOn | None = None,
) -> ParsedFile:
    """Read a file and every sheet in it; nothing is stored, every problem is collected.

    `read_on`: the day its months are judged by (`read_day`), its night's; today where no night reads it.
    """
    read_on = read_on or read_today()
    parsed = _unparsed(inbox_path, registry.offices)
    parsed.read_on = read_on
    name = parsed.original_name
    try:
        workbook = read_workbook(content, name, limits)
    except UnreadableFile as exc:
        parsed.fail(exc.rule, str(exc), fix=exc.fix)
        return parsed
    except LimitExceeded as exc:
        parsed.problems.append(exc.problem())
        return parsed
    if not workbook.grids:
        if workbook.hidden:
            parsed.fail(
                "empty",
                f"文件中没有任何填写了内容的可见工作表，{_unread(workbook.hidden)}。"
                "请在Excel中取消隐藏存有数据的工作表后重新报送。",
            )
        else:
            parsed.fail("empty", "文件中没有任何填写了内容的工作表")
        return parsed
    # An xlsx or xls states its cells' number formats, read only for a cell they settle; a CSV has none.
    formats = (
        CellFormats(content, workbook.kind, workbook.strikes, workbook.xlsx)
        if workbook.kind in CellFormats.KINDS
        else None
    )
    for grid in workbook.grids:
        try:
            match, sheet = _read_sheet(grid, registry, read_on)
            if sheet is not None and formats is not None and _write_percentages(grid, sheet, formats):
                # Read again, so the value, the form's own checks and the receipt all take the cell as shown.
                match, sheet = _read_sheet(grid, registry, read_on)
            if sheet is not None and formats is not None:
                _error_scaled_amounts(grid, sheet, formats)
                if workbook.struck_fonts:
                    error_struck_rows(grid, sheet, formats)
        except Exception:
            # A fault of ours, not the clerk's: log it for the engineers, reject the file, and go on with the run.
            logger.exception("parsing sheet %r of %s failed", grid.name, inbox_path)
            parsed.fail(
                "unreadable",
                "内容无法解析（系统内部错误，已记录）。请联系区财政局，并附上本回执。",
                sheet=grid.name,
            )
            continue
        cut = _cut_off(grid, match, sheet)
        if cut is not None:
            # A file cut in transfer may have lost rows after this one too: none of it is taken in.
            parsed.fail("truncated", cut, sheet=grid.name, excel_row=grid.last_line.excel_row)
            continue
        if match is None and grid.name == INSTRUCTIONS_SHEET:
            continue  # the instructions `pipeline templates` puts in every blank template
        if match is None:
            low = header_too_low(grid, registry)
            summed = summed_by_month(grid, registry) if low is None else None
            if summed is not None:
                said, row, fix = f"{summed.said}，{summed.fix}。", summed.excel_row, summed.fix
            elif low is not None:
                said, row, fix = _too_low(low), low.first_row + 1, _TOO_LOW_FIX
            else:
                said, row, fix = "表头与任何报表模板都不符，", None, None
            parsed.problems.append(
                Problem(
                    Severity.WARNING,
                    "unmatched_sheet",
                    f"{said}已忽略该工作表。",
                    sheet=grid.name,
                    excel_row=row,
                    fix=fix,
                )
            )
            continue
        if match.tied is not None:
            # Read as neither: taking the first template by id filed its rows as another form's with nothing said.
            parsed.fail("template_tied", _tied(match), sheet=grid.name, excel_row=match.last_row + 1)
            continue
        parsed.sheets.append(sheet)
    if workbook.formulas:
        _name_unsaved_formulas(content, parsed.sheets, workbook.kind, workbook.xlsx)
    note_drop_downs(parsed, formats)
    parsed.sheets, summaries = pass_over_summaries(parsed.sheets)
    parsed.problems += summaries
    if not parsed.sheets and any(p.rule == "template_tied" for p in parsed.problems):
        return parsed  # as a file no sheet of which matches: nothing read names its office or year
    if not parsed.sheets and not parsed.errors:
        # Each sheet passed over is this one fault: named in it, not told again as a sheet ignored beside it.
        passed_over = [p.sheet for p in parsed.problems if p.rule == "unmatched_sheet"]
        too_low = [p for p in parsed.problems if p.rule == "unmatched_sheet" and p.excel_row is not None]
        parsed.problems = [p for p in parsed.problems if p.rule != "unmatched_sheet"]
        if too_low:
            # Each such sheet's own row and words: "use the template" would send the clerk to a form already used.
            for told in too_low:
                said = told.message_zh.removesuffix("已忽略该工作表。")
                parsed.problems.append(
                    Problem(
                        Severity.ERROR,
                        "unknown_template",
                        f"无法识别的报表模板：{said}",
                        sheet=told.sheet,
                        excel_row=told.excel_row,
                        fix=told.fix,
                    )
                )
            return parsed
        named = f"（{'、'.join(f'“{name}”' for name in passed_over)}）" if passed_over else ""
        if workbook.hidden:
            parsed.fail(
                "unknown_template",
                f"无法识别的报表模板：没有一个可见工作表{named}的表头与报表模板相符，{_unread(workbook.hidden)}。"
                "请在Excel中取消隐藏存有数据的工作表，或使用统一下发的模板后重新报送。",
            )
        else:
            parsed.fail(
                "unknown_template",
                f"无法识别的报表模板：没有一个工作表{named}的表头与报表模板相符，请使用统一下发的模板。",
            )
        return parsed
    for grid in workbook.hidden_grids:
        if find_header(grid, registry) is not None:
            # Hidden sheets are not read (submissions.md); one holding a template's table may be the data meant.
            parsed.problems.append(
                Problem(
                    Severity.WARNING,
                    "hidden_sheet",
                    f"该工作表已隐藏，其表头与报表模板相符，但隐藏的工作表不读取：{_HIDDEN_TABLE_FIX}。",
                    sheet=grid.name,
                    fix=_HIDDEN_TABLE_FIX,
                )
            )
    if not any(sheet.records for sheet in parsed.sheets) and not parsed.errors:
        # A header with nothing under it would be accepted as an empty slice, with no year to file it under.
        parsed.fail(
            "no_rows",
            "表头下方没有填写任何数据行，文件中没有可入库的数据。",
            sheet=parsed.sheets[0].name,
        )
        return parsed
    _settle_unit(parsed, registry.offices)
    latest = latest_year(read_on.day)
    for sheet in parsed.sheets:
        _settle_year(parsed, sheet, name, latest)
        _settle_month(parsed, sheet)
        check_title_month(parsed, sheet)
        _settle_project(parsed, sheet)
    return parsed


_HIDDEN_TABLE_FIX = "如其中是要报送的数据，请在Excel中取消隐藏后重新报送；如不是，可忽略本提示"


_TOO_LOW_FIX = f"请删除表头上方多余的说明行，使表头位于前{HEADER_SEARCH_ROWS}行内，再重新报送"


def _too_low(match: HeaderMatch) -> str:
    return (
        f"第{match.first_row + 1}行的表头与模板《{match.template.name_zh}》相符，"
        f"但表头须位于工作表的前{HEADER_SEARCH_ROWS}行内：{_TOO_LOW_FIX}。"
    )


def _unread(hidden: list[str]) -> str:
    """Name the hidden sheets left unread, for a file rejected for want of a sheet to read."""
    # A clerk who hid the filled sheet sees it in the file; told only "empty" or "no template", he cannot tell why.
    return "已隐藏的工作表" + "、".join(f"“{name}”" for name in hidden) + "不读取"


def _cut_off(grid: Grid, match: HeaderMatch | None, sheet: ParsedSheet | None) -> str | None:
    """Say why a CSV's last line looks cut off in transfer, or None: an open quote, or short of the header."""
    last = grid.last_line
    if last is None:
        return None
    if last.open_quote:
        why = "的引号没有闭合就到了文件末尾"
    elif match is None or (sheet is not None and sheet.footer_row and last.excel_row >= sheet.footer_row):
        return None  # a short `填表人：…` line ends many a hand-made CSV, and no data row can follow a footer
    else:
        # The header as far as its last named cell: a hand-made header's trailing comma is no column.
        header = grid.rows[match.last_row]
        width = len(header)
        while width and not header[width - 1].strip():
            width -= 1
        if last.fields >= width:
            return None  # a whole row without a final line break: how many hand-made CSVs end
        why = f"只有{last.fields}列，少于表头（第{match.last_row + 1}行）的{width}列，且其后没有换行"
    row = grid.rows[last.excel_row - 1] if last.excel_row <= len(grid.rows) else []
    written = next((cell.strip() for cell in reversed(row) if cell.strip()), "")
    shown = f"，最后一格为“{written[:40]}{'…' if len(written) > 40 else ''}”" if written else ""
    return (
        f"末行不完整，文件可能未传完：第{last.excel_row}行{why}{shown}，该行的数值可能已被截断，其后的行也可能已丢失，"
        "整个文件未入库。请重新导出后再报送。"
    )


def _tied(match: HeaderMatch) -> str:
    """Say that a sheet's header fits two templates equally, so it is read as neither."""
    # Only a registry whose alias repeats another template's column does it: the clerk's template may be right.
    return (
        f"第{match.last_row + 1}行的表头同时符合“{match.template.name_zh}”和“{match.tied.name_zh}”两种报表模板"
        "（对应的列数相同），无法确定是哪一种报表，该工作表未读取。请使用统一下发的模板重新报送；"
        "如表头与模板相同，请联系区财政局核对报表模板配置中的列名和别名"
    )


def _read_sheet(
    grid: Grid, registry: Registry, read_on: ReadOn
) -> tuple[HeaderMatch | None, ParsedSheet | None]:
    """Match a sheet to a template and read it: its table, then the form's fields around it."""
    match = find_header(grid, registry)
    sheet = parse_sheet(grid, match, registry) if match and match.tied is None else None
    if sheet is not None:
        check_header(grid, match, sheet)
        pass_over_unfilled_months(sheet)
        pass_over_months_not_covered(sheet, read_on)
        refuse_months_not_begun(sheet, read_on)
        explain_negative_amounts(sheet)
        check_written_rates(grid, match, sheet)
        check_voided_rows(grid, match, sheet)
        read_form(grid, sheet, registry)
    return match, sheet
