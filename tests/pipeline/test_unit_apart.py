"""A `单位：` cell right of the table's rows is read for no column: a column read in another unit is refused.

(A CSV row wider than its header is refused as such, `csv_fields`, whatever it holds.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from tests.pipeline.workbooks import xlsx

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
