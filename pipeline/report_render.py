"""Render the report (`pipeline.report_model.Report`) as HTML, Word and Excel, byte for byte reproducibly."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from html import escape

from pipeline import report_charts
from pipeline.report_charts import Chart
from pipeline.report_model import Figure, Inline, Report, Source
from pipeline.report_text import DASH, received_text, shown, source_line

# A figure with no rows behind it: say why, rather than show an empty source.
NO_ROWS = {
    "negative_list_hits": "资金台账中没有支出用途列入负面清单的支付，故无对应的报表行",
    "grade": "按自评得分和评价等级标准评定，无单独的报表行",
    "projects": "由本年度各项目汇总，无单独的报表行",
}
NO_ROWS_DEFAULT = "无对应的报表行"


class _Lineage:
    """Lineage lines for one rendering, each tuple of sources and each source written once: figures computed from
    the same rows share their tuple, and lineages the same sheet's rows (pipeline.report_read.read_projects)."""

    def __init__(self, report: Report):
        self.numbers = report.file_number
        # Kept with the report, so each format after the first finds the lines written.
        self._lines: dict[int, tuple[tuple[Source, ...], list[str]]] = report.memo.setdefault("lineage", {})
        self._source_lines: dict[int, tuple[Source, str]] = report.memo.setdefault("source_lines", {})

    def __call__(self, figure: Figure) -> list[str]:
        """Return the lines that tell where a figure came from; the list is shared, so never change it."""
        sources = figure.sources
        if not sources:
            return [NO_ROWS.get(figure.key, NO_ROWS_DEFAULT)]
        known = self._lines.get(id(sources))
        if known is None or known[0] is not sources:
            known = self._lines[id(sources)] = (sources, [self.line(source) for source in sources])
        return known[1]

    def line(self, source: Source) -> str:
        """Return `source_line` for a source, numbered as in the appendix."""
        known = self._source_lines.get(id(source))
        if known is None or known[0] is not source:
            line = source_line(source, self.numbers.get(source.submission_id))
            known = self._source_lines[id(source)] = (source, line)
        return known[1]


def plain(part: Inline) -> str:
    """Return an inline part as the text it prints."""
    if part is None:
        return DASH
    return part.text if isinstance(part, Figure) else part


# HTML


def _escaped(text: str) -> str:
    """Return text for HTML: shown as printed, then escaped; every text of the page goes through here."""
    return escape(shown(text))


class _Memo(dict):
    """A dict that computes a missing value with `make`, once: `memo[text]` looks up at C speed."""

    def __init__(self, make: Callable[[str], str]):
        super().__init__()
        self.make = make

    def __missing__(self, key: str) -> str:
        value = self[key] = self.make(key)
        return value


def render_html(report: Report) -> str:
    """Fill the page template (report.html.j2) with the report; hovering a number shows its lineage."""
    from pipeline import report_html_fill, report_templates

    # A page of 400 projects prints 150,000 figures but far fewer distinct texts and lineages: each is escaped once.
    figures = report_html_fill.HtmlFigures(_Lineage(report), _Memo(_escaped), report.file_number, source_line)
    folders = report_templates.template_folders(report.templates)
    return report_html_fill.render_html(
        report.context, folders, figures, lambda chart: report_charts.drawing(report, chart).svg
    )


# Office files: both are zip packages whose members carry the time they were written.

# zlib's fastest level: the packages' XML deflates to about 1.3 times the bytes of the default level (6) in
# two fifths of the time, on the Word and Excel writer's critical path; most of a Word file is its PNG charts, stored.
DEFLATE_LEVEL = 1
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stable_zip(
    package: bytes,
    stamp: dt.datetime,
    edit: Callable[[str, bytes], bytes] | None = None,
    added: dict[str, bytes] | None = None,
) -> bytes:
    """Rewrite an Office package with every time fixed to `stamp`, so equal content gives equal bytes.

    `edit(name, data)`, if given, returns each member's content as it is to be written; `added` members
    (images, compressed already) are stored after them as they are.
    """
    utc = stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    local = stamp.timetuple()[:6]
    out = io.BytesIO()

    def write(target: zipfile.ZipFile, name: str, data: bytes, compression: int) -> None:
        info = zipfile.ZipInfo(name, local)
        info.compress_type = compression
        info.external_attr = 0o644 << 16
        target.writestr(info, data, compresslevel=DEFLATE_LEVEL)

    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if edit is not None:
                data = edit(item.filename, data)
            if item.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(lambda m: m.group(1) + utc + m.group(3), data)
            write(target, item.filename, data, zipfile.ZIP_DEFLATED)
        for name, data in (added or {}).items():
            write(target, name, data, zipfile.ZIP_STORED)
    return out.getvalue()


