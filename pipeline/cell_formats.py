"""Tell which cells of an xlsx or xls show their number as a percentage, or scaled (元 shown as 万元): calamine gives
values, never formats."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Container, Iterable
from typing import TYPE_CHECKING

from pipeline.cell_refs import column_letter
from pipeline.xlsx_parts import TAG_PREFIX, OpenXlsx, whole_tags, xml_attributes

if TYPE_CHECKING:
    from pipeline.struck_cells import Strikes

logger = logging.getLogger(__name__)

# Excel's built-in number formats `0%` and `0.00%`; a workbook states only the custom ones it uses.
BUILTIN_PERCENT = frozenset({9, 10})
# What a format code shows as written, not as a placeholder: quoted text, an escaped character, the
# character after `_` (padding) or `*` (fill), and bracketed colours, conditions and locales.
_LITERAL = re.compile(r'"[^"]*"|\\.|[_*].|\[[^\]]*\]')
# The schema's order in styles.xml: numFmts, …, cellStyleXfs, cellXfs (a cell's `s` indexes its xf records),
# cellStyles, dxfs (whose numFmt elements style conditional formats, not cells).
_STYLE_TAG = re.compile(TAG_PREFIX + rb"(numFmt|cellStyleXfs|cellXfs|xf|cellStyles)(?=[\s/>])([^>]*)>")


# A point a format writes as text (`0!.0000`, `0"."0000`, `0\.0000`) with digits after it: the number shown moved that
# many places, 15700000 shown as `1570.0000`, the trick that shows 元 as 万元.
_TEXT_POINT = re.compile(r'(?:!\.|\\\.|"\.")([0#?]+)')
# Escapes too, for finding a real decimal point: `!` escapes the character after it as `\` does.
_WRITTEN = re.compile(r'"[^"]*"|[\\!].|[_*].|\[[^\]]*\]')
# Commas after the last digit placeholder divide by 1000 each (`#,##0,` shows thousands).
_THOUSANDS = re.compile(r"[0#?](,+)[^0#?]*$")


def scaled_places(code: str) -> int:
    """Return by how many decimal places a number format code moves a positive number it shows; 0 if none."""
    section = code.split(";", 1)[0]
    plain = _WRITTEN.sub("", section)
    places = 0
    if (point := _TEXT_POINT.search(section)) is not None and "." not in plain:
        places += len(point.group(1))
    if (commas := _THOUSANDS.search(plain)) is not None:
        places += 3 * len(commas.group(1))
    return places


def is_percent_format(code: str) -> bool:
    """Say whether a number format code shows a positive number as a percentage."""
    # A positive number takes the first section; a `%` written as text multiplies nothing.
    return "%" in _LITERAL.sub("", code).split(";", 1)[0]


def _attributes(tag: bytes) -> dict[str, str]:
    """Return a start tag's attributes, given as bytes, by local name."""
    return xml_attributes(tag.decode("utf-8", "replace"))


def _number_formats(styles: bytes) -> tuple[dict[int, str], list[int]]:
    """Return styles.xml's custom number format codes by id, and each cellXfs record's numFmtId in order."""
    codes: dict[int, str] = {}
    formats: list[int] = []
    section = None  # the list of xf records being read
    for tag, attributes in _STYLE_TAG.findall(styles):
        if tag == b"cellStyles":
            break  # past cellXfs: the rest holds no cell's format
        if tag in (b"cellXfs", b"cellStyleXfs"):
            section = tag
        elif tag == b"numFmt" and section is None:
            found = _attributes(attributes)
            codes[int(found["numFmtId"])] = found.get("formatCode", "")
        elif tag == b"xf" and section == b"cellXfs":
            formats.append(int(_attributes(attributes).get("numFmtId", 0)))
    return codes, formats


def _percent_styles(codes: dict[int, str], formats: list[int]) -> frozenset[int]:
    """Return the cellXfs indexes whose number format is a percentage, of the codes and formats read above."""
    percent = {number for number, code in codes.items() if is_percent_format(code)}
    percent |= BUILTIN_PERCENT - codes.keys()  # a workbook may redefine a built-in id
    return frozenset(index for index, number in enumerate(formats) if number in percent)


def _scaled_styles(codes: dict[int, str], formats: list[int]) -> dict[int, tuple[int, str]]:
    """Return the cellXfs indexes whose number format shows a number scaled, with its places and format code."""
    scaled = {number: (places, code) for number, code in codes.items() if (places := scaled_places(code))}
    return {index: scaled[number] for index, number in enumerate(formats) if number in scaled}


