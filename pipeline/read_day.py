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
    """The day a file is read by, and whether that is a night still to come (a check ahead of it)."""

    day: dt.date
    ahead: bool = False

    @property
    def said(self) -> str:
        """Say, as a receipt does, on which day the sheet is read."""
        on = f"{self.day.year}年{self.day.month}月{self.day.day}日"
        if self.ahead:
            return f"本表将于{on}{NIGHTLY_AT:%H:%M}入库，按当日读取"
        return f"本表读取于{on}"


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
    day of a month, it is read after midnight, by the first of the next."""
    at = (at or now()).astimezone(TIMEZONE)
    starts = dt.datetime.combine(at.date(), NIGHTLY_AT, TIMEZONE)
    return ReadOn((starts if at < starts else starts + dt.timedelta(days=1)).date(), ahead=True)
