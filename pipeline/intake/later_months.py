"""Flag a monthly file whose corrections leave later months of the same office in force: months it stops before,
and 累计 that no longer add up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal

import duckdb

from pipeline.cumulative_frame import gap_tolerance
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Problem, Severity, display
from pipeline.project_names import project_name_problem
from pipeline.projects import slice_key, slice_parts
from pipeline.registry import Registry

# A month's slice without its month: (template, office, project code, year).
Period = tuple[str, str, str, str]


# Who holds a month: (the submission id, or ("run", the parsed file's id) in this run; the file's name).
_Holder = tuple[object, str]


def _held(con: duckdb.DuckDBPyConnection | None, templates: list[str]) -> dict[Period, dict[int, _Holder]]:
    """Return, per period of these templates, each month in force and the file holding it."""
    held: dict[Period, dict[int, _Holder]] = defaultdict(dict)
    if con is None or not templates:
        return held
    for key, submission, name in con.execute(
        "select c.slice_key, s.submission_id, s.original_name from ops.current_slices as c "
        "join ops.submissions as s using (submission_id) "
        "where split_part(c.slice_key, '|', 1) in (select unnest(?::varchar[]))",
        [templates],
    ).fetchall():
        template, unit, code, year, month = slice_parts(key)
        if month.isdigit():
            held[(template, unit, code, year)][int(month)] = (submission, name)
    return held


def flag_later_months(
    con: duckdb.DuckDBPyConnection | None, registry: Registry, files: list[ParsedFile]
) -> None:
    """Warn on a file correcting an earlier file of its office (replacing some of its months) that stops before a
    later month of it, in force or earlier in this run (`files` are those to be stored, in the order they are
    stored, validated: a file returned lends no month, a copy of a file of this run none of its own).

    Each month is a slice of its own (submissions.md), so a corrected file replaces only the months it has: a month
    mistyped in the earlier file (June written 7) stays in force, and the report reads it as the latest month. The
    receipt of the correction says so, as only the clerk knows whether that month is real. A file of earlier months
    only (January and February sent after March) corrects nothing, and is not told.
    """
    templates = [t.id for t in registry.templates.values() if "month" in t.slice]
    held = _held(con, templates)
    found: list[
        tuple[
            ParsedFile,
            ParsedSheet,
            dict,
            int,
            dict[int, _Holder],
            tuple[int, _Holder],
            tuple[list[int], bool],
        ]
    ] = []
    for file, sheet, rows in monthly_rows(files, templates):
        last: dict[Period, tuple[int, dict]] = {}
        months: dict[Period, set[int]] = defaultdict(set)
        for period, month, record in rows:
            months[period].add(month)
            if period not in last or month > last[period][0]:
                last[period] = (month, record)
        for period, (month, record) in last.items():
            corrected = {holder for m, holder in held[period].items() if m in months[period]}
            later = {
                m: holder
                for m, holder in held[period].items()
                if m > month and m not in months[period] and holder in corrected
            }
            if later:
                latest = max(held[period])  # a month after this file's last, so not one of its own
                besides = _kept_besides(held, months, period, later)
                found.append((file, sheet, record, month, later, (latest, held[period][latest]), besides))
        for period, written in months.items():  # in force for the files after it in this run
            held[period].update(dict.fromkeys(written, (("run", id(file)), file.original_name)))
    other_forms = _other_forms(
        con, files, templates, {h for *_, later, _, _ in found for h in later.values()}
    )
    position = {id(file): at for at, file in enumerate(files)}
    for file, sheet, record, month, later, latest, (months, elsewhere) in found:
        elsewhere = elsewhere or any(other_forms(holder, position[id(file)]) for holder in later.values())
        file.problems.append(_later(sheet, record, month, later, latest, months, elsewhere))


def _kept_besides(
    held: dict[Period, dict[int, _Holder]],
    sent: dict[Period, set[int]],
    period: Period,
    later: dict[int, _Holder],
) -> tuple[list[int], bool]:
    """Return what the files holding `later` keep in force besides it once a file sends `sent`: the months of this
    period, and whether anything of another period."""
    holders = set(later.values())
    months, elsewhere = [], False
    for other, by_month in held.items():
        for m, holder in by_month.items():
            if holder not in holders or m in sent.get(other, ()) or (other == period and m in later):
                continue
            if other == period:
                months.append(m)
            else:
                elsewhere = True
    return sorted(months), elsewhere


def _other_forms(
    con: duckdb.DuckDBPyConnection | None,
    files: list[ParsedFile],
    templates: list[str],
    holders: set[_Holder],
) -> Callable[[_Holder, int], bool]:
    """Return whether a holder holds a slice of a form other than these templates once the files before the one at
    a position in `files` are stored: withdrawing it would take that slice too.

    A slice a file stored after the holder replaces is no longer the holder's, whether that file came in an
    earlier chunk or earlier in this one: a run in chunks advises as a run in one piece.
    """
    keys: dict[_Holder, set[str]] = defaultdict(set)
    written: dict[str, list[int]] = defaultdict(list)  # the positions of the files writing each slice
    since = dict.fromkeys(holders, -1)  # a stored holder's slices are as they stand before this chunk
    for at, file in enumerate(files):
        if file.errors:
            continue  # a returned file holds nothing, and replaces nothing
        holder = (("run", id(file)), file.original_name)
        for sheet in file.sheets:
            if sheet.template.id in templates:
                continue
            for key in {slice_key(sheet.template.id, r, sheet.template.slice) for r in sheet.records}:
                written[key].append(at)
                if holder in since:
                    keys[holder].add(key)
                    since[holder] = at
    stored = sorted({submission for submission, _ in holders if isinstance(submission, int)})
    if con is not None and stored:
        for submission, name, key in con.execute(
            "select c.submission_id, s.original_name, c.slice_key from ops.current_slices as c "
            "join ops.submissions as s using (submission_id) "
            "where c.submission_id in (select unnest(?::integer[])) "
            "and split_part(c.slice_key, '|', 1) not in (select unnest(?::varchar[]))",
            [stored, templates],
        ).fetchall():
            keys[(submission, name)].add(key)

    def holds(holder: _Holder, at: int) -> bool:
        return any(
            not any(since.get(holder, -1) < w < at for w in written.get(key, ()))
            for key in keys.get(holder, ())
        )

    return holds


def monthly_rows(
    files: list[ParsedFile], templates: list[str], returned_too: bool = False
) -> Iterator[tuple[ParsedFile, ParsedSheet, list[tuple[Period, int, dict]]]]:
    """Yield each sheet of these templates in the files taken in (`returned_too`: and those returned), with each
    record's period and month."""
    for file in files:
        if (file.errors and not returned_too) or file.unit is None:
            continue
        for sheet in file.sheets:
            if sheet.template.id not in templates:
                continue
            rows = []
            for record in sheet.records:
                code, year, month = record.get("project_code"), record.get("year"), record.get("month")
                if code is not None and year is not None and isinstance(month, int):
                    rows.append(((sheet.template.id, file.unit, str(code), str(year)), month, record))
            yield file, sheet, rows