# A cell's start tag, its reference (`H6`) group 1: every cell is matched and its reference looked up, as a pattern
# naming each reference wanted takes longer to compile, for a few hundred, than the whole sheet takes to scan.
_CELL_TAG = re.compile(TAG_PREFIX + rb"c\s[^>]*?\br\s*=\s*[\"']([^\"']*)[\"'][^>]*>")


# A cell's end: `</c>` (a self-closing cell holds nothing).
_CELL_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?c\s*>")


def _cell_contents(archive: zipfile.ZipFile, part: str, refs: set[str]) -> dict[str, tuple[bytes, bytes]]:
    """Return the start tag and the XML inside of each of a worksheet's cells named by reference."""
    wanted = {ref.encode(): ref for ref in refs}
    contents: dict[str, tuple[bytes, bytes]] = {}
    carry = b""  # a cell whose end is in the next run of tags
    for run in whole_tags(archive, archive.getinfo(part)):
        text, carry = carry + run, b""
        for found in _CELL_TAG.finditer(text):
            if (ref := wanted.get(found.group(1))) is None:
                continue
            inside = b""
            if not found.group(0).endswith(b"/>"):
                end = _CELL_END.search(text, found.end())
                if end is None:
                    carry = text[found.start() :]
                    break
                inside = text[found.end() : end.start()]
            contents[ref] = (found.group(0), inside)
        if len(contents) == len(refs):
            break  # the rest of a large sheet holds none of them
    return contents


def _cell_styles(archive: zipfile.ZipFile, part: str, refs: set[str]) -> dict[str, int]:
    """Return the style index (`s`) of each of a worksheet's cells named by reference (`H6`)."""
    wanted = {ref.encode(): ref for ref in refs}
    styles: dict[str, int] = {}
    for text in whole_tags(archive, archive.getinfo(part)):
        for found in _CELL_TAG.finditer(text):
            if (ref := wanted.get(found.group(1))) is None:
                continue
            styles[ref] = int(_attributes(found.group(0)).get("s", 0))
        if len(styles) == len(refs):
            break  # the rest of a large sheet holds none of them
    return styles


def _percent_xfs(book) -> frozenset[int]:
    """Return the indexes of an xlrd book's XF records whose number format is a percentage."""
    percent = set()
    for index, xf in enumerate(book.xf_list):
        found = book.format_map.get(xf.format_key)
        if found is None:
            shown = xf.format_key in BUILTIN_PERCENT
        else:  # xlrd knows no code for some built-in ids (CJK dates): those are no percentage
            shown = found.format_str is not None and is_percent_format(found.format_str)
        if shown:
            percent.add(index)
    return frozenset(percent)


def _scaled_xfs(book) -> dict[int, tuple[int, str]]:
    """Return the indexes of an xlrd book's XF records whose number format shows a number scaled, as above."""
    scaled = {}
    for index, xf in enumerate(book.xf_list):
        found = book.format_map.get(xf.format_key)
        if found is not None and found.format_str and (places := scaled_places(found.format_str)):
            scaled[index] = (places, found.format_str)
    return scaled


def _open_xls(content: bytes):
    """Open an xls with xlrd for its formats: the workbook globals now, a sheet only when asked for."""
    import xlrd  # only a file with a cell to settle needs it

    return xlrd.open_workbook(
        file_contents=content,
        formatting_info=True,
        on_demand=True,
        logfile=io.StringIO(),  # xlrd prints its complaints, to stdout by default
        ignore_workbook_corruption=True,  # as the limits survey opens it
    )


