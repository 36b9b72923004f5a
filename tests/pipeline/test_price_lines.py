"""A `单位：` line writing a price (`元/平方米`) is no unit of the sheet's amounts or areas: asked, never read as one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.pipeline.test_column_units import LEDGER, PROJECT, SHUANGPU_UNIT, UNIT, parsed


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    ("line", "price"),
    [("单位：元/平方米", "元/平方米"), ("单位:元／㎡", "元/平方米"), ("单位：万元/户", "万元/户")],
)
def test_a_price_over_a_bare_amount_is_asked_naming_the_lines_cell_never_read_as_its_unit(
    registry, suffix, line, price
):
    rows = [
        ["年度：2022"],
        [None, line],
        ["小区名称", "惠及户数", "计划投资", "改造面积"],
        ["小区1", "200", "3000000", "24000"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    # 元 per 平方米 says no amount is in 元 nor any area in 平方米; 万元 per 户 names neither the amounts' unit nor,
    # a price of no area, the areas' (read in the base and told, as under no line).
    asked = ["计划投资", "改造面积"] if "米" in price else ["计划投资"]
    errors = [e for e in file.errors if e.rule == "unit_price"]
    assert [(e.excel_row, e.column_header, e.value) for e in errors] == [(2, h, line) for h in asked]
    assert errors[0].expected == (
        f"表上方B2单元格写的“{price}”是单价的单位，不是本列金额的单位，本表也没有单价列，无法确定本列金额按哪种单位读取"
    )
    assert (
        errors[0].fix
        == "请在表头注明本列的单位，如「计划投资（万元）」；如该行不是本表数值的单位，请删去该行"
    )


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("line", ["单位：元/平方米", "单位：万元、元/平方米"])
def test_a_price_no_column_is_read_by_is_told_once_on_its_line(registry, suffix, line):
    rows = [
        ["年度：2022"],
        [line],
        [*LEDGER, "金额（万元）"],
        ["2022-03-01", PROJECT, "中央补助资金", "到位", "150"],
    ]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    assert [record["amount_wan"] for record in file.sheets[0].records] == [Decimal(150)]
    [warning] = file.all_problems
    assert (warning.severity, warning.rule, warning.excel_row, warning.value, warning.expected) == (
        "warning",
        "unit_price",
        2,
        line,
        "表上方A2单元格写的“元/平方米”是单价的单位，本表没有单价列，未按其读取任何一列",
    )
