from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pipeline.cell_parsers import cell_parser, parse_cell, parse_ordinal
from pipeline.date_values import DatedMonth, parse_date, parse_month, parse_year
from pipeline.values import (
    CellError,
    Noted,
    UnitContext,
    decimal_of,
    is_blank,
    parse_decimal,
    parse_integer,
)

BASE = UnitContext()
WAN_M2 = UnitContext(Decimal(10000), "万平方米")
YUAN = UnitContext(Decimal("0.0001"), "元")


@pytest.fixture(scope="module")
def columns(registry):
    compounds = registry.template("compound_list")
    ledger = registry.template("fund_ledger")
    progress = registry.template("investment_progress")
    return {
        "households": compounds.column("households"),
        "seq": compounds.column("seq"),
        "area": compounds.column("area_m2"),
        "investment": compounds.column("planned_investment_wan"),
        "compound": compounds.column("compound_name"),
        "status": compounds.column("status"),
        "content": compounds.column("renovation_content"),
        "source": ledger.column("fund_source"),
        "entry_type": ledger.column("entry_type"),
        "document": ledger.column("document_no"),
        "date": ledger.column("date"),
        "month": progress.column("month"),
        "year": progress.column("year"),
        "weight": registry.template("performance_targets").column("weight"),
    }


def parse(columns, registry, name, value, context=BASE):
    return parse_cell(value, columns[name], registry.units, context)


@pytest.mark.parametrize(
    "value", [None, "", "  ", "\n", "—", "——", "-", "--", "－", "/", "／", "无", "空", "N/A", "null"]
)
def test_placeholders_and_empty_cells_mean_no_value(value):
    assert is_blank(value) is True


@pytest.mark.parametrize("value", [0, 0.0, "0", False, "约200", "棉纺厂东院"])
def test_zero_and_real_text_are_values(value):
    assert is_blank(value) is False


@pytest.mark.parametrize(
    ("value", "number", "suffix"),
    [
        (1280, Decimal(1280), ""),
        (1280.0, Decimal(1280), ""),
        (1075.97, Decimal("1075.97"), ""),
        (0.1 + 0.2, Decimal("0.3"), ""),
        ("1,280", Decimal(1280), ""),
        ("1，280", Decimal(1280), ""),
        ("１２８０", Decimal(1280), ""),
        ("１，２８０．５", Decimal("1280.5"), ""),
        (" 200 ", Decimal(200), ""),
        ("200户", Decimal(200), "户"),
        ("200 户", Decimal(200), "户"),
        ("12,501,000元", Decimal(12501000), "元"),
        ("-5", Decimal(-5), ""),
        (".5", Decimal("0.5"), ""),
    ],
)
def test_decimal_of_reads_numbers_written_as_numbers_or_text(value, number, suffix):
    found, trailing = decimal_of(value)
    assert (found, trailing) == (number, suffix)
    assert str(found) == str(number)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("约200", "type"),
        ("#DIV/0!", "formula_error"),
        ("#REF!", "formula_error"),
        ("#VALUE!", "formula_error"),
        (float("nan"), "type"),
        (True, "type"),
        (dt.date(2022, 3, 1), "type"),
    ],
)
def test_decimal_of_rejects_what_is_not_a_number(value, rule):
    with pytest.raises(CellError) as raised:
        decimal_of(value)
    assert raised.value.rule == rule


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (370, 370),
        (370.0, 370),
        ("370", 370),
        ("1,280", 1280),
        ("１２８０", 1280),
        ("200户", 200),
        ("200 户", 200),
        # Counts are kept in ones: a unit of ten thousand multiplies, never drops.
        ("3万户", 30000),
        ("0.037万户", 370),
        # 万 alone counts ten thousand of what the column counts, as 万户 does.
        ("0.3万", 3000),
        ("1.2 万", 12000),
        (" 200 ", 200),
        ("1,280.0", 1280),
    ],
)
def test_count_accepts_numbers_as_text_with_separators_width_units_and_spaces(
    columns, registry, value, expected
):
    parsed = parse(columns, registry, "households", value)
    assert parsed == expected
    assert type(parsed) is int


# `一千二百` was refused as no number, told 应为不小于0的整数, though it is 1200 exactly, as an indicator's value reads it.
@pytest.mark.parametrize(
    ("value", "expected"),
    [("一千二百", 1200), ("三千一百四十八户", 3148), ("两百", 200), ("一万二千", 12000)],
)
def test_a_count_in_chinese_numerals_is_read_exactly(columns, registry, value, expected):
    parsed = parse(columns, registry, "households", value)
    assert (parsed, type(parsed)) == (expected, int)


@pytest.mark.parametrize("value", ["一千二百人", "约一千二百", "一千二百余", "一千二百点五", "壹仟贰佰"])
def test_a_count_in_chinese_numerals_of_another_kind_or_not_exact_is_still_an_error(columns, registry, value):
    with pytest.raises(CellError):
        parse(columns, registry, "households", value)
    # A 序号 is no count: its numerals are parse_ordinal's.
    with pytest.raises(CellError):
        parse(columns, registry, "seq", "一千二百")


