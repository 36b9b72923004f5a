"""Render the report's tables as an Excel workbook, each row with its sources, byte for byte reproducibly."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from html import escape

from pipeline.report_lineage import _Lineage
from pipeline.report_model import Figure, Inline, Report
from pipeline.report_text import DASH, received_text, shown


def exact_number(value: Decimal) -> str:
    """Return a Decimal as its digits in plain notation, without trailing zeros."""
    # openpyxl writes a Decimal through a float's 16 digits: 95.1788808010 became 95.17888080100001.
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def plain(part: Inline) -> str:
    """Return an inline part as the text it prints."""
    if part is None:
        return DASH
    return part.text if isinstance(part, Figure) else part


# The percentage a rate's display text prints: the marts drop a rate's zero decimals (50%, not 50.00%).
_PERCENT_SHOWN = re.compile(r"\d(?:\.(\d+))?%")


def number_format(figure: Figure) -> str:
    """Return the Excel format that prints a figure's value as its display text does."""
    decimals = figure.decimals
    if figure.unit == "%" and (shown := _PERCENT_SHOWN.search(figure.text)):
        # The workbook printed 50.00% where the page and the Word file print 50%.
        decimals = len(shown.group(1) or "")
    places = "." + "0" * decimals if decimals else ""
    shown_format = f"0{places}%" if figure.unit == "%" else f"#,##0{places}"
    if figure.value is not None and figure.value < 0 and not figure.text.startswith("-"):
        # A negative value the text prints as 0: Excel signs every negative value, and -0.000833 points showed -0.00.
        return f"{shown_format};{shown_format}"
    return shown_format


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
    page's 数据质量提示, and under 表1 and each 附表 the page's notes of it (`report_notes`)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.compat import safe_string
    from openpyxl.styles import Alignment, Font

    from pipeline import report_notes
    from pipeline.report_xlsx_parts import Sheet, write_package

    lineage = _Lineage(report)
    # A cell's style: a number format, or the wrapping every other cell of a table has, or a caption's or header's
    # font.
    WRAP, CAPTION, HEADER = ("wrap",), ("caption",), ("header",)

    def after_style(kind: str, value: object) -> str:
        """Return a cell's XML after its reference and style, as openpyxl's lxml writer writes a value it holds."""
        if kind == "n":
            return f' t="n"><v>{exact_number(value) if isinstance(value, Decimal) else safe_string(value)}</v></c>'
        if kind == "e":
            return f' t="e"><v>{_xlsx_text(value)}</v></c>'
        if value == "":
            return ' t="inlineStr"></c>'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f' t="inlineStr"><is><t{space}>{_xlsx_text(value)}</t></is></c>'

    texts: dict[str, str] = {}  # each distinct text of a cell, written

    def content(value: object) -> tuple[tuple[str, ...], str]:
        """Return a cell's style (as `put` sets it) and its XML after the style."""
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

    # openpyxl makes and writes a Python object per sheet and per cell, which takes seconds for a few hundred
    # projects. So the sheets are written as XML here and in report_xlsx_parts, and openpyxl writes a workbook of
    # one sheet holding the first cell met with each style, so that styles.xml numbers the styles as it would
    # for every cell of every sheet.
    first: dict[tuple[str, ...], object] = {}  # style → the value of the first cell that had it
    sheets: list[Sheet] = []

    def sheet(name: str, caption: str, header: tuple[str, ...], rows: list[list[object]], widths: list[int]):
        first.setdefault(CAPTION, caption)  # every caption has one style, every header cell another
        first.setdefault(HEADER, header[0])
        grid = [[(CAPTION, content(caption)[1])], [(HEADER, content(text)[1]) for text in header]]
        extent = len(header)
        for row in rows:
            cells = []
            for c, value in enumerate(row, start=1):
                style, xml = content(value)
                if style not in first:
                    first[style] = value
                    extent = max(extent, c)  # openpyxl's <dimension> counted the cell it was first set on
                cells.append((style, xml))
            grid.append(cells)
        sheets.append(Sheet(name, grid, len(header), extent, widths))

    notes = report_notes.report_quality_notes(report) or [report_notes.NOTHING]
    table_notes = report_notes.report_table_notes(report)
    for n, table in enumerate(report.tables):
        rows = [[*row, _sources_of(row, lineage)] for row in table.rows]
        # Under a table's rows (表1's, a 附表's), as on the page: each note in its first column, its sources in theirs.
        blank = ["" for _ in table.header[1:]]
        rows += [
            [note.text, *blank, _sources_of((*note.figures, *note.cited), lineage)]
            for note in table_notes.get(table.project, ())
        ]
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

    workbook = Workbook()
    created = report.stamp.astimezone(dt.UTC).replace(tzinfo=None)
    workbook.properties.title = report.title
    workbook.properties.creator = workbook.properties.lastModifiedBy = report.issuer or ""
    workbook.properties.created = workbook.properties.modified = created
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(row: int, value: object, alignment: Alignment | None):
        """Write a cell of the one sheet, styled as a sheet's cell holding `value` is: a figure as its exact number."""
        cell = workbook.active.cell(row, 1)
        if isinstance(value, Figure) and value.value is not None and value.decimals is not None:
            cell.value = value.value
            cell.number_format = number_format(value)
            return cell
        if value is None or isinstance(value, Figure):
            value = plain(value)
        # Set as a sheet's cell would be: openpyxl gives some values (a date) a format of their own.
        cell.value = shown(value) if isinstance(value, str) else value
        if alignment is not None:
            cell.alignment = alignment
        return cell

    # In the order met, which is the order openpyxl would write them in: it numbers fonts and formats as they are
    # set, and cell styles as the cells are written.
    styled = {}
    for row, (style, value) in enumerate(first.items(), start=1):
        alignment = None if style in (CAPTION, HEADER) else wrap
        cell = styled[style] = put(row, value, alignment)
        if style == CAPTION:
            cell.font = Font(bold=True, size=13)
        elif style == HEADER:
            cell.font = bold
    return write_package(workbook, styled, sheets, report.stamp)
