"""Refuse a file too big to read safely, judged from cheap looks at it before any parser inflates it."""

from __future__ import annotations

import io
import math
import os
import posixpath
import re
import struct
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from html import unescape
from typing import NamedTuple

from pipeline.problems import Problem, Severity

MIB = 1024 * 1024
# Members are inflated a chunk at a time, so memory stays flat however large they claim or turn out to be.
CHUNK = MIB
# A small member's compression ratio says nothing: short, repetitive XML compresses very well.
RATIO_FLOOR = MIB
# Deflate never inflates a byte into more than 1,032: a small enough zip cannot hide a bomb, whatever it states.
DEFLATE_MAX_RATIO = 1032
# One XML tag longer than this is no spreadsheet; refusing it keeps the scan's carry-over bounded.
MAX_TAG = 4 * MIB


@dataclass(frozen=True, slots=True)
class Limits:
    """How big a file may be before it is refused instead of read; `PIPELINE_<FIELD>` overrides each."""

    max_file_bytes: int = 50 * MIB
    max_rows: int = 200_000
    max_cells: int = 5_000_000
    max_uncompressed_bytes: int = 500 * MIB
    max_compression_ratio: int = 200

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Read each limit from `PIPELINE_MAX_…` (e.g. `PIPELINE_MAX_ROWS=300000`); unset keeps the default."""
        environ = os.environ if environ is None else environ
        values = {}
        for limit in fields(cls):
            variable = f"PIPELINE_{limit.name.upper()}"
            raw = (environ.get(variable) or "").strip()
            if not raw:
                continue
            values[limit.name] = positive_whole_number(variable, raw, thousands=True)
        return cls(**values)


def positive_whole_number(variable: str, raw: str, thousands: bool = False) -> int:
    """Read a `PIPELINE_…` setting that must be a positive whole number; refuse anything else by name."""
    try:
        value = int(raw.replace(",", "") if thousands else raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{variable} must be a positive whole number, not {raw!r}")
    return value


def _bytes(size: int) -> str:
    return f"{size / MIB:,.1f} MB" if size >= MIB else f"{size:,}字节"


_SPLIT = "将数据拆分为多个文件分别报送"
_RESAVE = "文件内部结构异常（可能含大量空白格式，或已损坏），请将数据复制到新建的工作簿中另存后重新报送"
# Per limit: what is measured (as the receipt's column), how a figure reads, the sentence, and the fix.
_WORDS: dict[str, tuple[str, Callable[[int], str], str, str]] = {
    "max_file_bytes": (
        "文件大小",
        _bytes,
        "文件大小为{found}，超过{allowed}的处理上限",
        f"请删除无关的工作表和图片后另存，或{_SPLIT}",
    ),
    "max_rows": (
        "每个工作表的行数",
        "{:,}行".format,
        "{place}{where}至少有{found}，超过每个工作表{allowed}的处理上限",
        f"请{_SPLIT}；如表格下方有大量设置了格式的空行，请删除这些行后另存",
    ),
    "max_cells": (
        "单元格数（行数×列数）",
        "{:,}个".format,
        "{place}{where}要读取的单元格（行数×列数）至少有{found}，超过每个文件{allowed}的处理上限",
        f"请删除多余的空行和空列后另存，或{_SPLIT}",
    ),
    "max_uncompressed_bytes": (
        "解压后的文件大小",
        _bytes,
        "文件解压后为{found}，超过{allowed}的处理上限",
        _RESAVE,
    ),
    "max_compression_ratio": (
        "文件内部的压缩比",
        "{:,}倍".format,
        "文件内部的压缩比为{found}，超过{allowed}的处理上限",
        _RESAVE,
    ),
}


class LimitExceeded(Exception):
    """A file goes past one of the limits; `problem()` words it for the receipt."""

    def __init__(self, limit: str, allowed: int, found: int, sheet: str | None = None, where: str = ""):
        super().__init__(limit, allowed, found)
        self.limit, self.allowed, self.found, self.sheet, self.where = limit, allowed, found, sheet, where

    def __str__(self) -> str:
        return self.message_zh

    @property
    def message_zh(self) -> str:
        _, show, sentence, fix = _WORDS[self.limit]
        place = f"工作表“{self.sheet}”" if self.sheet else "文件"
        said = sentence.format(
            place=place, where=self.where, found=show(self.found), allowed=show(self.allowed)
        )
        return f"{said}。{fix}。"

    def problem(self) -> Problem:
        """Word the limit for the receipt: which limit, its value, what was found, and what to do."""
        label, show, _, fix = _WORDS[self.limit]
        return Problem(
            Severity.ERROR,
            "too_large",
            self.message_zh,
            sheet=self.sheet,
            column_header=label,
            value=show(self.found),
            expected=f"不超过{show(self.allowed)}",
            fix=fix,
        )


class Unsupported(ValueError):
    """A file this pipeline will not open, for a reason the clerk can act on (the message, in Chinese)."""


PASSWORD = (
    "文件设置了打开密码，无法读取，请取消密码后重新报送"
    "（取消方法：在Excel中依次点“文件→信息→保护工作簿→用密码进行加密”，清空密码并保存）"
)


def check_file_size(size: int, limits: Limits) -> None:
    """Refuse a file larger than the file-size limit."""
    if size > limits.max_file_bytes:
        raise LimitExceeded("max_file_bytes", limits.max_file_bytes, size)


def column_number(letters: bytes) -> int:
    """Turn Excel column letters (b"A", b"XFD") into a 1-based number."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


