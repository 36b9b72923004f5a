"""An indicator's 实际完成值 read against its 年度指标值: `0.95%` against `≥90%`, most likely 95 %, is asked about."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.indicator_values import read_indicator
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