@pytest.mark.parametrize(
    ("value", "expected"), [(0.037, 370), ("1.2", 12000), ("370户", 370), ("3万", 30000)]
)
def test_a_count_under_a_ten_thousands_header_is_kept_in_ones(columns, registry, value, expected):
    # 惠及户数（万户）: the layout passes the header's unit; a cell naming its own unit keeps it, and is asked of where
    # that unit is another (`370户`), as an amount in 元 under （万元） is.
    parsed = parse(columns, registry, "households", value, UnitContext(Decimal(10000), "万个"))
    if isinstance(parsed, Noted):
        assert (value, parsed.rule, parsed.value) == ("370户", "unit_in_cell", expected)
        assert parsed.expected == "按单元格注明的“户”换算为370户，与本列的单位“万户”不同"
        assert parsed.fix == "请核对；无误的，请按本列单位改写为0.037（不带单位），以免单位混用"
    else:
        assert parsed == expected


@pytest.mark.parametrize(
    ("value", "rule", "expected"),
    [
        ("约200", "type", "应为不小于0的整数"),
        ("200左右", "type", "应为不小于0的整数"),
        ("200.5", "type", "应为不小于0的整数"),
        ("200元", "type", "应为不小于0的整数"),
        ("0.03745万户", "type", "应为不小于0的整数"),
        # 3123.4 households is no count: told, never rounded to 3123.
        ("0.31234万户", "type", "应为不小于0的整数"),
        ("0.31234万", "type", "应为不小于0的整数"),
        # No count is kept in 亿个: 1亿 households is a slip, not 100,000,000.
        ("1亿", "type", "应为不小于0的整数"),
        ("#DIV/0!", "formula_error", "应为数字，不能是公式错误值"),
        ("#REF!", "formula_error", "应为数字，不能是公式错误值"),
        ("-5", "negative", "应为不小于0的整数"),
    ],
)
def test_count_errors_say_what_was_expected_and_how_to_fix(columns, registry, value, rule, expected):
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "households", value)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        rule,
        expected,
        "请填写确切的惠及户数",
    )


def test_a_wan_in_a_plain_integer_column_is_no_unit(columns, registry):
    # A 序号 counts nothing: 3万 there is a slip, not 30000.
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "seq", "3万")
    assert (raised.value.rule, raised.value.expected) == ("type", "应为整数")
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "seq", "3亿")
    assert (raised.value.rule, raised.value.expected) == ("type", "应为整数")


def test_plain_integer_column_accepts_negative_numbers_but_not_fractions(columns, registry):
    assert parse(columns, registry, "seq", "-3") == -3
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "seq", "1.5")
    assert (raised.value.rule, raised.value.expected) == ("type", "应为整数")


@pytest.mark.parametrize(
    ("value", "context", "expected", "told"),
    [
        ("2.8650", WAN_M2, Decimal(28650), False),
        (2.865, WAN_M2, Decimal(28650), False),
        ("0.9875", WAN_M2, Decimal("9875"), False),
        ("1.23456", WAN_M2, Decimal("12345.6"), False),
        ("28650", UnitContext(), Decimal(28650), False),
        ("28,650.5", UnitContext(), Decimal("28650.5"), False),
        ("200㎡", WAN_M2, Decimal(200), True),
        ("200m²", WAN_M2, Decimal(200), True),
        ("200平方米", WAN_M2, Decimal(200), True),
        ("1万㎡", UnitContext(), Decimal(10000), False),
        ("2万平方米", UnitContext(), Decimal(20000), False),
        # 万 alone is 万平方米 whatever the header's unit, as `2.4万㎡` is.
        ("2.4万", UnitContext(), Decimal(24000), False),
        ("2.4万", WAN_M2, Decimal(24000), False),
        ("2.4 万", UnitContext(), Decimal(24000), False),
        ("2.4万㎡", UnitContext(), Decimal(24000), False),
        ("2.4万平方米", WAN_M2, Decimal(24000), False),
        ("1.23456万", UnitContext(), Decimal("12345.6"), False),
    ],
)
def test_area_is_converted_to_square_metres_exactly(columns, registry, value, context, expected, told):
    parsed = parse(columns, registry, "area", value, context)
    assert_read(parsed, expected, told)


@pytest.mark.parametrize(
    ("value", "context", "expected", "told"),
    [
        ("1,075.97", UnitContext(), Decimal("1075.97"), False),
        (1075.97, UnitContext(), Decimal("1075.97"), False),
        ("12,501,000", YUAN, Decimal("1250.1"), False),
        (12501000, YUAN, Decimal("1250.1"), False),
        ("12,501,000.01", YUAN, Decimal("1250.100001"), False),
        ("12,501,000元", UnitContext(), Decimal("1250.1"), False),
        ("1250.1万元", YUAN, Decimal("1250.1"), True),
        ("1.5亿元", UnitContext(), Decimal(15000), False),
        # 万 alone is 万元 whatever the header's unit: 1,260.50万 under （元） is 12,605,000 元.
        ("1,260.50万", UnitContext(), Decimal("1260.50"), False),
        ("1,260.50万", YUAN, Decimal("1260.50"), True),
        ("1,260.50万", UnitContext(Decimal(10000), "亿元"), Decimal("1260.50"), True),
        ("0.000001万", YUAN, Decimal("0.000001"), True),
        # 亿 alone is 亿元 as 万 is 万元: 1.5亿 is 15,000 万元 under any header, one 元 written in 亿 exactly 0.0001.
        ("1.5亿", UnitContext(), Decimal(15000), False),
        ("1.5 亿", YUAN, Decimal(15000), True),
        ("1,234.567891亿", UnitContext(), Decimal("12345678.91"), False),
        ("0.00000001亿", YUAN, Decimal("0.0001"), True),
    ],
)
def test_money_is_converted_to_wan_yuan_exactly(columns, registry, value, context, expected, told):
    parsed = parse(columns, registry, "investment", value, context)
    assert_read(parsed, expected, told)