class _Extent:
    """The rows and columns a reader lays out for one sheet: from A1 to its farthest cell holding anything."""

    def __init__(self, sheet: str, limits: Limits, cells_before: int):
        self.sheet, self.limits, self.cells_before = sheet, limits, cells_before
        self.rows = self.columns = 0

    @property
    def area(self) -> int:
        return self.rows * self.columns

    def reach(self, row: int, column: int) -> None:
        """Take in a cell holding something at a 1-based row and column; raise as soon as a limit is passed."""
        if row > self.rows:
            self.rows = row
            if row > self.limits.max_rows:
                raise LimitExceeded("max_rows", self.limits.max_rows, row, self.sheet)
        self.columns = max(self.columns, column)
        if self.cells_before + self.area > self.limits.max_cells:
            raise LimitExceeded("max_cells", self.limits.max_cells, self.cells_before + self.area, self.sheet)

    def claim(self, rows: int, columns: int, written: str) -> None:
        """Refuse what the file itself says the sheet's used range is, when that is already too big."""
        where = f"（声明的使用范围{written}）"
        if rows > self.limits.max_rows:
            raise LimitExceeded("max_rows", self.limits.max_rows, rows, self.sheet, where)
        if self.cells_before + rows * columns > self.limits.max_cells:
            found = self.cells_before + rows * columns
            raise LimitExceeded("max_cells", self.limits.max_cells, found, self.sheet, where)


# --- xlsx -----------------------------------------------------------------------------------------------

TAG_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
# A cell with its reference first, when it holds something (a self-closing cell only carries formatting,
# and readers leave it out of the sheet's range): its row, its column.
_VALUED_ROWS = re.compile(rb'<c r="[A-Za-z]*(\d+)"(?:[^>]*[^/>])?>')
_VALUED_COLUMNS = re.compile(rb'<c r="([A-Za-z]+)\d*"(?:[^>]*[^/>])?>')
_TAG = re.compile(TAG_PREFIX + rb"(row|c)(?=[\s/>])([^>]*)>")
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]*)\$?(\d*)["']""")
_DIMENSION = re.compile(TAG_PREFIX + rb"""dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_ERROR_CELL = re.compile(TAG_PREFIX + rb"""c\s[^>]*?\bt\s*=\s*["']e["']""")
# What sends a chunk down the tag-by-tag path: a cell tag not starting `<c r="`, or one with a namespace prefix.
# These and the two below are plain searches, several times faster on a sheet than `in` or `count`.
_UNREFERENCED_CELL = re.compile(rb'<c(?:>| (?!r="))')
_PREFIXED_CELL = re.compile(rb":c[ >]")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
# Where `hidden` is not written, no row is hidden; where it is, the row tags saying so and the attribute itself.
_HIDDEN = re.compile(rb"hidden")
_HIDDEN_ROW = re.compile(TAG_PREFIX + rb"""row\s([^>]*?\bhidden\s*=\s*["'](?:1|true)["'][^>]*)>""")
_HIDDEN_ATTR = re.compile(rb"""(?:^|\s)hidden\s*=\s*["'](?:1|true)["']""")
# Where no `"e"` or `'e'` is written, no cell can store an error.
_QUOTED_E = (re.compile(rb'"e"'), re.compile(rb"'e'"))
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,8})$")
_XML_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XML_ELEMENT = r"<(?:[A-Za-z_][\w.-]*:)?{}(?=[\s/>])([^>]*)>"


