"""Write the workbook's package as openpyxl 3.1 writes it, its sheets from cells written as XML already."""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Hashable
from dataclasses import dataclass

from pipeline.office_zip import stable_package

SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# What openpyxl warns of, and what lxml refuses in an attribute (a title in xl/workbook.xml), in their words.
TOO_LONG = "Title is more than 31 characters. Some applications may not be able to read the file"
NOT_XML = "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
XmlCell = tuple[Hashable, str]  # a cell's style, and its XML after its reference and style


@dataclass(frozen=True, slots=True)
class Sheet:
    """A sheet of the workbook: its caption merged over the header, the two frozen, the other rows under them."""

    title: str
    rows: list[list[XmlCell]]
    header: int  # the header's columns, which the caption spans
    extent: int  # the columns of its <dimension>: the header's, or more if a styled cell lies further right
    widths: list[int]


def write_package(workbook, styled: dict[Hashable, object], sheets: list[Sheet], stamp: dt.datetime) -> bytes:
    """Write the sheets into the package openpyxl writes for `workbook`, each cell's style numbered as openpyxl
    numbered the cell `styled` holds for it.

    `workbook` holds one sheet, whose cells give styles.xml; the parts that tell the sheets apart are written here
    in the form openpyxl writes them, so that the workbook is the same, byte for byte, as if openpyxl had written
    every sheet, without its objects for each sheet and cell.
    """
    from openpyxl.utils import get_column_letter

    package = _save_workbook(workbook)
    # Read after saving: saving numbers each cell style in the order the cells are written.
    attribute = {style: f' s="{cell.style_id}"' if cell.has_style else "" for style, cell in styled.items()}
    widest = max(max(sheet.extent, *map(len, sheet.rows)) for sheet in sheets)
    letters = [get_column_letter(c) for c in range(1, widest + 1)]
    titles = _titles([s.title for s in sheets])
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        members: dict[str, bytes] = {}
        for name in source.namelist():
            if name == "xl/worksheets/sheet1.xml":  # the sheets in its place, as openpyxl orders them
                for n, sheet in enumerate(sheets, start=1):
                    members[f"xl/worksheets/sheet{n}.xml"] = _sheet_xml(sheet, attribute, letters)
            elif name == "xl/workbook.xml":
                members[name] = _workbook_xml(source.read(name), titles)
            elif name == "xl/_rels/workbook.xml.rels":
                members[name] = _workbook_rels(len(sheets))
            elif name == "[Content_Types].xml":
                members[name] = _content_types(source.read(name), len(sheets))
            else:  # styles, theme, properties: the same for any number of sheets
                members[name] = source.read(name)
    return stable_package(members.items(), stamp)


# A sheet's XML but its dimension, columns, rows and caption's merge: all sheets freeze their first two rows.
_SHEET_START = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr>'
    '<outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr/></sheetPr>'
)
_SHEET_VIEW = (
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" '
    'state="frozen"/><selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
    '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
)
_SHEET_END = (
    '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>'
)


def _sheet_xml(sheet: Sheet, attribute: dict[Hashable, str], letters: list[str]) -> bytes:
    """Return a sheet's XML as openpyxl's WorksheetWriter writes it; an empty cell is not written."""
    from openpyxl.compat import safe_string

    out = [_SHEET_START, f'<dimension ref="A1:{letters[sheet.extent - 1]}{len(sheet.rows)}"/>', _SHEET_VIEW]
    if sheet.widths:
        out.append("<cols>")
        out += [
            f'<col width="{safe_string(float(width))}" customWidth="1" min="{c}" max="{c}"/>'
            for c, width in enumerate(sheet.widths, start=1)
        ]
        out.append("</cols>")
    out.append("<sheetData>")
    for r, cells in enumerate(sheet.rows, start=1):
        out.append(f'<row r="{r}">')
        out += [f'<c r="{letters[c]}{r}"{attribute[style]}{xml}' for c, (style, xml) in enumerate(cells)]
        out.append("</row>")
    # openpyxl names a range of one cell by that cell alone.
    merged = "A1" if sheet.header == 1 else f"A1:{letters[sheet.header - 1]}1"
    out += ["</sheetData>", f'<mergeCells count="1"><mergeCell ref="{merged}"/></mergeCells>', _SHEET_END]
    return "".join(out).encode("utf-8")


