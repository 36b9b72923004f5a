"""Lay out a form's fields around its table in a blank template, the way the national forms print them."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.registry_columns import ColumnType, Field
from pipeline.registry_templates import Template
from pipeline.text import split_header

# Blank indicator rows a form leaves above a closing row such as 总分.
FORM_DATA_ROWS = 20
# Label fields (`主管部门 | … | 实施单位 | …`) written side by side on one row.
LABELS_PER_ROW = 2

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
TEXT_FORMAT = "@"


@dataclass(frozen=True, slots=True)
class FormBlocks:
    """A template's fields grouped as the form prints them: label rows, row blocks, text blocks, closing rows."""

    labels: tuple[Field, ...]
    rows: tuple[tuple[str, str | None, tuple[Field, ...]], ...]  # (row label, block label, fields)
    below: tuple[tuple[str | None, tuple[Field, ...]], ...]  # (block label, fields)
    closing: tuple[tuple[str, tuple[Field, ...]], ...]  # rows after the table: (row label, fields)

    @property
    def height(self) -> int:
        """Return the rows the blocks above the table take."""
        label_rows = -(-len(self.labels) // LABELS_PER_ROW)
        return label_rows + 2 * len(self.rows) + 2 * len(self.below)


def blocks_of(template: Template) -> FormBlocks:
    """Group a template's fields into the blocks a blank form prints, in registry order."""
    ends = {split_header(word)[0] for word in template.ends_at}
    rows: dict[str, list[Field]] = {}
    closing: dict[str, list[Field]] = {}
    below: dict[str | None, list[Field]] = {}
    labels: list[Field] = []
    for field in template.fields:
        if not field.printed:
            continue
        if field.row is not None:
            (closing if split_header(field.row)[0] in ends else rows).setdefault(field.row, []).append(field)
        elif field.below:
            below.setdefault(field.block, []).append(field)
        else:
            labels.append(field)
    return FormBlocks(
        labels=tuple(labels),
        rows=tuple((row, fields[0].block, tuple(fields)) for row, fields in rows.items()),
        below=tuple((block, tuple(fields)) for block, fields in below.items()),
        closing=tuple((row, tuple(fields)) for row, fields in closing.items()),
    )


def _label(ws: Worksheet, row: int, col: int, text: str) -> None:
    cell = ws.cell(row, col, text)
    cell.font, cell.fill, cell.border, cell.alignment = Font(bold=True), _LABEL_FILL, _BORDER, _CENTER


def _value(ws: Worksheet, row: int, col: int, field: Field) -> None:
    cell = ws.cell(row, col)
    cell.border = _BORDER
    if field.type in (ColumnType.TEXT, ColumnType.PROSE, ColumnType.NAME):
        cell.number_format, cell.alignment = TEXT_FORMAT, _WRAP
    elif field.type is ColumnType.PERCENT:
        cell.number_format = "0.00%"
    else:
        cell.number_format = "#,##0.00####"


def write_blocks(ws: Worksheet, blocks: FormBlocks, top: int, width: int) -> None:
    """Write the label rows, row blocks and text blocks from row `top` down, `width` columns wide."""
    row = top
    span = max(width // LABELS_PER_ROW - 1, 1)
    for start in range(0, len(blocks.labels), LABELS_PER_ROW):
        for slot, field in enumerate(blocks.labels[start : start + LABELS_PER_ROW]):
            col = 1 + slot * (span + 1)
            _label(ws, row, col, field.header)
            _value(ws, row, col + 1, field)
            if span > 1:
                ws.merge_cells(start_row=row, start_column=col + 1, end_row=row, end_column=col + span)
        row += 1
    for label, block, fields in blocks.rows:
        # `项目资金（万元）` merged down beside its header and value rows; the row's own label under a blank.
        _label(ws, row, 1, block or "")
        ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=1)
        _label(ws, row, 2, "")
        _label(ws, row + 1, 2, label)
        for offset, field in enumerate(fields):
            _label(ws, row, 3 + offset, field.header)
            _value(ws, row + 1, 3 + offset, field)
        row += 2
    for block, fields in blocks.below:
        _label(ws, row, 1, block or "")
        ws.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=1)
        share = max((width - 1) // len(fields), 1)
        for offset, field in enumerate(fields):
            first = 2 + offset * share
            last = width if offset == len(fields) - 1 else first + share - 1
            _label(ws, row, first, field.header)
            _value(ws, row + 1, first, field)
            if last > first:
                ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
                ws.merge_cells(start_row=row + 1, start_column=first, end_row=row + 1, end_column=last)
        ws.row_dimensions[row + 1].height = 60
        row += 2


def write_closing(ws: Worksheet, blocks: FormBlocks, row: int, header_cols: dict[str, int]) -> None:
    """Write the rows after the table (`总分`), each value under the table column its header names."""
    for label, fields in blocks.closing:
        _label(ws, row, 1, label)
        for field in fields:
            col = header_cols.get(split_header(field.header)[0])
            if col is not None:
                _value(ws, row, col + 1, field)
        row += 1
