"""Parse one received file: match each sheet to a template and settle who sent it, for which year."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath

from pipeline.cell_formats import CellFormats
from pipeline.forms import read_form
from pipeline.formulas import unsaved_formulas
from pipeline.header import HeaderMatch, _merged_origin, find_header
from pipeline.header_checks import check_header
from pipeline.layout import ParsedSheet, parse_sheet
from pipeline.limits import LimitExceeded, Limits
from pipeline.offices import Office, Offices
from pipeline.problems import Problem, Severity, cell_problem
from pipeline.reader import Grid, UnreadableFile, read_workbook
from pipeline.registry import ColumnType, Registry
from pipeline.settings import TIMEZONE
from pipeline.summaries import pass_over_summaries

logger = logging.getLogger(__name__)

_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
# The first reporting year the warehouse takes; the last is next year (a plan may be filed ahead).
FIRST_YEAR = 2000

# The sheet of instructions every generated template carries; it holds no data.
INSTRUCTIONS_SHEET = "填表说明"


@dataclass(slots=True)
class ParsedFile:
    """Everything read from one file, before anything is stored."""

    original_name: str
    sending_folder: str | None  # the inbox sub-folder as named there; None at the inbox root
    sheets: list[ParsedSheet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unit: str | None = None
    # Settled before storing (`intake.overlap`): other offices' slices this file takes out of force (the implementing
    # unit's list in place of the one another office sent for its project), by key, with the slice's fields; and
    # warnings for files already stored, worded once this one has its number.
    taken_slices: dict[str, dict] = field(default_factory=dict)
    told_stored: list[tuple[int, Callable[[int], Problem]]] = field(default_factory=list)

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


def sending_folder_of(inbox_path: str) -> str | None:
    """Return the inbox sub-folder a file was dropped in, as it is named there; None for the inbox root."""
    parts = PurePosixPath(inbox_path).parts
    return parts[0] if len(parts) > 1 else None


def folder_office(folder: str | None, offices: Offices) -> tuple[Office, ...]:
    """Return the offices a sending folder may belong to: none for a shared folder, several when ambiguous."""
    return () if offices.is_shared(folder) else offices.named(folder)


def _unparsed(inbox_path: str, offices: Offices | None = None) -> ParsedFile:
    folder = sending_folder_of(inbox_path)
    sender = folder_office(folder, offices or Offices())
    # Until a sheet says otherwise the folder tells who sent it, so even an unreadable file names its office.
    return ParsedFile(
        original_name=PurePosixPath(inbox_path).name,
        sending_folder=folder,
        unit=sender[0].name if len(sender) == 1 else None,
    )


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
    content: bytes, inbox_path: str, registry: Registry, limits: Limits | None = None
) -> ParsedFile:
    """Read a file and every sheet in it; nothing is stored, every problem is collected."""
    parsed = _unparsed(inbox_path, registry.offices)
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
    # An xlsx or xls states its cells' number formats, read only for a cell they settle; a CSV has none.
    formats = CellFormats(content, workbook.kind) if workbook.kind in CellFormats.KINDS else None
    for grid in workbook.grids:
        try:
            match, sheet = _read_sheet(grid, registry)
            if sheet is not None and formats is not None and _write_percentages(grid, sheet, formats):
                # Read again, so the value, the form's own checks and the receipt all take the cell as shown.
                match, sheet = _read_sheet(grid, registry)
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
            parsed.problems.append(
                Problem(
                    Severity.WARNING,
                    "unmatched_sheet",
                    "表头与任何报表模板都不符，已忽略该工作表。",
                    sheet=grid.name,
                )
            )
            continue
        parsed.sheets.append(sheet)
    if workbook.formulas:
        _name_unsaved_formulas(content, parsed.sheets)
    parsed.sheets, summaries = pass_over_summaries(parsed.sheets)
    parsed.problems += summaries
    if not parsed.sheets and not parsed.errors:
        parsed.fail(
            "unknown_template",
            "无法识别的报表模板：没有一个工作表的表头与报表模板相符，请使用统一下发的模板。",
        )
        return parsed
    if not any(sheet.records for sheet in parsed.sheets) and not parsed.errors:
        # A header with nothing under it would be accepted as an empty slice, with no year to file it under.
        parsed.fail(
            "no_rows",
            "表头下方没有填写任何数据行，文件中没有可入库的数据。",
            sheet=parsed.sheets[0].name,
        )
        return parsed
    _settle_unit(parsed, registry.offices)
    latest = latest_year()
    for sheet in parsed.sheets:
        _settle_year(parsed, sheet, name, latest)
        _settle_month(parsed, sheet)
        _settle_project(parsed, sheet)
    return parsed


_UNSAVED_EXPECTED = "该单元格是公式，但文件中没有保存公式的计算结果（由程序生成或未重新计算），读取时为空"
_UNSAVED_FIX = "请在Excel或WPS中打开该文件并保存后重新报送，或把公式改为数值"


def _name_unsaved_formulas(content: bytes, sheets: list[ParsedSheet]) -> None:
    """Tell of a cell read empty that holds a formula saved without its result: the clerk sees a number there.

    A required one is already an error (`required`), told why; an optional one read as blank would be counted as
    nothing (a 基本满意 of `=B4-C4-E4` as 0), so it is an error of its own (`formula_unsaved`).
    """
    for sheet in sheets:
        empty = [
            i
            for i, p in enumerate(sheet.problems)
            if p.rule == "required" and p.excel_row and p.value is None
        ]
        optional = [b for b in sheet.bindings if not b.column.required and not b.ticks]
        blanks = [(r, b) for r in sheet.records for b in optional if r.get(b.column.name) is None]
        formulas = unsaved_formulas(content, sheet.name) if empty or blanks else set()
        if not formulas:
            continue
        letters = {b.header: b.letter for b in sheet.bindings}
        for index in empty:
            problem = sheet.problems[index]
            if f"{letters.get(problem.column_header)}{problem.excel_row}" not in formulas:
                continue
            sheet.problems[index] = dataclasses.replace(
                problem,
                message_zh=f"第{problem.excel_row}行「{problem.column_header}」：{_UNSAVED_EXPECTED}，{_UNSAVED_FIX}。",
                expected=_UNSAVED_EXPECTED,
                fix=_UNSAVED_FIX,
            )
        for record, binding in blanks:
            if f"{binding.letter}{record['excel_row']}" in formulas:
                sheet.problems.append(
                    Problem(
                        Severity.ERROR,
                        "formula_unsaved",
                        f"第{record['excel_row']}行「{binding.header}」：{_UNSAVED_EXPECTED}，{_UNSAVED_FIX}。",
                        sheet=sheet.name,
                        excel_row=record["excel_row"],
                        column_header=binding.header,
                        expected=_UNSAVED_EXPECTED,
                        fix=_UNSAVED_FIX,
                    )
                )


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


def _read_sheet(grid: Grid, registry: Registry) -> tuple[HeaderMatch | None, ParsedSheet | None]:
    """Match a sheet to a template and read it: its table, then the form's fields around it."""
    match = find_header(grid, registry)
    sheet = parse_sheet(grid, match, registry) if match else None
    if sheet is not None:
        check_header(grid, match, sheet)
        read_form(grid, sheet, registry)
    return match, sheet


