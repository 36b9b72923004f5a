"""Read a received file into grids of cells, one per visible, non-empty sheet."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook, SheetVisibleEnum

from pipeline.limits import LimitExceeded, Limits, Unsupported, check_file_size
from pipeline.xls_survey import survey_xls
from pipeline.xlsx_survey import survey_xlsx

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
# Chinese Excel writes CSV in GB18030 (a superset of GBK); everything else should be UTF-8.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
ENCODING_UNKNOWN = "文件编码无法识别，请以UTF-8或GB18030（Excel“CSV UTF-8”）另存后重新报送"
# GB18030 decodes almost any bytes, Big5 included, into gibberish of rare characters. Text is taken for
# misdecoded when more than this share of its non-ASCII characters fall outside GB2312's punctuation and
# its 6,763 hanzi, which cover nearly every character of real simplified-Chinese text.
RARE_SHARE = 0.2
DAMAGED_SHARE = 0.1
RARE_SAMPLE = 65_536
_NON_ASCII = re.compile(r"[^\x00-\x7f]")

Cell = object
MergedRange = tuple[tuple[int, int], tuple[int, int]]


class UnreadableFile(ValueError):
    """The file is not a spreadsheet this pipeline can read; the message says why, in Chinese."""


@dataclass(frozen=True, slots=True)
class LastLine:
    """A CSV's last line when it may have been cut off: no line break after it, or inside an open quote."""

    excel_row: int
    fields: int
    open_quote: bool  # the file ends inside a quoted field, whose closing quote never came


@dataclass(slots=True)
class Grid:
    """A sheet's cells by zero-based (row, column), row 0 being Excel row 1; plus merged ranges."""

    name: str
    rows: list[list[Cell]]
    merged: list[MergedRange] = field(default_factory=list)
    # A CSV's cells are text as Excel showed them, with no number format kept to tell how a number was shown.
    as_text: bool = False
    # A CSV's unfinished last line, judged by parse_file against the header row once that is found.
    last_line: LastLine | None = None
    # The rows the clerk hid in Excel, as Excel numbers them: read like any other, so the receipt asks about them.
    hidden_rows: tuple[int, ...] = ()


@dataclass(slots=True)
class Workbook:
    """The readable sheets of one file, and the sheets skipped because hidden."""

    kind: str
    grids: list[Grid]
    hidden: list[str] = field(default_factory=list)
    # An xlsx with a formula in some cell: only then can a cell read empty hold one saved without its result.
    formulas: bool = False


def sniff_kind(content: bytes, filename: str) -> str:
    """Tell xlsx, xls and csv apart by content, since clerks rename files freely."""
    if not content:
        raise UnreadableFile("文件为空（0字节）")
    if content.startswith(ZIP_MAGIC):
        return "xlsx"
    if content.startswith(OLE2_MAGIC):
        return "xls"
    if filename.lower().endswith(".csv"):
        return "csv"
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        # Finance systems export delimited text under an .xls name; read it as the CSV it is.
        if _looks_delimited(content):
            return "csv"
        raise UnreadableFile("文件已损坏或不是Excel文件，无法打开")
    raise UnreadableFile("不是电子表格文件（只接收 .xlsx、.xlsm、.xls、.csv）")


def _looks_delimited(content: bytes) -> bool:
    head = content[:4096]
    if b"\x00" in head:
        return False
    for encoding in CSV_ENCODINGS:
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return any(sep in text for sep in (",", "\t"))
    return False


