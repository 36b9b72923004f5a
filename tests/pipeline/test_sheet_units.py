"""The unit a `单位：` line writing a magnitude alone (`单位：万`) is of each measure it is over."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from pipeline.sheet_units import line_magnitude, line_prices, read_unit
from tests.pipeline.workbooks import csv_bytes, xlsx

PROJECT = "示范区双铺棚户区改造项目"


@pytest.mark.parametrize(
    ("written", "measures", "meant"),
    [
        ("万", ("money",), {"money": "万元"}),
        (" 万 ", ("money", "money"), {"money": "万元"}),
        ("万", ("money", "area"), {"money": "万元", "area": "万平方米"}),
        ("亿", ("money", "area"), {"money": "亿元"}),  # no area is kept in 亿
        ("千", ("money", "area"), {}),
    ],
)
def test_a_magnitude_line_is_the_unit_of_that_size_of_each_measure_that_has_one(
    registry, written, measures, meant
):
    assert line_magnitude(written, measures, registry) == meant


@pytest.mark.parametrize("written", ["万元", "元、平方米", "万万", ""])
def test_a_line_writing_a_unit_or_anything_but_a_magnitude_is_left_to_read_unit(registry, written):
    assert line_magnitude(written, ("money", "area"), registry) is None


def test_a_wan_line_is_read_by_the_measures_it_is_over(registry):
    money = registry.units.find("万元")
    alone = read_unit("money", None, "万", registry, ("money",))
    assert (alone.issue, alone.context.factor, alone.context.name) == (None, money[1], money[2])
    # Over an area too, the area's 万平方米 and the base 平方米 differ: refused; money's 万元 is its base: assumed.
    area = read_unit("area", None, "万", registry, ("money", "area"))
    amount = read_unit("money", None, "万", registry, ("money", "area"))
    assert (area.issue, area.meant) == ("unit", (("money", "万元"), ("area", "万平方米")))
    assert (amount.issue, amount.context.factor) == ("unit_assumed", 1)
    # A header's unit is read before it, and conflicts with no line that may be another measure's.
    assert read_unit("area", "㎡", "万", registry, ("money", "area")).issue is None


@pytest.mark.parametrize(
    ("line", "measures", "read"),
    [
        # The line names money's unit; its 万 is the area's, the one other measure of the sheet.
        ("万元、万", ("money", "area"), "万平方米"),
        ("万、万元", ("money", "area"), "万平方米"),
        ("元/万", ("money", "area"), "万平方米"),
        # The line names the area's own unit: the 万 beside it is none of the area's.
        ("平方米、万", ("money", "area"), "平方米"),
    ],
)
def test_a_magnitude_listed_beside_other_measures_units_is_the_unit_of_the_measure_left(
    registry, line, measures, read
):
    reading = read_unit("area", None, line, registry, measures)
    found = registry.units.find(read)
    assert (reading.issue, reading.context.factor, reading.context.name) == (None, found[1], found[2])


def test_a_magnitude_listed_beside_money_over_two_other_measures_is_asked(registry):
    reading = read_unit("area", None, "万元、万", registry, ("count", "money", "area"))
    # 万户 or 万平方米: the 万元 is money's, and which of the two others the 万 is nobody can tell.
    assert (reading.issue, reading.written, reading.meant) == (
        "unit",
        "万",
        (("count", "万个"), ("area", "万平方米")),
    )
    # Money's own unit is still read from the line.
    assert read_unit("money", None, "万元、万", registry, ("count", "money", "area")).issue is None


@pytest.mark.parametrize(
    ("line", "prices"),
    [
        ("元/平方米", ["元/平方米"]),
        ("元/m2", ["元/m2"]),  # `元／㎡` as the line is folded
        ("万元/户", ["万元/户"]),
        ("元每平方米", ["元每平方米"]),
        ("单价：千元/平方米", ["千元/平方米"]),  # money nobody listed, per an area
        ("万元、元/平方米", ["元/平方米"]),
        # A slash the other way round, or before a magnitude alone, lists units: no price.
        ("户/万元", []),
        ("万元/万", []),
        ("平方米/万元", []),
    ],
)
def test_a_price_a_line_writes_is_told_apart_from_the_units_it_lists(registry, line, prices):
    assert line_prices(line, registry) == prices


@pytest.mark.parametrize("line", ["元/平方米", "元/m2", "万元/户", "元每平方米"])
def test_a_line_naming_moneys_unit_only_in_a_price_gives_a_bare_amount_no_unit(registry, line):
    reading = read_unit("money", None, line, registry, ("money", "area"))
    assert (reading.issue, reading.written, reading.on_line, reading.context.factor) == (
        "unit_price",
        line,
        True,
        1,
    )
    # A header's unit is read, the price saying nothing against it; a unit the line lists beside it is read too.
    assert read_unit("money", "元", line, registry).context.factor == registry.units.find("元")[1]
    assert read_unit("money", None, f"万元、{line}", registry).issue is None
    # `单位：户/万元` lists 户 and 万元: 万元 for the amounts.
    assert read_unit("money", None, "户/万元", registry).issue is None


@pytest.mark.parametrize("line", ["亩", "万元、亩", "万元；面积：亩"])
def test_a_line_naming_an_area_unit_units_yaml_refuses_is_refused_for_a_bare_area_not_passed_over(
    registry, line
):
    reading = read_unit("area", None, line, registry, ("money", "area"))
    # 36 under it was read as 36 平方米, told only that the header named no unit.
    assert (reading.issue, reading.on_line) == ("unit", True)
    assert reading.written in registry.units.measures["area"].refused
    # The amounts' unit it names is read; a header's area unit is read before it.
    assert read_unit("area", "㎡", line, registry).issue is None


@pytest.mark.parametrize(
    ("line", "factor"), [("公顷", 10000), ("万元、平方公里", 1000000), ("千平方米", 1000)]
)
def test_a_line_naming_an_area_unit_of_an_exact_factor_reads_a_bare_area_in_it(registry, line, factor):
    reading = read_unit("area", None, line, registry, ("money", "area"))
    # Each was refused as 亩 is, though `1.2公顷` is 12,000 ㎡ exactly.
    assert reading.issue is None
    assert reading.context.factor == Decimal(factor) == registry.units.find(line.split("、")[-1])[1]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_scale_row_in_a_unit_no_exact_factor_converts_is_kept_as_written_and_the_receipt_says_so(
    registry, suffix
):
    [(refused, note)] = registry.units.measures["area"].refused.items()
    base = registry.units.measures["area"].base
    rows = [
        ["年度：2022"],
        ["项目名称", "类别", "内容", "数量", "单位"],
        [PROJECT, "建设规模", "改造面积", "36", refused],
        [PROJECT, "建设规模", "其中：绿化", "6", f"{refused}（约4000{base}）"],
        [PROJECT, "建设规模", "道路面积", "1.2", f"万{base}"],
    ]
    content = csv_bytes(rows) if suffix == "csv" else xlsx({"表1": rows})

    file = parse_file(content, f"枣林街道办事处/建设规模.{suffix}", registry)

    # Exact as written, printed so and summed only with parts in it: not refused, never converted by an inexact
    # factor, but each was passed over without a word, as if 36亩 were an area the warehouse compares.
    assert file.errors == []
    records = file.sheets[0].records
    assert [(r["quantity"], r["quantity_unit"]) for r in records] == [
        (Decimal(36), refused),
        (Decimal(6), refused),
        (Decimal(12000), base),
    ]
    told = [p for p in file.all_problems if p.rule == "unit_as_written"]
    assert [(p.severity, p.excel_row, p.column_header, p.value) for p in told] == [
        ("warning", 3, "单位", refused),
        ("warning", 4, "单位", f"{refused}（约4000{base}）"),
    ]
    assert told[0].expected == (
        f"{note}：本行数量按所写的“36{refused}”保存，报告中照写，不换算为{base}，也不与以{base}计的数量相加或核对"
    )
    assert told[0].fix == f"无需处理；如需与以{base}计的数量一并核对，请换算为{base}后填写"