def _later(
    sheet,
    record: dict,
    month: int,
    later: dict[int, _Holder],
    latest: tuple[int, _Holder],
    besides: list[int],
    elsewhere: bool,
):
    """Say which later months of the corrected files stay in force, which month the report reads as the latest, and
    what to do: withdrawing a corrected file is named only where it takes out nothing but those months."""
    months = "、".join(f"{m}月" for m in sorted(later))
    names = "、".join(f"《{name}》" for name in dict.fromkeys(later[m][1] for m in sorted(later)))
    expected = (
        f"项目“{record.get('project_name')}”{record.get('year')}年度本表报至{month}月，但此前报送的{names}中"
        f"{months}的数据仍然有效"
    )
    last, holder = latest
    if last not in later:
        # A later month of another file is the report's latest: the months kept are months like any other.
        expected += f"，报告以《{holder[1]}》中的{last}月为最新月份，{months}照常计入"
        fix = f"如{months}的数据也有误，请报送该月份的正确数据（同一月份以后报送的为准）"
    elif not besides and not elsewhere:
        expected += f"，报告将以{last}月为最新月份"
        fix = f"如{months}的数据有误，请联系财政局撤回原文件；如确有该月数据，请在本表中一并填报"
    else:
        kept = "、".join([*(f"{m}月" for m in besides), *(["其他项目、期间或报表"] if elsewhere else [])])
        expected += f"，报告将以{last}月为最新月份"
        fix = (
            f"如{months}的数据有误，请在本表中一并填报该月份的正确数据；如原文件并无该月数据（月份填错），请联系财政局"
            f"撤回原文件，撤回后其中仍然有效的{kept}的数据也不再计入，须随后重新报送"
        )
    return project_name_problem(
        Severity.WARNING,
        "later_month_in_force",
        sheet,
        record,
        f"{expected}，{fix}。",
        expected=expected,
        fix=fix,
        named=tuple(dict.fromkeys(later[m][0] for m in sorted(later))),
    )


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
    figures = "、".join(display(cumulative) for cumulative, *_ in stale.values())
    sums = "、".join(display(total) for _, total, *_ in stale.values())
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
