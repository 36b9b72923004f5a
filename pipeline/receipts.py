"""Write each office a receipt (回执) in Chinese, as HTML and JSON, saying exactly what to fix."""

from __future__ import annotations

import json
import logging
import os
import stat
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import pools
from pipeline.failures import file_error_zh
from pipeline.file_names import NAME_MAX, bounded_name
from pipeline.locations import ObjectPath, is_url, place, writer_threads
from pipeline.object_fs import object_filesystem
from pipeline.object_io import list_objects, put_text
from pipeline.receipt_facts import ReceiptFacts, _facts_from_warehouse
from pipeline.receipt_places import _Places, receipt_paths
from pipeline.receipt_render import render_html

if TYPE_CHECKING:
    import duckdb

logger = logging.getLogger(__name__)


def _write_whole(path: Path, text: str) -> bool:
    """Write a file by rename, so a clerk never opens half a receipt; leave it alone if it already says this.

    Return whether it was written.
    """
    if isinstance(path, ObjectPath):
        return put_text(str(path), text)  # one PUT: whole, and left alone when unchanged
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False  # written by a run that stopped before recording it, or unchanged: nothing to do
    except OSError:
        pass
    partial = path.with_name(bounded_name(f".{path.name}", ".partial", NAME_MAX))
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        # The failure is the receipt's (recorded, retried next run); its half-made copy must not stay beside it.
        partial.unlink(missing_ok=True)
        raise
    return True


def _write_files(
    html_path: Path, json_path: Path, facts: ReceiptFacts, made: set[Path] | None = None
) -> Path:
    if isinstance(html_path, ObjectPath):
        pass  # an object store has no folders to make
    elif made is None or html_path.parent not in made:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        if made is not None:
            made.add(html_path.parent)
    _write_whole(html_path, render_html(facts))
    _write_whole(json_path, json.dumps(facts.as_json(), ensure_ascii=False, indent=2, default=str))
    return html_path


# Threads writing receipts on a local disk (on object storage: `writer_threads`). One: the receipts of an office
# go into one folder, and threads creating files in the same folder contend for its lock.
RECEIPT_THREADS = 1


def receipt_writers(settings, process: bool = False) -> Executor:
    """Return a pool that writes receipts to `settings.receipts`: with `process`, one process beside this one
    (`pools.writers`); else threads."""
    # In a thread, rendering and writing 20,000 receipt files held the loader's core (the GIL) for 6-12 s of a
    # 10,000-file ingest while the other core idled (README "Performance").
    local = not is_url(settings.receipts)
    return pools.writers(writer_threads(settings.receipts, RECEIPT_THREADS), "receipts", process and local)


_made_here: set[Path] = set()  # folders a receipt process has made (or found): it lives for one load


def _write_in_process(html_path: Path, json_path: Path, facts: ReceiptFacts) -> Path:
    return _write_files(html_path, json_path, facts, _made_here)


def _here(paths: tuple[Path, Path], facts: ReceiptFacts) -> partial:
    """Return the write of a receipt in this process: the fallback when the pool's process has died."""
    return partial(_write_files, *paths, facts)


def _start_writing(
    pool: Executor, paths: tuple[Path, Path], facts: ReceiptFacts, made: set[Path] | None
) -> Future:
    """Hand a receipt to the pool; write it here if the pool's process has died."""
    if isinstance(pool, ProcessPoolExecutor):
        work = partial(_write_in_process, *paths, facts)
    else:
        work = partial(_write_files, *paths, facts, made)
    return pools.submit(pool, work, _here(paths, facts))


def _settled(job: Future, paths: tuple[Path, Path], facts: ReceiptFacts) -> Future:
    """Return a receipt's write once it is over, written here instead if the pool's process died under it."""
    return pools.settled(job, _here(paths, facts))


@dataclass(frozen=True, slots=True)
class ReceiptsWritten:
    written: int
    failed: int  # left stale in ops.submissions (receipt_status differs from status), retried next run


@dataclass(slots=True)
class _Early:
    """A receipt written right after its batch committed: where, saying what, and the write (a future)."""

    paths: tuple[Path, Path]
    facts: ReceiptFacts
    job: Future