def assert_read(parsed, expected, told):
    """Assert a measure read exactly, noted (`told`) where the cell's own unit is not its column's stated one."""
    # `200㎡` under （万平方米） is 200 ㎡, read by its own unit, but the clerk checks a column written in two units.
    assert type(parsed) is (Noted if told else Decimal)
    value = parsed.value if told else parsed
    assert type(value) is Decimal and value == expected
    if told:
        assert parsed.rule == "unit_in_cell" and parsed.expected.startswith("按单元格注明的")


@pytest.mark.parametrize(
    ("name", "value", "context", "rule"),
    [
        ("investment", "-1", UnitContext(), "negative"),
        ("investment", "约100", UnitContext(), "type"),
        ("investment", "100左右", UnitContext(), "type"),
        ("investment", "100平方米", UnitContext(), "type"),
        ("investment", "#DIV/0!", UnitContext(), "formula_error"),
        ("investment", "0.0000001", UnitContext(), "precision"),
        ("investment", "0.001", YUAN, "precision"),
        ("investment", "1000000000000", UnitContext(), "too_large"),
        ("area", "-200", UnitContext(), "negative"),
        ("area", "100万元", UnitContext(), "type"),
        ("area", "1.000000001万", UnitContext(), "precision"),  # 10000.00001 ㎡: 4 places of ㎡ are kept
        ("investment", "1.0000001万", YUAN, "precision"),
        ("investment", "-1万", UnitContext(), "negative"),
        ("investment", "1万万", UnitContext(), "type"),
        ("investment", "1千", UnitContext(), "type"),
        # No area is kept in 亿平方米: 1亿 under 改造面积 is a slip, never 100,000,000 ㎡.
        ("area", "1亿", UnitContext(), "type"),
        ("area", "1亿", WAN_M2, "type"),
        ("investment", "0.00000000001亿", YUAN, "precision"),  # a tenth of a 分
        ("area", "1.00001", UnitContext(), "precision"),
    ],
)
def test_measure_errors_carry_their_rule(columns, registry, name, value, context, rule):
    with pytest.raises(CellError) as raised:
        parse(columns, registry, name, value, context)
    assert raised.value.rule == rule


@pytest.mark.parametrize("value", ["￥1,250.50", "¥1250.5", "-￥3"])
def test_a_currency_sign_before_an_amount_is_asked_off_in_the_columns_unit_not_told_of_约(
    columns, registry, value
):
    # Told 请填写确切的数字，不要带“约”“左右”等文字, which the cell has none of. Not read: ￥ does not say whether the
    # figure is in 元 or 万元 (bank statements print ￥ before 元), and under （万元） a 元 sum would be 10,000 times off.
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "investment", value, YUAN)
    assert raised.value.rule == "type" and "约" not in raised.value.fix
    assert raised.value.fix == "请删去货币符号“￥”，按本列的单位（元或万元）只填写数字"


@pytest.mark.parametrize(
    ("name", "value", "context", "places"),
    [
        ("investment", "0.0000001", BASE, 6),
        ("investment", "333.335", YUAN, 2),  # 6 places of 万元 are 2 of 元: it was told 最多6位, having 3
        ("investment", "333.335元", BASE, 2),
        ("investment", "0.01234567891亿元", BASE, 10),
        ("area", "1.00001", BASE, 4),
        ("area", "1.123456789", WAN_M2, 8),
    ],
)
def test_too_many_places_are_counted_in_the_unit_the_cell_is_written_in(
    columns, registry, name, value, context, places
):
    with pytest.raises(CellError) as raised:
        parse(columns, registry, name, value, context)
    assert (raised.value.rule, raised.value.expected) == ("precision", f"小数位数过多（最多{places}位）")


@pytest.mark.parametrize(
    ("name", "value", "fix"), [("investment", "-5", "请填写正确的金额"), ("area", "-200", "请填写正确的面积")]
)
def test_a_negative_measure_is_asked_for_again_as_what_its_column_holds(columns, registry, name, value, fix):
    # A ledger's 金额 of -5 was told “请填写正确的金额或面积”: the clerk was left to wonder what area.
    with pytest.raises(CellError) as raised:
        parse(columns, registry, name, value, UnitContext())
    assert raised.value.fix == fix


