"""A national form's 项目资金 执行率 as clerks write it: `0.96%` with nothing to tell it by."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from tests.pipeline.test_cell_formats import RATE_CELL, formatted
from tests.pipeline.test_national_forms import UNIT, _row, _where, workbook
from tests.pipeline.workbooks import national_monitoring, national_self_evaluation

# A 自评表 whose 项目资金 block states no 执行数 or budget (`—`): its 执行率 is all there is to score 预算执行率 by.
NO_FIGURES = ("—", "—", "—", 10)


def _parsed(registry, demo, budget, formats=None):
    rows, merges = national_self_evaluation(demo.TARGETS, budget=budget)
    content = workbook((rows, merges))
    if formats:
        content = formatted(content, formats)
    return rows, parse_file(content, f"{UNIT}/自评表.xlsx", registry)


def _rates(parsed) -> set[object]:
    return {record["budget_execution_rate"] for record in parsed.sheets[0].records}


# `0.96%` scored 预算执行率 0.1 of its 10 points without a word where no ledger gives the rate.
@pytest.mark.parametrize(
    ("rate", "formats", "shown", "meant"),
    [
        ("0.96%", None, "0.96", "96"),
        ("1%", None, "1", "100"),
        (0.0096, {RATE_CELL: "0.00%"}, "0.96", "96"),  # 0.96 typed into a cell shown as a percentage
    ],
    ids=["text", "one", "percent-cell"],
)
def test_a_rate_of_1_percent_or_less_with_no_figures_is_kept_and_asked_about(
    registry, demo, rate, formats, shown, meant
):
    rows, parsed = _parsed(registry, demo, (*NO_FIGURES, rate, "0.1"), formats)

    [asked] = [p for p in parsed.all_problems if p.rule == "percent_fraction"]
    assert (asked.severity, asked.excel_row, asked.column_header, asked.value) == (
        "warning",
        _row(rows, "年度资金总额"),
        _where(rows, "年度资金总额", "执行率"),
        f"{shown}%",
    )
    assert (
        f"读作{shown}%，远低于执行率的目标100%，本表没有可对照的执行数和预算数，疑为{meant}%误写成了{shown}%"
        in asked.message_zh
    )
    assert "未报送资金台账的，预算执行率按此计分" in asked.message_zh
    assert f"请核对：如执行率为{meant}%，请填写“{meant}%”" in asked.message_zh
    assert _rates(parsed) == {Decimal(shown).scaleb(-2)}  # kept as read


@pytest.mark.parametrize(
    ("budget", "told"),
    [
        ((*NO_FIGURES, "2%", "0.2"), []),  # over 1 %: a rate short of its target, no fraction
        ((*NO_FIGURES, 0.0096, "0.1"), []),  # typed 0.0096 into a General cell: written so
        (("1570", "1570", "15", 10, "0.96%", "0.1"), []),  # the form's own 15÷1570 is 0.96 %
        (("1570", "1570", "1507.2", 10, "0.96%", "9.6"), ["rate_mismatch"]),  # 96 %: told as off its figures
    ],
    ids=["two-percent", "general-cell", "figures-agree", "figures-disagree"],
)
def test_a_rate_the_form_tells_or_that_is_no_fraction_typed_is_not_asked_about(registry, demo, budget, told):
    _, parsed = _parsed(registry, demo, budget)

    assert [p.rule for p in parsed.all_problems] == told


def test_a_monitoring_forms_small_rate_is_a_share_spent_so_far_and_not_asked_about(registry):
    from tests.pipeline.test_national_forms import MONITORING

    rows, merges = national_monitoring(MONITORING, budget=("—", "—", "0.96%", "—"))

    parsed = parse_file(workbook((rows, merges), sheet="监控表"), f"{UNIT}/监控表.xlsx", registry)

    assert "percent_fraction" not in [p.rule for p in parsed.all_problems]
