"""Store a batch of settled files in one transaction: submissions, problems, lineage, slices and rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import duckdb

from pipeline.file_names import written_path
from pipeline.inbox_storage import marker_of
from pipeline.intake.candidates import Candidate
from pipeline.intake.file_rows import Waiting, _add_data, _add_returned, add_problems, hold_back, released
from pipeline.intake.pending_rows import PendingRows
from pipeline.intake.stored_before import _name_keepers, _retell_stored, _taken_from
from pipeline.parse import sending_folder_of
from pipeline.settings import TIMEZONE
from pipeline.slice_keys import SheetSlices
from pipeline.superseded import supersede

SUBMISSION_COLUMNS = [
    "submission_id",
    "sha256",
    "original_name",
    "inbox_path",
    "unit",
    "templates",
    "year",
    "received_at",
    "status",
    "error_count",
    "warning_count",
    "archive_path",
    "reason",
    "duplicate_of",
    "raw_path",
    "sending_folder",
    "read_on",
]


# What must be true before a batch's transaction may commit: its files durable in the archive, and for a chunk's
# last batch the earlier chunks' 累计 checked again (intake.recheck). The loader sets it around `store_batch`
# (`committing_after`), so the archive's fsyncs run while the rows are built.
_BEFORE_COMMIT: ContextVar[Callable[[list[int]], object] | None] = ContextVar("before_commit", default=None)


@contextmanager
def committing_after(step: Callable[[list[int]], object]) -> Iterator[None]:
    """Have every `store_batch` inside this block run `step` with its batch's submission ids (and let it raise)
    just before it commits."""
    token = _BEFORE_COMMIT.set(step)
    try:
        yield
    finally:
        _BEFORE_COMMIT.reset(token)


def store_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[Candidate, str]],
    stored_sha: dict[tuple[str, str | None], int],
    run_numbers: dict[int, int] | None = None,
    sliced: SheetSlices | None = None,
    waiting: Waiting | None = None,
) -> None:
    """Record a batch of archived files, their problems and accepted rows, in one transaction.

    `stored_sha` maps the fingerprint and office of each file taken in earlier in this run to its submission, so a twin
    names the submission it repeats; `run_numbers` maps each parsed file of the run's chunk stored so far (by its id)
    to its submission, so a warning names by number a file settled beside it; `waiting` holds the warnings of those
    files that name one of the chunk's files not stored yet, each stored in the transaction that stores the last
    file it names (`file_rows.hold_back`). All three are only updated once the batch commits. Inside
    `committing_after`, its step (the batch's archive copies made durable, and what else must commit with the batch)
    runs after the rows are written and before the commit. `sliced`: the slice keys settling made.
    """
    con.execute("begin")
    try:
        ids = [
            row[0]
            for row in con.execute(
                "select nextval('ops.submission_ids') as id from range(?) order by id", [len(batch)]
            ).fetchall()
        ]
        received_at = dt.datetime.now(TIMEZONE)
        pending = PendingRows()
        retold: set[int] = set()  # files stored before, told of one of these
        # Other offices' slices an implementing unit's list takes, and its submission.
        taken: dict[str, int] = {}
        first_of_sha = dict(stored_sha)
        # A warning names only files stored before its own (earlier in load order): numbered by now.
        numbers = dict(run_numbers or {})
        numbers.update(
            (id(c.parsed), submission_id)
            for submission_id, (c, _) in zip(ids, batch, strict=True)
            if c.parsed is not None
        )
        held = waiting.copy() if waiting is not None else None  # `waiting` is updated once the batch commits
        for submission_id, problem in released(held, numbers) if held is not None else ():
            add_problems(pending, submission_id, [problem], numbers)
            retold.add(submission_id)
        for submission_id, (candidate, archive_path) in zip(ids, batch, strict=True):
            outcome = candidate.outcome
            problems = outcome.problems
            if outcome.status == "accepted" and held is not None:
                problems = hold_back(submission_id, problems, numbers, held)
            duplicate_of = candidate.duplicate_of[0] if candidate.duplicate_of else None
            copy = (candidate.sha256, outcome.unit)
            if duplicate_of == 0:
                duplicate_of = first_of_sha[copy]
            if outcome.status == "accepted":  # what a later copy in this run, for this office, repeats
                first_of_sha.setdefault(copy, submission_id)
            entry = candidate.entry
            written = written_path(entry.path, entry.raw)
            pending.add(
                "ops.submissions",
                SUBMISSION_COLUMNS,
                [
                    [
                        submission_id,
                        outcome.sha256,
                        written.rsplit("/", 1)[-1],
                        entry.path,
                        outcome.unit,
                        outcome.templates,
                        outcome.year,
                        received_at,
                        outcome.status,
                        len(outcome.errors),
                        len(outcome.warnings) - len(outcome.problems) + len(problems),
                        archive_path,
                        outcome.reason,
                        duplicate_of,
                        entry.raw,
                        sending_folder_of(written),
                        _read_on(candidate),
                    ]
                ],
            )
            add_problems(pending, submission_id, problems, numbers)
            if outcome.status == "accepted":
                outcome.rows = _add_data(pending, submission_id, candidate.parsed, sliced)
                for told, word in candidate.parsed.told_stored:
                    add_problems(pending, told, [word(submission_id)], numbers)
                    retold.add(told)
                taken.update((key, submission_id) for key in candidate.parsed.taken_slices)
            elif outcome.status == "rejected" and candidate.parsed is not None:
                _add_returned(pending, submission_id, candidate.parsed)
            pending.add(
                "ops.inbox_files",
                ["inbox_path", "size", "mtime_ns", "sha256", "submission_id", "raw_path", "marker"],
                [
                    [
                        entry.path,
                        entry.size,
                        entry.mtime_ns,
                        outcome.sha256,
                        submission_id,
                        entry.raw,
                        marker_of(entry),
                    ]
                ],
                # A file changed in place is taken in again under the same inbox path: its row is replaced.
                replace=True,
            )
        replaced = _taken_from(con, taken)
        retold |= _name_keepers(con, taken)
        pending.insert(con)
        supersede(con, pending.values("ops.slices", "slice_key"))
        _retell_stored(con, retold, replaced)
        if (step := _BEFORE_COMMIT.get()) is not None:
            step(ids)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    for submission_id, (candidate, _) in zip(ids, batch, strict=True):
        candidate.outcome.submission_id = submission_id
    stored_sha.update(first_of_sha)
    if run_numbers is not None:
        run_numbers.update(numbers)
    if waiting is not None:
        waiting.held = held.held


def _read_on(candidate: Candidate) -> dt.date | None:
    """Return the day a file's sheets were read by, for a later run reading it again from the archive."""
    parsed = candidate.parsed
    return parsed.read_on.day if parsed is not None and parsed.read_on is not None else None
