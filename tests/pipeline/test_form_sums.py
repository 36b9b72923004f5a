"""A national form's 项目资金 执行率 as clerks write it: a percentage in words, and `0.96%` with nothing to tell it by."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_file
from tests.pipeline.test_cell_formats import RATE_CELL, formatted
from tests.pipeline.test_national_forms import UNIT, _row, _where, workbook
from tests.pipeline.workbooks import national_monitoring, national_self_evaluation, xlsx

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
        f"读作{shown}%，远低于执行率的目标100%，本表没有可对照的执行数和预算数，疑为{meant}%按小数写作{shown}后又加了百分号"
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
        ((*NO_FIGURES, "百分之一", "0.1"), []),  # words are no fraction typed
        (("1570", "1570", "15", 10, "0.96%", "0.1"), []),  # the form's own 15÷1570 is 0.96 %
        (("1570", "1570", "1507.2", 10, "0.96%", "9.6"), ["rate_mismatch"]),  # 96 %: told as off its figures
    ],
    ids=["two-percent", "general-cell", "words", "figures-agree", "figures-disagree"],
)
def test_a_rate_the_form_tells_or_that_is_no_fraction_typed_is_not_asked_about(registry, demo, budget, told):
    _, parsed = _parsed(registry, demo, budget)

    assert [p.rule for p in parsed.all_problems] == told


def test_a_monitoring_forms_small_rate_is_a_share_spent_so_far_and_not_asked_about(registry):
    from tests.pipeline.test_national_forms import MONITORING

    rows, merges = national_monitoring(MONITORING, budget=("—", "—", "0.96%", "—"))

    parsed = parse_file(workbook((rows, merges), sheet="监控表"), f"{UNIT}/监控表.xlsx", registry)

    assert "percent_fraction" not in [p.rule for p in parsed.all_problems]


# `百分之九十` and `九成` were errors (应为百分比) where an indicator's value reads them as 90 %.
@pytest.mark.parametrize("words", ["百分之九十", "九成", "9成", "百分之 九十"])
@pytest.mark.parametrize(("executed", "told"), [("1413", []), ("1250.1", ["rate_mismatch"])])
def test_a_rate_in_words_is_read_and_checked_as_the_same_rate_in_digits(
    registry, demo, words, executed, told
):
    budget = ("1570", "1570", executed, 10)
    _, digits = _parsed(registry, demo, (*budget, "90%", "9"))
    rows, parsed = _parsed(registry, demo, (*budget, words, "9"))

    assert [p.rule for p in parsed.all_problems] == told
    assert _rates(parsed) == _rates(digits) == {Decimal("0.9")}
    # The same receipt as `90%`, quoting the cell as written.
    assert [p.message_zh for p in parsed.all_problems] == [
        p.message_zh.replace("填写为“90%”", f"填写为“{words}”") for p in digits.all_problems
    ]


@pytest.mark.parametrize("words", ["九十", "九成多", "百分之九十左右"])
def test_a_rate_in_words_that_is_no_percentage_stays_an_error(registry, demo, words):
    rows, parsed = _parsed(registry, demo, ("1570", "1570", "1413", 10, words, "9"))

    [error] = parsed.all_problems
    assert (error.rule, error.severity, error.excel_row) == ("type", "error", _row(rows, "年度资金总额"))


def test_a_rate_in_words_under_a_monitoring_form_is_read_as_in_digits(registry):
    from tests.pipeline.test_national_forms import MONITORING

    def rate_of(written: str):
        rows, merges = national_monitoring(MONITORING, budget=("1570.00", "800.00", written, "1570.00"))
        content = xlsx({"监控表": rows}, merges={"监控表": merges})
        parsed = parse_file(content, f"{UNIT}/监控表.xlsx", registry)
        return [p.rule for p in parsed.all_problems], _rates(parsed)

    assert rate_of("百分之五十点九六") == rate_of("50.96%") == ([], {Decimal("0.5096")})
