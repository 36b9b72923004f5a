"""Check again the 累计 of the files a run stored in earlier chunks once a later chunk is stored: in one piece each
would have been checked against the months of the whole run."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import duckdb

from pipeline.frames import Context
from pipeline.inbox_storage import Storage
from pipeline.intake.candidates import Candidate, Outcome, parse_candidate
from pipeline.intake.file_rows import add_problems
from pipeline.intake.held_months import (
    HeldMonth,
    cumulative_templates,
    monthly_history,
    months_held,
    run_names,
)
from pipeline.intake.month_rows import Period, monthly_rows
from pipeline.intake.pending_rows import PendingRows
from pipeline.intake.stale_cumulatives import stale_cumulatives
from pipeline.limits import Limits
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem, Severity
from pipeline.project_names import resolve_projects
from pipeline.projects import ProjectRegister
from pipeline.read_day import ReadOn
from pipeline.receipt_facts import recount_warnings
from pipeline.registry import Registry
from pipeline.settings import TIMEZONE
from pipeline.validate import Batch, validate

_MISMATCH, _STALE = "cumulative_mismatch", "cumulative_stale"


def recheck_cumulatives(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    earlier: set[int],
    chunk: set[int],
    read_back: Callable[[int, str], Candidate],
    before_run: dict[Period, dict[int, HeldMonth]],
) -> None:
    """Check again, against the run as it now stands, what the receipts of this run's files say of 累计 where
    `chunk` (the chunk just stored) sent months of a period that `earlier` (the run's earlier chunks) sent months
    of too; replace it where that changed.

    A file's 累计 is checked against the months in force elsewhere for the months it lacks, the run's included
    (cumulative_frame._cumulative_per_row): a month a later chunk sends changes them, for an earlier file holding a
    month after it, as it would have in one piece. A file's 本月 that put an earlier night's 累计 off (`cumulative_stale`)
    is judged against the months in force before the run (`before_run`) and after it, as in one piece: a later
    chunk may send those 累计 again, or other months' 本月, and the chunk's own files were judged against the earlier
    chunks' months as an earlier night's. `read_back` reads a file of the run back by its submission and inbox path.
    Run inside the transaction that stores the chunk's last batch (load), so that the chunk never commits without it.
    """
    templates = cumulative_templates(registry)
    if not earlier or not chunk or not templates:
        return
    run = sorted(earlier | chunk)
    again = con.execute(
        "with sent as (select template, unit, split_part(slice_key, '|', 3) as code, year, "
        "min(month) filter (where submission_id in (select unnest(?::integer[]))) as first, "
        "bool_or(submission_id not in (select unnest(?::integer[]))) as before "
        "from ops.slices where submission_id in (select unnest(?::integer[])) and month is not null "
        "and template in (select unnest(?::varchar[])) group by all) "
        "select l.submission_id, any_value(s.inbox_path), "
        "bool_or(l.month > t.first and l.submission_id not in (select unnest(?::integer[]))) "
        "from ops.slices as l join sent as t "
        "on l.template = t.template and l.unit = t.unit and split_part(l.slice_key, '|', 3) = t.code "
        "and l.year = t.year and t.first is not null and t.before "
        "join ops.submissions as s on s.submission_id = l.submission_id "
        "where l.submission_id in (select unnest(?::integer[])) group by 1 order by 1",
        [sorted(chunk), sorted(chunk), run, templates, sorted(chunk), run],
    ).fetchall()
    _judge_again(con, registry, again, set(run), read_back, before_run)


def _judge_again(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    again: list[tuple[int, str, bool]],
    run: set[int],
    read_back: Callable[[int, str], Candidate],
    before_run: dict[Period, dict[int, HeldMonth]],
) -> None:
    """Tell these files of `run` (submission, inbox path, whether its 累计 is checked again too) of their 累计 as the
    run in one piece would: `cumulative_stale` always, `cumulative_mismatch` where asked; replace what changed."""
    if not again:
        return
    templates = cumulative_templates(registry)
    register = ProjectRegister.from_warehouse(con)
    # The run's months stored so far are the warehouse's, each named as a file of the run, as in one piece.
    held = months_held(con, registry, run)
    batches = []
    told: dict[int, list[Problem]] = {}
    for submission_id, inbox_path, mismatch in again:
        parsed = read_back(submission_id, inbox_path).parsed
        resolve_projects(parsed, register, registry.offices)  # its records' codes, as when it was settled
        told[submission_id] = stale_cumulatives(before_run, held, registry, parsed, submission_id)
        if mismatch:
            batches += [
                Batch(submission_id, sheet) for sheet in parsed.sheets if sheet.template.id in templates
            ]
    found = validate(
        batches,
        registry,
        Context(monthly_history=monthly_history(held), history_names=run_names(held)),
    ).problems
    _replace(
        con, {n: [p for p in found.get(n, []) if p.rule == _MISMATCH] for n, _, m in again if m}, _MISMATCH
    )
    _replace(con, told, _STALE)


def unfinished_run(con: duckdb.DuckDBPyConnection) -> tuple[int, set[int]]:
    """Return the last submission a finished run took in, and those taken in after it: by a run killed part way."""
    # A run's row is its last write (load): a batch stored after it belongs to a run that never got there. A row
    # written before runs kept their last submission is placed by its time.
    (last,) = con.execute(
        "select coalesce(max(last_submission_id), (select max(submission_id) from ops.submissions "
        "where received_at <= (select max(finished_at) from ops.runs)), 0) from ops.runs"
    ).fetchone()
    taken_after = con.execute(
        "select submission_id from ops.submissions where submission_id > ?", [last]
    ).fetchall()
    return last, {n for (n,) in taken_after}


def read_archived(
    con: duckdb.DuckDBPyConnection,
    storage: Storage,
    registry: Registry,
    limits: Limits,
    submission_id: int,
    inbox_path: str,
) -> Candidate:
    """Parse a stored file again from its archive copy, as stored: by the day the run that stored it read it.

    Read by today's, a 月报 a killed run stored on the last night of a month would have its months to come
    judged over, or its figures of the new month refused, by the run taking the rest in after midnight. A
    submission stored before its day was kept is read by the day it was received.
    """
    archive_path, raw, day = con.execute(
        "select archive_path, raw_path, coalesce(read_on, cast(timezone(?, received_at) as date)) "
        "from ops.submissions where submission_id = ?",
        [TIMEZONE.key, submission_id],
    ).fetchone()
    content = storage.read_archive(archive_path)
    return parse_candidate(inbox_path, content, None, registry, limits, raw=raw, read_on=ReadOn(day))


def unfinished_outcomes(con: duckdb.DuckDBPyConnection, unfinished: set[int]) -> list[Outcome]:
    """Return what became of each file a killed run stored, as the run that takes the rest in reports its own."""
    problems: dict[int, list[Problem]] = {}
    for submission_id, severity, *said in con.execute(
        "select submission_id, severity, rule, message_zh, sheet, excel_row, column_header, value, expected, fix "
        "from ops.validation_issues where submission_id in (select unnest(?::integer[])) order by rowid",
        [sorted(unfinished)],
    ).fetchall():
        problems.setdefault(submission_id, []).append(Problem(Severity(severity), *said))
    return [
        # Superseded or withdrawn since, it was taken in on arrival, as a run's own outcome says.
        Outcome(
            path,
            sha,
            status if status in ("rejected", "duplicate") else "accepted",
            submission_id,
            unit,
            year,
            list(templates or []),
            problems=problems.get(submission_id, []),
            reason=reason,
        )
        for submission_id, path, sha, status, unit, year, templates, reason in con.execute(
            "select submission_id, inbox_path, sha256, status, unit, year, templates, reason from ops.submissions "
            "where submission_id in (select unnest(?::integer[])) order by 1",
            [sorted(unfinished)],
        ).fetchall()
    ]


def recheck_unfinished(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    unfinished: set[int],
    read_back: Callable[[int, str], Candidate],
    before_run: dict[Period, dict[int, HeldMonth]],
) -> None:
    """Check again the 累计 of every file a killed run stored (`unfinished`), against the months in force before
    it (`before_run`) and now: each was judged beside its chunk's files, some of which the kill rolled back.

    The run that takes the rest in then counts them as its earlier chunks (load), so the two end told as one run.
    """
    templates = cumulative_templates(registry)
    if not unfinished or not templates:
        return
    again = con.execute(
        "select l.submission_id, any_value(s.inbox_path), true from ops.slices as l "
        "join ops.submissions as s using (submission_id) "
        "where l.submission_id in (select unnest(?::integer[])) and l.month is not null "
        "and l.template in (select unnest(?::varchar[])) group by 1 order by 1",
        [sorted(unfinished), templates],
    ).fetchall()
    _judge_again(con, registry, again, unfinished, read_back, before_run)


def lend_no_returned_month(parsed: list[ParsedFile], registry: Registry, context: Context) -> None:
    """Check again, without them, the 累计 of the files of a run that took a month from files the suites returned.

    A returned file is returned whole: its months must judge no other's 累计, as they are never in force. A file
    returned before the suites is left out of the months they lend (`context.run_files`, by position in `parsed`);
    one only they return is known once they have run. A later chunk never sees its months: one piece must not
    either.
    """
    templates = cumulative_templates(registry)
    returned = {at for at in context.run_files if parsed[at].errors}
    if not returned or not templates:
        return
    first: dict[Period, int] = {}  # the first month a returned file lent, per period
    for _, _, rows in monthly_rows([parsed[at] for at in sorted(returned)], templates, returned_too=True):
        for period, month, _ in rows:
            first[period] = min(first.get(period, month), month)
    # The files taken in holding months of those periods: the months the others' 累计 are checked against.
    months = {
        at: [
            (period, month)
            for _, _, rows in monthly_rows([parsed[at]], templates)
            for period, month, _ in rows
        ]
        for at in context.run_files
        if at not in returned
    }
    beside = [at for at, held in months.items() if any(period in first for period, _ in held)]
    lent_to = {at for at in beside if any(month > first.get(period, 12) for period, month in months[at])}
    if not lent_to:
        return
    found = validate(
        [Batch(at, sheet) for at in beside for sheet in parsed[at].sheets if sheet.template.id in templates],
        registry,
        dataclasses.replace(
            context, run_files={at: name for at, name in context.run_files.items() if at in months}
        ),
    ).problems
    for at in lent_to:
        kept = [p for p in parsed[at].problems if p.rule != _MISMATCH]
        parsed[at].problems[:] = kept + [p for p in found.get(at, []) if p.rule == _MISMATCH]


def _replace(con: duckdb.DuckDBPyConnection, told: dict[int, list[Problem]], rule: str) -> None:
    """Make these files' problems of this rule those found now, where they differ; their receipts are written
    again."""
    before: dict[int, list[str]] = {n: [] for n in told}
    for submission_id, message in con.execute(
        "select submission_id, message_zh from ops.validation_issues "
        "where submission_id in (select unnest(?::integer[])) and rule = ?",
        [sorted(told), rule],
    ).fetchall():
        before[submission_id].append(message)
    changed = [
        n for n, problems in told.items() if sorted(before[n]) != sorted(p.message_zh for p in problems)
    ]
    if not changed:
        return
    pending = PendingRows()
    for submission_id in changed:
        add_problems(pending, submission_id, told[submission_id], {})
    con.execute(
        "delete from ops.validation_issues where submission_id in (select unnest(?::integer[])) and rule = ?",
        [changed, rule],
    )
    pending.insert(con)
    recount_warnings(con, changed)
