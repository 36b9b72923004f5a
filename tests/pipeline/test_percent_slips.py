"""A percentage most likely its fraction with `%` after it: at most 1 % against a target of 50 % or more."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.percent_slips import fraction_as_points, fraction_typed


@pytest.mark.parametrize(
    ("points", "target", "doubted"),
    [
        ("0.95", "90", True),
        ("1", "50", True),
        ("0.01", "100", True),
        ("1.01", "90", False),  # over 1 %: short of the target, no fraction
        ("0", "90", False),
        ("-0.5", "90", False),
        ("0.95", "49.9", False),  # a target under half: a small share may be meant
        ("0.3", "0.5", False),
        ("0.95", None, False),
        (None, "90", False),
    ],
)
def test_only_a_share_of_1_percent_or_less_against_a_target_of_50_percent_or_more_is_doubted(
    points, target, doubted
):
    number = None if points is None else Decimal(points)
    assert fraction_as_points(number, None if target is None else Decimal(target)) is doubted


def test_the_question_names_the_reading_kept_and_the_figure_most_likely_meant():
    noted = fraction_typed(Decimal("0.955"), "执行率", "远低于执行率的目标100%")

    assert (noted.value, noted.rule) == (None, "percent_fraction")
    assert noted.expected.startswith(
        "读作0.955%，远低于执行率的目标100%，疑为95.5%按小数写作0.955后又加了百分号"
    )
    assert noted.expected.endswith("已按0.955%计算")
    assert noted.fix == "请核对：如执行率为95.5%，请填写“95.5%”"
