"""Render the report's tables as an Excel workbook, each row with its sources, byte for byte reproducibly."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from html import escape

from pipeline.office_zip import stable_zip
from pipeline.report_lineage import _Lineage
from pipeline.report_model import Figure, Inline, Report
from pipeline.report_text import DASH, received_text, shown


def plain(part: Inline) -> str:
    """Return an inline part as the text it prints."""
    if part is None:
        return DASH
    return part.text if isinstance(part, Figure) else part


def number_format(figure: Figure) -> str:
    """Return the Excel format that prints a figure's value as its display text does."""
    places = "." + "0" * figure.decimals if figure.decimals else ""
    return f"0{places}%" if figure.unit == "%" else f"#,##0{places}"


SOURCES = "来源（文件·工作表·行）"  # the last column of every table of the workbook
QUALITY_NOTES = "数据质量提示"  # the workbook's sheet of them, and its caption


def _sources_of(row: tuple[Inline, ...], lineage: Callable[[Figure], list[str]]) -> str:
    lines = [line for part in row if isinstance(part, Figure) and part.sources for line in lineage(part)]
    return "\n".join(dict.fromkeys(lines))


def _xlsx_text(text: str) -> str:
    """Escape text for a sheet's XML: markup and carriage returns, as openpyxl's writer does."""
    # Characters past ASCII stay as they are, in UTF-8 (a sheet's XML declares no other encoding): openpyxl writes
    # each Chinese character as an 8-byte reference, which made the yardstick's sheets 18 MB to write and deflate.
    return escape(text, quote=False).replace("\r", "&#13;")