def _write_percentages(grid: Grid, sheet: ParsedSheet, formats: CellFormats) -> bool:
    """Write a number read as percent points that Excel shows as a percentage as shown (1.05 as `105%`).

    Those are the cells `ParsedSheet.note_percent_number` kept: a bare 1 (1 % or 100 %) and a number above 1 or
    below 0 (1.05 read as 1.05 %, not the 105 % typed); say whether any was written. Formats are read only when
    there is such a cell.
    """
    cells = _percent_numbers(grid, sheet)
    if not cells:
        return False
    # A merged cell shows its range's top-left cell, in that cell's format.
    origin = _merged_origin(grid)
    shown = formats.percent_cells(grid.name, {origin.get(cell, cell) for cell in cells})
    written = [cell for cell in cells if origin.get(cell, cell) in shown]
    for r, c in written:
        grid.rows[r][c] = shown_percent(grid.rows[r][c])
    return bool(written)


def shown_percent(number: float | int) -> str:
    """Return what a percent format shows of a number, exactly, as the clerk typed it: 1.05 is `105%`."""
    exact = Decimal(format(number, ".15g")) if isinstance(number, float) else Decimal(number)
    return f"{exact.scaleb(2):f}%"


def _percent_numbers(grid: Grid, sheet: ParsedSheet) -> set[tuple[int, int]]:
    """Return the number cells read as percent points whose reading a percent format would settle."""
    # A form's rate fields and 实际完成值 against a percent target are noted as read; a （%） column here.
    columns = [b.index for b in sheet.bindings if b.column.type is ColumnType.PERCENT and b.unit == "%"]
    # A text column keeps what the clerk sees: `52%` typed into a percent-formatted 1-7月实际完成情况 is the number
    # 0.52, to be written as shown. (实际完成值 against a target is read_against: noted as it is read.)
    texts = [
        b.index
        for b in sheet.bindings
        if b.column.type is ColumnType.TEXT and not b.column.read_against and not b.ticks
    ]
    rows = grid.rows
    for record in sheet.records if columns or texts else ():
        r = record["excel_row"] - 1
        row = rows[r]
        for c in columns:
            if c < len(row):
                sheet.note_percent_number(r, c, row[c])
        for c in texts:
            if c < len(row) and row[c].__class__ in (float, int):
                sheet.percent_numbers.append((r, c))
    return set(sheet.percent_numbers)


