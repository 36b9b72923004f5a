"""Write a blank template's 填表说明 sheet: what each column requires, read from the registry and the suites."""

from __future__ import annotations

import re

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.parse import INSTRUCTIONS_SHEET
from pipeline.registry import Registry
from pipeline.registry_columns import MEASURE_OF_TYPE, Column, ColumnType
from pipeline.registry_templates import Template
from pipeline.template_layout import Layout, count_unit, header_of

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
SLICE_ZH = {"unit": "填报单位", "project": "项目", "year": "年度", "month": "月份"}
SEVERITY_ZH = {"error": "不符合的整份退回", "warning": "不符合的照常接收，回执中提示"}
# Rules the column table already states, cell by cell.
COLUMN_RULES = frozenset({"type", "required", "negative", "enum", "month_range"})
# A suite's reason may cite the engineers' documents; the clerk's copy leaves that out.
_DOC_REFERENCE = re.compile(r"[（(][^（()）]*\.md[^（()）]*[)）]")

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


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
    kwargs = expectation.get("kwargs", {})
    value_set = kwargs.get("value_set", kwargs.get("regex_list"))
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


def _positive(template: Template) -> set[str]:
    """Return the count columns the suite refuses 0 in (有效问卷: no rate can be computed from none)."""
    from pipeline.suites import suite_documents

    return {
        expectation["kwargs"]["column"]
        for document in suite_documents(template.id).values()
        for expectation in document["expectations"]
        if expectation["type"] == "expect_column_values_to_not_be_in_set"
        and expectation["kwargs"].get("value_set") == [0]
    }


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
    # The example is the column's own: every new source's sheet said 如“经费保障、制度保障”, the 运行监控表's causes.
    example = "、".join(list(column.values)[:2])
    several = f"；可填多项，以“、”分隔（如“{example}”）" if column.multiple and len(column.values) > 1 else ""
    return "；".join(parts) + several


def _requirement(
    column: Column,
    registry: Registry,
    non_negative: set[str],
    positive: set[str] | frozenset[str] = frozenset(),
) -> str:
    """Word what a column's cells must hold: type, unit, sign, uniqueness."""
    parts = [TYPE_ZH[column.type]]
    if column.type in MEASURE_OF_TYPE:
        measure = registry.units.measures[MEASURE_OF_TYPE[column.type]]
        others = "、".join(u for u in measure.units if u != measure.base)
        parts.append(f"单位{measure.base}（如按{others}填写，请把表头括号内的单位改成所用单位）")
    elif column.type is ColumnType.COUNT and (unit := count_unit(column, registry)):
        parts.append(f"单位{unit}")
    if column.name in positive:
        parts.append("须大于0")
    elif column.name in non_negative and column.type is not ColumnType.COUNT:
        parts.append("不能为负数")
    if column.taken_back_in_place:
        parts.append("退回或冲减不填负数行，请从原来那笔款项的金额中扣除，再重新报送整个文件")
    if column.unique:
        parts.append("同一张表中不能重复")
    if column.type is ColumnType.ENUM:
        parts.append("也可输入右栏所列的其他写法")
    return "；".join(parts)


def instructions(layout: Layout, registry: Registry) -> list[tuple[str, ...]]:
    """Return the 填表说明 sheet's rows: lines of one cell, and the column table of four."""
    template = layout.template
    non_negative, positive = _non_negative(template), _positive(template)
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
                _requirement(column, registry, non_negative, positive),
                _allowed_values(column),
            )
        )
    rows += [("",), ("三、校验规则",)]
    rows.append(("必填栏目为空、数字写成文字（如“约200”）、金额或户数为负数、不在可选值内的，整份退回。",))
    for meta in _suite_rules(template):
        reason = _DOC_REFERENCE.sub("", meta["reason"])
        if meta["parameter"] == "negative_list_patterns":
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
            if name != "count"  # a count stays as written (`sheet_units.convert_by_row_unit`)
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
    pointed = [column for column in template.columns if column.points_of is not None]
    if pointed:
        points = template.column(pointed[0].points_of).header
        lines.append(
            (
                f"“{'”“'.join(c.header for c in pointed)}”可写明分值，如“产出指标（55分）”；"
                f"系统核对其与该指标下各行“{points}”之和，不一致时在回执中提示。",
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
