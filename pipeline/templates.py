"""Write the blank submission templates (报表模板) handed to the offices, generated from the registry.

Each template is one workbook: a data sheet (title, the metadata lines the parser reads, a header row whose
texts and units the parser matches, drop-down lists and number formats on the data rows) and a 填表说明 sheet
explaining every column and rule in plain Chinese. Nothing here is written by hand per template: a new or
changed registry entry gives a new or changed workbook, byte for byte the same for the same registry.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.header import column_letter
from pipeline.parse import INSTRUCTIONS_SHEET
from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.report_render import stable_zip
from pipeline.settings import TIMEZONE
from pipeline.template_form import FORM_DATA_ROWS, FormBlocks, blocks_of, write_blocks, write_closing
from pipeline.text import split_header

# A fixed time for the workbook properties and zip entries, so the same registry gives the same bytes.
TEMPLATE_STAMP = dt.datetime(2024, 1, 1, tzinfo=TIMEZONE)
LISTS_SHEET = "下拉选项"
CREATOR = "预算绩效数据仓库"
LAST_ROW = 1048576  # the last row of a sheet: validations cover every row a clerk may add
# Excel refuses an inline list longer than this (the quotes included); longer lists go on a hidden sheet.
INLINE_LIST_LIMIT = 255

TYPE_ZH = {
    ColumnType.TEXT: "文字",
    ColumnType.PROSE: "一段文字，可换行，标点照常书写",
    ColumnType.NAME: "名称，请写全称（多余空格和括号内的备注会被去掉）",
    ColumnType.ENUM: "从下拉列表中选择",
    ColumnType.INTEGER: "整数",
    ColumnType.COUNT: "不小于0的整数",
    ColumnType.DECIMAL: "数字",
    ColumnType.MONEY: "金额，填数字",
    ColumnType.AREA: "面积，填数字",
    ColumnType.PERCENT: "百分比，如95%",
    ColumnType.DATE: "日期，如2022-03-01",
    ColumnType.YEAR: "四位年份，如2022",
    ColumnType.MONTH: "月份，1至12的整数",
}
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
SLICE_ZH = {"unit": "填报单位", "project": "项目", "year": "年度", "month": "月份"}
SEVERITY_ZH = {"error": "不符合的整份退回", "warning": "不符合的照常接收，回执中提示"}
# Rules the column table already states, cell by cell.
COLUMN_RULES = frozenset({"type", "required", "negative", "enum", "month_range"})
# A suite's reason may cite the engineers' documents; the clerk's copy leaves that out.
_DOC_REFERENCE = re.compile(r"[（(][^（()）]*\.md[^（()）]*[)）]")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\[\]]')

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass(frozen=True, slots=True)
class Layout:
    """What the data sheet of one template holds, and where."""

    template: Template
    meta_lines: tuple[str, ...]  # the labels, e.g. ("填报单位", "年度")
    columns: tuple[Column, ...]
    blocks: FormBlocks | None = None  # a form's fields around its table (the national forms)

    @property
    def header_row(self) -> int:
        # The title, one row per metadata line, then a form's blocks.
        return 2 + len(self.meta_lines) + (self.blocks.height if self.blocks else 0)

    @property
    def first_column(self) -> int:
        """Return the zero-based column the table starts in: right of a leading column, if the form has one."""
        return 1 if self.template.leading_column else 0

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1


def _line_stands_in(template: Template, sources: Iterable[str]) -> bool:
    """Say whether a metadata line is read at all: no required column ahead of it always settles the value."""
    required = {c.name for c in template.required}
    for source in sources:
        if source == "line":
            return True
        if source == "column" and "year" in required:
            return False
        if source == "dates" and template.date_column in required:
            return False
    return False


def layout_of(template: Template) -> Layout:
    """Choose the metadata lines and columns: a line only where the parser reads it, no column repeating it."""
    project_line = template.project.line and not (
        template.project.column and template.column(template.project.column).required
    )
    year_line = _line_stands_in(template, template.year_from)
    lines = ("填报单位", *(("项目名称",) if project_line else ()), *(("年度",) if year_line else ()))
    # An optional column the line above already gives would only be a second place to write the same thing.
    repeated = {template.project.column if project_line else None, "year" if year_line else None}
    columns = tuple(c for c in template.columns if c.required or c.name not in repeated)
    return Layout(template, lines, columns, blocks_of(template) if template.fields else None)


def count_unit(column: Column, registry: Registry) -> str | None:
    """Return the count unit a count column's header names (惠及户数 → 户), if it names one."""
    count = registry.units.measures.get("count")
    if count is None:
        return None
    spellings = [s for unit, d in count.units.items() for s in (unit, *d.aliases)]
    texts = (column.header, *column.aliases)
    return next((s for s in spellings if any(s in text for text in texts)), None)


def unit_of(column: Column, registry: Registry) -> str | None:
    """Return the unit written in a column's header: the measure's base unit, `%`, or a count's unit."""
    if column.type in MEASURE_OF_TYPE:
        return registry.units.measures[MEASURE_OF_TYPE[column.type]].base
    if column.type is ColumnType.PERCENT:
        return "%"
    if column.type is ColumnType.COUNT:
        return count_unit(column, registry)
    return None


