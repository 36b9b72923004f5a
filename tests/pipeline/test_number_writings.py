from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.cell_parsers import parse_cell
from pipeline.values import CellError, UnitContext

YUAN = UnitContext(Decimal("0.0001"), "元")
PERCENT = UnitContext(name="%")
BASE = UnitContext()


@pytest.fixture(scope="module")
def column(registry):
    compounds = registry.template("compound_list")
    by_name = {
        "amount": compounds.column("planned_investment_wan"),
        "area": compounds.column("area_m2"),
        "households": compounds.column("households"),
        "weight": registry.template("performance_targets").column("weight"),
    }
    monitoring = registry.template("performance_monitoring")
    by_name["rate"] = next(f for f in monitoring.fields if f.name == "budget_execution_rate")
    return by_name


def refusal(registry, column, value, context=BASE):
    with pytest.raises(CellError) as raised:
        parse_cell(value, column, registry.units, context)
    return raised.value


@pytest.mark.parametrize(
    ("name", "value", "context", "expected", "fix"),
    [
        # Before: each was told only 应为数字（单位元） / 应为不小于0的整数 / 应为百分比，如95%.
        (
            "amount",
            "1.250.000",
            YUAN,
            "数字中有多个小数点：可能是以小数点作千分位的1250000元",
            "请改写为确切的数：是1250000的请写1250000（千分位只用逗号，如1,280）",
        ),
        (
            "amount",
            "1.250.000元",
            UnitContext(),
            "数字中有多个小数点：可能是以小数点作千分位的1250000元",
            None,
        ),
        (
            "households",
            "12.500.000",
            UnitContext(),
            "数字中有多个小数点：可能是以小数点作千分位的12500000户",
            None,
        ),
        ("rate", "1.250.000", PERCENT, "数字中有多个小数点：可能是以小数点作千分位的1250000%", None),
        ("weight", "1.000.000", UnitContext(), "数字中有多个小数点：可能是以小数点作千分位的1000000", None),
        ("amount", "1'250'000", YUAN, "可能是以撇号（'）作千分位的1250000元", None),
        ("area", "2’500", UnitContext(), "可能是以撇号（'）作千分位的2500平方米", None),
        ("amount", "12。5", UnitContext(), "数字中间有句号“。”：可能是把句号当作小数点的12.5万元", None),
        (
            "amount",
            "1.250.000,50",
            YUAN,
            "可能是以小数点作千分位、以逗号作小数点的1250000.50元",
            "请改写为确切的数：是1250000.50的请写1250000.50（千分位只用逗号，如1,280）",
        ),
    ],
)
def test_a_number_grouped_by_points_or_apostrophes_is_asked_about_naming_its_reading(
    registry, column, name, value, context, expected, fix
):
    told = refusal(registry, column[name], value, context)
    assert (told.rule, told.expected) == ("separator", expected)
    if fix is not None:
        assert told.fix == fix