@pytest.mark.parametrize(
    ("name", "value", "fix"),
    [
        ("investment", "(50.00)", "请填写正确的金额"),
        ("investment", "（1,234.50）", "请填写正确的金额"),
        ("area", "(200)", "请填写正确的面积"),
    ],
)
def test_a_bracketed_measure_is_told_as_the_accounting_negative_it_is(columns, registry, name, value, fix):
    # A CSV saved from an accounting-format cell keeps `(50.00)`: it was told 不要带“约”“左右”等文字.
    with pytest.raises(CellError) as raised:
        parse(columns, registry, name, value, UnitContext())
    assert (raised.value.rule, raised.value.fix) == ("negative", fix)
    assert raised.value.expected == "应为不小于0的数；括号括起的数是会计格式的负数"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # A count was told only 应为不小于0的整数, the why lost on the way.
        ("households", "应为不小于0的整数；括号括起的数是会计格式的负数"),
        ("weight", "应为数字；括号括起的数是会计格式的负数"),
    ],
)
def test_a_bracketed_number_elsewhere_is_not_read_nor_told_of_约(columns, registry, name, expected):
    with pytest.raises(CellError) as raised:
        parse(columns, registry, name, "(120)")
    assert (raised.value.rule, raised.value.expected) == ("type", expected)
    assert "约" not in raised.value.fix


def test_money_with_a_foreign_unit_names_the_columns_unit_in_the_expectation(columns, registry):
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "investment", "100平方米", YUAN)
    assert raised.value.expected == "应为数字（单位元）"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2022, 3, 1), dt.date(2022, 3, 1)),
        (dt.datetime(2022, 3, 1, 10, 30), dt.date(2022, 3, 1)),
        ("2022-03-01", dt.date(2022, 3, 1)),
        ("2022-3-1", dt.date(2022, 3, 1)),
        ("2022/3/1", dt.date(2022, 3, 1)),
        ("2022/03/01", dt.date(2022, 3, 1)),
        ("2022.3.1", dt.date(2022, 3, 1)),
        ("2022.3", dt.date(2022, 3, 1)),
        ("2022.10", dt.date(2022, 10, 1)),
        ("2022.1", dt.date(2022, 1, 1)),
        (20220301, dt.date(2022, 3, 1)),
        (20220301.0, dt.date(2022, 3, 1)),
        ("2022年3月", dt.date(2022, 3, 1)),
        ("2022年3月1日", dt.date(2022, 3, 1)),
        ("2022年12月31日", dt.date(2022, 12, 31)),
        ("2022 年 3 月 1 日", dt.date(2022, 3, 1)),
        ("２０２２年３月１日", dt.date(2022, 3, 1)),
        ("2022-03-01 00:00:00", dt.date(2022, 3, 1)),
        ("20220301", dt.date(2022, 3, 1)),
    ],
)
def test_parse_date_reads_every_written_form(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("去年三月", "应为日期，如2022-03-01或2022年3月1日"),
        ("13月5日", "应为日期，如2022-03-01或2022年3月1日"),
        ("2022年13月", "应为有效日期"),
        ("2022.02.30", "应为有效日期"),
    ],
)
def test_parse_date_rejects_incomplete_or_impossible_dates(value, expected):
    with pytest.raises(CellError) as raised:
        parse_date(value)
    assert (raised.value.rule, raised.value.expected) == ("type", expected)


@pytest.mark.parametrize(
    ("value", "named"),
    [("3月1日", "3月1日"), ("4月5号", "4月5日"), ("１２月 ３１ 日", "12月31日"), ("4月", "4月")],
)
def test_a_date_without_its_year_is_told_that_the_year_is_missing(value, named):
    # Under a `2024年` title a ledger's `4月5日` was told 应为日期, which it looks like to the clerk who wrote it.
    with pytest.raises(CellError) as raised:
        parse_date(value)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        "type",
        f"应为日期；没有写年份，无法确定是哪一年的{named}",
        f"请写上年份，如××××年{named}",
    )


@pytest.mark.parametrize("value", [2022.1, 2022.10, 2022.3, 2022.12, 2022.03])
def test_a_number_in_a_date_cell_that_reads_as_year_and_month_is_an_error_never_january(value):
    with pytest.raises(CellError) as raised:
        parse_date(value)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        "type",
        "应为日期；该单元格是数字，2022.1与2022.10是同一个数，无法确定月份",
        "请填写完整日期，如2022-10-01或2022年10月",
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("2022", 2022), ("2022年", 2022), ("2022年度", 2022), (2022.0, 2022)]
)
def test_parse_year_reads_four_digit_years(value, expected):
    assert parse_year(value) == expected


@pytest.mark.parametrize(
    "value",
    ["二〇二二", "二零二二", "二零二二年度", "二○二二年", "贰零贰贰", "贰〇贰贰", "贰零贰贰年度", "２０２２"],
)
def test_parse_year_reads_a_year_in_chinese_or_full_width_digits(value):
    assert parse_year(value) == 2022


@pytest.mark.parametrize(
    "value", ["22", "1999", "二二", "二〇二二二", "十二〇二二", "贰零贰贰贰", "壹贰零贰贰", "两〇二二"]
)
def test_parse_year_rejects_other_years(value):
    with pytest.raises(CellError):
        parse_year(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3),
        ("03", 3),
        ("3月", 3),
        ("3月份", 3),
        (12.0, 12),
        ("三月", 3),
        ("十一月", 11),
        ("十二月份", 12),
        ("4月份", 4),
        (" 4 ", 4),
        ("４月", 4),
        ("04", 4),
        (4, 4),
        ("3.0", 3),  # a number pasted as text; it was refused as outside 1 to 12
        ("12.00", 12),
    ],
)
def test_parse_month_reads_months(value, expected):
    assert parse_month(value) == expected


