"""Describe each template's raw table: its lineage, slice and data columns, with their SQL types and comments."""

from __future__ import annotations

from pipeline.registry_columns import ColumnType
from pipeline.registry_templates import Template

SQL_TYPES = {
    ColumnType.TEXT: "varchar",
    ColumnType.PROSE: "varchar",
    ColumnType.NAME: "varchar",
    ColumnType.ENUM: "varchar",
    ColumnType.INTEGER: "bigint",
    ColumnType.COUNT: "bigint",
    ColumnType.DECIMAL: "decimal(18, 6)",
    ColumnType.MONEY: "decimal(18, 6)",
    ColumnType.AREA: "decimal(18, 4)",
    ColumnType.PERCENT: "decimal(9, 6)",
    ColumnType.DATE: "date",
    ColumnType.YEAR: "integer",
    ColumnType.MONTH: "integer",
}
UNIT_NOTE = {
    ColumnType.MONEY: "（万元）",
    ColumnType.AREA: "（平方米）",
    ColumnType.PERCENT: "（比例，0.95=95%）",
}

# Every raw row says which file, sheet and Excel row it came from, and which slice it belongs to.
LINEAGE_COLUMNS = (
    ("submission_id", "integer", "提交编号（ops.submissions）"),
    ("sheet", "varchar", "工作表名称"),
    ("excel_row", "integer", "Excel中显示的行号"),
    ("slice_key", "varchar", "切片键（ops.slices）"),
    ("unit", "varchar", "填报单位"),
)


PROJECT_CODE_NOTE = "项目编码：接收时由项目名称按项目基本信息表解析（同名项目以报送单位自己实施的为准）"
DERIVED_CODE_NOTE = (
    "未填项目编码时为true：项目编码由实施单位和项目名称生成，形如“自编:实施单位/项目名称”；否则为false"
)


def raw_columns(template: Template) -> list[tuple[str, str, str]]:
    """Return (name, SQL type, comment) of a template's raw table: lineage, slice fields, then its columns."""
    columns = list(LINEAGE_COLUMNS)
    names = {c.name for c in template.columns}
    if "project_name" not in names:
        columns.append(("project_name", "varchar", "项目名称"))
    if "project_code" not in names:
        columns.append(("project_code", "varchar", PROJECT_CODE_NOTE))
    if "year" not in names:
        columns.append(("year", "integer", "报表年度"))
    if template.month_from is not None:
        source = template.column(template.month_from).header
        columns.append(("month", "integer", f"月份（1–12，由「{source}」的日期得出）"))
    if template.month_from_headers:
        columns.append(("month", "integer", "截至月份N（1–12，由“1-N月…”表头得出）"))
    for column in (*template.columns, *template.fields):
        note = f"「{column.header}」{UNIT_NOTE.get(column.type, '')}"
        if column.multiple:
            note += "（可为多项，按模板规定的顺序以“、”连接）"
        if column.name == "project_code":
            note += "；未填写时为生成的编码“自编:实施单位/项目名称”（见project_code_derived）"
        columns.append((column.name, SQL_TYPES[column.type], note))
    if template.part_of_previous:
        columns.append(("parent_item", "varchar", "“其中”行所属的上一行内容；顶层行为空"))
    if "project_code" in names:
        columns.append(("project_code_derived", "boolean", DERIVED_CODE_NOTE))
    return columns
