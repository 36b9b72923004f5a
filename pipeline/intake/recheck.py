"""Check again the 累计 of the files a run stored in earlier chunks once a later chunk is stored: in one piece each
would have been checked against the months of the whole run."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from pipeline.frames import Context
from pipeline.intake.candidates import Candidate
from pipeline.intake.later_months import cumulative_templates, monthly_history, months_held, run_names
from pipeline.intake.store import PendingRows, add_problems
from pipeline.project_names import resolve_projects
from pipeline.projects import ProjectRegister
from pipeline.receipt_facts import recount_warnings
from pipeline.registry import Registry
from pipeline.validate import Batch, validate

_RULE = "cumulative_mismatch"


def recheck_cumulatives(
    con: duckdb.DuckDBPyConnection,
    registry: Registry,
    earlier: set[int],
    chunk: set[int],
    read_back: Callable[[str], Candidate],
) -> None:
    """Check again, against the run as it now stands, the 累计 of each file of `earlier` (stored in this run's
    earlier chunks) holding a month after one `chunk` (the chunk just stored) sent of its period; replace what its
    receipt says of its 累计 where that changed.

    A file's 累计 is checked against the months in force elsewhere for the months it lacks, the run's included
    (frames._cumulative_per_row): a month a later chunk sends changes them as it would have in one piece.
    `read_back` reads a file of the run back from its work file by inbox path. Run inside the transaction that
    stores the chunk's last batch (load), so that the chunk never commits without it.
    """
    templates = cumulative_templates(registry)
    if not earlier or not chunk or not templates:
        return
    again = con.execute(
        "with sent as (select template, unit, split_part(slice_key, '|', 3) as code, year, min(month) as first "
        "from ops.slices where submission_id in (select unnest(?::integer[])) and month is not null "
        "and template in (select unnest(?::varchar[])) group by all) "
        "select distinct l.submission_id, s.inbox_path from ops.slices as l join sent as t "
        "on l.template = t.template and l.unit = t.unit and split_part(l.slice_key, '|', 3) = t.code "
        "and l.year = t.year and l.month > t.first "
        "join ops.submissions as s on s.submission_id = l.submission_id "
        "where l.submission_id in (select unnest(?::integer[])) order by 1",
        [sorted(chunk), templates, sorted(earlier)],
    ).fetchall()
    if not again:
        return
    register = ProjectRegister.from_warehouse(con)
    batches = []
    for submission_id, inbox_path in again:
        parsed = read_back(inbox_path).parsed
        resolve_projects(parsed, register, registry.offices)  # its records' codes, as when it was settled
        batches += [Batch(submission_id, sheet) for sheet in parsed.sheets if sheet.template.id in templates]
    # The run's months stored so far are the warehouse's, each named as a file of the run, as in one piece.
    held = months_held(con, registry, earlier | chunk)
    found = validate(
        batches,
        registry,
        Context(monthly_history=monthly_history(held), history_names=run_names(held)),
    ).problems
    _replace(con, {n: [p for p in found.get(n, []) if p.rule == _RULE] for n, _ in again})


def _replace(con: duckdb.DuckDBPyConnection, told: dict[int, list]) -> None:
    """Make these files' 累计 problems those found now, where they differ; their receipts are written again."""
    before: dict[int, list[str]] = {n: [] for n in told}
    for submission_id, message in con.execute(
        "select submission_id, message_zh from ops.validation_issues "
        "where submission_id in (select unnest(?::integer[])) and rule = ?",
        [sorted(told), _RULE],
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
        [changed, _RULE],
    )
    pending.insert(con)
    recount_warnings(con, changed)