def _settle_unit(parsed: ParsedFile, offices: Offices) -> None:
    """Name the office that sent the file: its folder's, or in a shared folder its `填报单位：` line's."""
    folder = parsed.sending_folder
    sender = folder_office(folder, offices)
    if len(sender) > 1:
        # Never a guess: the clerk, or the office registry, has to say which office the folder is.
        parsed.problems.append(
            Problem(
                Severity.ERROR,
                "unit_ambiguous",
                f"报送文件夹“{folder}”可以指{'、'.join(o.name for o in sender)}，无法确定报送单位。"
                "请将文件放入以单位全称命名的文件夹，或请区财政局在单位名录中登记该文件夹。",
                value=folder,
                expected="文件夹名应只对应一个单位",
                fix="请将文件放入以单位全称命名的文件夹",
            )
        )
        parsed.unit = None
    else:
        parsed.unit = _unit_by_lines(parsed, sender[0] if sender else None, offices)
    for sheet in parsed.sheets:
        for record in sheet.records:
            record["unit"] = parsed.unit


def _unit_by_lines(parsed: ParsedFile, office: Office | None, offices: Offices) -> str | None:
    """Return the unit the sheets' `填报单位：` lines give, checked against the folder's office (None: shared)."""
    said: list[tuple[ParsedSheet, str]] = []  # each sheet's line and the office it names
    refused = False
    for sheet in parsed.sheets:
        line = sheet.meta.unit
        if not line:
            continue
        meant = offices.sent_for(office, line) if office else offices.named(line)
        if len(meant) == 1:
            said.append((sheet, meant[0].name))
        else:
            parsed.problems.append(_unit_line_problem(sheet, meant, office, parsed.sending_folder, offices))
            refused = True
    if said:
        (first, unit), *others = said
        for sheet, other in others:
            if other != unit:
                parsed.problems.append(
                    _line_problem(
                        "unit_mismatch",
                        sheet,
                        expected=f"应与工作表“{first.name}”的{first.meta.unit_label}{unit}一致",
                        fix="一个文件只能填报一个单位的数据，请分开报送",
                    )
                )
        return unit
    if office is None and not refused:
        where = (
            f"“{parsed.sending_folder}”是共享收件文件夹"
            if parsed.sending_folder
            else "文件也不在以单位命名的文件夹中"
        )
        parsed.fail(
            "unit_unknown",
            f"无法确定填报单位：表格上方没有“填报单位：…”一行，{where}。请补充“填报单位：…”后重新报送。",
        )
    return office.name if office else None


def _line_problem(rule: str, sheet: ParsedSheet, *, expected: str, fix: str) -> Problem:
    """Report a sheet's `填报单位：` line (or the label it was read from), at its Excel row, with what it should say
    and how to fix it."""
    return cell_problem(
        rule,
        sheet=sheet.name,
        excel_row=sheet.meta.rows.get("unit"),
        header=sheet.meta.unit_label,
        value=sheet.meta.unit,
        expected=expected,
        fix=fix,
    )