class EarlyReceipts:
    """Write each batch's receipts as soon as the batch commits, in the pool (a process beside the loader, or
    threads), while the loader goes on.

    Creating files is slow on some disks, and the loader's own work leaves a core free: written during the
    load, the receipts cost it little. Each one goes where the final pass (`write_receipts(…, early=…)`) will
    almost always put it: beside every receipt the warehouse knows of, after those of this run's earlier
    submissions. The final pass settles every name exactly as it always has and writes again only a receipt
    whose place or wording has changed since (a submission superseded later in the run), removing a copy
    written early to a place that turned out not to be its own.
    """

    def __init__(self, con, settings, pool: Executor):
        self.root = settings.receipts
        self.pool = pool
        # Made into paths at the first batch that commits: a night with nothing new never needs a year's 10,000 (0.6 s).
        self._recorded = [
            p
            for (p,) in con.execute(
                "select receipt_path from ops.submissions where receipt_path is not null"
            ).fetchall()
        ]
        self._taken: set | None = None
        self.written: dict[int, _Early] = {}
        self.places = _Places(self.root)
        self.made: set[Path] = set()  # folders made (or found) this run

    @property
    def taken(self) -> set:
        """The receipt paths held before this run, and those this run's early receipts took."""
        if self._taken is None:
            self._taken = {place(p) for p in self._recorded}
        return self._taken

    def committed(self, con, submission_ids: list[int]) -> None:
        """Start writing the receipts of a batch that has just committed."""
        for facts in _facts_from_warehouse(con, submission_ids):
            try:
                paths = receipt_paths(self.root, facts, self.taken, self.places)
            except (OSError, ValueError):
                continue  # the final pass reports it
            self.taken.add(paths[0])
            job = _start_writing(self.pool, paths, facts, self.made)
            self.written[facts.submission_id] = _Early(paths, facts, job)


def _written_early(early: _Early | None, paths: tuple[Path, Path], facts: ReceiptFacts) -> Future | None:
    """Return the early write of this very receipt (same place, same facts), if it succeeded."""
    if early is None or early.paths != paths or early.facts != facts:
        return None
    job = _settled(early.job, paths, facts)
    try:
        job.result()
    except (OSError, ValueError):
        return None  # written again now, and reported if it fails again
    return job


def mark_deleted(con: duckdb.DuckDBPyConnection, receipts_root: Path | str) -> int:
    """Mark stale every receipt no longer where it was written, left empty, or written outside today's receipts
    folder, so that `write_receipts` writes it again; return how many."""
    # A clerk or an operator may delete a receipt by hand; the office must still find one for every file it sent.
    # Nothing else would ever write it again, as its status has not changed. Either file of the two counts. A data
    # root moved or restored elsewhere still records the old folder's paths: those receipts go to the new one.
    written = con.execute(
        "select submission_id, receipt_path from ops.submissions "
        "where receipt_path is not null and receipt_status is not distinct from status"
    ).fetchall()
    if not written:
        return 0
    root = place(receipts_root)
    if isinstance(root, ObjectPath):  # one listing of the bucket's receipts, not a request per receipt
        listed = set(list_objects(str(root)))
        present = listed.__contains__

        def json_of(html_path: str) -> str:
            return str(place(html_path).with_suffix(".json"))
    else:
        # Recorded resolved, as `contained` writes them: under the folder's resolved path.
        inside = str(Path(root).resolve()) + os.sep

        def present(path: str) -> bool:
            # Renamed into place without an fsync (20,000 of them would cost the night), a receipt a power cut left
            # empty counts as gone: the stat this takes is the one `isfile` took.
            if not path.startswith(inside):
                return False
            try:
                found = os.stat(path)
            except OSError:
                return False
            return stat.S_ISREG(found.st_mode) and found.st_size > 0

        def json_of(html_path: str) -> str:
            # As Path.with_suffix, without a Path for each of a year's receipts on every night (0.5 s of 10,000).
            return os.path.splitext(html_path)[0] + ".json"

    gone = [
        submission_id
        for submission_id, html_path in written
        if not (present(html_path) and present(json_of(html_path)))
    ]
    if gone:
        logger.warning(
            "%d份回执已不在原处或为空（被删除、移走、断电后未写完，或数据目录已搬迁），本次重新写出",
            len(gone),
        )
        con.execute(
            "update ops.submissions set receipt_status = null where submission_id in (select unnest(?))",
            [gone],
        )
    return len(gone)


