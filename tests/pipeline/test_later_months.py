"""A monthly file that stops before a month an earlier file of its office still holds (pipeline/intake/later_months)."""

from __future__ import annotations

import pytest

from pipeline.problems import RULE_ZH
from tests.pipeline.test_projects import BUREAU, JIA, YEAR, marts, register_csv, take_in

PROJECT = "甲项目"
HEADER = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"


def progress_csv(*months: tuple[int, str, str]) -> str:
    """An investment progress sheet: rows of (month, 本月完成, 累计完成)."""
    rows = [f"{PROJECT},{YEAR},{month},1000,{done},{so_far}" for month, done, so_far in months]
    return "\n".join(["投资完成情况月报", HEADER, *rows]) + "\n"


REGISTER = (f"{BUREAU}/项目基本信息表.csv", register_csv(("JIA-01", PROJECT, JIA)))
# June mistyped as 7; the correction has months 1–2 and the real June.
FIRST = (f"{JIA}/投资进度.csv", progress_csv((1, "100", "100"), (2, "100", "200"), (7, "100", "300")))
CORRECTED = (
    f"{JIA}/投资进度（更正）.csv",
    progress_csv((1, "100", "100"), (2, "100", "200"), (6, "100", "300")),
)


@pytest.mark.parametrize("same_night", [False, True])
def test_a_correction_stopping_before_a_month_still_in_force_is_a_flagged_warning(
    settings, registry, same_night
):
    if same_night:
        outcomes = take_in(settings, registry, REGISTER, FIRST, CORRECTED)
    else:
        outcomes = take_in(settings, registry, REGISTER, FIRST) | take_in(settings, registry, CORRECTED)

    corrected = outcomes[CORRECTED[0]]
    [warning] = [p for p in corrected.warnings if p.rule == "later_month_in_force"]
    assert (
        "本表报至6月，但此前报送的《投资进度.csv》中7月的数据仍然有效，报告将以7月为最新月份"
        in warning.message_zh
    )
    assert warning.excel_row == 5  # the row of the file's last month
    assert not [p for p in outcomes[FIRST[0]].warnings if p.rule == "later_month_in_force"]
    assert RULE_ZH["later_month_in_force"]
    # The month stays in force, as the contract's per-month slices say: the warning is what changed.
    assert marts(settings, "select max(month) from staging.investment_progress") == [(7,)]


def test_a_correction_reaching_the_latest_month_says_nothing(settings, registry):
    take_in(settings, registry, REGISTER, FIRST)
    outcome = take_in(settings, registry, (CORRECTED[0], progress_csv((6, "100", "300"), (7, "0", "300"))))[
        CORRECTED[0]
    ]

    assert not [p for p in outcome.warnings if p.rule == "later_month_in_force"]


def test_earlier_months_sent_after_a_later_one_correct_nothing_and_say_nothing(settings, registry):
    take_in(settings, registry, REGISTER, (f"{JIA}/3月.csv", progress_csv((3, "100", "300"))))
    outcome = take_in(
        settings, registry, (f"{JIA}/1至2月.csv", progress_csv((1, "100", "100"), (2, "100", "200")))
    )

    assert not [p for p in outcome[f"{JIA}/1至2月.csv"].warnings if p.rule == "later_month_in_force"]