def header_of(column: Column, registry: Registry) -> str:
    """Return a column's header as the template writes it: `计划投资（万元）`."""
    unit = unit_of(column, registry)
    return f"{column.header}（{unit}）" if unit else column.header


def file_name(template: Template) -> str:
    """Return the template's file name: its Chinese name, safe on any file system."""
    return f"{_UNSAFE_NAME.sub('_', template.name_zh).strip() or template.id}.xlsx"


def _sheet_title(template: Template) -> str:
    return _UNSAFE_NAME.sub("_", template.name_zh)[:31] or template.id


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _suite_rules(template: Template) -> list[dict]:
    """Return the meta of the suite's rules beyond single cells, once each, in the suite's order."""
    from pipeline.suites import suite_documents

    seen: dict[str, dict] = {}
    for document in suite_documents(template.id).values():
        for expectation in document["expectations"]:
            meta = expectation["meta"]
            if meta["rule"] not in COLUMN_RULES and meta["rule"] not in seen:
                seen[meta["rule"]] = meta | {"parameter": _parameter(expectation)}
    return list(seen.values())


def _parameter(expectation: dict) -> str | None:
    value_set = expectation.get("kwargs", {}).get("value_set")
    return value_set.get("$PARAMETER") if isinstance(value_set, dict) else None


def _non_negative(template: Template) -> set[str]:
    """Return the columns that may not be negative: what the parser refuses and what the suite checks."""
    from pipeline.suites import suite_documents

    names = {c.name for c in template.columns if c.type in MEASURE_OF_TYPE or c.type is ColumnType.COUNT}
    for document in suite_documents(template.id).values():
        for expectation in document["expectations"]:
            if expectation["meta"]["rule"] == "negative":
                names.add(expectation["kwargs"]["column"])
    return names


def _negative_list() -> list[str]:
    from pipeline.rules import load_rules

    rules = load_rules()
    return list(dict.fromkeys([*rules.defaults.negative_list, *sorted(rules.negative_list_any_year)]))


def _allowed_values(column: Column) -> str:
    """Word an enum's values and the other spellings accepted for each."""
    if column.values is None:
        return ""
    parts = []
    for value, aliases in column.values.items():
        parts.append(f"{value}（也可写：{'、'.join(aliases)}）" if aliases else value)
    several = "；可填多项，以“、”分隔（如“经费保障、制度保障”）" if column.multiple else ""
    return "；".join(parts) + several


def _requirement(column: Column, registry: Registry, non_negative: set[str]) -> str:
    """Word what a column's cells must hold: type, unit, sign, uniqueness."""
    parts = [TYPE_ZH[column.type]]
    if column.type in MEASURE_OF_TYPE:
        measure = registry.units.measures[MEASURE_OF_TYPE[column.type]]
        others = "、".join(u for u in measure.units if u != measure.base)
        parts.append(f"单位{measure.base}（如按{others}填写，请把表头括号内的单位改成所用单位）")
    elif column.type is ColumnType.COUNT and (unit := count_unit(column, registry)):
        parts.append(f"单位{unit}")
    if column.name in non_negative and column.type is not ColumnType.COUNT:
        parts.append("不能为负数")
    if column.unique:
        parts.append("同一张表中不能重复")
    if column.type is ColumnType.ENUM:
        parts.append("也可输入右栏所列的其他写法")
    return "；".join(parts)


def _validation(column: Column, non_negative: bool) -> DataValidation | None:
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
            check = _validation(column, column.name in non_negative)
        if check is None:
            continue
        # A warning, not a stop: the parser also takes other spellings (`完工`, `2022.3.1`), a 合计 row
        # or a `填表人：` footer may sit in this column, and the receipt is where a real mistake is named.
        check.errorStyle = "warning"
        check.allow_blank = True
        check.showErrorMessage = check.showInputMessage = True
        check.promptTitle = column.header[:32]
        check.prompt = f"{required}{_requirement(column, registry, non_negative)}"[:255]
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


