"""Survey an xlsx against the limits, from its zip directory and its worksheets' XML, before calamine reads it."""

from __future__ import annotations

import logging
import math
import re
import zipfile

from pipeline.cell_refs import column_number
from pipeline.limits import (
    CHUNK,
    DEFLATE_MAX_RATIO,
    PASSWORD,
    RATIO_FLOOR,
    LimitExceeded,
    Limits,
    Survey,
    Unsupported,
    _Extent,
)
from pipeline.struck_cells import Strikes, xlsx_strikes
from pipeline.xlsx_parts import (
    REFERENCE,
    TAG_PREFIX,
    OpenXlsx,
    _worksheet_parts,
    _xlsx_sheet_names,
    row_and_cell_tags,
    whole_tags,
    workbook_part,
)

logger = logging.getLogger(__name__)

# A cell with its reference first, when it holds something (a self-closing cell only carries formatting,
# and readers leave it out of the sheet's range): its column letters and its row digits, either may be empty
# but not both. One pass for both: half the time of a pass for each.
_VALUED_CELLS = re.compile(rb'<c r="(?=[A-Za-z\d])([A-Za-z]*)(\d*)"(?:[^>]*[^/>])?>')
_DIMENSION = re.compile(TAG_PREFIX + rb"""dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_ERROR_CELL = re.compile(TAG_PREFIX + rb"""c\s[^>]*?\bt\s*=\s*["']e["']""")
# What sends a chunk down the tag-by-tag path: a cell tag not starting `<c r="`, or one with a namespace prefix.
# These and the two below are plain searches, several times faster on a sheet than `in` or `count`.
_UNREFERENCED_CELL = re.compile(rb'<c(?:>| (?!r="))')
_PREFIXED_CELL = re.compile(rb":c[ >]")
# A cell writing its reference in part (`<c r="B">`, `<c r="5">`, `<c r="">`): calamine refuses the sheet.
_PARTLY_REFERENCED = re.compile(rb'<c r="(?:[A-Za-z]*|\d*)"')
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
# The same, unprefixed, and what any prefixed one holds: searched first, as a literal start makes them a third
# of the time of the pattern above, whose optional prefix is tried at every `<`.
_PLAIN_FORMULA_TAG = re.compile(rb"<f[\s>/]")
_PREFIXED_F = re.compile(rb":f[\s>/]")
# Where `hidden` is not written, no row is hidden; where it is, the row tags saying so and the attribute itself.
_HIDDEN = re.compile(rb"hidden")
_HIDDEN_ROW = re.compile(TAG_PREFIX + rb"""row\s([^>]*?\bhidden\s*=\s*["'](?:1|true)["'][^>]*)>""")
_HIDDEN_ATTR = re.compile(rb"""(?:^|\s)hidden\s*=\s*["'](?:1|true)["']""")
# A run of hidden columns (`<col min="6" max="6" hidden="1" …/>`), before the sheet's data.
_HIDDEN_COL = re.compile(TAG_PREFIX + rb"""col\s([^>]*?\bhidden\s*=\s*["'](?:1|true)["'][^>]*)>""")
_COL_SPAN = re.compile(rb"""\b(min|max)\s*=\s*["'](\d{1,5})["']""")
# Where no `"e"` or `'e'` is written, no cell can store an error.
_QUOTED_E = (re.compile(rb'"e"'), re.compile(rb"'e'"))
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,8})$")


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
        self.strikes = False  # whether `strike` is written: only then can a run of an inline string be struck
        self.run_fonts = (
            False  # whether `rPr` is: only then can a run of an inline string have a font of its own
        )
        self.partly_referenced = False  # whether a cell writes its reference in part
        self.hidden_rows: list[int] = []  # the rows hidden in Excel (`<row … hidden="1">`), by Excel number
        self.hidden_columns: list[int] = []  # the columns hidden (`<col … hidden="1"/>`), numbered from 1
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
        self.formulas = self.formulas or _holds_formula(text)
        self.strikes = self.strikes or b"strike" in text
        self.run_fonts = self.run_fonts or b"rPr" in text
        hidden = _HIDDEN.search(text) is not None
        if hidden:
            self._note_hidden_columns(text)
        self.partly_referenced = self.partly_referenced or _PARTLY_REFERENCED.search(text) is not None
        if (
            _UNREFERENCED_CELL.search(text)
            or _PREFIXED_CELL.search(text)
            or (hidden and not self._note_hidden_rows(text))
        ):
            self._take_tag_by_tag(text)
            return
        cells = _VALUED_CELLS.findall(text)
        if not cells:
            return
        letters, digits = map(set, zip(*cells, strict=True))
        digits.discard(b"")
        if digits:
            letters.discard(b"")
            self.row, self.column = max(map(int, digits)), 0
            self.extent.reach(self.row, max(map(self._column, letters)))

    def _note_hidden_columns(self, text: bytes) -> None:
        """Note the columns a run of `<col>` tags hides, by their numbers (a span too wide for a sheet is none)."""
        for match in _HIDDEN_COL.finditer(text):
            span = dict(_COL_SPAN.findall(match.group(1)))
            if b"min" in span:
                first = int(span[b"min"])
                last = min(int(span.get(b"max", first)), 16384)
                self.hidden_columns.extend(range(first, last + 1))

    def _note_hidden_rows(self, text: bytes) -> bool:
        """Note the rows a run of tags hides, by their numbers; False (nothing noted) when one has no number."""
        found = []
        for match in _HIDDEN_ROW.finditer(text):
            number = REFERENCE.search(match.group(1))
            if number is None or not number.group(2):
                return False  # numbered by counting rows: the tag-by-tag path counts them
            found.append(int(number.group(2)))
        self.hidden_rows.extend(found)
        return True

    def _take_tag_by_tag(self, text: bytes) -> None:
        row, column, extent = self.row, self.column, self.extent
        for _, tag, attributes, at_row, at_column in row_and_cell_tags(text, row, column, self._column):
            row, column = at_row, at_column
            if tag == b"c" and not self.partly_referenced and (written := REFERENCE.search(attributes)):
                self.partly_referenced = not (written.group(1) and written.group(2))
            if tag == b"row":
                if _HIDDEN_ATTR.search(attributes):
                    self.hidden_rows.append(row)
            # A self-closing cell only carries formatting; readers leave it out of the sheet's range. One within the
            # farthest row and column reached already changes nothing.
            elif not attributes.endswith(b"/") and (row > extent.rows or column > extent.columns):
                extent.reach(row, column)
        self.row, self.column = row, column


