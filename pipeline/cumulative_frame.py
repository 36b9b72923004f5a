"""Build the 累计 check's frame: each month's 累计 beside the sum of its months, taken from its file, the run's
other files or the warehouse."""

from __future__ import annotations

import operator
from collections import defaultdict
from decimal import Decimal

from pipeline import suites
from pipeline.frames import Context, Sheet, _blamed
from pipeline.registry import Registry


def gap_tolerance(template_id: str) -> Decimal:
    """Return how far a 累计 may be from its months' sum: the bound the suite checks `cumulative_gap` against."""
    # Read from the suite (±0.01 万元, submissions.md), so the frame and the check never disagree.
    for expectation in suites.suite_documents(template_id)["cumulative_per_row"]["expectations"]:
        kwargs = expectation["kwargs"]
        if kwargs.get("column") == "cumulative_gap" and kwargs.get("max_value") is not None:
            return Decimal(str(kwargs["max_value"]))
    return Decimal(0)  # nothing checks the gap: every change of it is one


_CUMULATIVE = "cumulative_completed_wan"
# The rows of each month per (batch, unit, project, year): (sheet, record) pairs.
_Months = dict[tuple, dict[int, list[tuple[Sheet, dict]]]]


def _months_in_run(groups: _Months, context: Context) -> dict[tuple, dict[int, tuple[Decimal | None, str]]]:
    """Return the 本月 in force per (unit, project, year) and month among the run's files, and its file's name."""
    # A month is the last stored file's that holds it, as its slice will be. Where that file cannot say it (the
    # month twice, a cell the parser reported) the amount is None: the month is unknown, not an older file's.
    order = {key: position for position, key in enumerate(context.run_files)}
    held = [
        (order[rows[0][0].key], group[1:], month, rows)
        for group, by_month in groups.items()
        for month, rows in by_month.items()
        if rows[0][0].key in order
    ]
    in_force: dict[tuple, dict[int, tuple[Decimal | None, str]]] = defaultdict(dict)
    for _, key, month, rows in sorted(held, key=operator.itemgetter(0)):
        sheet, record = rows[0]
        amount = sheet.values(record, "monthly_completed_wan") if len(rows) == 1 else None
        in_force[key][month] = (None if amount is None else amount[0], context.run_files[sheet.key])
    return in_force


def _taken_from(
    borrowed: dict[str, list[int]], unsent: list[int], stored: dict[str, list[int]] | None = None
) -> str:
    """Say where a sum's months came from when not this file or the warehouse (and from the warehouse, by file, where
    `stored` is given): `（其中1、2月取自本次同时报送的“甲”，3月未报送，按0计）`."""
    parts = [f"{'、'.join(map(str, months))}月取自“{name}”" for name, months in borrowed.items()]
    if parts:
        parts[0] = parts[0].replace("取自", "取自本次同时报送的", 1)
    parts += [f"{'、'.join(map(str, months))}月取自{name}" for name, months in (stored or {}).items()]
    if unsent:
        parts.append(f"{'、'.join(map(str, unsent))}月未报送，按0计")
    # Nothing said where the months were the file's own or the warehouse's, as a file sent alone is told.
    return f"（其中{'，'.join(parts)}）" if parts else ""


def _filed(context: Context, period: tuple, months: list[int]) -> dict[str, list[int]]:
    """Return the warehouse's months of a period by the earlier night's file holding each, as `stored_name` names it."""
    filed: dict[str, list[int]] = {}
    for month in months:
        if (name := context.stored_name(period, month)) is not None:
            filed.setdefault(name, []).append(month)
    return filed


def _years_before(context: Context, period: tuple[str, str, str, str]) -> Decimal:
    """Return the 本月 in force of every earlier year of a period's unit and project: what a 累计 written since the
    project began holds beyond this year's months."""
    template, unit, project, year = period
    return sum(
        (
            sum(months.values(), Decimal(0))
            for (t, u, p, y), months in context.monthly_history.items()
            if (t, u, p) == (template, unit, project) and y.isdigit() and int(y) < int(year)
        ),
        Decimal(0),
    )


def _since_start(sheet: Sheet, gap: Decimal, context: Context, period: tuple, tolerance: Decimal) -> str:
    """Say that a 累计 is off by exactly the earlier years' 本月: written since the project began, not this year."""
    year = int(period[3]) if period[3].isdigit() else None
    # Read only for a gap, as few are: the warehouse's every period would be walked for each project otherwise.
    before = _years_before(context, period) if gap and year is not None else Decimal(0)
    if not before or abs(gap - before) > tolerance:
        return ""
    return (
        f"；多出的{sheet.as_written(_CUMULATIVE, before)}正是本项目{year - 1}年及以前各月本月完成投资之和，"
        f"本表的累计似按开工以来累计填写，应填写{year}年1月起的累计"
    )


