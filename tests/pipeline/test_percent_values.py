from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.percent_values import parse_percent
from pipeline.values import CellError, Noted


@pytest.mark.parametrize(
    ("value", "header_unit", "expected"),
    [
        ("95%", None, Decimal("0.95")),
        ("95%", "%", Decimal("0.95")),
        ("95 %", None, Decimal("0.95")),
        ("95％", None, Decimal("0.95")),
        ("0.95", None, Decimal("0.95")),
        ("0.95", "%", Decimal("0.95")),
        (0.95, "%", Decimal("0.95")),
        ("95", "%", Decimal("0.95")),
        (95, "%", Decimal("0.95")),
        (95.0, "%", Decimal("0.95")),
        ("120%", None, Decimal("1.2")),
    ],
)
def test_parse_percent_reads_all_written_forms_as_a_fraction(value, header_unit, expected):
    assert parse_percent(value, header_unit) == expected


def test_parse_percent_leaves_a_bare_number_alone_without_a_percent_header():
    assert parse_percent("95") == Decimal(95)


@pytest.mark.parametrize("value", ["1", 1, 1.0, "1.00"])
def test_a_bare_1_under_a_percent_header_is_read_as_1_percent_and_noted(value):
    noted = parse_percent(value, "%")
    assert isinstance(noted, Noted)
    assert (noted.value, noted.rule) == (Decimal("0.01"), "percent_ambiguous")
    assert noted.expected == "既可读作1%也可读作100%，表头注明（%）且无指标值可对照，已按1%计算"
    assert noted.fix == "请填写带百分号的数值，如实为100%请改为“100%”"


# As ambiguous as a bare 1 (1.05 % or 105 %, a formula's ratio): with no target to read it against, the spec's reading,
# told. From 2 up (and at or below 1) a number under （%） is percent points without doubt.
@pytest.mark.parametrize(
    ("value", "fraction", "noted"),
    [("1.05", "0.0105", True), (1.0235, "0.010235", True), ("1.999", "0.01999", True), ("2", "0.02", False),
     ("120", "1.2", False), ("0.95", "0.95", False), ("1.05%", "0.0105", False)],
)  # fmt: skip
def test_a_number_just_over_1_under_a_percent_header_is_read_as_percent_and_noted(value, fraction, noted):
    read = parse_percent(value, "%")
    assert isinstance(read, Noted) is noted
    assert (read.value if noted else read) == Decimal(fraction)
    if noted:
        points = Decimal(fraction).scaleb(2).normalize()
        assert (read.rule, read.expected) == (
            "percent_ambiguous",
            f"既可读作{points}%也可读作{(points * 100).normalize():f}%，表头注明（%）且无指标值可对照，已按{points}%计算",
        )


@pytest.mark.parametrize(
    ("value", "expected"), [("1%", Decimal("0.01")), ("100%", Decimal(1)), ("0", Decimal(0))]
)
def test_a_percentage_written_with_its_sign_or_zero_is_not_noted(value, expected):
    assert parse_percent(value, "%") == expected


@pytest.mark.parametrize("value", ["95‰", "约95%", "#DIV/0!"])
def test_parse_percent_rejects_non_percentages(value):
    with pytest.raises(CellError):
        parse_percent(value, "%")


@pytest.mark.parametrize(
    ("value", "header_unit", "fraction"),
    [
        (0.98500318, "%", Decimal("0.985003")),  # pasted from another system: 98.500318 %, shown as 98.50 %
        (0.985003181234567, None, Decimal("0.985003")),  # a formula's full float
        ("98.5003186%", None, Decimal("0.985003")),
        ("95%", None, Decimal("0.95")),
    ],
)
def test_a_rate_keeps_a_millionth_and_rounds_digits_nobody_wrote(value, header_unit, fraction):
    assert parse_percent(value, header_unit) == fraction