def _unit_line_problem(
    sheet: ParsedSheet, meant: tuple[Office, ...], office: Office | None, folder: str | None, offices: Offices
) -> Problem:
    """Say why a `填报单位：` line names no office this folder may send for: ambiguous, or someone else's."""
    line = sheet.meta.unit
    if len(meant) > 1:
        return _line_problem(
            "unit_ambiguous",
            sheet,
            expected=f"应为一个单位的全称，而“{line}”可以指{'、'.join(o.name for o in meant)}",
            fix="请填写单位全称",
        )
    [named] = offices.named(line)
    for_others = f"或其代报的{'、'.join(office.submits_for)}" if office.submits_for else ""
    return _line_problem(
        "unit_mismatch",
        sheet,
        expected=f"应为{office.name}{for_others}",
        fix=f"报送文件夹“{folder}”属于{office.name}，{office.submits_for_zh}；{named.name}的数据可由"
        f"{'、'.join(offices.who_may_send(named))}报送，请将文件放入其中一个单位的文件夹，或改正“{sheet.meta.unit_label}：”一行",
    )


# How to correct a year out of range, by where it was stated.
_RANGE_FIX = {
    "line": "请核对填写的年度",
    "title": "请核对标题中的年度",
    "filename": "请改正文件名中的年度，或在表格上方加一行“年度：…”",
}


def latest_year() -> int:
    """Return the last reporting year taken: next year, in the district's time zone."""
    return dt.datetime.now(TIMEZONE).year + 1


def _year_range(
    sheet: ParsedSheet, latest: int, excel_row: int | None, header: str, value: object, fix: str
) -> Problem:
    """Report a year before 2000 or after next year where it was found, with the years allowed."""
    noun = "日期" if isinstance(value, dt.date) else "年度"
    return cell_problem(
        "year_range",
        sheet=sheet.name,
        excel_row=excel_row,
        header=header,
        value=value,
        expected=f"应为{FIRST_YEAR}年至{latest}年之间的{noun}",
        fix=fix,
    )


@dataclass(frozen=True, slots=True)
class _Statement:
    """One place a sheet states its year: the years read there, what it says as the clerk wrote it, and where."""

    source: str  # the year_from source it is
    years: tuple[int, ...]  # none: written but unreadable; several: the clerk has to say which
    says: str  # 第3行写的是“年度：2022”, 第1行的标题写的是2022年, 文件名“…”写的是2022年
    label: str  # what the clerk corrects: “年度：”一行, 标题, 文件名, 「日期」列的日期
    excel_row: int | None = None
    header: str | None = None
    rows: tuple[tuple[int, int], ...] = ()  # a column's (Excel row, year) for each row stating one


def _years_zh(years: tuple[int, ...]) -> str:
    """Name years as a clerk reads them: 2022年, or 2021年、2022年."""
    return "、".join(f"{year}年" for year in years)


def _year_statements(
    sheet: ParsedSheet, filename: str, headers: dict[str, str], bounded: Callable[[int], bool]
) -> list[_Statement]:
    """List where a sheet states its year, in the order its template takes them."""
    template, meta = sheet.template, sheet.meta
    found = []
    for source in template.year_from:
        if source in ("column", "dates"):
            column = "year" if source == "column" else template.date_column
            # A year out of range is reported on its own row, not as one more year the sheet states.
            given = [
                (r["excel_row"], year)
                for r in sheet.records
                if (value := r.get(column)) is not None
                and bounded(year := value if source == "column" else value.year)
            ]
            if not given:
                continue
            header = headers.get(column)
            label = f"「{header}」列" if source == "column" else f"「{header}」列的日期"
            first, last = min(row for row, _ in given), max(row for row, _ in given)
            rows = f"第{first}行" if first == last else f"第{first}至{last}行"
            years = tuple(sorted({year for _, year in given}))
            says = f"{label}（{rows}）是{_years_zh(years)}"
            found.append(_Statement(source, years, says, label, first, header, tuple(given)))
        elif source == "line" and meta.year_written is not None:
            row = meta.rows.get("year")
            years = () if meta.year is None else (meta.year,)
            says = f"第{row}行写的是“年度：{meta.year_written}”"
            found.append(_Statement(source, years, says, "“年度：”一行", row, "年度"))
        elif source == "title" and meta.title_years:
            row, years = meta.rows.get("title_year"), meta.title_years
            found.append(
                _Statement(source, years, f"第{row}行的标题写的是{_years_zh(years)}", "标题", row, "标题")
            )
        elif source == "filename" and (named := _YEAR_IN_NAME.findall(filename)):
            years = tuple(dict.fromkeys(map(int, named)))
            says = f"文件名“{filename}”写的是{_years_zh(years)}"
            found.append(_Statement(source, years, says, "文件名", header="文件名"))
    return found


