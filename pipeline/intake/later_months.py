"""Flag a monthly file whose corrections leave later months of the same office in force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import duckdb

from pipeline.intake.month_rows import Period, monthly_rows
from pipeline.parsed_file import ParsedFile
from pipeline.parsed_sheet import ParsedSheet
from pipeline.problems import Severity
from pipeline.project_names import project_name_problem
from pipeline.registry import Registry
from pipeline.slice_keys import SheetSlices, slice_parts

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
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: list[ParsedFile],
    sliced: SheetSlices | None = None,
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
        con,
        files,
        templates,
        {h for *_, later, _, _ in found for h in later.values()},
        SheetSlices() if sliced is None else sliced,
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
    sliced: SheetSlices,
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
            for key in sliced.keys(sheet):
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