def xml_attributes(text: str) -> dict[str, str]:
    """Return an XML start tag's attributes by local name."""
    return {k.rsplit(":", 1)[-1]: unescape(a or b) for k, a, b in _XML_ATTR.findall(text)}


def _small_member(archive: zipfile.ZipFile, name: str) -> str:
    """Read a workbook-level part (workbook.xml, its rels) if present, never more than MAX_TAG bytes."""
    try:
        with archive.open(name) as handle:
            return handle.read(MAX_TAG).decode("utf-8", "replace")
    except KeyError:
        return ""


def _worksheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map the workbook's relationship ids of worksheets to their parts (xl/_rels/workbook.xml.rels)."""
    parts = {}
    for tag in re.findall(
        _XML_ELEMENT.format("Relationship"), _small_member(archive, "xl/_rels/workbook.xml.rels")
    ):
        attributes = xml_attributes(tag)
        target = attributes.get("Target", "")
        if attributes.get("Type", "").endswith("/worksheet"):
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts[attributes.get("Id")] = path
    return parts


def _xlsx_sheet_names(archive: zipfile.ZipFile, parts: dict[str, str]) -> dict[str, str]:
    """Map worksheet parts to the sheet names the clerk sees (xl/workbook.xml)."""
    names = {}
    for tag in re.findall(_XML_ELEMENT.format("sheet"), _small_member(archive, "xl/workbook.xml")):
        attributes = xml_attributes(tag)
        if attributes.get("id") in parts:
            names[parts[attributes["id"]]] = attributes.get("name", "")
    return names


def xlsx_sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map the sheet names the clerk sees to their worksheet parts."""
    return {name: part for part, name in _xlsx_sheet_names(archive, _worksheet_parts(archive)).items()}


def _drain(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate a member and throw it away; zipfile stops at its stated size and checks its CRC on the way."""
    with archive.open(info) as handle:
        while handle.read(CHUNK):
            pass


