"""A `单位：` cell right of the table's rows is read for no column: a column read in another unit is refused.

(A CSV row wider than its header by that cell alone is told so, as a workbook's is; by anything else, `csv_fields`.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from tests.pipeline.workbooks import csv_bytes, xlsx

UNIT = "枣林街道办事处"
HEADER = ["小区名称", "惠及户数（户）", "改造面积（㎡）", "计划投资"]


def parsed(registry, rows):
    return parse_file(xlsx({"表1": rows}), f"{UNIT}/表1.xlsx", registry)


def test_a_unit_cell_right_of_a_data_row_is_an_error_naming_it_where_the_column_was_read_in_another(registry):
    rows = [["年度：2022"], HEADER, ["小区1", "200", "24000", "50000", None, "单位：元"]]

    file = parsed(registry, rows)

    # 50000 元 was stored as 50000 万元, the receipt saying only that the header named no unit.
    [error] = file.errors
    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "unit_beside_table",
        3,
        "计划投资",
        "单位：元",
    )
    assert error.expected.startswith("单位写在表格右侧（F3单元格），未用于读取本列，本列已按万元读取")
    assert error.fix == "请把“单位：元”移到表格上方，或在表头注明单位，如「计划投资（元）」"


@pytest.mark.parametrize("beside", ["单位：万元", "备注：单价较高"])
def test_a_cell_right_of_the_table_naming_the_unit_read_or_no_unit_refuses_nothing(registry, beside):
    rows = [["年度：2022"], HEADER, ["小区1", "200", "24000", "50", None, beside]]

    file = parsed(registry, rows)

    assert [record["planned_investment_wan"] for record in file.sheets[0].records] == [Decimal(50)]
    assert file.errors == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_unit_column_no_template_reads_naming_another_unit_is_an_error_at_the_first_row_read_in_another(
    registry, suffix
):
    header = ["小区名称", "惠及户数（户）", "改造面积", "单位", "计划投资", "计量单位"]
    rows = [
        ["年度：2022"],
        header,
        ["小区1", "200", "24000", "平方米", "300", "万元"],
        ["小区2", "100", "1.2", "万㎡", "3000", "元"],
    ]
    content = csv_bytes(rows) if suffix == "csv" else xlsx({"表1": rows})

    file = parse_file(content, f"{UNIT}/表1.{suffix}", registry)

    # 1.2 万㎡ was stored as 1.2 平方米 and 3000 元 as 3000 万元, the receipt saying only that the headers named no unit.
    assert [(e.rule, e.excel_row, e.column_header, e.value) for e in file.errors] == [
        ("unit_column", 4, "改造面积", "万㎡"),
        ("unit_column", 4, "计划投资", "元"),
    ]
    assert file.errors[0].expected.startswith("D4单元格“单位”列写的“万㎡”未用于读取本列，本列已按平方米读取")
    assert (
        file.errors[1].fix
        == "请删去“单位”列，在表头注明本列的单位，如「计划投资（元）」，且本列各行按同一单位填写"
    )


def test_a_unit_column_naming_the_unit_read_refuses_nothing(registry):
    header = ["小区名称", "惠及户数（户）", "改造面积", "单位", "计划投资", "单位"]
    rows = [["年度：2022"], header, ["小区1", "200", "24000", "㎡", "300", "万元"]]

    file = parsed(registry, rows)

    assert [r["area_m2"] for r in file.sheets[0].records] == [Decimal(24000)]
    assert file.errors == []


def told(file):
    return [(p.rule, p.excel_row, p.column_header, p.value, p.expected, p.fix) for p in file.all_problems]


@pytest.mark.parametrize("beside", ["单位：元", "单位：万元"])
def test_a_csv_wider_than_its_header_by_a_unit_cell_alone_is_told_as_the_workbook_is(registry, beside):
    rows = [
        ["年度：2022"],
        HEADER,
        ["小区1", "200", "24000", "50000"],
        ["小区2", "200", "24000", "800", None, beside],
    ]

    workbook = parsed(registry, rows)
    csv = parse_file(csv_bytes(rows), f"{UNIT}/表1.csv", registry)

    # The CSV was also refused as `csv_fields`, 第4行有6栏，表头只有4栏, blaming a thousands comma nobody wrote.
    assert told(csv) == told(workbook)
    assert "csv_fields" not in {p.rule for p in csv.all_problems}
    assert [p.rule for p in csv.errors] == (["unit_beside_table"] if beside == "单位：元" else [])


@pytest.mark.parametrize("beyond", [["单位：元", "备注"], ["备注：单价较高"], [None, "1", "单位：元"]])
def test_a_csv_wider_than_its_header_by_more_than_a_unit_cell_is_still_refused_as_such(registry, beyond):
    rows = [["年度：2022"], HEADER, ["小区1", "200", "24000", "50", *beyond]]

    file = parse_file(csv_bytes(rows), f"{UNIT}/表1.csv", registry)

    # Its fields may have moved (1,250.10 split in two): which column each is, nobody can tell.
    assert ("csv_fields", 3) in [(e.rule, e.excel_row) for e in file.errors]