def render_xlsx(report: Report) -> bytes:
    """Write the report's tables to a workbook, numbers as exact numbers, each row with its sources; after 表1, the
    page's 数据质量提示 (`report_notes`)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.compat import safe_string
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from pipeline import report_notes

    workbook = Workbook()
    workbook.remove(workbook.active)
    created = report.stamp.astimezone(dt.UTC).replace(tzinfo=None)
    workbook.properties.title = report.title
    workbook.properties.creator = workbook.properties.lastModifiedBy = report.issuer or ""
    workbook.properties.created = workbook.properties.modified = created
    lineage = _Lineage(report)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(ws, row: int, column: int, value: object, alignment: Alignment | None = None):
        """Write one cell, a figure as its exact number; every text of the workbook goes through here."""
        cell = ws.cell(row, column)
        if isinstance(value, Figure) and value.value is not None and value.decimals is not None:
            cell.value = value.value
            cell.number_format = number_format(value)
            return cell
        if value is None or isinstance(value, Figure):
            value = plain(value)
        cell.value = shown(value) if isinstance(value, str) else value
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # a target such as `=16个` is text, never a formula
        if alignment is not None:
            cell.alignment = alignment
        return cell

    # A cell's style: a number format, or the wrapping `put` gives every other cell of a table, or a caption's or
    # header's font.
    WRAP, CAPTION, HEADER = ("wrap",), ("caption",), ("header",)

    def after_style(kind: str, value: object) -> str:
        """Return a cell's XML after its reference and style, as openpyxl's lxml writer writes a value it holds."""
        if kind == "n":
            return f' t="n"><v>{safe_string(value)}</v></c>'
        if kind == "e":
            return f' t="e"><v>{_xlsx_text(value)}</v></c>'
        if value == "":
            return ' t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f' t="inlineStr"><is><t{space}>{_xlsx_text(value)}</t></is></c>'

    texts: dict[str, str] = {}  # each distinct text of a cell, written

    def content(value: object) -> tuple[tuple[str, ...], str]:
        """Return a cell's style (as `put` with wrapping sets it) and its XML after the style."""
        if isinstance(value, Figure) and value.value is not None and value.decimals is not None:
            return ("format", number_format(value)), after_style("n", value.value)
        if value is None or isinstance(value, Figure):
            value = plain(value)
        if not isinstance(value, str):
            return WRAP, after_style("n", value)
        known = texts.get(value)
        if known is None:
            # As openpyxl stores a text: cut at Excel's limit, and an error code such as #N/A read as one.
            text = shown(value)[:32767]
            known = texts[value] = after_style("e" if text in ERROR_CODES else "s", text)
        return WRAP, known

    # openpyxl makes and writes a Python object per cell, which takes seconds for a few hundred projects. So the
    # workbook it writes holds each sheet's caption and header, and of the other cells only the first with
    # each style, so that styles.xml numbers the styles as it would for every cell; each sheet's rows are then
    # written into its <sheetData> in the form openpyxl writes them.
    first: dict[tuple[str, ...], object] = {}  # style → the openpyxl cell that first had it
    sheets: list[list[list[tuple[tuple[str, ...], str]]]] = []  # each sheet's rows of cells: (style, XML)

    def sheet(name: str, caption: str, header: tuple[str, ...], rows: list[list[object]], widths: list[int]):
        ws = workbook.create_sheet(name)
        title = put(ws, 1, 1, caption)
        title.font = Font(bold=True, size=13)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        first.setdefault(CAPTION, title)  # every caption has one style, every header cell another
        grid = [[(CAPTION, after_style(title.data_type, title.value))], []]
        for c, text in enumerate(header, start=1):
            cell = put(ws, 2, c, text)
            cell.font = bold
            first.setdefault(HEADER, cell)
            grid[1].append((HEADER, after_style(cell.data_type, cell.value)))
        for r, row in enumerate(rows, start=3):
            cells = []
            for c, value in enumerate(row, start=1):
                style, xml = content(value)
                if style not in first:
                    first[style] = put(ws, r, c, value, wrap)
                cells.append((style, xml))
            grid.append(cells)
        ws.cell(len(grid), len(header))  # the sheet's extent, for <dimension>; an empty cell is not written
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "A3"
        sheets.append(grid)

    notes = report_notes.report_quality_notes(report) or [report_notes.NOTHING]
    for n, table in enumerate(report.tables):
        rows = [[*row, _sources_of(row, lineage)] for row in table.rows]
        widths = [28, *([16] * (len(table.header) - 1)), 70]
        sheet(table.sheet, table.caption, (*table.header, SOURCES), rows, widths)
        if n == 0:  # after 表1, as on the page
            sheet(
                QUALITY_NOTES,
                QUALITY_NOTES,
                ("提示内容", SOURCES),
                # The rows of what a note names count as its sources too: a list replaced prints no figure.
                [[note.text, _sources_of((*note.figures, *note.cited), lineage)] for note in notes],
                [100, 70],
            )
    sheet(
        "数据来源",
        "报告所用报表文件及其SHA-256指纹",
        ("编号", "文件名", "报送单位", "接收时间", "SHA-256指纹"),
        [
            [f.number, f.original_name, f.unit or DASH, received_text(f.received_at), f.sha256]
            for f in report.files
        ],
        [6, 40, 36, 20, 70],
    )
    package = _save_workbook(workbook)
    # Read after saving: saving numbers each cell style in the order the cells are written.
    attribute = {style: f' s="{cell.style_id}"' if cell.has_style else "" for style, cell in first.items()}
    letters = [get_column_letter(c) for c in range(1, max(len(row) for grid in sheets for row in grid) + 1)]

    def sheet_data(grid: list[list[tuple[tuple[str, ...], str]]]) -> bytes:
        out = []
        for r, cells in enumerate(grid, start=1):
            out.append(f'<row r="{r}">')
            out += [f'<c r="{letters[c]}{r}"{attribute[style]}{xml}' for c, (style, xml) in enumerate(cells)]
            out.append("</row>")
        return "".join(out).encode("utf-8")

    members = {f"xl/worksheets/sheet{n}.xml": grid for n, grid in enumerate(sheets, start=1)}

    def with_rows(name: str, data: bytes) -> bytes:
        grid = members.get(name)
        if grid is None:
            return data
        start, end = data.index(b"<sheetData>") + len(b"<sheetData>"), data.index(b"</sheetData>")
        return data[:start] + sheet_data(grid) + data[end:]

    return stable_zip(package, report.stamp, with_rows)


def _save_workbook(workbook) -> bytes:
    """Save a workbook as `Workbook.save` does, but each sheet in memory and the package uncompressed.

    openpyxl writes every sheet through a temporary file of its own, which costs seconds for a few hundred
    sheets; and stable_zip compresses the package afterwards anyway. The times openpyxl writes into
    docProps/core.xml are replaced by stable_zip too.
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