class _WorksheetScan:
    """Follow one worksheet's XML, a run of whole tags at a time, taking every cell that holds something.

    Writers put each cell's reference first (`<c r="B7" …>`); then two regex passes in C find the farthest
    row and column. Any other spelling (no reference, a namespace prefix) takes the tag-by-tag path.
    """

    def __init__(self, extent: _Extent):
        self.extent = extent
        self.errors = False
        self.formulas = False  # whether any cell holds a formula: only such a cell can lack its saved result
        self.hidden_rows: list[int] = []  # the rows hidden in Excel (`<row … hidden="1">`), by Excel number
        self.row = self.column = 0  # where the tag-by-tag path stands
        self.columns: dict[bytes, int] = {}

    def _column(self, letters: bytes) -> int:
        return self.columns.get(letters) or self.columns.setdefault(letters, column_number(letters))

    def take(self, text: bytes) -> None:
        if b"dimension" in text and (found := _DIMENSION.search(text)):
            written = found.group(1).decode("ascii", "replace")
            if end := _CELL_REF.match(written.rsplit(":", 1)[-1]):
                self.extent.claim(int(end.group(2)), column_number(end.group(1).encode()), written)
        if _QUOTED_E[0].search(text) or _QUOTED_E[1].search(text):
            self.errors = self.errors or _ERROR_CELL.search(text) is not None
        self.formulas = self.formulas or _FORMULA_TAG.search(text) is not None
        hidden = _HIDDEN.search(text) is not None
        if (
            _UNREFERENCED_CELL.search(text)
            or _PREFIXED_CELL.search(text)
            or (hidden and not self._note_hidden_rows(text))
        ):
            self._take_tag_by_tag(text)
            return
        rows = _VALUED_ROWS.findall(text)
        if rows:
            self.row, self.column = max(map(int, rows)), 0
            self.extent.reach(self.row, max(map(self._column, set(_VALUED_COLUMNS.findall(text)))))

    def _note_hidden_rows(self, text: bytes) -> bool:
        """Note the rows a run of tags hides, by their numbers; False (nothing noted) when one has no number."""
        found = []
        for match in _HIDDEN_ROW.finditer(text):
            number = _R_ATTR.search(match.group(1))
            if number is None or not number.group(2):
                return False  # numbered by counting rows: the tag-by-tag path counts them
            found.append(int(number.group(2)))
        self.hidden_rows.extend(found)
        return True

    def _take_tag_by_tag(self, text: bytes) -> None:
        for match in _TAG.finditer(text):
            tag, attributes = match.groups()
            letters, digits = found.groups() if (found := _R_ATTR.search(attributes)) else (b"", b"")
            if tag == b"row":
                self.row, self.column = int(digits) if digits else self.row + 1, 0
                if _HIDDEN_ATTR.search(attributes):
                    self.hidden_rows.append(self.row)
                continue
            self.column = self._column(letters) if letters else self.column + 1
            if digits:
                self.row = int(digits)
            # A self-closing cell only carries formatting; readers leave it out of the sheet's range.
            if not attributes.endswith(b"/"):
                self.extent.reach(self.row, self.column)


def whole_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Inflate an XML member a chunk at a time and yield it in runs of whole tags, so memory stays flat."""
    carry = b""
    with archive.open(info) as handle:
        while chunk := handle.read(CHUNK):
            text = carry + chunk
            # Only whole tags are yielded; a tag cut by the chunk boundary waits for the next chunk.
            cut = text.rfind(b"<")
            if cut < 0 or text.find(b">", cut) >= 0:
                cut = len(text)
            carry = text[cut:]
            if len(carry) > MAX_TAG:
                raise ValueError(f"{info.filename} holds a tag longer than MAX_TAG")
            yield text[:cut]
    yield carry


def _scan_worksheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, extent: _Extent) -> _WorksheetScan:
    """Stream one worksheet's XML through the limits; return the scan (error cells, formulas) it made."""
    scan = _WorksheetScan(extent)
    for text in whole_tags(archive, info):
        scan.take(text)
    return scan


class Survey(NamedTuple):
    """What proving a workbook within the limits saw of its worksheets."""

    errors: bool  # a cell stores an error value (`t="e"`), which calamine reads as blank
    formulas: bool  # a cell holds a formula (read for an xlsx only)
    # The rows hidden in Excel, by sheet name and Excel row number: calamine reads them as any other row.
    hidden_rows: dict[str, tuple[int, ...]] = {}


# Zip packages that are no workbook, by a member only they have: what the clerk is told it is instead.
_PACKAGES = (
    ("word/document.xml", "是Word文档，不是电子表格，请报送填写好的Excel或WPS表格文件"),
    ("ppt/presentation.xml", "是演示文稿，不是电子表格，请报送填写好的Excel或WPS表格文件"),
)


def _other_package(names: set[str]) -> str | None:
    """Say what a zip that is no workbook is (a Word document, a zip of files), by its members' names in lower
    case; None for a workbook (an .xlsb too, refused for what it is)."""
    if names & {"xl/workbook.xml", "xl/workbook.bin"}:
        return None
    for member, said in _PACKAGES:
        if member in names:
            return f"文件{said}"
    return "文件是压缩包（zip），不是电子表格：请解压后逐个报送其中的电子表格文件（.xlsx、.xls、.csv）"