def _holds_formula(text: bytes) -> bool:
    if _PLAIN_FORMULA_TAG.search(text) is not None:
        return True
    return _PREFIXED_F.search(text) is not None and _FORMULA_TAG.search(text) is not None


def _scan_worksheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, extent: _Extent) -> _WorksheetScan:
    """Stream one worksheet's XML through the limits; return the scan (error cells, formulas) it made."""
    scan = _WorksheetScan(extent)
    for text in whole_tags(archive, info):
        scan.take(text)
    return scan


# Zip packages that are no workbook, by a member only they have: what the clerk is told it is instead.
_PACKAGES = (
    ("word/document.xml", "是Word文档，不是电子表格，请报送填写好的Excel或WPS表格文件"),
    ("ppt/presentation.xml", "是演示文稿，不是电子表格，请报送填写好的Excel或WPS表格文件"),
)


def _other_package(names: set[str], workbook: str) -> str | None:
    """Say what a zip that is no workbook is (a Word document, a zip of files), by its members' names in lower
    case and where its package relationships put a workbook; None for a workbook (an .xlsb too, refused for what
    it is)."""
    if names & {"xl/workbook.xml", "xl/workbook.bin", workbook.lower()}:
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
    hide more than the limit allows. The zip stays open, in the survey, for the cells' formats and fonts.
    """
    xlsx = OpenXlsx(content)
    try:
        return _survey(xlsx, limits)
    except BaseException:
        xlsx.archive.close()
        raise


def _survey(xlsx: OpenXlsx, limits: Limits) -> Survey:
    """Survey an xlsx whose zip is open, as above."""
    archive = xlsx.archive
    # Bit 0 of a member's flags: encrypted (ZipCrypto or AES), so nothing in it can be read without the password.
    if any(info.flag_bits & 0x1 for info in archive.infolist()):
        raise Unsupported(PASSWORD)
    members = [info for info in archive.infolist() if not info.is_dir()]
    if any(info.filename.lower().endswith(".bin") and "worksheets/" in info.filename for info in members):
        raise Unsupported("不支持Excel二进制工作簿（.xlsb），请另存为.xlsx后重新报送")
    if (
        other := _other_package({info.filename.lower() for info in members}, workbook_part(archive))
    ) is not None:
        raise Unsupported(other)
    total = sum(info.file_size for info in members)
    if total > limits.max_uncompressed_bytes:
        raise LimitExceeded("max_uncompressed_bytes", limits.max_uncompressed_bytes, total)
    for info in members:
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise LimitExceeded("max_compression_ratio", limits.max_compression_ratio, ratio)
    relationships = _worksheet_parts(archive, xlsx.relations())
    sheets = set(relationships.values())
    # Parts that look like worksheets but are not listed are scanned too: better refused than unread.
    sheets |= {
        i.filename for i in members if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
    }
    could_hide = sum(_most_inflated(info) for info in members) > limits.max_uncompressed_bytes
    cells, errors, formulas, inline_strikes, inline_fonts = 0, False, False, False, False
    hidden: dict[str, tuple[int, ...]] = {}  # by worksheet part
    hidden_columns: dict[str, tuple[int, ...]] = {}  # by worksheet part
    partly_referenced: set[str] = set()
    for info in members:
        if info.filename in sheets:
            extent = _Extent(info.filename, limits, cells)
            try:
                scan = _scan_worksheet(archive, info, extent)
                errors, formulas = errors or scan.errors, formulas or scan.formulas
                inline_strikes = inline_strikes or scan.strikes
                inline_fonts = inline_fonts or scan.run_fonts
                if scan.hidden_rows:
                    hidden[info.filename] = tuple(sorted(set(scan.hidden_rows)))
                if scan.hidden_columns:
                    hidden_columns[info.filename] = tuple(sorted(set(scan.hidden_columns)))
                if scan.partly_referenced:
                    partly_referenced.add(info.filename)
            except LimitExceeded as exc:
                exc.sheet = _xlsx_sheet_names(archive, relationships).get(info.filename, exc.sheet)
                raise
            cells += extent.area
        elif could_hide:
            _drain(archive, info)
    if hidden or hidden_columns:
        names = _xlsx_sheet_names(archive, relationships)
        hidden = {names[part]: rows for part, rows in hidden.items() if part in names}
        hidden_columns = {names[part]: cols for part, cols in hidden_columns.items() if part in names}
    strikes = _strikes(xlsx, inline_strikes, inline_fonts)
    return Survey(
        errors, formulas, hidden, hidden_columns, strikes.any(), strikes, xlsx, frozenset(partly_referenced)
    )


def _strikes(xlsx: OpenXlsx, inline: bool, inline_fonts: bool) -> Strikes:
    """Read what the workbook's styles and shared strings draw struck through: once, for the sheets' cells too."""
    try:
        return xlsx_strikes(xlsx, inline, inline_fonts)
    except ValueError:
        # Styles that cannot be read tell nothing: the rows are read as written, as before, never the file refused.
        logger.warning("reading the fonts of the workbook failed", exc_info=True)
        return Strikes(inline=inline, inline_fonts=inline_fonts)


def _most_inflated(info: zipfile.ZipInfo) -> float:
    """Return the most a member can inflate to, whatever size it states: deflate stops at 1,032 to 1."""
    if info.compress_type == zipfile.ZIP_STORED:
        return info.compress_size
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return info.compress_size * DEFLATE_MAX_RATIO
    return math.inf