def _is_empty_row(row: list[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in row)


def _trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    while rows and _is_empty_row(rows[-1]):
        rows.pop()
    return rows


def read_excel(content: bytes, kind: str, limits: Limits) -> Workbook:
    """Read every visible sheet of an xlsx/xlsm/xls file with calamine, once the file is proved within limits."""
    # Whether any cell holds an error value: calamine reads those as blanks, which are put right below.
    survey = survey_xlsx(content, limits) if kind == "xlsx" else survey_xls(content, limits)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises several unrelated types for broken files
        raise UnreadableFile("文件已损坏，无法打开") from exc
    grids, hidden = [], []
    name = None
    try:
        for meta in book.sheets_metadata:
            name = meta.name
            if meta.visible != SheetVisibleEnum.Visible:
                hidden.append(meta.name)
                continue
            sheet = book.get_sheet_by_name(meta.name)
            # Keeping the empty area above and left of the data keeps row numbers as Excel shows them.
            rows = _trim(sheet.to_python(skip_empty_area=False))
            if rows:
                merged = _merges_within(meta.name, rows, sheet.merged_cell_ranges)
                grids.append(Grid(meta.name, rows, merged, hidden_rows=survey.hidden_rows.get(meta.name, ())))
    except UnreadableFile:
        raise
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise
        where = f"工作表“{name}”" if name else "工作表"
        raise UnreadableFile(f"文件内容损坏，无法读取{where}") from exc
    finally:
        book.close()
    if survey.errors:
        (_restore_error_cells if kind == "xlsx" else _restore_xls_error_cells)(content, grids)
    return Workbook(kind, grids, hidden, survey.formulas)


def _merges_within(sheet: str, rows: list[list[Cell]], merged: list[MergedRange] | None) -> list[MergedRange]:
    """Clip merged ranges to the cells read; refuse merges that overlap, which Excel itself will not open.

    Cells beyond the grid are empty either way, and the layout visits every merged cell, so a merge claiming
    the whole sheet must not reach it as it is written.
    """
    height, width = len(rows), max(map(len, rows))
    clipped, covered = [], 0
    for (top, left), (bottom, right) in merged or []:
        if top >= height or left >= width or bottom < top or right < left:
            continue
        bottom, right = min(bottom, height - 1), min(right, width - 1)
        covered += (bottom - top + 1) * (right - left + 1)
        if covered > height * width:
            raise UnreadableFile(
                f"工作表“{sheet}”的合并单元格相互重叠，文件已损坏；请取消合并后另存并重新报送"
            )
        clipped.append(((top, left), (bottom, right)))
    return clipped


def _is_reader_failure(exc: BaseException) -> bool:
    """Tell a parser's failure on a file from an interrupt: Rust panics in calamine are BaseExceptions."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _put(grid: Grid, r: int, c: int, value: object) -> None:
    """Write a cell calamine left blank (or left out, past the row's end)."""
    row = grid.rows[r]
    row.extend([""] * (c + 1 - len(row)))
    row[c] = value


def _restore_error_cells(content: bytes, grids: list[Grid]) -> None:
    """Put `#DIV/0!`, `#REF!` … back where calamine left blanks, reading those sheets again with openpyxl."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        for grid in grids:
            for cells in book[grid.name].iter_rows():
                for cell in cells:
                    if getattr(cell, "data_type", None) != "e" or cell.row > len(grid.rows):
                        continue
                    _put(grid, cell.row - 1, cell.column - 1, cell.value)
    finally:
        book.close()


def _restore_xls_error_cells(content: bytes, grids: list[Grid]) -> None:
    """Put `#DIV/0!`, `#REF!` … back where calamine left blanks in an xls, reading those cells again with xlrd."""
    import xlrd

    book = xlrd.open_workbook(file_contents=content, on_demand=True, logfile=io.StringIO())
    try:
        for grid in grids:
            sheet = book.sheet_by_name(grid.name)
            for r in range(min(sheet.nrows, len(grid.rows))):
                for c, kind in enumerate(sheet.row_types(r)):
                    if kind != xlrd.XL_CELL_ERROR:
                        continue
                    _put(grid, r, c, xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#VALUE!"))
    finally:
        book.release_resources()


def decode_text(content: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), else GB18030; refuse text that decodes only to gibberish."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _looks_damaged_utf8(content[: RARE_SAMPLE * 4]):
        raise UnreadableFile(ENCODING_UNKNOWN)
    try:
        text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(ENCODING_UNKNOWN) from None
    # Text holding NULs is not text at all; read_csv says so in its own words.
    if "\x00" not in text and _looks_misdecoded(text[:RARE_SAMPLE]):
        raise UnreadableFile(ENCODING_UNKNOWN)
    return text


@functools.cache
def _is_common(char: str) -> bool:
    """Say whether a character is GB2312 punctuation or one of its hanzi (rows A1–A3 and B0–F7)."""
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return False
    return 0xA1 <= lead <= 0xA3 or 0xB0 <= lead <= 0xF7


def _looks_damaged_utf8(content: bytes) -> bool:
    """Say whether bytes that are not UTF-8 are still nearly all UTF-8: a UTF-8 file with a few bad bytes.

    GB18030 text read as UTF-8 breaks at most of its characters, so a handful of breaks among many valid
    multi-byte characters means UTF-8 damaged in transit, which GB18030 would decode into gibberish.
    """
    text = content.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    wide = len(text) - len(text.encode("ascii", "ignore")) - broken  # characters past ASCII, but the breaks
    return wide >= 4 and broken <= DAMAGED_SHARE * wide


def _looks_misdecoded(text: str) -> bool:
    """Say whether text decoded as GB18030 is really another encoding (Big5, Shift-JIS, damaged UTF-8)."""
    wide = _NON_ASCII.findall(text)
    if len(wide) < 4:
        return False
    rare = sum(times for char, times in Counter(wide).items() if not _is_common(char))
    return rare > RARE_SHARE * len(wide)


class _Sniffer(csv.Sniffer):
    """csv.Sniffer, counting per line only the delimiters it may choose instead of all 127 ASCII characters.

    The standard sniffer tallies every ASCII character on every line of the sample, 10 lines at a time, then
    keeps only the allowed delimiters; tallying just those makes the same choice with some 40 times less work.
    """

    def _guess_delimiter(self, data: str, delimiters: str | None) -> tuple[str, bool | int]:
        if delimiters is None:
            return super()._guess_delimiter(data, delimiters)
        lines = list(filter(None, data.split("\n")))
        chars = sorted(c for c in set(delimiters) if ord(c) < 127)  # the standard tables hold ASCII only
        chunk = min(10, len(lines))
        frequency: dict[str, dict[int, int]] = {char: {} for char in chars}  # how many lines hold it N times
        delims: dict[str, tuple[int, int]] = {}
        iteration, start = 0, 0
        while start < len(lines):
            iteration += 1
            for line in lines[start : start + chunk]:
                for char in chars:
                    counts = frequency[char]
                    times = line.count(char)
                    counts[times] = counts.get(times, 0) + 1
            modes = {}
            for char in chars:
                items = list(frequency[char].items())
                if len(items) == 1 and items[0][0] == 0:
                    continue
                mode = max(items, key=lambda item: item[1])  # the first of equals, as the standard one takes
                items.remove(mode)
                modes[char] = (mode[0], mode[1] - sum(count for _, count in items))
            total = float(min(chunk * iteration, len(lines)))
            consistency = 1.0
            while not delims and consistency >= 0.9:
                for char, (times, lines_meeting) in modes.items():
                    if times > 0 and lines_meeting > 0 and lines_meeting / total >= consistency:
                        delims[char] = (times, lines_meeting)
                consistency -= 0.01
            if delims:
                break  # one found is the choice; several never change, though the standard sniffer reads on
            start += chunk
        if not delims:
            return "", 0
        if len(delims) == 1:
            delim = next(iter(delims))
        else:
            preferred = [d for d in self.preferred if d in delims]
            delim = preferred[0] if preferred else max((seen, char) for char, seen in delims.items())[1]
        return delim, lines[0].count(delim) == lines[0].count(f"{delim} ")


def read_csv(content: bytes, filename: str, limits: Limits) -> Workbook:
    """Read a CSV file as a single sheet named after the file, counting rows and cells against the limits."""
    text = decode_text(content)
    if "\x00" in text:
        raise UnreadableFile("不是文本格式的CSV文件")
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    sample = text[:8192]
    try:
        dialect = _Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows, cells = [], 0
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    consumed = last_start = 0  # lines read before and after the last row, so its text can be looked at again
    rows_read = iter(reader)
    while True:
        try:
            row = next(rows_read, None)
        except csv.Error as exc:
            raise UnreadableFile(_csv_error(exc, consumed + 1)) from exc
        if row is None:
            break
        rows.append(row)
        last_start, consumed = consumed, reader.line_num
        cells += len(row)
        if len(rows) > limits.max_rows:
            raise LimitExceeded("max_rows", limits.max_rows, len(rows), stem)
        if cells > limits.max_cells:
            raise LimitExceeded("max_cells", limits.max_cells, cells, stem)
    last_line = _last_line(text, rows, consumed - last_start, dialect)
    rows = _trim(rows)
    return Workbook("csv", [Grid(stem, rows, as_text=True, last_line=last_line)] if rows else [])


def _csv_error(exc: csv.Error, line: int) -> str:
    """Say in Chinese where a CSV stops being readable and what most likely broke it."""
    if "field larger than field limit" in str(exc):
        # Excel holds at most 32,767 characters in a cell: a longer field is an opening quote never closed, which
        # swallowed the lines after it.
        return (
            f"CSV文件第{line}行起有一个单元格超过{csv.field_size_limit()}个字符（Excel单元格最多32767个字符），"
            "多半是该处有一个引号没有配对，其后各行都被读进了这一格；请检查该行的引号，或在Excel中另存为CSV后重新报送"
        )
    return f"CSV文件第{line}行起格式异常，无法读取；请在Excel或WPS中打开核对该行后另存为CSV重新报送"


def _last_line(text: str, rows: list[list[str]], lines: int, dialect: type[csv.Dialect]) -> LastLine | None:
    """Return a CSV's last row if a cut in transfer could have ended it: no line break after it, or in a quote."""
    if not rows:
        return None
    record = _last_lines(text, lines).rstrip("\r\n")
    # Inside an open quote a delimiter more is part of the field, so the row gains no field: the csv module's own
    # reading tells, where it reads an open quote at the end as if closed.
    fields = _fields(record, dialect)
    open_quote = _fields(record + dialect.delimiter + "x", dialect) == fields
    if text.endswith(("\n", "\r")) and not open_quote:
        return None
    return LastLine(len(rows), len(rows[-1]), open_quote)


def _fields(record: str, dialect: type[csv.Dialect]) -> int:
    """Count the fields of one CSV record, which may span lines inside quotes."""
    return len(next(csv.reader(io.StringIO(record, newline=""), dialect), []))


def _last_lines(text: str, count: int) -> str:
    """Return the last `count` lines of a text, split as the csv module's reader was given them."""
    size = 4096
    while True:
        tail = io.StringIO(text[-size:], newline="").readlines()
        if len(tail) > count or size >= len(text):
            return "".join(tail[-count:])
        size *= 4


def read_workbook(content: bytes, filename: str, limits: Limits | None = None) -> Workbook:
    """Read any received file into grids, or raise UnreadableFile or LimitExceeded with a plain reason.

    Nothing a file holds makes this raise anything else: every parser's failure becomes UnreadableFile.
    """
    limits = limits or Limits()
    check_file_size(len(content), limits)
    kind = sniff_kind(content, filename)
    try:
        if kind == "csv":
            return read_csv(content, filename, limits)
        return read_excel(content, kind, limits)
    except (UnreadableFile, LimitExceeded):
        raise
    except Unsupported as exc:
        raise UnreadableFile(str(exc)) from exc
    except BaseException as exc:
        if not _is_reader_failure(exc):
            raise
        what = "CSV文件格式异常，无法读取" if kind == "csv" else "文件已损坏，无法打开"
        # The parser's exception stays the cause, for an engineer; its name (BadZipFile) means nothing to a clerk.
        raise UnreadableFile(what) from exc