def survey_xlsx(content: bytes, limits: Limits) -> Survey:
    """Check an xlsx against the limits before calamine reads it; say whether its sheets hold errors or formulas,
    and which rows they hide.

    The central directory gives every member's size without inflating anything, which refuses a zip bomb.
    Each worksheet is then inflated a chunk at a time (which proves its stated size: zipfile stops there and
    checks the CRC) and its cell references give the area a reader lays out, since one far-away cell makes
    calamine allocate every cell up to it. The other members are inflated too when their stated sizes could
    hide more than the limit allows.
    """
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        # Bit 0 of a member's flags: encrypted (ZipCrypto or AES), so nothing in it can be read without the password.
        if any(info.flag_bits & 0x1 for info in archive.infolist()):
            raise Unsupported(PASSWORD)
        members = [info for info in archive.infolist() if not info.is_dir()]
        if any(info.filename.lower().endswith(".bin") and "worksheets/" in info.filename for info in members):
            raise Unsupported("不支持Excel二进制工作簿（.xlsb），请另存为.xlsx后重新报送")
        if (other := _other_package({info.filename.lower() for info in members})) is not None:
            raise Unsupported(other)
        total = sum(info.file_size for info in members)
        if total > limits.max_uncompressed_bytes:
            raise LimitExceeded("max_uncompressed_bytes", limits.max_uncompressed_bytes, total)
        for info in members:
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size >= RATIO_FLOOR and ratio > limits.max_compression_ratio:
                raise LimitExceeded("max_compression_ratio", limits.max_compression_ratio, ratio)
        relationships = _worksheet_parts(archive)
        sheets = set(relationships.values())
        # Parts that look like worksheets but are not listed are scanned too: better refused than unread.
        sheets |= {
            i.filename
            for i in members
            if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
        }
        could_hide = sum(_most_inflated(info) for info in members) > limits.max_uncompressed_bytes
        cells, errors, formulas = 0, False, False
        hidden: dict[str, tuple[int, ...]] = {}  # by worksheet part
        for info in members:
            if info.filename in sheets:
                extent = _Extent(info.filename, limits, cells)
                try:
                    scan = _scan_worksheet(archive, info, extent)
                    errors, formulas = errors or scan.errors, formulas or scan.formulas
                    if scan.hidden_rows:
                        hidden[info.filename] = tuple(sorted(set(scan.hidden_rows)))
                except LimitExceeded as exc:
                    exc.sheet = _xlsx_sheet_names(archive, relationships).get(info.filename, exc.sheet)
                    raise
                cells += extent.area
            elif could_hide:
                _drain(archive, info)
        if hidden:
            names = _xlsx_sheet_names(archive, relationships)
            hidden = {names[part]: rows for part, rows in hidden.items() if part in names}
        return Survey(errors, formulas, hidden)


def _most_inflated(info: zipfile.ZipInfo) -> float:
    """Return the most a member can inflate to, whatever size it states: deflate stops at 1,032 to 1."""
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return info.compress_size * DEFLATE_MAX_RATIO
    return math.inf


# --- xls --------------------------------------------------------------------------------------------------

_BOF, _EOF, _BOUNDSHEET, _DIMENSIONS, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x0200, 0x002F
_ENCRYPTED_STREAMS = frozenset({"EncryptionInfo", "EncryptedPackage"})
# Records of one cell, each starting with its zero-based row and column; blanks included, as readers keep them.
_CELL_RECORDS = {0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6}
_FORMULA, _BOOLERR = 0x0006, 0x0205
# A row's own record (BIFF3–8): its flags at offset 12, where 0x20 (fDyZero) hides it.
_ROW, _ROW_HIDDEN = 0x0208, 0x20
# Records of several cells in a row: row, first column, …, last column in the last two bytes.
_ROW_RECORDS = {0x00BD, 0x00BE}


