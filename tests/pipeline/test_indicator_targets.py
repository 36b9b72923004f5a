"""A target's comparison and unit, written in columns of their own beside its 年度指标值, joined to the target's cell."""

from __future__ import annotations

import pytest

from pipeline.indicator_targets import TargetPartError, joined_target, stated_in_cell

HEADERS = ("年度指标值", "指标性质", "度量单位")


@pytest.mark.parametrize(
    ("target", "operator", "unit", "joined"),
    [
        ("1255", "≤", "万元", "≤1255万元"),
        ("1255", "不高于", "万元", "≤1255万元"),
        ("95", "正向", "%", "≥95%"),
        ("1255", "反向指标", "万元", "≤1255万元"),
        ("95%", "定量", None, "95%"),
        # The cell's own comparison and unit agree with the columns': the cell as written.
        ("≥95%", "≥", "%", "≥95%"),
        # A strict word is kept as written, so the row's reading tells the clerk it was scored as ≥.
        ("95", "大于", "%", "大于95%"),
        # Words are read, and told of, as the cell alone.
        ("按期完成", "定性", None, "按期完成"),
    ],
)
def test_a_targets_comparison_and_unit_in_columns_of_their_own_are_read_as_if_in_its_cell(
    target, operator, unit, joined
):
    assert joined_target(target, operator, unit, HEADERS) == joined


@pytest.mark.parametrize(
    ("target", "operator", "unit", "said", "in_unit"),
    [
        ("1255", "以下", "万元", "「指标性质」应为比较方式", False),
        ("1255", "定性", "万元", "「指标性质」为“定性”（定性指标），「年度指标值」“1255”却是数值", False),
        ("≤1255万元", "≥", None, "「指标性质」为“≥”，「年度指标值」“≤1255万元”中写的却是“≤”", False),
        ("≥1255万元", "大于", None, "「指标性质」为“大于”，「年度指标值」“≥1255万元”中写的却是“≥”", False),
        ("≥95%", None, "万元", "「度量单位」为“万元”，「年度指标值」“≥95%”中写的单位却是“%”", True),
    ],
)
def test_a_column_that_contradicts_the_targets_cell_or_cannot_be_read_is_an_error(
    target, operator, unit, said, in_unit
):
    with pytest.raises(TargetPartError) as raised:
        joined_target(target, operator, unit, HEADERS)
    assert raised.value.rule == "indicator_parts"
    assert said in raised.value.expected
    assert raised.value.in_unit is in_unit


@pytest.mark.parametrize(
    ("written", "stated"),
    [
        ("定性:优", ("定性", "优")),
        ("定性指标:达到预期", ("定性指标", "达到预期")),
        ("定量: ≥95%", ("定量", "≥95%")),
        ("反向:≤ 30天", ("反向", "≤ 30天")),
        ("优", None),
        ("≥95%", None),
        # Words that only begin like a kind are the target itself.
        ("定性分析报告1份", None),
    ],
)
def test_a_kind_or_direction_written_before_the_target_in_its_cell_is_told_apart(written, stated):
    assert stated_in_cell(written) == stated
