"""Write the blank submission templates (报表模板) handed to the offices, generated from the registry.

Each template is one workbook: a data sheet (title, the metadata lines the parser reads, a header row whose
texts and units the parser matches, drop-down lists and number formats on the data rows) and a 填表说明 sheet
explaining every column and rule in plain Chinese. Nothing here is written by hand per template: a new or
changed registry entry gives a new or changed workbook, byte for byte the same for the same registry.
What the data sheet holds is chosen in template_layout; the 填表说明 rows are worded in template_instructions.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.cell_refs import column_letter
from pipeline.grids import LISTS_SHEET
from pipeline.office_zip import stable_zip
from pipeline.parse import INSTRUCTIONS_SHEET
from pipeline.registry import Registry
from pipeline.registry_columns import Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.settings import TIMEZONE
from pipeline.template_form import FORM_DATA_ROWS, write_blocks, write_closing
from pipeline.template_instructions import (
    _BORDER,
    _HEADER_FILL,
    _WRAP,
    TYPE_ZH,
    _non_negative,
    _positive,
    _requirement,
    _write_instructions,
    instructions,
)
from pipeline.template_layout import Layout, header_of, layout_of
from pipeline.text import split_header

# A fixed time for the workbook properties and zip entries, so the same registry gives the same bytes.
TEMPLATE_STAMP = dt.datetime(2024, 1, 1, tzinfo=TIMEZONE)
CREATOR = "预算绩效数据仓库"
LAST_ROW = 1048576  # the last row of a sheet: validations cover every row a clerk may add
# Excel refuses an inline list longer than this (the quotes included); longer lists go on a hidden sheet.
INLINE_LIST_LIMIT = 255
NUMBER_FORMATS = {
    ColumnType.MONEY: "#,##0.00####",  # 万元 to the 分 of a 元
    ColumnType.AREA: "#,##0.00##",
    ColumnType.COUNT: "#,##0",
    ColumnType.INTEGER: "0",
    ColumnType.DECIMAL: "General",
    ColumnType.PERCENT: "0.00%",
    ColumnType.DATE: "yyyy-mm-dd",
    ColumnType.YEAR: "0",
    ColumnType.MONTH: "0",
}
# Text cells are formatted as text so that a code keeps its leading zeros and a target such as `=16个` is
# not taken for a formula.
TEXT_FORMAT = "@"
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\[\]]')

_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def file_name(template: Template) -> str:
    """Return the template's file name: its Chinese name, safe on any file system."""
    return f"{_UNSAFE_NAME.sub('_', template.name_zh).strip() or template.id}.xlsx"


def _sheet_title(template: Template) -> str:
    return _UNSAFE_NAME.sub("_", template.name_zh)[:31] or template.id


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _validation(column: Column, non_negative: bool, positive: bool = False) -> DataValidation | None:
    """Return the data validation of a non-enum column, or None where any value may be typed."""
    kind = column.type
    if kind is ColumnType.YEAR:
        return DataValidation("whole", operator="between", formula1="2000", formula2="2099")
    if kind is ColumnType.MONTH:
        return DataValidation("whole", operator="between", formula1="1", formula2="12")
    if kind is ColumnType.DATE:
        return DataValidation(
            "date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2099,12,31)"
        )
    if kind in (ColumnType.COUNT, ColumnType.INTEGER):
        # 有效问卷 0 passed the sheet's own check and was returned by the pipeline (no_responses).
        if positive:
            return DataValidation("whole", operator="greaterThanOrEqual", formula1="1")
        return DataValidation("whole", operator="greaterThanOrEqual", formula1="0") if non_negative else None
    if kind in NUMBER_FORMATS and non_negative:
        return DataValidation("decimal", operator="greaterThanOrEqual", formula1="0")
    return None


def _list_formula(workbook: Workbook, column: Column) -> str:
    """Return a drop-down's source: the values inline, or a range on the hidden lists sheet if too long."""
    values = list(column.values or {})
    inline = f'"{",".join(values)}"'
    if len(inline) <= INLINE_LIST_LIMIT and not any("," in v or '"' in v for v in values):
        return inline
    if LISTS_SHEET not in workbook.sheetnames:
        workbook.create_sheet(LISTS_SHEET).sheet_state = "hidden"
    lists = workbook[LISTS_SHEET]
    col = lists.max_column + 1 if lists.max_row > 1 or lists.cell(1, 1).value is not None else 1
    for row, value in enumerate(values, start=1):
        lists.cell(row, col, value).number_format = TEXT_FORMAT
    letter = column_letter(col - 1)
    return f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(values)}"