def _workbook_stream(content: bytes) -> tuple[bytes, int, int]:
    from xlrd.compdoc import CompDoc

    document = CompDoc(content, logfile=io.StringIO(), ignore_workbook_corruption=True)
    # An encrypted .xlsx travels inside an OLE2 container as these streams: their names in the directory say so,
    # with nothing of them read (an ordinary .xls has neither).
    if any(entry.name in _ENCRYPTED_STREAMS for entry in document.dirlist):
        raise Unsupported(PASSWORD)
    for name in ("Workbook", "Book"):
        stream, start, length = document.locate_named_stream(name)
        if stream is not None:
            return stream, start, start + length
    raise ValueError("no Workbook stream in the OLE2 document")


def _xls_sheet_names(stream: bytes, start: int, end: int) -> dict[int, str]:
    """Map each sheet's stream offset to its name, from the BOUNDSHEET records of the workbook globals."""
    names, position = {}, start
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        data = stream[position + 4 : position + 4 + length]
        if kind == _FILEPASS:
            raise Unsupported(PASSWORD)
        if kind == _BOUNDSHEET and len(data) >= 8:
            count, flags = data[6], data[7]
            raw = data[8 : 8 + count * (2 if flags & 1 else 1)]
            names[struct.unpack_from("<I", data)[0]] = raw.decode(
                "utf-16-le" if flags & 1 else "latin-1", "replace"
            )
        if kind == _EOF:
            break
        position += 4 + length
    return names


def _xls_error(kind: int, stream: bytes, body: int, length: int) -> bool:
    """Say whether a cell record holds an error value (`#DIV/0!`, `#REF!` …), which calamine reads as blank."""
    if kind == _BOOLERR and length >= 8:
        return stream[body + 7] == 1  # fError: the value byte is an error code, not a boolean
    # A formula's cached result: byte 0 is 2 (an error) when its last two bytes are 0xFFFF.
    return (
        kind == _FORMULA
        and length >= 14
        and stream[body + 6] == 2
        and stream[body + 12 : body + 14] == b"\xff\xff"
    )


def survey_xls(content: bytes, limits: Limits) -> Survey:
    """Check an xls's sheets against the limits from their cell records, before calamine lays them out densely;
    say whether any cell holds an error value, and which rows the sheets hide."""
    stream, start, end = _workbook_stream(content)
    names = _xls_sheet_names(stream, start, end)
    cells, extent, position, errors = 0, None, start, False
    hidden: dict[str, list[int]] = {}
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        body = position + 4
        if kind == _BOF and position - start in names:
            extent = _Extent(names[position - start], limits, cells)
        elif extent is not None and kind in _CELL_RECORDS and length >= 4:
            row, column = struct.unpack_from("<HH", stream, body)
            extent.reach(row + 1, column + 1)
            errors = errors or _xls_error(kind, stream, body, length)
        elif extent is not None and kind in _ROW_RECORDS and length >= 6:
            row = struct.unpack_from("<H", stream, body)[0]
            extent.reach(row + 1, struct.unpack_from("<H", stream, body + length - 2)[0] + 1)
        elif extent is not None and kind == _ROW and length >= 16:
            if struct.unpack_from("<H", stream, body + 12)[0] & _ROW_HIDDEN:
                row = struct.unpack_from("<H", stream, body)[0]
                hidden.setdefault(extent.sheet, []).append(row + 1)
        elif extent is not None and kind == _DIMENSIONS and length in (10, 14):
            rows, columns = (
                struct.unpack_from("<4xIxxH", stream, body)
                if length == 14
                else struct.unpack_from("<2xH2xH", stream, body)
            )
            extent.claim(rows, columns, f"{rows:,}行×{columns:,}列")
        elif extent is not None and kind == _EOF:
            cells += extent.area
            extent = None
        position = body + length
    return Survey(errors, False, {sheet: tuple(sorted(set(rows))) for sheet, rows in hidden.items()})