# Months in words as clerks write them: 一 to 十二 only, in the short form; no 〇, 零, 两 or 一十.
@pytest.mark.parametrize(
    "value",
    ["一月", "十月份", "十二", "〇月", "零月", "两月", "一十月", "一十一月", "十三", "二十月", "壹月"],
)
def test_parse_month_reads_only_the_months_one_to_twelve_in_their_short_chinese_form(value):
    expected = {"一月": 1, "十月份": 10, "十二": 12}.get(value)
    if expected is None:
        with pytest.raises(CellError):
            parse_month(value)
    else:
        assert parse_month(value) == expected


# 正月 is the lunar calendar's first month, never a reporting month; a day with no year is no month of any year.
@pytest.mark.parametrize(
    "value",
    ["13", "0", "十三月", "正月", "2022", 2022, "2022年13月", "4月15日", True, "202213", "202200", "20224"],
)
def test_parse_month_rejects_months_outside_one_to_twelve(value):
    with pytest.raises(CellError) as raised:
        parse_month(value)
    assert (raised.value.rule, raised.value.expected) == ("month_range", "应为1至12之间的月份")


@pytest.mark.parametrize(
    ("value", "first", "last"), [("1-3月", 1, 3), ("1～6月份", 1, 6), ("10至12月", 10, 12)]
)
def test_parse_month_tells_months_run_together_in_one_cell_to_be_a_row_each(value, first, last):
    # A quarter's row in a 月报 (`1-3月`) was told only 应为1至12之间的月份, though the clerk saw months in it.
    with pytest.raises(CellError) as raised:
        parse_month(value)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        "month_range",
        f"应为1至12之间的一个月份，本格写了{first}至{last}月几个月",
        f"请每个月填一行，月份只填一个月（如{last}月填“{last}”），各行填该月的数",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022年4月", DatedMonth(2022, 4, 1)),
        ("２０２２年４月", DatedMonth(2022, 4, 1)),
        ("2022-03", DatedMonth(2022, 3, 1)),
        ("2022/3", DatedMonth(2022, 3, 1)),
        ("2022.4", DatedMonth(2022, 4, 1)),  # text: shown as typed, 2022.10 would keep its zero
        ("2022.10", DatedMonth(2022, 10, 1)),
        (dt.datetime(2022, 4, 1), DatedMonth(2022, 4, 1)),  # an Excel date shown as 2022年4月
        (dt.date(2021, 12, 1), DatedMonth(2021, 12, 1)),
        ("2022-04-15", DatedMonth(2022, 4, 15)),
        ("2022年4月15日", DatedMonth(2022, 4, 15)),
        # A statistical period, as statistical returns write it: returned as 应为1至12之间的月份 though it is clear.
        ("202204", DatedMonth(2022, 4, 1)),
        (202212, DatedMonth(2022, 12, 1)),
        (202203.0, DatedMonth(2022, 3, 1)),
        ("２０２２１０", DatedMonth(2022, 10, 1)),
    ],
)
def test_parse_month_reads_a_month_written_with_its_year_keeping_the_year_to_check(value, expected):
    assert parse_month(value) == expected


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        (2022.1, "请只填写月份：1月填“1”，10月填“10”"),
        (2022.10, "请只填写月份：1月填“1”，10月填“10”"),
        (2022.4, "请只填写月份，如4月填“4”"),
        (2022.12, "请只填写月份，如12月填“12”"),
    ],
)
def test_a_number_in_a_month_cell_that_reads_as_year_and_month_is_an_error(value, fix):
    # As in a date column: Excel keeps 2022.10 typed into a number cell as 2022.1, so no number is read as a month.
    with pytest.raises(CellError) as raised:
        parse_month(value)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        "type",
        "应为1至12之间的月份；该单元格是数字，2022.1与2022.10是同一个数，无法确定月份",
        fix,
    )


def test_a_csvs_month_2022_1_is_an_error_and_2022_10_its_month():
    with pytest.raises(CellError) as raised:
        parse_month(" ２０２２．１ ", written=True)
    assert (raised.value.rule, raised.value.fix) == ("type", "请只填写月份：1月填“1”，10月填“10”")
    assert "CSV文件中的“2022.1”也可能是Excel把2022.10（10月）末尾的0省略后写成的" in raised.value.expected
    assert parse_month("2022.10", written=True) == DatedMonth(2022, 10, 1)
    assert parse_month("2022.1") == DatedMonth(2022, 1, 1)  # a workbook's text cell shows what was typed


