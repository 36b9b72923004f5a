"""The portal's check of an upload, by the day the night that takes it in will read it (pipeline/portal/checker.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline import read_day
from pipeline.portal.checker import Checker
from pipeline.settings import TIMEZONE

OFFICE = "枣林街道办事处"
HEADER = "项目名称,年度,月份,年度计划投资（万元）,本月完成投资（万元）,累计完成投资（万元）"


def month_report() -> bytes:
    """A 2026 月报 saying nothing of its months, January to October filled, November's 0 with 累计 carried down."""
    rows = [f"甲项目,2026,{month},1000,10,{10 * month}" for month in range(1, 11)]
    rows.append("甲项目,2026,11,1000,0,100")
    return ("\n".join(["投资完成情况月报", HEADER, *rows]) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def checker(tmp_path_factory, registry):
    from pipeline.settings import Settings

    return Checker(Settings.from_env(tmp_path_factory.mktemp("portal")), registry)


def told(checker: Checker, monkeypatch, at: str) -> dict[str, str]:
    """Check the 月报 at this Shanghai time; return its problems' messages by rule."""
    moment = dt.datetime.fromisoformat(at).replace(tzinfo=TIMEZONE)
    monkeypatch.setattr(read_day, "now", lambda: moment)
    [facts] = checker.check(OFFICE, [("月报.csv", month_report())])
    return {issue.rule: issue.message_zh for issue in facts.issues}


def test_a_file_checked_on_a_months_last_evening_is_predicted_by_the_next_month_the_night_reads_it_in(
    checker, monkeypatch
):
    # At 23:30 on 30 November November is not over, but the night that takes the file in starts at 02:00 on
    # 1 December: November's 0 is then a month of no investment, read as such, not a month to come passed over.
    assert "months_after_title" not in told(checker, monkeypatch, "2026-11-30 23:30")


def test_a_file_checked_before_the_nights_start_is_predicted_by_that_night_and_says_so(checker, monkeypatch):
    # At 01:30 on 30 November the night is that day's: November is still to come, its 0 passed over.
    said = told(checker, monkeypatch, "2026-11-30 01:30")
    assert (
        "而本表预计按2026年11月30日读取（假定由2026年11月30日02:00的夜间任务入库"
        in said["months_after_title"]
    )
