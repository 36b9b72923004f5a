"""The day a file is read by, in Asia/Shanghai: its night's, taken once and passed down, never a reader's clock.

A 月报's months depend on it (`unfilled_months`): a month not over on that day is one to come. Every shard of a
night, its loader and a later run re-reading the file from the archive must read it by the same day, or the same
file is stored differently by whichever process, host or hour happened to read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.settings import TIMEZONE

# When the nightly run starts, Asia/Shanghai: `nightly_ingest`'s cron (tests/test_dags.py holds the two in step).
NIGHTLY_AT = dt.time(2, 0)


@dataclass(frozen=True, slots=True)
class ReadOn:
    """The day a file is read by, and whether that is a night still to come (a check ahead of it).

    Ahead of it, the day is a prediction, which holds only if that night's scheduled run takes the file in: a run
    started by hand (`pipeline run`, `ingest`, a DAG triggered) reads by the day it starts, and a scheduled night
    started late by the day it was due (its `run_after`). `instead` is the day a run started by hand before that
    night would read it by, where that falls in another month, so that a 月报's months may be judged otherwise.
    """

    day: dt.date
    ahead: bool = False
    instead: dt.date | None = None

    @property
    def said(self) -> str:
        """Say, as a receipt does, on which day the sheet is read, and ahead of its night what that assumes."""
        return f"本表{self.told}" if self.ahead else f"本表读取于{_date(self.day)}"

    @property
    def told(self) -> str:
        """Say on which day a file checked ahead of its night is expected to be read, and what that assumes."""
        otherwise = (
            f"；如在此之前由人工启动的任务入库，则按{_date(self.instead)}读取，所判断的月份可能不同"
            if self.instead is not None
            else ""
        )
        return (
            f"预计按{_date(self.day)}读取（假定由{_date(self.day)}{NIGHTLY_AT:%H:%M}的夜间任务入库，"
            f"该任务推迟开始也按此日；由人工启动的任务按其开始的日期读取{otherwise}）"
        )


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def now() -> dt.datetime:
    """Return the clock's time in Asia/Shanghai: read once for a run, never by each file's reader."""
    return dt.datetime.now(TIMEZONE)


def today() -> dt.date:
    """Return today's date in Asia/Shanghai."""
    return now().date()


def read_today() -> ReadOn:
    """Return the day of a file read now, with no night to read it by: a run's start, a check, a benchmark."""
    return ReadOn(today())


def day_of(moment: dt.datetime) -> dt.date:
    """Return the day of a moment in Asia/Shanghai: a night's start (a DAG run's `run_after`)."""
    return moment.astimezone(TIMEZONE).date()


def next_night(at: dt.datetime | None = None) -> ReadOn:
    """Return the day the next nightly run will read a file put in the inbox `at` (now): checked at 23:30 on the last
    day of a month, it is read after midnight, by the first of the next, unless a run started by hand before then
    takes it in, by the day checked (`instead`).

    Only the schedule is known here: a night run by hand, or by Airflow late, is told apart only once it has run
    (ops.submissions.read_on). The last run recorded does not say when the next will be.
    """
    at = (at or now()).astimezone(TIMEZONE)
    starts = dt.datetime.combine(at.date(), NIGHTLY_AT, TIMEZONE)
    day = (starts if at < starts else starts + dt.timedelta(days=1)).date()
    instead = at.date() if (at.year, at.month) != (day.year, day.month) else None
    return ReadOn(day, ahead=True, instead=instead)