@pytest.mark.parametrize(
    ("name", "written", "canonical"),
    [
        ("status", "完工", "已完工"),
        ("status", "已完工", "已完工"),
        ("status", " 已 完工 ", "已完工"),
        ("status", "竣工", "已完工"),
        ("status", "已完成", "已完工"),
        ("status", "施工中", "在建"),
        ("source", "发改资金", "中央预算内投资"),
        ("source", "中央预算内投资（发改资金）", "中央预算内投资"),
        ("source", "中央预算内投资(发改资金)", "中央预算内投资"),
        ("source", "专项债券", "专项债券资金"),
        ("source", "债券资金", "专项债券资金"),
        ("source", "省级补助", "省级补助资金"),
        ("source", "市级配套", "市级配套资金"),
        ("source", "区级配套", "区级配套资金"),
        ("source", "中央补助", "中央补助资金"),
        ("entry_type", "到账", "到位"),
        ("entry_type", "到帐", "到位"),
        ("entry_type", "资金支付", "支付"),
    ],
)
def test_enum_aliases_map_to_the_canonical_value(columns, registry, name, written, canonical):
    assert parse(columns, registry, name, written) == canonical


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("拨付", "在财政用语中“拨付”既可指上级资金拨付到位，也可指向施工等单位对外支付"),
        (" 拨 付 ", "在财政用语中“拨付”既可指上级资金拨付到位，也可指向施工等单位对外支付"),
        ("资金拨付", "在财政用语中“资金拨付”既可指上级资金拨付到位，也可指向施工等单位对外支付"),
        ("拨款", "“拨款”既可指收到上级拨来的款项（到位），也可指向外拨出款项（支付）"),
        ("下达", "“下达”是上级下达资金或预算指标，既不说明资金是否已到账，也可能指向下拨出"),
    ],
)
def test_a_word_that_could_mean_either_entry_type_is_an_error_saying_why(columns, registry, written, why):
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "entry_type", written)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        "enum_ambiguous",
        f"应为以下之一：到位、支付；{why}，无法确定是哪一个",
        "请按实际情况改填“到位”或“支付”",
    )


@pytest.mark.parametrize("written", ["省级资金", "中央资金", "自筹资金"])
def test_a_fund_source_that_could_be_either_of_two_stays_an_error(columns, registry, written):
    # 省级补助 is 省级补助资金 less its 资金; 省级资金 may be a 补助 or another grant, 自筹 a resident's or a unit's.
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "source", written)
    assert raised.value.rule == "enum"


def test_enum_outside_the_list_names_every_allowed_value(columns, registry):
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "status", "停工")
    assert raised.value.rule == "enum"
    assert raised.value.expected == "应为以下之一：未开工、在建、已完工"


@pytest.mark.parametrize(
    ("name", "written", "told", "meant"),
    [
        ("status", "己完工", "“己完工”中“己”应为“已”（字形相近）", "已完工"),
        ("status", "巳竣工", "“巳竣工”中“巳”应为“已”（字形相近）", "已竣工"),
        ("status", " 末开工", "“末开工”中“末”应为“未”（字形相近）", "未开工"),
        ("source", "专项债劵", "“专项债劵”中“劵”应为“券”（字形相近）", "专项债券"),
    ],
)
def test_an_enum_word_typed_with_a_look_alike_character_is_refused_naming_the_character(
    columns, registry, name, written, told, meant
):
    # Still refused (己 is not 已), but the clerk is shown the one character, not two words that look the same.
    with pytest.raises(CellError) as raised:
        parse(columns, registry, name, written)
    allowed = "应为以下之一：" + "、".join(columns[name].values)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        "enum",
        f"{allowed}；{told}",
        f"请改为“{meant}”",
    )


@pytest.mark.parametrize(
    "written", ["棉纺厂东院 ", " 棉纺厂东院", "棉纺厂 东院", "棉纺厂东院（注：含1号楼）", "棉纺厂东院*"]
)
def test_name_cells_are_normalised(columns, registry, written):
    assert parse(columns, registry, "compound", written) == "棉纺厂东院"


def test_name_cells_treat_full_and_half_width_brackets_alike(columns, registry):
    full = parse(columns, registry, "compound", "市委小区（一期）")
    assert full == parse(columns, registry, "compound", "市委小区(一期)") == "市委小区(一期)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.0, "12"),
        (3.5, "3.5"),
        (dt.date(2022, 3, 1), "2022-03-01"),
        ("  屋面防水，\n外墙保温 ", "屋面防水, 外墙保温"),
    ],
)
def test_text_cells_are_shown_as_typed(columns, registry, value, expected):
    assert parse(columns, registry, "document", value) == expected


# A 20-digit 凭证号 typed into a General cell: Excel keeps 15 digits, and shows (or saves in a CSV) 3.20102E+17.
@pytest.mark.parametrize(
    "value", [3.20102202200001e17, float(2**60), 10**15, "3.20102E+17", " 4.11300220000000E+19"]
)
@pytest.mark.parametrize("name", ["document", "compound"])
def test_a_number_too_long_for_excel_in_a_text_cell_is_an_error_not_its_shortened_digits(
    columns, registry, value, name
):
    for read in (
        lambda cell: parse(columns, registry, name, cell),
        cell_parser(columns[name], registry.units, BASE),
    ):
        with pytest.raises(CellError, match="超过15位的编号末几位已丢失"):
            read(value)
    # 15 digits are kept whole, and a word with E+ in it is no number.
    assert parse(columns, registry, "document", 123456789012345.0) == "123456789012345"
    assert parse(columns, registry, "document", "SE+2号") == "SE+2号"


def test_decimal_cells_keep_their_exact_value(columns, registry):
    assert parse(columns, registry, "weight", "2.5") == Decimal("2.5")
    assert parse(columns, registry, "weight", 0.1) == Decimal("0.1")