class CellFormats:
    """The number formats and fonts of one xlsx or xls (`kind`), read only when asked.

    The file has passed the limits survey by then; an xls is opened once, for its first sheet with a cell to settle,
    and each of its sheets is loaded once, for every format asked of it.
    """

    # The kinds of workbook (`reader.sniff_kind`, by content) whose cells' number formats can be read.
    KINDS = frozenset({"xlsx", "xls"})

    def __init__(
        self, content: bytes, kind: str = "xlsx", strikes: Strikes | None = None, xlsx: OpenXlsx | None = None
    ):
        if kind not in self.KINDS:
            raise ValueError(f"no number formats to read in a {kind!r} file")
        self.content = content
        self.kind = kind
        # The style indexes whose format is a percentage, once read: an xlsx's cellXfs, an xls's XF records.
        self.percent: frozenset[int] | None = None
        # The style indexes whose format shows a number scaled, with its places and code, once read.
        self.scaled: dict[int, tuple[int, str]] | None = None
        # What an xlsx draws struck through, as the limits survey read it (None: not read).
        self.strikes = strikes
        # The style indexes whose font is struck through, once read (`struck_cells`).
        self.struck: frozenset[int] | None = None if strikes is None else strikes.styles
        self._xlsx = xlsx  # the xlsx's zip as the limits survey opened it, else opened when first needed
        self._number_formats: tuple[dict[int, str], list[int]] | None = None  # an xlsx's, once read
        self._book = None  # the xls opened by xlrd, kept for the next sheet; False when it cannot be opened
        self._loaded: str | None = None  # the name of the xls sheet whose cells xlrd holds

    def percent_cells(self, sheet: str, cells: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
        """Return those of a sheet's cells (zero-based row and column) whose number format is a percentage."""
        cells = set(cells)
        if not cells:
            return set()
        try:
            if self.percent is None:
                self.percent = frozenset()  # unreadable styles are not read again for the next sheet
                self.percent = (
                    _percent_xfs(self.xls_book())
                    if self.kind == "xls"
                    else _percent_styles(*self.number_formats())
                )
            return set(self.styled_cells(sheet, cells, self.percent))
        except Exception:
            # A format only ever lifts a warning: styles that cannot be read leave the warning, never the file.
            logger.warning("reading the number formats of sheet %r failed", sheet, exc_info=True)
            return set()

    def scaled_cells(
        self, sheet: str, cells: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], tuple[int, str]]:
        """Return those of a sheet's cells whose number format shows them scaled: their places and format code."""
        cells = set(cells)
        if not cells:
            return {}
        try:
            if self.scaled is None:
                self.scaled = {}  # unreadable styles are not read again for the next sheet
                self.scaled = (
                    _scaled_xfs(self.xls_book())
                    if self.kind == "xls"
                    else _scaled_styles(*self.number_formats())
                )
            return {
                cell: self.scaled[style]
                for cell, style in self.styled_cells(sheet, cells, self.scaled).items()
            }
        except Exception:
            # Styles that cannot be read tell nothing: the cell is read as its number, as before.
            logger.warning("reading the number formats of sheet %r failed", sheet, exc_info=True)
            return {}

    def styled_cells(
        self, sheet: str, cells: set[tuple[int, int]], styles: Container[int]
    ) -> dict[tuple[int, int], int]:
        """Return those of a sheet's cells (zero-based row and column) whose style is among `styles`, with it: an
        xlsx's cellXfs index, an xls's XF record."""
        if not cells or not styles:  # most workbooks have no such style: their sheets are not read
            return {}
        if self.kind == "xls":
            cells_of = self.xls_sheet(sheet)
            if cells_of is None:
                return {}
            return {
                (r, c): xf
                for r, c in cells
                if r < cells_of.nrows
                and c < cells_of.row_len(r)
                and (xf := cells_of.cell_xf_index(r, c)) in styles
            }
        by_ref = {f"{column_letter(c)}{r + 1}": (r, c) for r, c in cells}
        xlsx = self.xlsx()
        if (part := xlsx.sheet_parts().get(sheet)) is None:
            return {}
        found = _cell_styles(xlsx.archive, part, set(by_ref))
        return {by_ref[ref]: style for ref, style in found.items() if style in styles}

    def xlsx(self) -> OpenXlsx:
        """Return the xlsx's zip, with its parts: the limits survey's, else opened once, for every sheet."""
        if self._xlsx is None:
            self._xlsx = OpenXlsx(self.content)
        return self._xlsx

    def number_formats(self) -> tuple[dict[int, str], list[int]]:
        """Return the xlsx's custom number format codes by id and each cellXfs record's numFmtId: read once, for its
        percentages and its scaled amounts alike."""
        if self._number_formats is None:
            self._number_formats = _number_formats(self.xlsx().styles())
        return self._number_formats

    def xls_book(self):
        """Return the xls as xlrd opens it with its formats: opened once, for every sheet."""
        if self._book is None:
            self._book = False  # an unreadable file is not opened again for the next sheet
            self._book = _open_xls(self.content)
        if self._book is False:
            raise ValueError("the xls could not be opened for its formats")
        return self._book

    def xls_sheet(self, sheet: str):
        """Return an xls sheet as xlrd reads it with its formats, None if there is none by that name.

        It stays loaded for the next format asked of it; the sheet loaded before is unloaded, so one sheet's cells
        are in memory at a time.
        """
        book = self.xls_book()
        if self._loaded is not None and self._loaded != sheet:
            book.unload_sheet(self._loaded)
            self._loaded = None
        if sheet not in book.sheet_names():
            return None
        self._loaded = sheet
        return book.sheet_by_name(sheet)
