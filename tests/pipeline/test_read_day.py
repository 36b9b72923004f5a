"""The day a file is read by: its night's, not a reader's clock (pipeline/read_day.py)."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from pipeline import read_day
from pipeline.read_day import NIGHTLY_AT, ReadOn, day_of, next_night
from pipeline.settings import TIMEZONE


def shanghai(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("checked", "read", "instead"),
    [
        # The last evening of a month: the night that takes it in starts after midnight, in the next month; a run
        # started by hand before then reads it by the day checked, in this month.
        ("2026-11-30 23:30", dt.date(2026, 12, 1), dt.date(2026, 11, 30)),
        ("2026-11-30 08:00", dt.date(2026, 12, 1), dt.date(2026, 11, 30)),
        # Before the night's start: that night, the same day, as a run by hand before it.
        ("2026-12-01 01:30", dt.date(2026, 12, 1), None),
        # Once it has started, the next one, in the same month as the day checked.
        ("2026-12-01 02:00", dt.date(2026, 12, 2), None),
        ("2026-12-31 23:59", dt.date(2027, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_a_file_checked_is_read_by_the_day_of_the_next_night(checked, read, instead):
    assert next_night(shanghai(checked)) == ReadOn(read, ahead=True, instead=instead)


def test_the_next_night_is_the_nightly_start_in_shanghai_whatever_zone_the_moment_is_given_in():
    # 15:45 UTC on 30 November is 23:45 in Shanghai: the night after it is 1 December's.
    moment = dt.datetime(2026, 11, 30, 15, 45, tzinfo=dt.UTC)
    assert next_night(moment).day == dt.date(2026, 12, 1)
    starts = dt.datetime.combine(dt.date(2026, 12, 1), NIGHTLY_AT, TIMEZONE)
    assert next_night(starts - dt.timedelta(seconds=1)).day == dt.date(2026, 12, 1)


def test_the_next_night_without_a_moment_is_the_clocks(monkeypatch):
    monkeypatch.setattr(read_day, "now", lambda: shanghai("2026-11-30 23:30"))
    assert next_night().day == dt.date(2026, 12, 1)
    assert read_day.read_today() == ReadOn(dt.date(2026, 11, 30))


def test_a_nights_day_is_its_start_in_shanghai():
    # A run after 16:00 UTC already belongs to the next day in Shanghai.
    assert day_of(dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)) == dt.date(2026, 12, 1)
    assert day_of(dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 30)


def test_a_receipt_says_the_day_read_or_the_night_still_to_come():
    day = dt.date(2026, 12, 1)
    assert ReadOn(day).said == "本表读取于2026年12月1日"
    # Ahead of its night, a prediction and what it rests on: a night started late reads by its own day, one started
    # by hand by the day it starts (0f9cb8c said 本表将于…入库，按当日读取, as if certain).
    assert ReadOn(day, ahead=True).said == (
        f"本表预计按2026年12月1日读取（假定由2026年12月1日{NIGHTLY_AT:%H:%M}的夜间任务入库，该任务推迟开始也按此日；"
        "由人工启动的任务按其开始的日期读取）"
    )
    assert ReadOn(day, ahead=True, instead=dt.date(2026, 11, 30)).said.endswith(
        "由人工启动的任务按其开始的日期读取；如在此之前由人工启动的任务入库，则按2026年11月30日读取，所判断的月份可能不同）"
    )


def test_the_day_travels_to_another_process_unchanged():
    # Parse workers and the loader get it pickled, in a work file or a pool's arguments.
    read_on = ReadOn(dt.date(2026, 12, 1), ahead=True, instead=dt.date(2026, 11, 30))
    assert pickle.loads(pickle.dumps(read_on)) == read_on