def test_date_cells_parse_through_parse_cell(columns, registry):
    assert parse(columns, registry, "date", "2022年3月1日") == dt.date(2022, 3, 1)


@pytest.mark.parametrize(
    ("name", "cells"),
    [
        # 2**60 equals its float, which Excel's 15 digits read as another number: the type is part of a cell.
        ("households", ["约200", 249.0, "249户", "约200", 249.0, 1.5, True, 1, float(2**60), 2**60]),
        ("weight", [-0.0, 0.0, 0, "0", 2.5, -0.0, "2.50"]),
        ("status", ["完工", "完 工", "竣工了", "完工", "竣工了"]),
        ("date", ["2022年4月", 2022.1, "2022年4月", 2022.1, 20220401]),
    ],
)
def test_a_columns_parser_reads_a_cell_seen_before_as_it_read_it_the_first_time(
    columns, registry, name, cells
):
    parser = cell_parser(columns[name], registry.units, BASE)
    assert (
        cell_parser(columns[name], registry.units, BASE) is parser
    )  # kept for the process, with what it read

    def outcome(read, cell):
        try:
            value = read(cell)
        except CellError as exc:
            return ("error", exc.rule, exc.expected, exc.fix)
        return (type(value).__name__, str(value.value if isinstance(value, Noted) else value))

    # Twice over, so the second pass reads every cell from memory; -0.0 stays -0, 0.0 stays 0.
    for _ in range(2):
        assert [outcome(parser, cell) for cell in cells] == [
            outcome(lambda c: parse_cell(c, columns[name], registry.units, BASE), cell) for cell in cells
        ]


@pytest.mark.parametrize(
    "value", ["1,2", "72,5.58", "1,35.2", "1,2800", "12,50,100", "1,280,", "1.280,5", "1,280.5,3"]
)
def test_a_comma_out_of_thousands_place_is_an_error_not_deleted(value):
    with pytest.raises(CellError) as caught:
        decimal_of(value)
    assert caught.value.rule == "separator"


@pytest.mark.parametrize(
    "value", ["370\n249", "12 5", "９ ５", "1 28", "3000 200户", "370 249", "1 280", "1 280\n000"]
)
def test_digits_apart_by_a_space_or_line_break_are_an_error_not_one_number(value):
    # Squashed, 370⏎249 (two lines of one cell) was read as 370249. One group set apart (`370 249`) is as likely two
    # figures run together (370 and 249) as one number grouped by thousands, so it is asked about too.
    with pytest.raises(CellError) as caught:
        decimal_of(value)
    assert (caught.value.rule, caught.value.expected) == ("type", "数字中间不能有空格或换行")


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("1 280 000", 1280000),
        ("1 280 000.5", Decimal("1280000.5")),
        (" 200 ", 200),
        ("1\u00a0280\u00a0000", 1280000),
    ],
)
def test_thousands_set_apart_by_single_spaces_are_one_number(value, number):
    assert decimal_of(value) == (Decimal(number), "")


@pytest.mark.parametrize(
    ("value", "number"), [("80", Decimal(80)), ("12.5分", Decimal("12.5")), (7.5, Decimal("7.5"))]
)
def test_a_plain_decimal_reads_a_number_and_its_points(value, number):
    assert parse_decimal(value) == number


def test_a_score_a_formula_computed_is_kept_to_a_millionth_and_one_typed_so_is_an_error():
    assert parse_decimal(15 * 0.9 / 0.95) == Decimal("14.210526")  # `=15*90%/95%`, shown as 14.21
    with pytest.raises(CellError) as typed:
        parse_decimal("14.2105263")
    assert typed.value.rule == "precision"


@pytest.mark.parametrize("value", ["80左右", "2560余", "40.8923万", "10个"])
def test_a_plain_decimal_with_other_words_after_it_is_an_error(value):
    with pytest.raises(CellError):
        parse_decimal(value)


def test_a_weight_written_as_a_share_is_asked_for_in_points():
    # `30%` of which total: the form's 100 points, or the level's? The clerk writes the points.
    with pytest.raises(CellError) as raised:
        parse_decimal("30%")
    assert (raised.value.expected, raised.value.fix) == (
        "应为分数，不能带百分号",
        "请填写分数，如30，不带“%”",
    )


@pytest.mark.parametrize(
    ("template", "column", "fix"),
    [
        ("compound_list", "households", "请填写确切的惠及户数"),
        ("satisfaction_survey", "satisfied", "请填写「满意」的确切数目"),
        ("satisfaction_survey", "valid_responses", "请填写「有效问卷」的确切数目"),
    ],
)
def test_a_count_that_is_no_number_asks_for_it_in_words_that_read(registry, template, column, fix):
    with pytest.raises(CellError) as raised:
        parse_cell("约50", registry.template(template).column(column), registry.units, BASE)
    assert raised.value.fix == fix