def _write_data_sheet(ws: Worksheet, layout: Layout, registry: Registry, non_negative: set[str]) -> None:
    template = layout.template
    positive = _positive(template)
    shift = layout.first_column
    width = len(layout.columns) + shift
    ws.cell(1, 1, template.name_zh).font = Font(bold=True, size=16)
    ws.cell(1, 1).alignment = _CENTER
    ws.row_dimensions[1].height = 30
    if width > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for row, label in enumerate(layout.meta_lines, start=2):
        ws.cell(row, 1, f"{label}：").font = Font(bold=True)
        # The value cell is text, so a year typed there stays `2022` whatever the column's own format.
        ws.cell(row, 2).number_format = TEXT_FORMAT
        if width > 3:
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=min(width, 4))
    header_row, first = layout.header_row, layout.first_data_row
    if layout.blocks:
        write_blocks(ws, layout.blocks, 2 + len(layout.meta_lines), width)
        labels = {split_header(c.header)[0]: index + shift for index, c in enumerate(layout.columns)}
        write_closing(ws, layout.blocks, first + FORM_DATA_ROWS, labels)
    if template.leading_column:
        cell = ws.cell(header_row, 1, template.leading_column)
        cell.font, cell.fill, cell.border, cell.alignment = Font(bold=True), _HEADER_FILL, _BORDER, _CENTER
        ws.merge_cells(start_row=header_row, start_column=1, end_row=first + FORM_DATA_ROWS - 1, end_column=1)
    for index, column in enumerate(layout.columns):
        letter = column_letter(index + shift)
        header = header_of(column, registry)
        cell = ws.cell(header_row, index + 1 + shift, header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill, cell.border, cell.alignment = _HEADER_FILL, _BORDER, _CENTER
        dimension = ws.column_dimensions[letter]
        wide = column.type in (ColumnType.TEXT, ColumnType.PROSE)
        dimension.width = max(_width(header) + 4, 30 if wide else 12)
        dimension.number_format = NUMBER_FORMATS.get(column.type, TEXT_FORMAT)
        if column.type is ColumnType.PROSE:
            dimension.alignment = _WRAP
        cells = f"{letter}{first}:{letter}{LAST_ROW}"
        required = "必填。" if column.required else ""
        if column.type is ColumnType.ENUM:
            check = DataValidation("list", formula1=_list_formula(ws.parent, column), allow_blank=True)
        else:
            check = _validation(column, column.name in non_negative, column.name in positive)
        if check is None:
            continue
        # A warning, not a stop: the parser also takes other spellings (`完工`, `2022.3.1`), a 合计 row
        # or a `填表人：` footer may sit in this column, and the receipt is where a real mistake is named.
        check.errorStyle = "warning"
        check.allow_blank = True
        check.showErrorMessage = check.showInputMessage = True
        check.promptTitle = column.header[:32]
        check.prompt = f"{required}{_requirement(column, registry, non_negative, positive)}"[:255]
        check.errorTitle = "请核对"
        check.error = f"「{header}」应为：{TYPE_ZH[column.type]}。确认无误请点“是”。"[:255]
        check.add(cells)
        ws.add_data_validation(check)
    ws.row_dimensions[header_row].height = 32
    ws.freeze_panes = f"A{first}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def template_workbook(template: Template, registry: Registry) -> bytes:
    """Return one template's blank workbook, the same bytes for the same registry."""
    layout = layout_of(template)
    workbook = Workbook()
    data = workbook.active
    data.title = _sheet_title(template)
    _write_data_sheet(data, layout, registry, _non_negative(template))
    _write_instructions(workbook.create_sheet(INSTRUCTIONS_SHEET), instructions(layout, registry))
    stamp = TEMPLATE_STAMP.astimezone(dt.UTC).replace(tzinfo=None)
    workbook.properties.title = template.name_zh
    workbook.properties.subject = template.id
    workbook.properties.creator = workbook.properties.lastModifiedBy = CREATOR
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.active = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return stable_zip(buffer.getvalue(), TEMPLATE_STAMP)


def write_templates(registry: Registry, out: Path) -> dict[str, Path]:
    """Write one blank `.xlsx` per registry template into `out`; return each template's path."""
    out.mkdir(parents=True, exist_ok=True)
    names = [file_name(t) for t in registry.templates.values()]
    paths = {}
    for template, name in zip(registry.templates.values(), names, strict=True):
        # Two templates sharing a Chinese name still get a file each.
        path = out / (name if names.count(name) == 1 else f"{template.id}-{name}")
        path.write_bytes(template_workbook(template, registry))
        paths[template.id] = path
    return paths
