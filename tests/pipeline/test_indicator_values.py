"""An indicator's 实际完成值 read against its 年度指标值: `0.95%` against `≥90%`, most likely 95 %, is asked about."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.indicator_values import name_unit, read_indicator
from pipeline.parse import parse_file
from pipeline.written_units import indicator_units
from tests.pipeline.test_cell_formats import UNIT, formatted, targets_sheet


# As read it scored 0 and the report printed 0.95 %, untold: kept so, and the clerk asked whether 95 % was meant.
@pytest.mark.parametrize(
    ("target", "reported", "headers", "read", "meant"),
    [
        ("≥90%", "0.95%", (None, None), "0.95", "95"),
        ("≥90%", "0.95％", (None, None), "0.95", "95"),
        ("≥90%", "1%", (None, None), "1", "100"),  # 1 typed for all of it
        ("=100%", "0.5%", (None, None), "0.5", "50"),
        ("≥50%", "0.8%。", (None, None), "0.8", "80"),
        ("≥90", "0.95%", ("%", None), "0.95", "95"),  # the target's header gives its unit
    ],
)
def test_a_percentage_of_1_or_less_against_a_target_of_50_percent_or_more_is_kept_and_asked_about(
    target, reported, headers, read, meant
):
    reading = read_indicator(target, reported, *headers)

    assert (reading.reported_number, reading.reported_unit, reading.error) == (Decimal(read), "%", None)
    assert (reading.noted.rule, reading.noted_in_target) == ("percent_fraction", False)
    assert reading.noted.expected == (
        f"读作{read}%，远低于年度指标值“{target}”，疑为{meant}%按小数写作{read}后又加了百分号，已按{read}%计算"
    )
    assert reading.noted.fix == f"请核对：如实际完成值为{meant}%，请填写“{meant}%”"


@pytest.mark.parametrize(
    ("target", "reported"),
    [
        ("≤1%", "0.5%"),  # a small rate against a small target
        ("<0.5%", "0.3%"),
        ("≥0.5%", "0.3%"),
        ("≤60%", "0.5%"),  # a bound the other way: 0.5 % meets it
        ("≥90%", "0%"),
        ("≥90%", "1.5%"),
        ("≥90%", "0.95"),  # a bare fraction is 95 %
        ("≥90%", "0.0095"),  # a bare 0.0095 was typed so (a cell shown as a percentage is written as shown)
        ("≥90", "0.95%"),  # the target's unit assumed from the value's: told of that
        ("≥16个", "0.5个"),
    ],
)
def test_a_percentage_that_is_no_fraction_typed_is_not_asked_about(target, reported):
    reading = read_indicator(target, reported)

    assert (reading.noted and reading.noted.rule) != "percent_fraction"


@pytest.mark.parametrize(
    ("reported", "formats"),
    [("0.95%", {}), (0.0095, {"E3": "0.00%"}), (0.0095, {"E3": "0%"})],
    ids=["text", "percent-cell", "rounded-percent-cell"],
)
def test_a_fraction_with_a_percent_sign_is_warned_on_its_cell_and_stored_as_read(registry, reported, formats):
    content = formatted(targets_sheet("≥90%", reported), formats)

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    [asked] = parsed.all_problems
    assert (asked.rule, asked.severity, asked.excel_row, asked.column_header, asked.value) == (
        "percent_fraction",
        "warning",
        3,
        "实际完成值",
        "0.95%",
    )
    assert "远低于年度指标值“≥90%”，疑为95%按小数写作0.95后又加了百分号" in asked.message_zh
    [record] = parsed.sheets[0].records
    assert read_indicator("≥90%", record["reported_value"]).reported_number == Decimal("0.95")


def test_a_fraction_typed_of_an_indicator_the_data_compute_says_the_data_are_scored(registry):
    from tests.pipeline.test_cell_formats import PROJECT, TARGETS_HEADER
    from tests.pipeline.workbooks import xlsx

    satisfaction = ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "0.93%", 10]
    content = xlsx({"绩效目标": [[f"项目名称：{PROJECT}"], TARGETS_HEADER, satisfaction]})

    parsed = parse_file(content, f"{UNIT}/2022年绩效目标.xlsx", registry)

    # The survey's own rate is scored where it was sent: the 0.93 % is no score then, and the clerk is told so.
    [asked] = parsed.all_problems
    assert asked.rule == "percent_fraction"
    assert "已按0.93%计算（该指标能由已报送的数据算出时，按数据计算的数值计分）" in asked.message_zh


# A magnitude alone in one cell is its measure's unit of that size, the measure told by the other cell's unit or the
# row's (header, 三级指标): as `1.5亿` is 1.5 亿元 in an amount column.
@pytest.mark.parametrize(
    ("target", "reported", "headers", "level3", "read"),
    [
        ("≥1.5亿", "16000万元", (None, None), None, ("1.5", "亿元", "16000", "万元")),
        ("≥1.5亿元", "1.6亿", (None, None), None, ("1.5", "亿元", "1.6", "亿元")),
        ("≥1.5亿", "1.6亿元", (None, None), None, ("1.5", "亿元", "1.6", "亿元")),
        ("≥3万户", "3.1万", (None, None), None, ("3", "万户", "3.1", "万户")),
        ("≥3万", "31000户", (None, None), None, ("3", "万户", "31000", "户")),
        # Counted in the value's word: 3万 beside 31000人 is people, never households.
        ("≥3万", "31000人", (None, None), None, ("3", "万人", "31000", "人")),
        ("≥2.4万㎡", "2.5万", (None, None), None, ("2.4", "万平方米", "2.5", "万平方米")),
        ("≥24.4万平方米", "24.5万", (None, None), None, ("24.4", "万平方米", "24.5", "万平方米")),
        ("≥2.4万", "25000㎡", (None, None), None, ("2.4", "万平方米", "25000", "平方米")),
        ("≥24.4万", "25万", ("万平方米", None), None, ("24.4", "万平方米", "25", "万平方米")),
        ("≥24.4万", "25万", (None, None), "改造面积（平方米）", ("24.4", "万平方米", "25", "万平方米")),
        ("≥2万", "2.1万平方米", (None, None), None, ("2", "万平方米", "2.1", "万平方米")),
    ],
)
def test_a_magnitude_alone_is_the_unit_of_that_size_of_the_measure_its_row_names(
    target, reported, headers, level3, read
):
    reading = read_indicator(target, reported, *headers, level3=level3)

    numbers = (reading.target_number, reading.target_unit, reading.reported_number, reading.reported_unit)
    assert (numbers, reading.error) == ((Decimal(read[0]), read[1], Decimal(read[2]), read[3]), None)
    # The models convert by the registry's factors: 1.5亿 is 15000 万元, 2.4万 24000 平方米.
    units = indicator_units()
    assert reading.target_factor == units.find(read[1])[1]
    assert reading.target_measure == units.find(read[1])[0]
    assert reading.reported_factor == units.find(read[3])[1]


@pytest.mark.parametrize(
    ("target", "reported"),
    [("≥2.4万", "2.5万"), ("≥1.5亿", "1.6亿"), ("≥2.4万", None), ("≥3万", "3栋")],
)
def test_a_magnitude_no_unit_of_its_row_tells_the_measure_of_is_no_unit_of_any(target, reported):
    reading = read_indicator(target, reported)

    # 万 is 万元, 万平方米 or 万户: compared only with a figure written in it, and bound to no measure the data compute.
    assert (reading.target_unit, reading.target_factor, reading.target_measure) == (target[-1], 1, None)
    if reported and "栋" in reported:
        # No count is kept in 万栋: which 3栋 is of it the clerk says.
        assert reading.error.rule == "indicator_unit"
    elif reported:
        assert (reading.reported_unit, reading.error) == (target[-1], None)


@pytest.mark.parametrize(
    ("target", "reported", "number", "unit"),
    [
        ("≥95%", "0.95", Decimal(95), "%"),
        ("≥95%", "95", Decimal(95), "%"),
        ("≥95%", "95%", Decimal(95), "%"),
        ("≥95%", "0.955", Decimal("95.5"), "%"),
        ("100%", "0.5", Decimal(50), "%"),
        ("100%", "120", Decimal(120), "%"),
        ("100%", "0", Decimal(0), "%"),
        ("≥90百分比", "0.93", Decimal(93), "%"),
        ("=16个", "16", Decimal(16), "个"),
        ("=16个", "15个", Decimal(15), "个"),
        ("≤9,163.6万元", "9,000", Decimal(9000), "万元"),
        ("按期完成", "达成", None, None),
        ("按期完成", None, None, None),
    ],
)
def test_a_reported_value_is_read_in_its_targets_unit(target, reported, number, unit):
    reading = read_indicator(target, reported)
    assert (reading.reported_number, reading.reported_unit, reading.noted) == (number, unit, None)


# `<90%` against `≥90%` was scored as 90 %, full marks, where it says the target was missed (only warned as no exact
# figure); a bound the other way than the target's, or any against `=`, leaves the score unknown: the cell is asked.
@pytest.mark.parametrize(
    ("target", "reported", "said"),
    [
        ("≥90%", "<90%", "低于90%"),
        ("≥90%", "90%以下", "不高于90%"),
        ("≥90%", "≤95%", "不高于95%"),
        ("≤5%", "5%以上", "不低于5%"),
        ("=16个", "16个以上", "不低于16个"),
        ("=16个", "16个以内", "不高于16个"),
    ],
)
def test_a_bound_reported_that_leaves_the_score_unknown_is_an_error(target, reported, said):
    reading = read_indicator(target, reported)
    assert reading.reported_number is None and not reading.error_in_target
    assert (reading.error.rule, reading.noted) == ("indicator_value", None)
    assert f"只说明{said}" in reading.error.expected and target in reading.error.expected


# A bound the target's way is scored as the figure it names, as before, and warned.
@pytest.mark.parametrize(
    ("target", "reported"), [("≥90%", "95%以上"), ("≥90%", ">95%"), ("≤5%", "3%以内"), ("≤5%", "<3%")]
)
def test_a_bound_reported_the_targets_way_is_scored_as_its_figure(target, reported):
    reading = read_indicator(target, reported)
    assert (reading.noted.rule, reading.error) == ("indicator_bound", None)


@pytest.mark.parametrize(
    ("target", "points"),
    [
        ("100%", Decimal(100)),
        ("≥95%", Decimal(100)),
        ("≥50%", Decimal(100)),
        ("≤49.9%", Decimal(1)),
        ("≥5%", Decimal(1)),
    ],
)
def test_a_bare_1_under_a_percent_target_is_read_by_the_target_and_noted(target, points):
    reading = read_indicator(target, "1")
    assert (reading.reported_number, reading.reported_unit) == (points, "%")
    other = Decimal(1) if points == 100 else Decimal(100)
    assert (reading.noted.rule, reading.noted.expected, reading.noted.fix) == (
        "percent_ambiguous",
        f"既可读作1%也可读作100%，对照年度指标值“{target}”，已按{points}%计算",
        f"请填写带百分号的数值，如实为{other}%请改为“{other}%”",
    )


# A bare number just over 1 is a ratio (=1606.9/1570 shown in a General cell) or percent points, as a bare 1 is: a
# target of 50 % or more reads it as the ratio, and says so; a lower target as points, without doubt. A target's own
# bare 1.5 under （%） is 1.5 % (a growth rate) far more often than 150 %: only its bare 1 is in doubt.
@pytest.mark.parametrize(
    ("target", "reported", "headers", "points", "other"),
    [
        ("≥100%", "1.0235", (None, None), Decimal("102.35"), "1.0235"),
        ("≥50%", "1.5", (None, None), Decimal(150), "1.5"),
        (
            "100%",
            "1.02350318471338",
            (None, None),
            Decimal("102.350318471338"),
            "1.0235",
        ),  # message: 4 decimals
        ("≤5%", "1.05", (None, None), Decimal("1.05"), None),
        ("≥49.9%", "1.5", (None, None), Decimal("1.5"), None),
        ("≥95%", "2", (None, None), Decimal(2), None),
        ("≥1.5", "2", ("%", None), Decimal(2), None),
    ],
)
def test_a_bare_number_just_over_1_against_a_target_of_50_percent_or_more_is_read_as_a_fraction_and_noted(
    target, reported, headers, points, other
):
    reading = read_indicator(target, reported, *headers)
    assert (reading.reported_number, reading.reported_unit, reading.target_noted) == (points, "%", None)
    if other is None:
        assert reading.noted is None
        return
    assert (reading.noted.rule, reading.noted.fix) == (
        "percent_ambiguous",
        f"请填写带百分号的数值，如实为{other}%请改为“{other}%”（公式结果可将单元格设为百分比格式）",
    )
    shown = format(round(points, 4).normalize(), "f")
    assert (
        reading.noted.expected
        == f"既可读作{other}%也可读作{shown}%，对照年度指标值“{target}”，已按{shown}%计算"
    )


@pytest.mark.parametrize(
    ("level3", "unit"),
    [
        ("改造面积（万平方米）", "万平方米"),
        ("改造面积(万㎡)", "万m2"),  # folded as a header's is
        ("群众满意度（%）", "%"),
        ("惠及户数（户）", "户"),
        ("计划投资（单位：万元）", "万元"),
        ("改造面积", None),
        ("改造面积（含道路）", None),
        ("户均投资（万元/户）", None),
        ("改造面积（万平方米）（含道路）", None),
        (None, None),
    ],
)
def test_the_unit_an_indicators_name_states_is_a_known_unit_alone_in_its_closing_brackets(level3, unit):
    assert name_unit(level3) == unit


# A unit the 三级指标 names is that of its row's bare numbers, before the headers' and after the cells' own.
@pytest.mark.parametrize(
    ("level3", "target", "reported", "headers", "read"),
    [
        ("改造面积（万平方米）", "≥24.4", "20.1", (None, None), ("24.4", "万平方米", "20.1", "万平方米")),
        ("改造面积（万平方米）", "≥24.4", "20.1", ("%", "%"), ("24.4", "万平方米", "20.1", "万平方米")),
        (
            "改造面积（万平方米）",
            "≥244000平方米",
            "201000",
            (None, None),
            ("244000", "平方米", "201000", "平方米"),
        ),
        ("群众满意度（%）", "≥90", "0.93", (None, None), ("90", "%", "93", "%")),
        ("惠及户数（户）", "≥3148", "3000", (None, None), ("3148", "户", "3000", "户")),
        ("计划投资（万元）", "≤1000", "980", (None, None), ("1000", "万元", "980", "万元")),
        ("居民居住条件改善（%）", "按期完成", "0.93", (None, None), (None, None, "93", "%")),
        ("改造面积（含道路）", "≥24.4", "20.1", (None, None), ("24.4", None, "20.1", None)),
    ],
)
def test_a_unit_the_indicators_name_states_is_that_of_its_rows_bare_numbers(
    level3, target, reported, headers, read
):
    reading = read_indicator(target, reported, *headers, False, level3)
    numbers = (reading.target_number, reading.target_unit, reading.reported_number, reading.reported_unit)
    assert numbers == tuple(Decimal(n) if n and n[0].isdigit() else n for n in read)
    assert (reading.noted, reading.error, reading.target_noted) == (None, None, None)


def test_a_bare_1_read_by_the_unit_its_indicators_name_states_says_so():
    reading = read_indicator("≥1", "1", None, None, False, "资金到位率（%）")
    assert (reading.target_number, reading.reported_number) == (Decimal(100), Decimal(100))
    assert reading.target_noted.expected == (
        "既可读作1%也可读作100%，三级指标“资金到位率（%）”注明（%）、年度指标值“≥1”按“≥”比较，已按100%计算"
    )
    # The value is read against its target, now ≥100 %.
    assert reading.noted.expected == "既可读作1%也可读作100%，对照年度指标值“≥1”，已按100%计算"


# A header's unit is that of the bare numbers under it: `年度指标值（%）` `≥90` is ≥ 90 %, `实际完成值（%）` 0.95 is 95 %.
@pytest.mark.parametrize(
    ("target", "reported", "headers", "read", "rule"),
    [
        ("≥90", "0.95", ("%", "%"), (Decimal(90), "%", Decimal(95), "%"), None),
        ("≥90", "95", ("%", None), (Decimal(90), "%", Decimal(95), "%"), None),
        ("≥0.9", "95%", ("%", None), (Decimal(90), "%", Decimal(95), "%"), None),
        ("≥90", "1", ("%", "%"), (Decimal(90), "%", Decimal(100), "%"), "percent_ambiguous"),
        ("≥90", "0.95", (None, "%"), (Decimal(90), "%", Decimal(95), "%"), "indicator_unit_assumed"),
        # Against ≤1 %, 0.5 is 0.5 % as surely as 50 %: read on the target's scale, and said so.
        ("≤1", "0.5", ("%", "%"), (Decimal(1), "%", Decimal("0.5"), "%"), "percent_ambiguous"),
        ("≥16", "16", ("个", None), (Decimal(16), "个", Decimal(16), "个"), None),
        ("≥95%", "0.9", ("%", "%"), (Decimal(95), "%", Decimal(90), "%"), None),
        ("=16个", "16", ("%", "%"), (Decimal(16), "个", Decimal(16), "个"), None),  # the cell's unit wins
        ("≥90", "0.95", (None, None), (Decimal(90), None, Decimal("0.95"), None), "indicator_scale"),
        # A bare 1 or a formula's ratio is a fraction as surely as 0.95: compared as written, and said so.
        ("≥90", "1", (None, None), (Decimal(90), None, Decimal(1), None), "indicator_scale"),
        ("≥95", "1.02", (None, None), (Decimal(95), None, Decimal("1.02"), None), "indicator_scale"),
        ("≥1", "90", (None, None), (Decimal(1), None, Decimal(90), None), "indicator_scale"),
        ("≥16", "1", (None, None), (Decimal(16), None, Decimal(1), None), None),
    ],
)
def test_a_bare_number_is_read_in_its_headers_unit(target, reported, headers, read, rule):
    reading = read_indicator(target, reported, *headers)
    numbers = (reading.target_number, reading.target_unit, reading.reported_number, reading.reported_unit)
    assert (tuple(n.normalize() if isinstance(n, Decimal) else n for n in numbers), reading.error) == (
        read,
        None,
    )
    assert (reading.noted and reading.noted.rule) == rule


@pytest.mark.parametrize(
    ("target", "operator"), [("0起", "="), ("0", "="), ("≤0起", "≤"), ("≥0起", "≥"), ("=0", "=")]
)
def test_a_target_of_none_without_a_comparison_is_read_as_none_and_said_so(target, operator):
    # Read as ≥ 0, as a bare number is, `0起` was met by 2起 in full.
    reading = read_indicator(target, "2起")
    assert (reading.operator, reading.target_number) == (operator, Decimal(0))
    told = {n.rule for n in (reading.noted if reading.noted_in_target else None, reading.target_noted) if n}
    assert ("indicator_zero_target" in told) is (target[0] == "0")


def test_a_measure_word_and_what_it_counts_compares_with_the_measure_word():
    reading = read_indicator("=16个", "16个小区")
    assert (reading.reported_number, reading.error) == (Decimal(16), None)


@pytest.mark.parametrize(
    ("target", "reported", "read", "rule"),
    [
        ("≥90", "93", (Decimal(90), "%", Decimal(93), "%"), "indicator_unit_assumed"),
        ("≥0.9", "0.93", (Decimal(90), "%", Decimal(93), "%"), "indicator_unit_assumed"),
        ("≥1", "1", (Decimal(100), "%", Decimal(100), "%"), "percent_ambiguous"),
        ("≥90%", "93", (Decimal(90), "%", Decimal(93), "%"), None),
        ("=16个", "16", (Decimal(16), "个", Decimal(16), "个"), None),  # a unit written wins
    ],
)
def test_a_rate_indicators_target_without_a_unit_is_read_as_a_percentage(target, reported, read, rule):
    reading = read_indicator(target, reported, None, None, True)
    numbers = (reading.target_number, reading.target_unit, reading.reported_number, reading.reported_unit)
    assert tuple(n.normalize() if isinstance(n, Decimal) else n for n in numbers) == read
    assert (reading.noted and reading.noted.rule) == rule
    # The target's reading is told on its own cell: as the note, or beside the value's (`≥1` against `1`).
    assert (reading.noted_in_target or reading.target_noted is not None) is (rule is not None)


@pytest.mark.parametrize(
    ("target", "reported", "base"),
    [
        ("≥0.3148万户", "3148户", Decimal(3148)),
        ("≥24.4万㎡", "244000㎡", Decimal(244000)),
        ("≤9163.6万元", "91636000元", Decimal("9163.6")),
        ("≥90%", "0.9", Decimal("0.9")),
        ("≥2.5公里", "2500米", Decimal(2500)),
        ("≥1.2千米", "1200延米", Decimal(1200)),
        # km and m as often as 公里 and 米: `4.5公里` against `≥5km` was refused as another unit.
        ("≥5km", "5公里", Decimal(5000)),
        ("≥1.2KM", "1200m", Decimal(1200)),
    ],
)
def test_a_target_and_its_value_meet_in_the_measures_base_unit(target, reported, base):
    reading = read_indicator(target, reported)

    assert reading.error is None
    assert reading.target_number * reading.target_factor == base
    assert reading.reported_number * reading.reported_factor == base