def _cumulative_per_row(sheets: list[Sheet], context: Context, registry: Registry) -> list[dict]:
    """Build one row per month m whose months 1..m are each once in its file, else in force in the run or warehouse."""
    groups: _Months = defaultdict(lambda: defaultdict(list))
    for sheet in sheets:
        for record in sheet.parsed.records:
            # By project code, as the warehouse's months are: a project renamed in its register is still itself.
            project = record.get("project_code") or record.get("project_name")
            group = (sheet.batch, record.get("unit"), project, record.get("year"))
            groups[group][record.get("month")].append((sheet, record))
    template_id = sheets[0].parsed.template.id
    tolerance = gap_tolerance(template_id)
    in_run = _months_in_run(groups, context)
    frame = []
    for group, by_month in groups.items():
        _, unit, project, year = group
        period = (template_id, unit, str(project), str(year))
        history, names = context.monthly_history.get(period, {}), context.history_names.get(period, {})
        elsewhere = {month: (amount, names.get(month)) for month, amount in history.items()} | in_run.get(
            group[1:], {}
        )
        borrowed: dict[str, list[int]] = {}  # months taken from other files of this run, by file name
        # Months taken from earlier nights' files: named only for a figure worked back, which the clerk is to write
        # in, so must be able to trace; a 累计 checked says only the run's.
        stored: list[int] = []
        # Months no file has sent (a project begun in March): counted as nothing done, and said so, so that 累计 is
        # still checked; a clerk whose 累计 holds spending of those months is asked to send them.
        unsent: list[int] = []
        running = Decimal(0)
        carried = Decimal(0)  # the gap the month before left, which this month's 累计 may carry on
        for month in range(1, 13):
            if month not in by_month and month not in elsewhere:
                unsent.append(month)
                carried = Decimal(0)
                continue
            if month not in by_month:
                amount, source = elsewhere[month]
                if amount is None:
                    break  # the month in force cannot be read: no 累计 from it on can be verified
                running += amount
                if source is not None:
                    borrowed.setdefault(source, []).append(month)
                else:
                    stored.append(month)
                carried = Decimal(0)  # that month's 累计 is not at hand: its gap is unknown
                continue
            if len(by_month.get(month, ())) != 1:
                break
            sheet, record = by_month[month][0]
            monthly = sheet.values(record, "monthly_completed_wan")
            if monthly is None:
                # Refused for its blank 本月 (required), and never filled in for the clerk: but where 累计 gives it,
                # the receipt names the figure and the cells it comes from, so the clerk need not work it out.
                if (
                    worked := _worked_back(
                        sheet,
                        record,
                        month,
                        running,
                        _taken_from(borrowed, unsent, _filed(context, period, stored)),
                    )
                ) is not None:
                    frame.append(worked)
                break
            running += monthly[0]
            cumulative = sheet.values(record, _CUMULATIVE)
            if cumulative is None:
                carried = Decimal(0)
                continue
            gap = cumulative[0] - running
            # One wrong 本月 (in 元, say) puts every later 累计 off by the same amount: the month it happened is
            # blamed, and later months only where their gap differs again (a second error), not once a month.
            opened = gap if abs(gap - carried) > tolerance else Decimal(0)
            carried = gap
            row = record["excel_row"]
            frame.append(
                _blamed(sheet, [row])
                | {
                    "month": month,
                    "cumulative": cumulative[0],
                    "expected_cumulative": running,
                    "cumulative_gap": opened,
                    "months_from_run": _taken_from(borrowed, unsent),
                    # A 累计 since the project began is off by the earlier years': read as sent, the completion rate
                    # and lights counted them as this year's (115 %, no light), so the clerk is told which it is.
                    "since_start": _since_start(sheet, opened, context, period, tolerance),
                    # Quoted in the unit the header names (2500000 元, not the 250 万元 stored), both alike.
                    "cumulative_written": sheet.as_written(_CUMULATIVE, cumulative[0], row),
                    "expected_written": sheet.as_written(_CUMULATIVE, running, row),
                    "monthly_blank": 0,
                }
            )
    return frame


def _worked_back(sheet: Sheet, record: dict, month: int, before: Decimal, taken_from: str) -> dict | None:
    """Return the frame row telling what a blank 本月 would be from its row's 累计 less the months before it, or None
    where the row has no 累计 to work it back from (or its 本月 was written and reported, not left blank)."""
    cumulative = sheet.values(record, _CUMULATIVE)
    if cumulative is None or record.get("monthly_completed_wan") is not None:
        return None
    row = record["excel_row"]
    months = (
        f"1至{month - 1}月本月完成投资之和{sheet.as_written(_CUMULATIVE, before, row)}" if month > 1 else ""
    )
    return _blamed(sheet, [row]) | {
        "month": month,
        "cumulative": cumulative[0],
        "expected_cumulative": before,
        "cumulative_gap": Decimal(0),  # no 本月 to check it against: the blank is what is told
        "months_from_run": taken_from,
        "since_start": "",
        "cumulative_written": sheet.as_written(_CUMULATIVE, cumulative[0], row),
        "expected_written": sheet.as_written(_CUMULATIVE, before, row),
        "monthly_blank": 1,
        "monthly_written": None,
        "worked_back_written": sheet.as_written("monthly_completed_wan", cumulative[0] - before, row),
        "worked_back_from": f"第{row}行累计完成投资{sheet.as_written(_CUMULATIVE, cumulative[0], row)}"
        + (f"减去{months}" if months else ""),
    }