_PICTURE = (
    "<w:r><w:drawing>"
    '<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" cy="{cy}"/>'
    '<wp:docPr id="{id}" name="图表{n}" descr="{title}"/>'
    '<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{a}" noChangeAspect="1"/></wp:cNvGraphicFramePr>'
    '<a:graphic xmlns:a="{a}"><a:graphicData uri="{pic}"><pic:pic xmlns:pic="{pic}">'
    '<pic:nvPicPr><pic:cNvPr id="{id}" name="chart{n}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
    "</wp:inline></w:drawing></w:r>"
)


def docx_chart(chart: Chart, png: bytes, width: int, number: int) -> str:
    """Return the run showing a chart's PNG (`media/chart<number>.png`, `rIdChart<number>`), inside a paragraph."""
    # A PNG's pixel size is in its IHDR chunk; it was drawn at report_charts.PNG_DPI.
    pixels = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    cx, cy = (int(p * 914400 / report_charts.PNG_DPI) for p in pixels)
    scale = min(1.0, width / cx)  # no wider than the text
    picture = _PICTURE.format(
        cx=int(cx * scale),
        cy=int(cy * scale),
        id=CHART_IDS + number,
        n=number,
        title=escape(shown(chart.title)),
        rid=f"rIdChart{number}",
        a="http://schemas.openxmlformats.org/drawingml/2006/main",
        pic="http://schemas.openxmlformats.org/drawingml/2006/picture",
    )
    # The template's run is closed around it: the picture is a run of its own.
    return f'</w:t></w:r>{picture}<w:r><w:t xml:space="preserve">'


CHART_IDS = 100_000  # charts' drawing ids, clear of any picture the template has itself
_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def _with_images(name: str, data: bytes, images: list[bytes]) -> bytes:
    """Declare the charts' PNGs in the package: their relationships and the PNG content type.

    They are added as parts of the zip here rather than through python-docx, whose image lookup hashes every
    image already added for each new one: minutes for the 800 charts of a 400-project year.
    """
    if not images:
        return data
    if name == "word/_rels/document.xml.rels":
        relationships = "".join(
            f'<Relationship Id="rIdChart{n}" Type="{_IMAGE}" Target="media/chart{n}.png"/>'
            for n in range(1, len(images) + 1)
        )
        return data.replace(b"</Relationships>", relationships.encode() + b"</Relationships>")
    if name == "[Content_Types].xml" and b'Extension="png"' not in data:
        return data.replace(b"<Default ", b'<Default Extension="png" ContentType="image/png"/><Default ', 1)
    return data


def render_docx(report: Report) -> bytes:
    """Fill the Word template (report.docx) with the report, figures as plain numbers, with fixed metadata."""
    from pipeline import report_docx_fill, report_notes, report_templates

    values = report_docx_fill.DocxValues(lambda chart: report_charts.drawing(report, chart).png, docx_chart)
    folders = report_templates.template_folders(report.templates)
    notes = [note.parts for note in report_notes.report_quality_notes(report)]
    package, body = report_docx_fill.render_docx(report.context, folders, values, report.stamp, notes)

    def edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return _with_images(name, data, values.images)
        start = data.index(
            b"<w:body"
        )  # the rendered body, its own namespaces declared, replaces the template's
        return data[:start] + body + data[data.index(b"</w:body>") + len(b"</w:body>") :]

    media = {f"word/media/chart{n}.png": png for n, png in enumerate(values.images, start=1)}
    return stable_zip(package, report.stamp, edit, media)


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