def _titles(wanted: list[str]) -> list[str]:
    """Return the sheets' titles as `Workbook.create_sheet` makes them: checked, and a repeated one numbered."""
    from openpyxl.workbook.child import INVALID_TITLE_REGEX, avoid_duplicate_name

    titles: list[str] = []
    taken: set[str] = set()  # the titles so far, lower-cased: openpyxl compares them so
    for title in wanted:
        title = title or "Sheet"
        if m := INVALID_TITLE_REGEX.search(title):
            raise ValueError(f"Invalid character {m.group(0)} found in sheet title")
        if title.lower() in taken:  # openpyxl's numbering, asked only then: it reads every title
            title = avoid_duplicate_name(titles, title)
        if len(title) > 31:
            warnings.warn(TOO_LONG, stacklevel=2)
        titles.append(title)
        taken.add(title.lower())
    if any(_NOT_XML.search(title) for title in titles):  # found on saving, after every sheet was made
        raise ValueError(NOT_XML)
    return titles


def _attribute(value: str) -> str:
    """Escape text for an attribute's value as lxml does."""
    for character, reference in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        value = value.replace(character, reference)
    return value.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def _replace_between(xml: bytes, start: bytes, end: bytes, new: str) -> bytes:
    """Replace what lies between the first `start` and the `end` after it: openpyxl's part for its one sheet."""
    first = xml.index(start) + len(start)
    return xml[:first] + new.encode("utf-8") + xml[xml.index(end, first) :]


def _workbook_xml(one_sheet: bytes, titles: list[str]) -> bytes:
    """Return xl/workbook.xml listing the sheets, the rest as openpyxl wrote it for the workbook of one sheet."""
    sheets = "".join(
        f'<sheet xmlns:r="{RELATIONSHIPS}" name="{_attribute(title)}" sheetId="{n}" state="visible" r:id="rId{n}"/>'
        for n, title in enumerate(titles, start=1)
    )
    return _replace_between(one_sheet, b"<sheets>", b"</sheets>", sheets)


def _workbook_rels(count: int) -> bytes:
    """Return xl/_rels/workbook.xml.rels: the sheets, then the styles and the theme."""
    targets = [("worksheet", f"/xl/worksheets/sheet{n}.xml") for n in range(1, count + 1)]
    targets += [("styles", "styles.xml"), ("theme", "theme/theme1.xml")]
    relationships = "".join(
        f'<Relationship Type="{RELATIONSHIPS}/{kind}" Target="{target}" Id="rId{n}"/>'
        for n, (kind, target) in enumerate(targets, start=1)
    )
    xml = f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{relationships}</Relationships>'
    return xml.encode("utf-8")


def _content_types(one_sheet: bytes, count: int) -> bytes:
    """Return [Content_Types].xml naming every sheet where openpyxl named its one sheet."""
    start = b'<Override PartName="/xl/worksheets/sheet1.xml"'
    at = one_sheet.index(start)
    end = one_sheet.index(b"/>", at) + len(b"/>")
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>'
        for n in range(1, count + 1)
    )
    return one_sheet[:at] + overrides.encode("utf-8") + one_sheet[end:]


def _save_workbook(workbook) -> bytes:
    """Save a workbook as `Workbook.save` does, but each sheet in memory and the package uncompressed.

    openpyxl writes every sheet through a temporary file of its own; and stable_package compresses the package
    afterwards anyway. The times openpyxl writes into docProps/core.xml are replaced by stable_package too.
    """
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    class InMemory(ExcelWriter):
        def write_worksheet(self, ws) -> None:  # ExcelWriter.write_worksheet for a workbook not write-only
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            writer = WorksheetWriter(ws, out=io.BytesIO())
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], writer.read())
            self.manifest.append(ws)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        InMemory(workbook, archive).write_data()
    return buffer.getvalue()