def write_receipts(
    con, settings, pool: Executor | None = None, early: EarlyReceipts | None = None
) -> ReceiptsWritten:
    """Write the receipt of every submission whose receipt is missing or shows an old status.

    A receipt that cannot be written (its folder closed to the pipeline, a full disk) stays stale, with the
    reason in `ops.submissions.receipt_error`, and is retried by the next run; the others are written. Each
    receipt's name is settled in submission order; the files are rendered and written by `pool` (threads:
    mostly waiting for the disk), and a file that already says the same is not written again, nor one
    `early` wrote during the load to the same place with the same facts.
    """
    written_early = early.written if early is not None else {}
    # Every early write is over before any receipt is written again, so no two writes ever meet on one file.
    wait([e.job for e in written_early.values()])
    stale = [
        r[0]
        for r in con.execute(
            "select submission_id from ops.submissions where receipt_status is distinct from status order by 1"
        ).fetchall()
    ]
    if not stale:
        _remove_misplaced(written_early, set())
        return ReceiptsWritten(0, 0)
    # Each receipt path held, by whom: (submission, the inbox path of its file).
    holders = {
        place(p): (submission_id, inbox_path)
        for p, submission_id, inbox_path in con.execute(
            "select receipt_path, submission_id, inbox_path from ops.submissions where receipt_path is not null "
            "and submission_id not in (select unnest(?))",
            [stale],
        ).fetchall()
    }
    inbox_paths = dict(
        con.execute(
            "select submission_id, inbox_path from ops.submissions where submission_id in (select unnest(?))",
            [stale],
        ).fetchall()
    )
    taken = set(holders)
    # By submission: (facts, where its files go, or why they cannot go anywhere).
    planned: dict[int, tuple] = {}
    places = early.places if early is not None else _Places(settings.receipts)
    moved: list[ReceiptFacts] = []
    for facts in _facts_from_warehouse(con, stale):
        try:
            paths = receipt_paths(settings.receipts, facts, taken, places)
            plain = receipt_paths(settings.receipts, facts, set(), places)
        except (OSError, ValueError) as exc:
            planned[facts.submission_id] = (facts, exc)
            continue
        holder = holders.get(plain[0])
        if paths != plain and holder is not None and holder[1] == inbox_paths[facts.submission_id]:
            # The same file taken in again (unreadable before, or changed): its newest receipt is the one under
            # its name, where the clerk looks; the earlier one keeps a numbered name.
            paths = plain
            if holder[0] in planned:
                moved.append(planned.pop(holder[0])[0])
            else:
                moved += _facts_from_warehouse(con, [holder[0]])
        taken.add(paths[0])
        holders[paths[0]] = (facts.submission_id, inbox_paths[facts.submission_id])
        planned[facts.submission_id] = (facts, paths)
    for facts in moved:
        try:
            paths = receipt_paths(settings.receipts, facts, taken, places)
        except (OSError, ValueError) as exc:
            planned[facts.submission_id] = (facts, exc)
            continue
        taken.add(paths[0])
        planned[facts.submission_id] = (facts, paths)
    with ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(receipt_writers(settings))
        writing = []
        for facts, paths in planned.values():
            if isinstance(paths, Exception):
                writing.append((facts, None, paths))
                continue
            job = _written_early(written_early.get(facts.submission_id), paths, facts)
            writing.append((facts, paths, job or _start_writing(pool, paths, facts, None)))
        done = []  # (receipt path, status shown, why not written, submission): path and status None if not written
        for facts, paths, job in writing:
            try:
                if isinstance(job, Exception):
                    raise job
                path = _settled(job, paths, facts).result()
            except (OSError, ValueError) as exc:
                said = file_error_zh(exc) if isinstance(exc, OSError) else str(exc)
                logger.warning("回执未能写出（第%s号提交），下次运行重试：%s", facts.submission_id, said)
                done.append((None, None, said, facts.submission_id))
                continue
            done.append((str(path), facts.status, None, facts.submission_id))
    # One statement for the whole run: an UPDATE per receipt costs milliseconds each at a city's volume. A receipt
    # not written keeps its old path and status, so it stays stale and the next run tries again.
    con.execute(
        "update ops.submissions s set receipt_path = coalesce(w.path, s.receipt_path), "
        "receipt_status = coalesce(w.status, s.receipt_status), receipt_error = w.error "
        "from (select unnest(?::varchar[]) as path, unnest(?::varchar[]) as status, "
        "unnest(?::varchar[]) as error, unnest(?::integer[]) as submission_id) w "
        "where s.submission_id = w.submission_id",
        [list(column) for column in zip(*done, strict=True)],
    )
    # Only now that the receipts written are recorded: a cleanup that fails must not cost that record.
    _remove_misplaced(written_early, {place(path) for path, *_ in done if path is not None} | taken)
    failed = sum(error is not None for _, _, error, _ in done)
    return ReceiptsWritten(len(done) - failed, failed)


def _remove_misplaced(written_early: dict[int, _Early], kept: set[Path]) -> None:
    """Remove receipts written early to a place that is no submission's receipt after all."""
    for early in written_early.values():
        html_path, json_path = early.paths
        if html_path in kept:
            continue
        try:
            early.job.result()
        except (OSError, ValueError, BrokenExecutor):  # never written there
            continue
        for path in (html_path, json_path):
            try:
                if isinstance(path, ObjectPath):
                    object_filesystem().rm_file(str(path).partition("://")[2])
                else:
                    path.unlink(missing_ok=True)
            except OSError as exc:  # a stray early copy is harmless; the recorded receipt is elsewhere
                logger.warning("提前写出的回执未能删除，留在原处：%s（%s）", path, exc)
