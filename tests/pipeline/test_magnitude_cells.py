"""A number written with a magnitude no column is kept in (`1.2千`) is refused, saying what to write instead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from pipeline.values import CellError, UnitContext, parse_integer
from tests.pipeline.workbooks import COMPOUND_HEADER, csv_bytes, xlsx

UNIT = "枣林街道办事处"


def errors(registry, cells: list[object], suffix: str):
    rows = [
        ["项目名称：枣林街道2022年老旧小区改造项目"],
        ["年度：2022"],
        COMPOUND_HEADER,
        [1, "小区甲", *cells],
    ]
    content = csv_bytes(rows) if suffix == "csv" else xlsx({"表1": rows})
    file = parse_file(content, f"{UNIT}/清单.{suffix}", registry)
    return {p.column_header: p for p in file.errors}


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_count_in_thousands_or_hundreds_says_no_count_is_kept_so_and_what_to_write(registry, suffix):
    found = errors(registry, ["1.2", "1.2千", "300", "在建"], suffix)
    # `1.2千` was told only 应为不小于0的整数, as if the number were the fault.
    error = found["惠及户数（户）"]
    assert (error.rule, error.excel_row, error.value) == ("type", 4, "1.2千")
    assert error.expected == "本列以“户”计，不以“千”计"
    assert error.fix == "如指1200户，请填写1200（不带单位）"
    [error] = errors(registry, ["1.2", "1.25百户", "300", "在建"], suffix).values()
    assert (error.expected, error.fix) == ("本列以“户”计，不以“百”计", "如指125户，请填写125（不带单位）")


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_an_amount_or_area_with_a_magnitude_alone_names_each_reading(registry, suffix):
    units = registry.units
    yuan = units.find("元")[1]
    wan_m2 = units.find("万平方米")[1]
    found = errors(registry, ["1.2千", "120", "1.2千", "在建"], suffix)
    # Neither is chosen: 1.2千 of 元 or of the column's 万元 (and 平方米 or 万平方米) is the clerk's to say.
    money, area = found["计划投资（万元）"], found["改造面积（万平方米）"]
    assert money.expected == "本列以“万元”计，不以“千”计"
    assert (
        money.fix
        == f"如指1200元，请填写{(Decimal(1200) * yuan).normalize():f}；如指1200万元，请填写1200（不带单位）"
    )
    assert area.expected == "本列以“万平方米”计，不以“千”计"
    assert (
        area.fix
        == f"如指1200平方米，请填写{(Decimal(1200) / wan_m2).normalize():f}；如指1200万平方米，请填写1200（不带单位）"
    )
    # 3百万 is 300万元; no one means three million 万元.
    [money] = errors(registry, ["1.2", "120", "3百万", "在建"], suffix).values()
    assert money.fix == f"如指3000000元，请填写{(Decimal(3000000) * yuan).normalize():f}（不带单位）"


@pytest.mark.parametrize("value", ["1亿", "1.2345百", "1.2千人", "约1.2千"])
def test_a_count_no_magnitude_makes_exact_is_told_as_before(registry, value):
    column = registry.template("compound_list").column("households")
    with pytest.raises(CellError) as raised:
        parse_integer(value, column, registry.units, UnitContext())
    assert "不以" not in raised.value.expected
