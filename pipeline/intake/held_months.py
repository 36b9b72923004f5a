"""Read the months in force of the monthly templates with a 累计, with their 本月 and 累计."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

import duckdb

from pipeline.intake.month_rows import Period
from pipeline.registry import Registry

# The columns a month's 累计 is checked by: 本月 adds up to 累计 (submissions.md, investment_progress).
_MONTHLY, _CUMULATIVE = "monthly_completed_wan", "cumulative_completed_wan"
# One month in force: (本月, 累计, the name of the file holding it, whether that file is of this run, its submission
# id, None for a file of this run); None where a figure is not written.
HeldMonth = tuple[Decimal | None, Decimal | None, str, bool, int | None]


def cumulative_templates(registry: Registry) -> list[str]:
    """Return the monthly templates with a 本月 and a 累计 to add it up to."""
    return [
        t.id
        for t in registry.templates.values()
        if "month" in t.slice and {_MONTHLY, _CUMULATIVE} <= {c.name for c in t.columns}
    ]


def months_held(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    stored_in_run: set[int] = frozenset(),
    upto: int | None = None,
) -> dict[Period, dict[int, HeldMonth]]:
    """Return each month in force in the warehouse, per period of the templates with a 累计, with its 本月 and 累计;
    a month of `stored_in_run` (stored in an earlier chunk of this run) is of this run. With `upto`, those in force
    once the submissions numbered up to it were taken in (before a run killed part way through).

    Read once a chunk: the suites' 累计 check takes its 本月 from it too (`monthly_history`).
    """
    held: dict[Period, dict[int, HeldMonth]] = defaultdict(dict)
    for template in cumulative_templates(registry) if con is not None else ():
        # The staging view's rows, as the view makes them, from the slices in force up to `upto`.
        rows = (
            f"staging.{template}"
            if upto is None
            else f"(select * from raw.{template} join ops.slices_in_force({int(upto)}) "
            "using (submission_id, slice_key) where project_code is not null)"
        )
        for unit, code, year, month, monthly, cumulative, name, submission in con.execute(
            f"select t.unit, t.project_code, t.year, t.month, t.{_MONTHLY}, t.{_CUMULATIVE}, s.original_name, "
            f"s.submission_id from {rows} as t join ops.submissions as s using (submission_id)"
        ).fetchall():
            held[(template, unit, str(code), str(year))][month] = (
                monthly,
                cumulative,
                name,
                submission in stored_in_run,
                submission,
            )
    return held


def monthly_history(held: dict[Period, dict[int, HeldMonth]]) -> dict[Period, dict[int, Decimal]]:
    """Return the 本月 of each month `months_held` found written, per period: what the 累计 check adds up."""
    return {
        period: {month: held_month[0] for month, held_month in months.items() if held_month[0] is not None}
        for period, months in held.items()
    }


def run_names(held: dict[Period, dict[int, HeldMonth]]) -> dict[Period, dict[int, str]]:
    """Return the name of the file of this run holding each month `months_held` found, per period."""
    return {
        period: {month: held_month[2] for month, held_month in months.items() if held_month[3]}
        for period, months in held.items()
    }


def stored_namer(
    con: duckdb.DuckDBPyConnection | None, held: dict[Period, dict[int, HeldMonth]]
) -> Callable[[Period, int], str | None]:
    """Return what names the file of an earlier night holding a month `months_held` found: `2026年12月7日入库的第3号
    提交“月报1-2月.csv”`, by the day its night read it (else received it), as its receipt and the portal number it;
    None for a month of this run or none held. Asked only where a figure is worked back: nothing is read till then."""
    days: dict[int, dt.date | None] = {}

    def named(period: Period, month: int) -> str | None:
        found = held.get(period, {}).get(month)
        if con is None or found is None or found[3]:
            return None
        _, _, name, _, number = found
        if number not in days:
            [(days[number],)] = con.execute(
                "select coalesce(read_on, received_at::date) from ops.submissions where submission_id = ?",
                [number],
            ).fetchall()
        day = days[number]
        return f"{f'{day:%Y年%-m月%-d日}' if day else '已'}入库的第{number}号提交“{name}”"

    return named