@pytest.mark.parametrize(
    ("column", "value"), [("satisfied", "85%"), ("basically_satisfied", "10％"), ("dissatisfied", "5 %")]
)
def test_a_survey_count_written_as_a_percentage_is_told_it_is_one(registry, column, value):
    # A survey of shares (满意 85%) was told only 应为不小于0的整数, the clerk seeing no cause.
    counted = registry.template("satisfaction_survey").column(column)

    with pytest.raises(CellError) as raised:
        parse_cell(value, counted, registry.units, BASE)
    assert (raised.value.rule, raised.value.expected, raised.value.fix) == (
        "type",
        "应为不小于0的整数，本列填写的是数目，不是百分比",
        f"请填写「{counted.header}」的确切数目，不填百分比",
    )


@pytest.mark.parametrize("value", ["12栋", "860人", "35套", "3部", "12台"])
def test_a_count_written_in_a_unit_counting_something_else_is_an_error(registry, value):
    households = registry.template("compound_list").column("households")

    with pytest.raises(CellError) as raised:
        parse_integer(value, households, registry.units)
    assert f"应为以“户”计的惠及户数，“{value[-1]}”计的是另一种数目" == raised.value.expected


@pytest.mark.parametrize(("value", "number"), [("12栋", 12), ("12幢", 12), ("12个", 12), ("12", 12)])
def test_a_count_in_a_word_counting_alike_is_read_and_in_another_word_is_an_error(registry, value, number):
    buildings = (
        registry.template("compound_list")
        .column("households")
        .model_copy(update={"header": "楼栋数", "counts": "幢"})
    )
    assert parse_integer(value, buildings, registry.units) == number
    with pytest.raises(CellError, match="应为以“幢”计的楼栋数，“座”计的是另一种数目"):
        parse_integer(f"{number}座", buildings, registry.units)


@pytest.mark.parametrize("value", ["12部", "12台", "12个", "12"])
def test_elevators_counted_in_bu_or_tai_are_read_and_in_another_word_are_an_error(registry, value):
    # 加装电梯 is counted 部 or 台 alike (registry/units.yaml); a count nobody listed was refused as no number.
    elevators = (
        registry.template("compound_list")
        .column("households")
        .model_copy(update={"header": "加装电梯数", "counts": "部"})
    )
    assert parse_integer(value, elevators, registry.units) == 12
    with pytest.raises(CellError, match="应为以“部”计的加装电梯数，“户”计的是另一种数目"):
        parse_integer("12户", elevators, registry.units)


@pytest.mark.parametrize(
    ("value", "number"), [("200户", 200), ("0.037万户", 370), ("200个", 200), ("200", 200)]
)
def test_a_count_in_its_own_unit_or_none_is_read(registry, value, number):
    assert (
        parse_integer(value, registry.template("compound_list").column("households"), registry.units)
        == number
    )


# A row's number as clerks write it: digits, 一 to 九十九 with or without 一 before 十, wrapped in brackets or
# followed by 、; anything else (〇, 零, 两, 百, capitals) is no number, never an error.
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (3.0, 3),
        (3.5, None),
        (True, None),
        ("3、", 3),
        ("（3）", 3),
        ("三", 3),
        ("十", 10),
        ("一十", 10),
        ("十二", 12),
        ("一十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("九十九", 99),
        ("（十一）", 11),
        ("五、", 5),
        ("零", None),
        ("〇", None),
        ("两", None),
        ("十〇", None),
        ("二十零", None),
        ("一百", None),
        ("十十", None),
        ("一二", None),
        ("一二十", None),
        ("壹", None),
        ("", None),
        ("甲", None),
    ],
)
def test_parse_ordinal_reads_a_rows_number_as_written(value, expected):
    assert parse_ordinal(value) == expected


@pytest.mark.parametrize(
    ("value", "context", "short", "grouped"),
    [
        ("356.800", YUAN, "356.8", "356800"),
        ("1.250", YUAN, "1.25", "1250"),
        ("25.000元", BASE, "25", "25000"),
    ],
)
def test_three_places_where_the_unit_holds_two_may_be_a_point_grouping_and_are_asked_about(
    columns, registry, value, context, short, grouped
):
    # Before: `356.800` under （元） passed as 356.8 元 unsaid; grouped by a point, as foreign keyboards and templates
    # write, it is 356,800 元, a thousand times more. 元 holds 2 places, so its 3 cannot be the amount's own.
    with pytest.raises(CellError) as raised:
        parse(columns, registry, "investment", value, context)
    assert raised.value.rule == "separator"
    assert raised.value.expected == (
        f"写有3位小数，而单位元最多2位：可能是{short}元，也可能是以小数点作千分位的{grouped}元"
    )
    assert raised.value.fix.startswith(
        f"请改写为确切的数：是{short}的请写{short}，是{grouped}的请写{grouped}"
    )


@pytest.mark.parametrize(
    ("value", "context", "expected"),
    [
        ("356.800", BASE, Decimal("356.8")),  # 万元 holds 6 places: 3 are its own
        ("0.500", YUAN, Decimal("0.00005")),  # no grouping starts with 0
        ("1356.800", YUAN, Decimal("0.13568")),  # a grouping has 1 to 3 digits before its first point
        ("356.80", YUAN, Decimal("0.03568")),
        (356.8, YUAN, Decimal("0.03568")),  # a number cell keeps no zeros written: nothing to ask
    ],
)
def test_three_places_that_cannot_be_a_point_grouping_are_read_as_before(
    columns, registry, value, context, expected
):
    assert parse(columns, registry, "investment", value, context) == expected
