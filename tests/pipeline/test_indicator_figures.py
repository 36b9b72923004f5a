"""One 年度指标值 or 实际完成值 read as written: its comparison, number and unit, or what keeps it from being exact."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.indicator_values import Indicator, read_indicator


@pytest.mark.parametrize(
    ("target", "reported", "number", "unit"),
    [
        # Exact figures in Chinese numerals were no number, and scored 0 under indicator_not_number.
        ("≥90%", "九成", Decimal(90), "%"),
        ("≥90%", "九成五", Decimal(95), "%"),
        ("≥90%", "百分之九十三", Decimal(93), "%"),
        ("≥90%", "九十三", Decimal(93), "%"),
        ("=16个", "十六个", Decimal(16), "个"),
        ("≥3000户", "三千一百四十八户", Decimal(3148), "户"),
        ("≥20万平方米", "二十四点四万平方米", Decimal("24.4"), "万平方米"),
        ("≥10个", "两个", Decimal(2), "个"),
        # `8成` was an error naming 成 a unit where `八成` was 80 %; `三年` no number (年 is no unit the registry
        # knows), scored 0 against ≥3年 where `3年` scored in full.
        ("≥80%", "8成", Decimal(80), "%"),
        ("≥80%", "8.5成", Decimal(85), "%"),
        ("≥80%", "9.5成", Decimal(95), "%"),
        ("≥80%", "8成5", Decimal(85), "%"),
        ("≥90%", "百分之百", Decimal(100), "%"),
        # `百分百` was no number (scored 0 under indicator_not_number) where `百分之百` was 100 %.
        ("≥90%", "百分百", Decimal(100), "%"),
        ("≥90%", "百分之一百", Decimal(100), "%"),
        ("≥90%", "百分之九十五", Decimal(95), "%"),
        ("≥3年", "三年", Decimal(3), "年"),
        ("≥3年", "3年", Decimal(3), "年"),
    ],
)
def test_a_reported_value_in_chinese_numerals_is_read_exactly(target, reported, number, unit):
    reading = read_indicator(target, reported)
    assert (reading.reported_number, reading.reported_unit, reading.noted) == (number, unit, None)


# `已完成16个` against `=16个` was no number and scored 0 (indicator_not_number), where `16个（已完成）` scored in full:
# words that say the one figure was done leave no doubt on it.
@pytest.mark.parametrize(
    ("target", "reported", "number", "unit"),
    [
        ("=16个", "已完成16个", Decimal(16), "个"),
        ("=16个", "完成16个", Decimal(16), "个"),
        ("=16个", "共16个", Decimal(16), "个"),
        ("=16个", "实际完成16个", Decimal(16), "个"),
        ("=16个", "实际完成：16个", Decimal(16), "个"),
        ("=16个", "已完成十六个。", Decimal(16), "个"),
        ("=16个", "16个（已完成）", Decimal(16), "个"),
        ("=16个", "累计完成16个小区", Decimal(16), "个小区"),
        ("≥95%", "已完成100%", Decimal(100), "%"),
        ("≥24.4万平方米", "已完成24.4万平方米", Decimal("24.4"), "万平方米"),
        ("≥3148户", "共计3148户", Decimal(3148), "户"),
    ],
)
def test_words_that_say_the_one_figure_was_done_are_read_as_the_figure(target, reported, number, unit):
    reading = read_indicator(target, reported)
    assert (reading.reported_number, reading.reported_unit, reading.noted, reading.error) == (
        number,
        unit,
        None,
        None,
    )


# Two figures, a fraction, a range, no unit, another count's unit or words that say something else of the figure
# (not done, done beyond it) are still asked about, as they were.
@pytest.mark.parametrize(
    "reported",
    [
        "完成16个，其中3个提前",
        "完成16/16个",
        "完成15-16个",
        "完成约16个",
        "完成16",
        "完成16户",
        "未完成16个",
        "超额完成16个",
        "还差16个",
        "完成率100%",
    ],
)
def test_words_around_a_figure_in_doubt_keep_it_unread(reported):
    reading = read_indicator("=16个", reported)
    assert reading.reported_number is None
    assert (reading.noted or reading.error).rule in ("indicator_not_number", "indicator_unit")


@pytest.mark.parametrize("reported", ["12户", "12栋", "12套"])
def test_elevators_reported_in_a_word_counting_something_else_are_asked_not_read(reported):
    reading = read_indicator("≥12部", reported)
    assert (reading.reported_number, reading.error.rule) == (None, "indicator_unit")


# `3200人` against `≥3000人次` was scored as met: 人次 read as 人 and what follows it, as 个小区 is 个.
@pytest.mark.parametrize(("target", "reported"), [("≥3000人次", "3200人"), ("≥3000人", "3200人次")])
def test_people_and_visits_of_people_are_asked_not_compared(target, reported):
    reading = read_indicator(target, reported)
    assert (reading.reported_number, reading.error.rule) == (None, "indicator_unit")


@pytest.mark.parametrize(
    ("target", "reported", "number"), [("≥3000人次", "3200人次", 3200), ("≥0.3万人次", "3200人次", 3200)]
)
def test_visits_reported_in_visits_are_read(target, reported, number):
    reading = read_indicator(target, reported)
    assert (reading.error, reading.reported_number * reading.reported_factor) == (None, number)


@pytest.mark.parametrize(
    ("target", "reported"),
    [
        ("≤1500元/平方米", "1400元/户"),  # a price of another thing
        ("≤1500元/户", "1400元/人"),
        ("≤1500元/平方米", "1400元"),  # an amount, no price
        ("≤1500元", "1400元/平方米"),
    ],
)
def test_a_price_is_compared_only_with_a_price_per_the_same_unit(target, reported):
    # Each was compared as money, 1400 against 1500, the target met: scored full, nothing told.
    reading = read_indicator(target, reported)
    assert (reading.reported_number, reading.error.rule) == (None, "indicator_unit")


# `-2%` against `≤5%` was no number and scored 0 (indicator_not_number), where it meets the target.
@pytest.mark.parametrize(
    ("target", "reported", "number"),
    [("≤5%", "-2%", Decimal(-2)), ("≤5%", "\u22122%", Decimal(-2)), ("≥90%", "－5％", Decimal(-5))],
)
def test_a_percentage_below_zero_is_read_with_its_sign(target, reported, number):
    reading = read_indicator(target, reported)
    assert (reading.reported_number, reading.reported_unit, reading.noted, reading.error) == (
        number,
        "%",
        None,
        None,
    )


# A bare figure below zero (-2 % or -0.02 %?), a count or an amount below zero, or a bound or range after the sign
# stay no number, as they were.
@pytest.mark.parametrize(
    ("target", "reported"),
    [("≤5%", "-2"), ("≤5%", "-0.02"), ("=16个", "-16个"), ("≤9163.6万元", "-100万元"), ("≤5%", "-2%以下")],
)
def test_other_figures_below_zero_stay_unread(target, reported):
    reading = read_indicator(target, reported)
    assert reading.reported_number is None and reading.noted.rule == "indicator_not_number"


@pytest.mark.parametrize("target", ["不低于九成", "不低于9成"])
def test_a_target_in_chinese_numerals_is_read_exactly(target):
    reading = read_indicator(target, "95%")
    assert (reading.operator, reading.target_number, reading.target_unit) == ("≥", Decimal(90), "%")


# `≥三年` beside `4年` was 定性 (年 is no unit the registry knows), and `4年` no outcome: scored 0.
@pytest.mark.parametrize(
    ("reported", "number"), [("4年", Decimal(4)), ("3年", Decimal(3)), ("三年", Decimal(3))]
)
def test_a_target_in_numerals_ending_in_its_values_unit_is_read_as_a_number(reported, number):
    reading = read_indicator("≥三年", reported)
    assert (reading.operator, reading.target_number, reading.target_unit) == ("≥", Decimal(3), "年")
    assert (reading.reported_number, reading.reported_unit, reading.noted) == (number, "年", None)


@pytest.mark.parametrize(
    ("target", "reported"), [("≥三年", "已完成"), ("≥三年", None), ("十分满意", "十分满意")]
)
def test_a_target_in_numerals_with_no_unit_to_end_in_stays_words(target, reported):
    assert read_indicator(target, reported).operator == "定性"


# `16/16` (done of planned) against `=16个` was an error naming `/16` a unit: a fraction is the count done or the
# share done, and which is not guessed; the cell is asked about as a fraction.
@pytest.mark.parametrize(
    ("target", "reported"), [("=16个", "16/16"), ("≥90%", "15/16"), ("=16个", "16/16个")]
)
def test_a_fraction_reported_is_asked_about_as_one_never_read_as_a_unit(target, reported):
    reading = read_indicator(target, reported)
    assert reading.reported_number is None and not reading.error_in_target
    assert reading.error.rule == "indicator_value"
    assert "不能写成分数" in reading.error.expected and "单位" not in reading.error.expected


@pytest.mark.parametrize("reported", ["十分满意", "一般", "两年内完成", "约九成", "百分百满意"])
def test_words_that_open_with_a_numeral_are_no_figure(reported):
    reading = read_indicator("≥90%", reported)
    assert reading.reported_number is None


@pytest.mark.parametrize(
    ("target", "reported"), [("≥3年", "两年内完成"), ("≥3个", "三年"), ("≥10分", "十分满意")]
)
def test_a_targets_unit_ends_a_figure_in_numerals_only_as_the_whole_tail(target, reported):
    assert read_indicator(target, reported).reported_number is None


@pytest.mark.parametrize(
    ("target", "operator", "number", "unit"),
    [
        ("≥90%", "≥", Decimal(90), "%"),
        (">=90%", "≥", Decimal(90), "%"),
        ("90%", "≥", Decimal(90), "%"),
        ("≤9163.6万元", "≤", Decimal("9163.6"), "万元"),
        ("<5次", "≤", Decimal(5), "次"),
        ("=16个", "=", Decimal(16), "个"),
        ("16", "≥", Decimal(16), None),
        ("按期完成", "定性", None, None),
        ("1" * 19, "定性", None, None),
    ],
)
def test_a_target_is_read_as_its_comparison_number_and_unit(target, operator, number, unit):
    assert read_indicator(target, None) == Indicator(operator, number, unit, None, unit)


@pytest.mark.parametrize(
    ("target", "reported", "operator", "target_number", "target_unit", "reported_number", "reported_unit"),
    [
        # Comparisons written in words, before the number or after its unit.
        ("90%以上", "0.93", "≥", Decimal(90), "%", Decimal(93), "%"),
        ("不低于90%", "95%", "≥", Decimal(90), "%", Decimal(95), "%"),
        ("≧95%", "100%", "≥", Decimal(95), "%", Decimal(100), "%"),
        ("控制在5%以内", "3%", "≤", Decimal(5), "%", Decimal(3), "%"),
        ("不超过9163.6万元", "9000万元", "≤", Decimal("9163.6"), "万元", Decimal(9000), "万元"),
        # Areas as the models convert them, whatever spelling of ㎡ the clerk used.
        ("≥24.4万㎡", "122000㎡", "≥", Decimal("24.4"), "万平方米", Decimal(122000), "平方米"),
        ("≥24.4万平米", "24.4", "≥", Decimal("24.4"), "万平方米", Decimal("24.4"), "万平方米"),
        # Lengths are kept as written, each with its factor to metres.
        ("≥2.5公里", "2600米", "≥", Decimal("2.5"), "公里", Decimal(2600), "米"),
        ("≥1200延米", "1.3千米", "≥", Decimal(1200), "延米", Decimal("1.3"), "千米"),
        # A deadline is met or not: no number to compare.
        ("2023年11月底前", "按期完成", "定性", None, None, None, None),
        ("12月底前", "11月完成", "定性", None, None, None, None),
        ("12月底前完工", "已完工", "定性", None, None, None, None),
        ("≥6个月", "7个月", "≥", Decimal(6), "个月", Decimal(7), "个月"),  # months counted, no deadline
        # The measure word, then what is counted: 个 and 个小区 compare.
        ("=16个", "16个小区", "=", Decimal(16), "个", Decimal(16), "个小区"),
        ("≥3148户", "3148户居民", "≥", Decimal(3148), "户", Decimal(3148), "户居民"),
        ("≥0.3148万户", "3148户", "≥", Decimal("0.3148"), "万户", Decimal(3148), "户"),
        ("≥3000户", "3148个", "≥", Decimal(3000), "户", Decimal(3148), "个"),  # the plain 个 counts anything
        # Words of one `counted_alike` group (registry/units.yaml) count the same thing, each kept as written.
        ("≥3栋", "3幢", "≥", Decimal(3), "栋", Decimal(3), "幢"),
        ("≥12幢", "12栋", "≥", Decimal(12), "幢", Decimal(12), "栋"),
        ("≥100人", "120名", "≥", Decimal(100), "人", Decimal(120), "名"),
        ("≥12部", "12台", "≥", Decimal(12), "部", Decimal(12), "台"),  # elevators
        # A note in brackets after a figure is not its unit.
        ("=16个", "16个(含3个新增)", "=", Decimal(16), "个", Decimal(16), "个"),
        # A sentence's closing punctuation is not part of the unit, nor are words after a percent or money unit.
        ("≥95%", "85%。", "≥", Decimal(95), "%", Decimal(85), "%"),
        ("≥90%", "85%；", "≥", Decimal(90), "%", Decimal(85), "%"),
        ("≥90%", "93%，", "≥", Decimal(90), "%", Decimal(93), "%"),
        ("≥95%", "96%达标", "≥", Decimal(95), "%", Decimal(96), "%"),
        ("≤9163.6万元", "12501000元。", "≤", Decimal("9163.6"), "万元", Decimal(12501000), "元"),
        ("≤9163.6万元", "9000万元资金", "≤", Decimal("9163.6"), "万元", Decimal(9000), "万元"),
        # A price is not money: compared only with itself.
        ("≤1500元/平方米", "1400元/平方米", "≤", Decimal(1500), "元/平方米", Decimal(1400), "元/平方米"),
        # …in any spelling of what it is per: `元/㎡` (folded to 元/m2) holds no second figure.
        ("≤1500元/平方米", "1400元/㎡", "≤", Decimal(1500), "元/平方米", Decimal(1400), "元/m2"),
        ("≤1500元/m²", "1400元每平方米", "≤", Decimal(1500), "元/m2", Decimal(1400), "元每平方米"),
        # A target without a unit is read in the unit of the value reported against it.
        ("≥90", "93%", "≥", Decimal(90), "%", Decimal(93), "%"),
        ("≥0.9", "93%", "≥", Decimal(90), "%", Decimal(93), "%"),
    ],
)
def test_an_indicator_is_read_in_the_units_the_models_convert(
    target, reported, operator, target_number, target_unit, reported_number, reported_unit
):
    reading = read_indicator(target, reported)
    assert reading.error is None
    assert (
        reading.operator,
        reading.target_number,
        reading.target_unit,
        reading.reported_number,
        reading.reported_unit,
    ) == (operator, target_number, target_unit, reported_number, reported_unit)


@pytest.mark.parametrize(
    ("target", "reported", "in_target"),
    [
        ("≥100%", "90%左右", False),
        ("100%", "约100%", False),
        ("≥16个", "16余个", False),
        ("=16个", "1,6个", False),
        ("≥1,280个", "1.280,5个", False),  # a decimal comma after a thousands point
        ("≤5个工作日", "3天", False),
        ("=16个", "16%", False),
        ("约90%", "93%", True),
        ("≥90%以下", "93%", True),
        # A range or a second figure: no one number to score (read as 80 in a unit `%-90%`, it was 8,000 %).
        ("≥95%", "80%-90%", False),
        ("≥95%", "80%~90%", False),
        ("≥95%", "85-90%", False),
        ("≥95%", "90%，整改后100%", False),
        ("=16个", "16个-18个", False),
        ("90%-95%", "93%", True),
        ("=1,280个", "1,280,", False),
        # Households are not people, nor dwellings: counts of different things never compare.
        ("≥3000户", "3148人", False),
        ("≥3000户", "3148套", False),
        # 座 counts any structure (a bridge, a pavilion), not only buildings: not one of 栋's group.
        ("≥3栋", "3座", False),
        ("≥3栋", "3户", False),
        # A length is no area.
        ("≥500米", "600平方米", False),
        # Squashed, both were 370249: two figures run together, or thousands set apart; the clerk says which.
        ("≥3000户", "370 249户", False),
        ("≥370 249户", "3148户", True),
    ],
)
def test_an_indicator_that_cannot_be_scored_exactly_is_an_error_with_no_number(target, reported, in_target):
    reading = read_indicator(target, reported)
    assert reading.error is not None and reading.error_in_target is in_target, reading
    assert (reading.target_number if in_target else reading.reported_number) is None


@pytest.mark.parametrize(
    ("target", "reported", "in_target"),
    [
        # Before: `12.000户` was read as 12 households; grouped by a point it is 12,000. A count is whole, 元 holds
        # 2 places: 3 cannot be the figure's own.
        ("≥12.000户", "12500户", True),
        ("=16个", "1.000个", False),
        ("≥356.800元", "360000元", True),
        # Before: read 1.250 with `.000户` for its unit, then told the units differ (or taken as the target's unit).
        ("≥1.250.000户", "1300000户", True),
        ("≥1000000", "1.250.000", False),
        # Bare, a value is compared in its target's unit: `1.000` against 个 was read as 1 and scored against 1000.
        ("=1000个", "1.000", False),
        ("≥12,000户", "12.500", False),
        # Before: a leading zero was read as 12 and 1 where a cell in a 户 column was asked (one test now, `values`).
        ("≥12000户", "012.000户", False),
        ("=1000个", "01.000", False),
    ],
)
def test_a_figure_that_may_be_grouped_by_points_is_asked_about_not_scored(target, reported, in_target):
    reading = read_indicator(target, reported)
    assert reading.error is not None and reading.error_in_target is in_target, reading
    assert (reading.target_number if in_target else reading.reported_number) is None
    assert "可能是以小数点作千分位写的" in reading.error.expected
    assert reading.error.fix.startswith("请改写为确切的数：千分位只用逗号")


@pytest.mark.parametrize(
    ("target", "reported", "number"),
    [
        ("≥1.250万户", "1.300万户", Decimal("1.300")),  # 万户 holds the places
        ("≥1.250平方米", "1.300平方米", Decimal("1.300")),
        ("≥95.000%", "96.500%", Decimal("96.500")),
        ("=1,280个", "1,280.000个", Decimal(1280)),  # grouped by a comma already
        (
            "≥12000户",
            "0,012.000户",
            Decimal(12),
        ),  # its comma groups: the point is the decimal point, as in a cell
        ("≥0.500个", "0.600个", Decimal("0.600")),  # no grouping starts with 0
        ("≥1.250万户", "1.300", Decimal("1.300")),  # bare, in its target's 万户
        ("≥95%", "96.500", Decimal("96.500")),
    ],
)
def test_a_figure_whose_places_its_unit_holds_is_read_as_before(target, reported, number):
    reading = read_indicator(target, reported)
    assert reading.error is None and reading.reported_number == number, reading
