"""Flag a file whose 本月 leave a later month's 累计, in force from an earlier night, off its months' sum."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal

from pipeline.cumulative_frame import gap_tolerance
from pipeline.intake.held_months import _CUMULATIVE, _MONTHLY, HeldMonth, cumulative_templates
from pipeline.intake.month_rows import Period, monthly_rows
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, display
from pipeline.project_names import project_name_problem
from pipeline.registry import Registry


def flag_stale_cumulatives(
    held: dict[Period, dict[int, HeldMonth]], registry: Registry, files: list[ParsedFile]
) -> None:
    """Warn on a file whose 本月 leave a later month's 累计, in force from an earlier night, off its months' sum.

    A correction of February's 本月 sent after March and April came in their own files replaces February alone:
    March's and April's 累计 stay as sent, and the report reads April's. Each month's own file was checked when it
    came; only the correction can tell that they no longer add up, so its receipt says which months to send again.
    The run is judged as it will stand, every file of it in force (`files` in the order they are stored), as the
    suites judge it: a later month sent in this run, in an earlier chunk too, is told on its own receipt instead
    (`held` marks those of this run; intake.recheck), and one already off by the same amount before (its file was
    told then) is not told again.
    """
    templates = cumulative_templates(registry)
    tolerances = {template: gap_tolerance(template) for template in templates}
    held = defaultdict(dict, held)  # periods the warehouse has no month of are looked up too
    in_run: dict[Period, dict[int, HeldMonth]] = defaultdict(dict)
    sent = list(_sent_months(files, templates))
    for _, _, period, by_month in sent:
        in_run[period].update({m: row for m, (row, _) in by_month.items()})
    for file, sheet, period, by_month in sent:
        holds = in_run[period]
        file.problems += _told_stale(
            sheet,
            by_month,
            held[period],
            held[period] | holds,
            lambda m, row, holds=holds: holds[m] is row,
            tolerances[sheet.template.id],
        )


def stale_cumulatives(
    before: dict[Period, dict[int, HeldMonth]],
    now: dict[Period, dict[int, HeldMonth]],
    registry: Registry,
    file: ParsedFile,
    submission_id: int,
) -> list[Problem]:
    """Return the `cumulative_stale` warnings of a file of this run stored as `submission_id`, judged as
    `flag_stale_cumulatives` judges the run in one piece: `before` holds the months in force before the run, `now`
    those in force with the run's files stored so far (`months_held`, the run's marked)."""
    templates = cumulative_templates(registry)
    problems = []
    for _, sheet, period, by_month in _sent_months([file], templates):
        now_held = now.get(period, {})
        problems += _told_stale(
            sheet,
            by_month,
            before.get(period, {}),
            now_held,
            lambda m, _, now_held=now_held: now_held.get(m, (None,) * 5)[4] == submission_id,
            gap_tolerance(sheet.template.id),
        )
    return problems


def _sent_months(
    files: list[ParsedFile], templates: list[str]
) -> Iterator[tuple[ParsedFile, ParsedSheet, Period, dict[int, tuple[HeldMonth, dict]]]]:
    """Yield each period a sheet of these files sends months of, with each month's row and record."""
    for file, sheet, rows in monthly_rows(files, templates):
        months: dict[Period, dict[int, tuple[HeldMonth, dict]]] = defaultdict(dict)
        for period, month, record in rows:
            row = (record.get(_MONTHLY), record.get(_CUMULATIVE), file.original_name, True, None)
            months[period][month] = (row, record)
        for period, by_month in months.items():
            yield file, sheet, period, by_month


def _told_stale(
    sheet: ParsedSheet,
    by_month: dict[int, tuple[HeldMonth, dict]],
    before: dict[int, HeldMonth],
    after: dict[int, HeldMonth],
    holds: Callable[[int, HeldMonth], bool],
    tolerance: Decimal,
) -> list[Problem]:
    """Return the warning, if any, on a sheet's months of a period whose 本月 put later months' 累计 off."""
    # The months this file decides: those it holds at the run's end (`holds`), with a 本月 the warehouse did not have.
    decided = [
        m for m, (row, _) in by_month.items() if holds(m, row) and (m not in before or before[m][0] != row[0])
    ]
    if not decided:
        return []
    stale = _stale_months(before, after, min(decided), tolerance)
    return [_stale(sheet, by_month[min(decided)][1], sorted(by_month), stale)] if stale else []


def _stale_months(
    before: dict[int, HeldMonth], after: dict[int, HeldMonth], first: int, tolerance: Decimal
) -> dict[int, tuple[Decimal, Decimal, str, int]]:
    """Return the months after `first` held from an earlier night whose 累计 the run's 本月 put off their sum:
    month → (累计, the sum now, the name and submission id of the file holding it)."""
    stale = {}
    old = new = Decimal(0)
    for month in range(1, 13):
        was, now = before.get(month), after.get(month)
        if (was is not None and was[0] is None) or (now is not None and now[0] is None):
            break  # a month whose 本月 is not known: no later 累计 can be judged
        old += was[0] if was is not None else 0
        new += now[0] if now is not None else 0
        if month <= first or now is None or now[3] or now[1] is None:
            continue
        cumulative = now[1]
        if abs(cumulative - new) > tolerance and abs((cumulative - new) - (cumulative - old)) > tolerance:
            stale[month] = (cumulative, new, now[2], now[4])
    return stale


def _stale(sheet, record: dict, sent: list[int], stale: dict[int, tuple[Decimal, Decimal, str, int]]):
    months = "、".join(f"{m}月" for m in stale)
    names = "、".join(f"《{name}》" for name in dict.fromkeys(name for _, _, name, _ in stale.values()))
    # As stored, in 万元, and said so: those files may be kept in 元 (2400000 in the cell, 240 here).
    figures = "、".join(f"{display(cumulative)}万元" for cumulative, *_ in stale.values())
    sums = "、".join(f"{display(total)}万元" for _, total, *_ in stale.values())
    expected = (
        f"项目“{record.get('project_name')}”{record.get('year')}年度本表报送了{'、'.join(f'{m}月' for m in sent)}，"
        f"此前报送的{names}中{months}的累计完成投资（{figures}）与1月至该月本月完成投资之和（{sums}）不再相符，"
        f"报告仍以其中最新月份的累计计算投资完成率"
    )
    fix = f"请核对本表的本月完成投资；如无误，请一并更正{months}的累计完成投资后重新报送这些月份"
    return project_name_problem(
        Severity.WARNING,
        "cumulative_stale",
        sheet,
        record,
        f"{expected}，{fix}。",
        expected=expected,
        fix=fix,
        named=tuple(dict.fromkeys(submission for *_, submission in stale.values())),
    )