@pytest.mark.parametrize(
    ("value", "expected", "fix"),
    [
        # Before: 逗号只能用作千分位分隔符（如1,280）, with 请检查该数字，删去多余的逗号或改为小数点.
        (
            "1,25",
            "逗号只能用作千分位分隔符（如1,280）：可能是以逗号作小数点的1.25{u}，也可能是多写了逗号的125{u}",
            "请改写为确切的数：是1.25的请写1.25，是125的请写125（千分位只用逗号，如1,280）",
        ),
        (
            "12,50",
            "逗号只能用作千分位分隔符（如1,280）：可能是以逗号作小数点的12.50{u}，也可能是多写了逗号的1250{u}",
            None,
        ),
        (
            "1,2345",
            "逗号只能用作千分位分隔符（如1,280）：可能是以逗号作小数点的1.2345{u}，也可能是多写了逗号的12345{u}",
            None,
        ),
        # Before: neither named its unit, so under （元） 1250.50 could be read as 万元.
        ("1.250,50", "可能是以小数点作千分位、以逗号作小数点的1250.50{u}", None),
        # Before: 数字中间不能有空格或换行, as if two figures, or read 125000050 (`1 250 000,50`, no space unasked).
        (
            "1 250,50",
            "可能是以空格作千分位、以逗号作小数点的1250.50{u}",
            "请改写为确切的数：是1250.50的请写1250.50（千分位只用逗号，如1,280）",
        ),
        ("1\u00a0250\u00a0000,50", "可能是以空格作千分位、以逗号作小数点的1250000.50{u}", None),
        ("72,5.58", "逗号只能用作千分位分隔符（如1,280）", "请检查该数字，删去多余的逗号或改为小数点"),
    ],
)
@pytest.mark.parametrize(
    ("name", "context", "unit"),
    [
        ("amount", BASE, "万元"),
        ("amount", YUAN, "元"),
        ("area", BASE, "平方米"),
        ("households", BASE, "户"),
        ("rate", PERCENT, "%"),
        ("weight", BASE, ""),
    ],
)
def test_a_comma_that_groups_no_thousands_names_what_it_may_mean_in_its_unit(
    registry, column, value, expected, fix, name, context, unit
):
    told = refusal(registry, column[name], value, context)
    assert (told.rule, told.expected) == ("separator", expected.format(u=unit))
    if fix is not None:
        assert told.fix == fix


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "1,25元",
            "可能是以逗号作小数点的1.25元，也可能是多写了逗号的125元",
        ),  # the cell's own unit, not the column's
        ("1.250,50元", "可能是以小数点作千分位、以逗号作小数点的1250.50元"),
        ("1 250,50 元", "可能是以空格作千分位、以逗号作小数点的1250.50元"),
    ],
)
def test_a_comma_in_a_cell_naming_its_unit_is_told_in_that_unit(registry, column, value, expected):
    told = refusal(registry, column["amount"], value)
    assert told.rule == "separator" and told.expected.endswith(expected), told.expected


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        # Before: 应为数字（单位元）, 应为不小于0的整数 or 应为数字, whatever the writing.
        ("amount", "5-", "应为数字；末尾带减号的“5-”是部分财务软件导出负数的写法，即-5元"),
        (
            "amount",
            "1,250.00-",
            "应为数字；末尾带减号的“1,250.00-”是部分财务软件导出负数的写法，即-1250.00元",
        ),
        ("amount", "5e3", "应为数字；“5e3”是科学记数法，即5000元，而Excel以科学记数法显示的数常已舍去末几位"),
        (
            "households",
            "1.25E+06",
            "应为不小于0的整数；“1.25E+06”是科学记数法，即1250000户，而Excel以科学记数法显示的数常已舍去末几位",
        ),
        ("weight", "5×10", "应为一个数，不能是算式（“5×10”）"),
        ("households", "0x10", "应为一个数，不能是算式（“0x10”）"),
        ("rate", "8*10", "应为一个数，不能是算式（“8*10”）"),
    ],
)
def test_a_trailing_minus_an_exponent_or_a_product_is_told_as_what_it_is(
    registry, column, name, value, expected
):
    told = refusal(registry, column[name], value, YUAN if name == "amount" else UnitContext())
    assert (told.rule, told.expected) == ("type", expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # `1.000` was stored as 1 household unasked: grouped by a point it is 1,000.
        ("1.000", "应为整数，却写有3位小数：可能是1户，也可能是以小数点作千分位的1000户"),
        ("12.000户", "应为整数，却写有3位小数：可能是12户，也可能是以小数点作千分位的12000户"),
        # `1.250` was told only 应为不小于0的整数: 1.25 households is none, 1,250 is.
        ("1.250", "应为整数，却写有3位小数：可能是以小数点作千分位的1250户"),
        # A leading zero leaves both readings open, as an indicator figure's does (one test, `point_grouped`).
        ("012.000", "应为整数，却写有3位小数：可能是12户，也可能是以小数点作千分位的12000户"),
    ],
)
@pytest.mark.parametrize("context", [BASE, UnitContext(Decimal(1), "个")])  # 惠及户数（户）: 户 is a 个
def test_a_count_with_three_places_is_asked_about_as_a_point_grouping(
    registry, column, value, expected, context
):
    told = refusal(registry, column["households"], value, context)
    assert (told.rule, told.expected) == ("separator", expected)


@pytest.mark.parametrize(
    ("value", "context", "expected"),
    [
        ("1.250万户", UnitContext(), 12500),  # its own unit holds the places
        ("1.250", UnitContext(Decimal(10000), "万户"), 12500),
        ("1,250.000", UnitContext(), 1250),  # grouped by a comma already
        ("0,012.000", UnitContext(), 12),  # its comma groups: the point is the decimal point
        ("0.500万", UnitContext(), 5000),
    ],
)
def test_a_count_whose_places_a_unit_holds_is_read_as_before(registry, column, value, context, expected):
    read = parse_cell(value, column["households"], registry.units, context)
    assert getattr(read, "value", read) == expected


def test_an_amount_with_a_leading_zero_and_three_places_is_asked_in_its_unit(registry, column):
    told = refusal(registry, column["amount"], "012.000", YUAN)
    assert (told.rule, told.expected) == (
        "separator",
        "写有3位小数，而单位元最多2位：可能是12元，也可能是以小数点作千分位的12000元",
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("amount", "1 250 000", Decimal(1250000)),  # thousands set apart by spaces: one reading
        ("amount", "1\u00a0250\u00a0000", Decimal(1250000)),
        ("amount", "1\u3000250\u3000000", Decimal(1250000)),
        ("amount", "1，250", Decimal(1250)),
        ("amount", ".5", Decimal("0.5")),
        ("amount", "5.", Decimal(5)),
        ("amount", "+5", Decimal(5)),
        ("amount", "１２.５", Decimal("12.5")),
        ("weight", "\u22125", Decimal(-5)),  # U+2212, a formula editor's minus: was 应为数字
    ],
)
def test_writings_with_one_reading_are_read(registry, column, name, value, expected):
    assert parse_cell(value, column[name], registry.units, UnitContext()) == expected


def test_a_minus_sign_amount_is_told_as_the_negative_it_is(registry, column):
    told = refusal(registry, column["amount"], "\u2212500")
    assert told.rule == "negative"