def _rows_zh(rows: list[int]) -> str:
    """Name Excel rows as a clerk reads them, runs shortened: 第4、6行, 第3至5、9行."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][-1] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return "第" + "、".join(str(r[0]) if len(r) == 1 else f"{r[0]}至{r[-1]}" for r in runs) + "行"


def _year_span(sheet: ParsedSheet, statement: _Statement) -> Problem:
    """Reject a column whose rows state several years, naming the rows of each and where the second begins."""
    by_year = {year: [row for row, said in statement.rows if said == year] for year in statement.years}
    where = "；".join(f"{year}年：{_rows_zh(rows)}" for year, rows in by_year.items())
    first_year = min(statement.rows)[1]
    other_row = min(row for row, year in statement.rows if year != first_year)
    found = "、".join(map(str, statement.years))
    fix = "一个文件只能报送一个年度的数据，请按年度分别报送"
    return Problem(
        Severity.ERROR,
        "year_span",
        f"{statement.label}跨越了{found}多个年度（{where}），{fix}。",
        sheet=sheet.name,
        excel_row=other_row,
        column_header=statement.header,
        value=found,
        expected="应为同一年度",
        fix=fix,
    )


def _settle_year(parsed: ParsedFile, sheet: ParsedSheet, filename: str, latest: int) -> None:
    """Give every record its year: its own 年度 cell, else the first other statement its template lists."""
    template = sheet.template
    headers = {b.column.name: b.header for b in sheet.bindings}

    def bounded(year: int) -> bool:
        return FIRST_YEAR <= year <= latest

    if "dates" in template.year_from:
        header = headers.get(template.date_column)
        for record in sheet.records:
            date = record.get(template.date_column)
            if date and not bounded(date.year):
                fix = "请核对日期中的年份"
                parsed.problems.append(_year_range(sheet, latest, record["excel_row"], header, date, fix))
    statements = _year_statements(sheet, filename, headers, bounded)
    # A 年度 column speaks for its own rows only; the rows without one take the first other statement, and
    # a statement naming no year or several decides all the same: the clerk says which, nothing is guessed.
    deciding = next((s for s in statements if s.source != "column"), None)
    for statement in statements:
        # A file is one 报表年度: a 年度 column naming two would file one submission under two years. Dates span
        # years freely under a `年度：` line that decides (a 2022 ledger's funds arriving in January 2023).
        spanning = statement.source == "column" or (statement.source == "dates" and statement is deciding)
        if spanning and len(statement.years) > 1:
            parsed.problems.append(_year_span(sheet, statement))
        elif statement.source == "line" and not statement.years:
            # Worded as a 年度 cell that cannot be read is; the line is never passed over for the title's year.
            parsed.problems.append(
                cell_problem(
                    "type",
                    sheet=sheet.name,
                    excel_row=statement.excel_row,
                    header="年度",
                    value=sheet.meta.year_written,
                    expected="应为四位年份，如2022",
                    fix="请写成“年度：2022”这样的四位年份",
                )
            )
    sheet_year = deciding.years[0] if deciding is not None and len(deciding.years) == 1 else None
    if deciding is not None and sheet_year is not None and not bounded(sheet_year):
        value = filename if deciding.source == "filename" else sheet_year
        fix = _RANGE_FIX[deciding.source]
        parsed.problems.append(_year_range(sheet, latest, deciding.excel_row, deciding.header, value, fix))
    missing = False
    filled: list[int] = []  # the rows whose blank 年度 cell took the sheet's year
    for record in sheet.records:
        if "column" in template.year_from and record.get("year") is not None:
            if not bounded(record["year"]):
                fix = "请核对填写的年度"
                parsed.problems.append(
                    _year_range(sheet, latest, record["excel_row"], headers.get("year"), record["year"], fix)
                )
            continue
        record["year"] = sheet_year
        missing = missing or sheet_year is None
        filled.append(record["excel_row"])
    column = next((s for s in statements if s.source == "column"), None)
    if column is not None and len(column.years) == 1 and sheet_year not in (None, *column.years) and filled:
        # A column of one year whose blank cells take another from the line: one file, two 报表年度 all the same.
        mixed = dataclasses.replace(
            column,
            years=tuple(sorted({*column.years, sheet_year})),
            rows=tuple(sorted((*column.rows, *((row, sheet_year) for row in filled)))),
            label=f"{column.label}（空白处按{deciding.label}）",
        )
        parsed.problems.append(_year_span(sheet, mixed))
    if missing and deciding is None:
        parsed.fail(
            "year_unknown",
            "报表年度无法确定：请在表格上方加一行“年度：2022”，或在标题中写明年度。",
            sheet=sheet.name,
        )
    elif missing and deciding.source in ("title", "filename"):
        parsed.fail(
            "year_unknown",
            f"{deciding.says}，报表年度无法确定：请在表格上方加一行“年度：…”写明是哪一年度，如“年度：2022”。",
            sheet=sheet.name,
            excel_row=deciding.excel_row,
        )
    _flag_conflicts(parsed, sheet, statements, bounded)
    _hold_dated_months(parsed, sheet, deciding, set(filled))


def _hold_dated_months(
    parsed: ParsedFile, sheet: ParsedSheet, deciding: _Statement | None, filled: set[int]
) -> None:
    """Hold each month written with its year (`2022年4月`) to its row's year: another year is an error on the cell,
    a day beside the month (`2022-04-15`) a warning naming the month taken."""
    if not sheet.dated_months:
        return
    headers = {b.column.name: b.header for b in sheet.bindings}
    records = {r["excel_row"]: r for r in sheet.records}
    for (excel_row, name), (dated, raw) in sheet.dated_months.items():
        record = records.get(excel_row)
        year = record.get("year") if record is not None else None
        if year is None:
            continue  # no year to hold it to: the sheet's year_unknown says so already
        shown = raw.date() if isinstance(raw, dt.datetime) else raw
        month = dated.month
        if dated.year != year:
            if excel_row in filled and deciding is not None:
                expected = f"与报表年度{year}不一致（{deciding.says}）"
                where = deciding.label
            else:
                where = f"「{headers.get('year', '年度')}」"
                expected = f"与本行{where}{year}不一致"
            # An error on the cell, in the sheet's problems: validation leaves the month it no longer holds alone.
            sheet.error(
                rule="month_year_mismatch",
                excel_row=excel_row,
                header=headers[name],
                value=shown,
                expected=expected,
                fix=f"请核对：若是{year}年{month}月，请把月份改填为“{month}”；否则请改正{where}",
            )
            record[name] = None
        elif dated.day != 1:
            # The file's, not the sheet's problems: a warned cell would drop out of the checks across rows (月份重复).
            parsed.problems.append(
                cell_problem(
                    "month_with_day",
                    sheet=sheet.name,
                    excel_row=excel_row,
                    header=headers[name],
                    value=shown,
                    expected=f"应为月份；该单元格是一个具体日期，已按其所在的{year}年{month}月计",
                    fix=(
                        f"请核对：若这一行是{month}月的数据，改填为“{month}”即可；"
                        f"若{dated.day}日是填报日期等其他日期，请改填为这一行所属的月份"
                    ),
                    severity=Severity.WARNING,
                )
            )


def _flag_conflicts(
    parsed: ParsedFile, sheet: ParsedSheet, statements: list[_Statement], bounded: Callable[[int], bool]
) -> None:
    """Warn of each statement naming a year other than the one taken, so the clerk sees both and the year used."""
    if not statements:
        return
    taken, *others = statements
    if not taken.years or not all(map(bounded, taken.years)):
        return  # the year taken is unreadable or out of range: rejected on its own already
    if len(taken.years) > 1:
        return  # a column or dates spanning years, or a title naming several: rejected on its own already
    used = _years_zh(taken.years)
    if _stale_line(taken, others):
        parsed.problems.append(_stale_line_problem(sheet, taken, others))
        return
    for other in others:
        if set(other.years) <= set(taken.years):
            continue
        if other.source == "filename" and set(other.years) & set(taken.years):
            continue  # `2023年1月报送-2022年度台账`: the day it was sent beside the year it reports
        expected = f"应与{taken.label}一致"
        fix = (
            f"本表已按{taken.label}取{used}度；若报表年度不是{used}，请改正{taken.label}后重新报送，"
            f"否则请改正{other.label}"
        )
        parsed.problems.append(
            Problem(
                Severity.WARNING,
                "year_conflict",
                f"{other.says}，而{taken.says}，二者不一致。{fix}。",
                sheet=sheet.name,
                excel_row=other.excel_row or taken.excel_row,
                column_header=other.header,
                value="、".join(map(str, other.years)),
                expected=expected,
                fix=fix,
            )
        )


def _stale_line(taken: _Statement, others: list[_Statement]) -> bool:
    """Say whether a `年度：` line is all that names its year, against every date of the sheet and all else stated.

    Last year's template sent again with January's rows (`年度：2022` over dates, title and name of 2023) would file
    them as 2022 and replace that year's whole ledger: a line behind every date, and named nowhere else, is asked
    about. Dates before the line's year are a year's funds issued ahead (提前下达 in December), as dates spanning
    into the next year are late ones; a title or file name naming the line's year too (`2022年度资金台账`) vouches
    for it.
    """
    dates = [o for o in others if o.source == "dates"]
    if taken.source != "line" or not dates:
        return False
    later = all(year > max(taken.years) for o in dates for year in o.years)
    return later and all(not set(o.years) & set(taken.years) for o in others)


def _stale_line_problem(sheet: ParsedSheet, taken: _Statement, others: list[_Statement]) -> Problem:
    used = _years_zh(taken.years)
    said = "；".join(o.says for o in others)
    fix = (
        f"若本表是{_years_zh(others[0].years)}度的，请把“年度：”一行改正后重新报送；若确是{used}度的资金"
        f"（全部在次年到位或支付），请在标题中写明{used}度后重新报送"
    )
    return Problem(
        Severity.ERROR,
        "year_conflict",
        f"{taken.says}，而{said}，本表没有一处与之相同，无法确定报表年度。{fix}。",
        sheet=sheet.name,
        excel_row=taken.excel_row,
        column_header=taken.header,
        value="、".join(map(str, taken.years)),
        expected="应与日期等处的年度一致",
        fix=fix,
    )


def _settle_month(parsed: ParsedFile, sheet: ParsedSheet) -> None:
    """Give every record of a source that reads its month from a date column that date's month."""
    if sheet.template.month_from_headers:
        months = sheet.meta.months_so_far
        conflicting = any(p.rule == "months_mismatch" for p in sheet.problems)  # already named on its header
        if not conflicting and (months is None or not 1 <= months <= 12):
            parsed.fail(
                "month_range" if months else "required",
                "截至的月份无法确定：表头应写明“1-N月执行数”“1-N月实际完成情况”，N为1至12。",
                sheet=sheet.name,
                excel_row=sheet.meta.rows.get("months_so_far"),
            )
        for record in sheet.records:
            record["month"] = months
        return
    column = sheet.template.month_from
    if column is None:
        return
    header = sheet.header_of(column)
    for record in sheet.records:
        date = record.get(column)
        record["month"] = date.month if date is not None else None
        # An empty required date is reported on its cell already; an optional one leaves the month unknown.
        if date is None and not sheet.template.column(column).required:
            parsed.fail(
                "required",
                f"第{record['excel_row']}行「{header}」没有填写日期，无法确定这一行属于哪个月份，请补充日期。",
                sheet=sheet.name,
                excel_row=record["excel_row"],
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
    # A required 项目名称 column the sheet has: each blank cell is an error on its row, which says what to fill in.
    bound = next((b.column for b in sheet.bindings if b.column.name == rule.column), None)
    own_rows = bound is not None and bound.required
    if (
        unresolved
        and not own_rows
        and rule.register_project_type is None
        and "project" in sheet.template.slice
    ):
        parsed.fail(
            "project_unknown",
            "所属项目无法确定：请填写“项目名称”列，或在表格上方加一行“项目名称：…”。",
            sheet=sheet.name,
        )