def instructions(layout: Layout, registry: Registry) -> list[tuple[str, ...]]:
    """Return the 填表说明 sheet's rows: lines of one cell, and the column table of four."""
    template = layout.template
    non_negative = _non_negative(template)
    rows: list[tuple[str, ...]] = [(f"《{template.name_zh}》{INSTRUCTIONS_SHEET}",)]
    if template.description:
        rows.append((template.description,))
    rows += [("",), ("一、表格上方各行",)]
    rows.append(
        ("填报单位：填写本单位全称；不填时，按报送文件所在的单位文件夹确定。不要改动“填报单位：”等字样。",)
    )
    if "项目名称" in layout.meta_lines:
        line = "项目名称：填写项目基本信息表中登记的项目名称，一字不差"
        if template.project.register_project_type:
            line += f"；不填时，取本单位当年登记的唯一一个“{template.project.register_project_type}”项目"
        rows.append((line + "。",))
    if "年度" in layout.meta_lines:
        rows.append(("年度：填写四位年份，如2022。",))
    if template.date_column and "dates" in template.year_from:
        header = template.column(template.date_column).header
        rows.append((f"年度按“{header}”栏的日期确定，一个文件只能填报一个年度的数据。",))
    rows += _form_lines(layout, registry)
    rows += [("",), ("二、各栏填写要求（表头为红字的栏目必须填写；表头文字请勿改动）",)]
    rows.append(("栏目", "是否必填", "填写要求", "可选值及其他可识别的写法"))
    for column in layout.columns:
        rows.append(
            (
                header_of(column, registry),
                "必填" if column.required else "选填",
                _requirement(column, registry, non_negative),
                _allowed_values(column),
            )
        )
    rows += [("",), ("三、校验规则",)]
    rows.append(("必填栏目为空、数字写成文字（如“约200”）、金额或户数为负数、不在可选值内的，整份退回。",))
    for meta in _suite_rules(template):
        reason = _DOC_REFERENCE.sub("", meta["reason"])
        if meta["parameter"] == "negative_list":
            reason += f"：{'、'.join(_negative_list())}"
        rows.append((f"{reason}（{SEVERITY_ZH[meta['severity']]}）。",))
    if template.part_of_previous:
        header = template.column(template.part_of_previous.column).header
        start = template.part_of_previous.prefixes[0]
        rows.append((f"“{header}”以“{start}”开头的行是上一行的组成部分，不计入合计。",))
    if template.row_unit:
        value = template.column(template.row_unit.value).header
        unit = template.column(template.row_unit.unit).header
        conversions = "；".join(
            f"{'、'.join(u for u in measure.units if u != measure.base)}换算为{measure.base}"
            for name, measure in registry.units.measures.items()
            if name in MEASURE_OF_TYPE.values()
        )
        rows.append((f"“{value}”按同一行“{unit}”栏所写的单位理解，入库时{conversions}。",))
    slice_words = "、".join(SLICE_ZH[key] for key in template.slice)
    rows += [
        ("",),
        ("四、报送与更正",),
        (
            f"同一{slice_words}的数据以最后一次接收的文件为准：更正时请重新报送完整的数据，"
            "新文件将整体替换此前报送的该部分数据（原文件仍存档备查）。",
        ),
        ("同一文件重复报送记为“重复提交”，不做任何更改。",),
        (
            "有错误的文件整份退回，不会部分入库；回执列出全部问题所在的工作表、行号和栏目，请逐条改正后重新报送。",
        ),
        ("数据行之间可以有空行；可在最后加“合计”行，系统将核对合计数与各行之和是否一致。",),
        ("表格下方可写“填表人：”“联系电话：”“审核人：”等，此后各行不再作为数据读取。",),
        ("空白、“—”、“/”或“无”表示没有数值。",),
    ]
    return rows


def _form_lines(layout: Layout, registry: Registry) -> list[tuple[str, ...]]:
    """Return the lines explaining a form's blocks above and below its table, and its `1-N月` headers."""
    template, blocks = layout.template, layout.blocks
    lines: list[tuple[str, ...]] = []
    if blocks is not None:
        for field in blocks.labels:
            lines.append((f"{field.header}：在右侧填写，{TYPE_ZH[field.type]}。",))
        for label, block, fields in blocks.rows:
            heads = "、".join(f.header for f in fields)
            lines.append((f"{block or ''}：在“{label}”一行填写{heads}；金额单位为万元，执行率填百分比。",))
        for block, fields in blocks.below:
            lines.append((f"{block or ''}：在{'、'.join(f.header for f in fields)}下方的格子中填写文字。",))
        for label, fields in blocks.closing:
            heads = "、".join(f.header for f in fields)
            lines.append((f"“{label}”一行：在{heads}栏填写合计；该行以下不再作为指标读取。",))
    if template.month_from_headers:
        lines.append(("表头中的“1-N月”：请将N改为截至月份，如“1-7月执行数”，各栏须一致；月份由此确定。",))
    for column in template.columns:
        if column.points_of is not None:
            lines.append(
                (
                    f"“{column.header}”可写明分值，如“产出指标（55分）”；"
                    f"系统核对其与该指标下各行“{template.column(column.points_of).header}”之和，不一致时在回执中提示。",
                )
            )
    return lines


def _write_instructions(ws: Worksheet, rows: list[tuple[str, ...]]) -> None:
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row, start=1):
            cell = ws.cell(r, c, text or None)
            # A line of one cell runs on over the empty cells to its right; table cells wrap.
            if len(row) > 1:
                cell.alignment, cell.border = _WRAP, _BORDER
        if len(row) == 1 and (r == 1 or re.match(r"^[一二三四五六七八九十]、", row[0])):
            ws.cell(r, 1).font = Font(bold=True, size=14 if r == 1 else 11)
    table = next(r for r, row in enumerate(rows, start=1) if len(row) == 4)
    for c in range(1, 5):
        ws.cell(table, c).font = Font(bold=True)
        ws.cell(table, c).fill = _HEADER_FILL
    for letter, width in zip("ABCD", (26, 10, 60, 60), strict=True):
        ws.column_dimensions[letter].width = width


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
