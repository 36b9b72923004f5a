"""A column's numbers read in the unit its header, its `单位：` line or the cell itself names, 万 alone included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from tests.pipeline.workbooks import csv_bytes, xlsx

UNIT = "枣林街道办事处"
SHUANGPU_UNIT = "南阳市城乡一体化示范区建设实业有限公司"
PROJECT = "示范区双铺棚户区改造项目"
LEDGER = ["日期", "项目名称", "资金来源", "类型"]


def parsed(registry, rows, folder: str, suffix: str):
    content = csv_bytes(rows) if suffix == "csv" else xlsx({"表1": rows})
    return parse_file(content, f"{folder}/表1.{suffix}", registry)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("header", ["金额（万元）", "金额（元）", "金额（亿元）", "金额"])
def test_an_amount_written_with_wan_is_in_wan_yuan_whatever_the_headers_unit(registry, suffix, header):
    amounts = ["1,260.50万", "1,260.50万元", "0.000001万"]
    rows = [[*LEDGER, header], *(["2022-03-01", PROJECT, "中央补助资金", "到位", a] for a in amounts)]

    file = parsed(registry, rows, SHUANGPU_UNIT, suffix)

    # Exactly as the same figure written with its full unit: 12,605,000 元 is 1260.50 万元, stored as a Decimal.
    stored = [record["amount_wan"] for record in file.sheets[0].records]
    assert stored == [Decimal("1260.50"), Decimal("1260.50"), Decimal("0.000001")]
    assert all(type(value) is Decimal for value in stored)
    # Every cell names its unit: nothing was assumed of the bare header, nor is any cell's 万 told apart from 万元.
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_wan_amount_with_more_places_than_a_fen_is_an_error_naming_the_cell(registry, suffix):
    rows = [[*LEDGER, "金额（元）"], ["2022-03-01", PROJECT, "中央补助资金", "到位", "1.1234567万"]]

    [error] = parsed(registry, rows, SHUANGPU_UNIT, suffix).errors

    assert (error.rule, error.excel_row, error.column_header, error.value) == (
        "precision",
        2,
        "金额（元）",
        "1.1234567万",
    )


COMPOUND = ["小区名称", "惠及户数（户）", "计划投资（万元）"]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize(
    "area_header", ["改造面积（㎡）", "改造面积（平方米）", "改造面积（万㎡）", "改造面积"]
)
def test_an_area_written_with_wan_is_in_wan_square_metres_whatever_the_headers_unit(
    registry, suffix, area_header
):
    areas = ["2.4万", "2.4万㎡", "2.4万平方米", "2.4 万"]
    rows = [
        ["年度：2022"],
        [*COMPOUND, area_header],
        *([f"小区{n}", 100, 50, area] for n, area in enumerate(areas)),
    ]

    file = parsed(registry, rows, UNIT, suffix)

    assert [record["area_m2"] for record in file.sheets[0].records] == [Decimal(24000)] * len(areas)
    assert file.all_problems == []


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_bare_area_header_tells_the_bare_numbers_assumed_and_quotes_a_wan_cell_as_read_in_its_unit(
    registry, suffix
):
    rows = [["年度：2022"], [*COMPOUND, "改造面积"], ["小区1", 100, 50, "2.4万"], ["小区2", 100, 50, "3000"]]

    file = parsed(registry, rows, UNIT, suffix)

    assert [record["area_m2"] for record in file.sheets[0].records] == [Decimal(24000), Decimal(3000)]
    [warning] = file.all_problems
    assert (warning.rule, warning.expected) == (
        "unit_assumed",
        "表头未注明单位，本列未写单位的数值已按平方米读取，写明单位的（如“2.4万”）按其单位读取",
    )


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
@pytest.mark.parametrize("header", ["惠及户数（户）", "惠及户数（万户）", "惠及户数"])
def test_households_written_with_wan_are_counted_in_ones_and_a_fraction_of_one_is_an_error(
    registry, suffix, header
):
    rows = [
        ["年度：2022"],
        ["小区名称", "改造面积（㎡）", "计划投资（万元）", header],
        ["小区1", 100, 50, "0.3万"],
        ["小区2", 100, 50, "0.3万户"],
        ["小区3", 100, 50, "0.31234万户"],
        ["小区4", 100, 50, "0.31234万"],
    ]

    file = parsed(registry, rows, UNIT, suffix)

    households = {record["excel_row"]: record["households"] for record in file.sheets[0].records}
    assert (households[3], households[4]) == (3000, 3000)
    # 3123.4 households: told, never rounded to 3123.
    assert [(e.rule, e.excel_row, e.value) for e in file.errors] == [
        ("type", 5, "0.31234万户"),
        ("type", 6, "0.31234万"),
    ]
