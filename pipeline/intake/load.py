"""Load parsed work files as the single writer: validate and store them chunk by chunk, then end the run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import duckdb
from tqdm import tqdm

from pipeline.collector import collector_paused, set_aside
from pipeline.file_names import written_path
from pipeline.gx_runtime import warm_up_in_background
from pipeline.inbox_storage import marker_of, storage_for
from pipeline.intake.candidates import Candidate, IngestReport
from pipeline.intake.cutting import batches, cut_night
from pipeline.intake.file_rows import Waiting
from pipeline.intake.held_months import months_held
from pipeline.intake.pending_work import pending_work
from pipeline.intake.recheck import (
    read_archived,
    recheck_cumulatives,
    recheck_unfinished,
    unfinished_run,
)
from pipeline.intake.run_end import finish_run
from pipeline.intake.scan import InboxScan, scan_inbox, taken_in
from pipeline.intake.settle import Original, settle
from pipeline.intake.store import committing_after, store_batch
from pipeline.intake.work import MissingWorkFile, load_scratch
from pipeline.intake.work_format import WorkFile, remember_registry
from pipeline.intake.work_keys import fetched, loaded_before, local_name, remove_work, run_folders
from pipeline.intake.work_versions import open_work_files
from pipeline.locations import writer_threads
from pipeline.read_day import ReadOn
from pipeline.receipts import EarlyReceipts, receipt_writers
from pipeline.registry import Registry
from pipeline.runlock import run_lock
from pipeline.settings import Settings
from pipeline.slice_keys import SheetSlices
from pipeline.storage import ArchiveBatch
from pipeline.warehouse import writer
from pipeline.warehouse_schema import ensure_schema, settle_slice_layouts

logger = logging.getLogger(__name__)


# Threads that write archive copies on a local disk while the loader goes on (on object storage:
# `writer_threads`): two keep one fsync waiting while the other writes. With these two and one receipt thread
# (`receipts.RECEIPT_THREADS`) against eight of each, a 10,000-file ingest's load step took about 0.9 s less
# and the run 0.956x the wall time (median of five alternating pairs, 0.927-1.000), a fifth less system time.
ARCHIVE_THREADS = 2


@contextmanager
def _timed(report: IngestReport, step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        report.timings[step] = report.timings.get(step, 0.0) + time.perf_counter() - started


def _load(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    registry: Registry,
    work_files: list[WorkFile],
    report: IngestReport,
    progress: bool,
    pool: Executor,
    receipt_pool: Executor,
    scanned: InboxScan | None = None,
    work_runs: list[str] | None = None,
) -> None:
    """Validate and store the parsed files chunk by chunk, each chunk archived and then stored in one transaction.

    `work_runs`: the run folders of the work files, recorded with the run (`loaded_runs.loaded_before`).
    """
    storage = storage_for(settings)
    # Only the single writer gets here; an hour-old partial copy belongs to a run that was killed.
    storage.remove_stale_partials()
    pending = pending_work(storage, work_files, taken_in(con))
    # A run killed part way through stored some batches, judged beside files it never stored: this run takes
    # the rest in as its later chunks, and those batches count as its first.
    last_finished, unfinished = unfinished_run(con)
    with _timed(report, "load"):
        # The killed run's files are this run's new ones, not unchanged: its row in ops.runs was never written.
        killed_paths = {
            path
            for (path,) in con.execute(
                "select inbox_path from ops.submissions where submission_id in (select unnest(?::integer[]))",
                [sorted(unfinished)],
            ).fetchall()
        }
        # The inbox as scanned before counts the killed run's files as unchanged (the scan reads the writer's copy,
        # which holds them): scanned again without them.
        scan = (
            scanned
            if scanned is not None and not killed_paths
            else scan_inbox(con, storage, skip=frozenset(w.inbox_path for w in pending) | killed_paths)
        )
        report.unchanged = scan.unchanged
        report.skipped.extend(scan.skipped)
        # Touched but not changed: remember the new stat so the next run skips it without reading.
        if scan.touched:
            con.executemany(
                "update ops.inbox_files set size = ?, mtime_ns = ?, marker = ? where inbox_path = ?",
                [[e.size, e.mtime_ns, marker_of(e), e.path] for e in scan.touched],
            )
    # Archive copies are on the way to each commit, receipts are not: they wait in pools of their own.
    receipts = EarlyReceipts(con, settings, receipt_pool)
    seen_in_run: dict[tuple[str, str | None], Original] = {}
    named_in_run: dict[str, dict[str, str]] = {}
    returned_in_run: dict[str, tuple[str, str | None]] = {}
    stored_sha: dict[tuple[str, str | None], int] = {}
    # The killed run's files taken in are this run's earlier chunks: a copy of one is a copy of a file sent with it,
    # a warning names one as a file of the run, and a twin's (same_name_twin) names it, as in one piece.
    for number, path, raw, sha, unit, name, folder in con.execute(
        "select submission_id, inbox_path, raw_path, sha256, unit, original_name, sending_folder "
        "from ops.submissions where submission_id in (select unnest(?::integer[])) "
        "and status not in ('rejected', 'duplicate') and sha256 is not null order by 1",
        [sorted(unfinished)],
    ).fetchall():
        named_in_run.setdefault(written_path(path, raw), {})[path] = sha
        seen_in_run.setdefault((sha, unit), (0, name, folder, None))
        stored_sha.setdefault((sha, unit), number)
    results: list[tuple[str, object]] = []
    validation = None
    by_path = {w.inbox_path: w for w in pending}

    def read_back(submission_id: int, inbox_path: str) -> Candidate:
        # A file of the killed run has no work file here: it is parsed again from its archive copy.
        if submission_id in unfinished:
            return read_archived(con, storage, registry, settings.limits, submission_id, inbox_path)
        return by_path[inbox_path].candidate()

    cut_up = cut_night(con, registry, pending)
    # What a chunk's files tell of earlier nights' 累计 is judged against the months in force before the run.
    before_run = (
        months_held(con, registry, upto=last_finished if unfinished else None)
        if len(cut_up) > 1 or unfinished
        else {}
    )

    def recheck(earlier: set[int], chunk: set[int]) -> None:
        recheck_cumulatives(con, registry, earlier, chunk, read_back, before_run)

    if unfinished:
        con.execute("begin")
        recheck_unfinished(con, registry, unfinished, read_back, before_run)
        con.execute("commit")

    with tqdm(total=len(pending), desc="入库", unit="个", disable=not progress or not pending) as bar:
        for number, chunk in enumerate(cut_up, start=1):
            # A chunk's files are alive until it is stored: the collector's passes leave them out (a fifth of the
            # loader's CPU went to passes over them that freed nothing).
            with set_aside() as set_aside_now:
                with _timed(report, "validate"):
                    candidates = _read_back(chunk, report, bar)
                    set_aside_now()
                    # Each sheet's slice keys, made once for the checks and the store; a sheet stored is let go.
                    sliced = SheetSlices()
                    candidates, validation = settle(
                        con,
                        registry,
                        candidates,
                        seen_in_run,
                        named_in_run,
                        set(stored_sha.values()),
                        settings.limits,
                        returned_in_run,
                        sliced,
                    )
                    # Data Docs show every chunk's results; a run in one chunk keeps the suite names as they are.
                    results += [
                        (name if number == 1 else f"{name}#{number}", r) for name, r in validation.results
                    ]
                with _timed(report, "load"):
                    earlier = set(stored_sha.values()) | unfinished
                    # A chunk's files named by its warnings, by their parsed file: numbered as they are stored.
                    run_numbers: dict[int, int] = {}
                    # Their warnings naming one of them not stored yet, until it is.
                    waiting = Waiting({id(c.parsed) for c in candidates if c.parsed is not None})
                    cut = list(batches(candidates))
                    del candidates
                    for at in range(1, len(cut) + 1):
                        # A batch is let go once stored: the chunk's last transaction reads earlier chunks' files
                        # back for its recheck, and the chunk's rows would stay alive beside them.
                        batch, cut[at - 1] = cut[at - 1], None
                        archive = storage.archive_batch(pool)
                        try:
                            archived = [(c, _archived(archive, c)) for c in batch]
                            # The archive copies are written and fsynced by the pool while the rows are built,
                            # and made durable together before the transaction commits.
                            step = _before_commit(archive, at == len(cut), earlier, stored_sha, recheck)
                            with committing_after(step):
                                store_batch(con, archived, stored_sha, run_numbers, sliced, waiting)
                        finally:
                            archive.discard()
                        receipts.committed(con, [c.outcome.submission_id for c in batch])
                        report.outcomes.extend(c.outcome for c in batch)
                        bar.update(len(batch))
    if results:
        validation.results = results  # Data Docs show every chunk's
    with _timed(report, "load"):
        finish_run(con, settings, registry, report, validation, receipts, receipt_pool, unfinished, work_runs)


def _before_commit(
    archive: ArchiveBatch,
    last: bool,
    earlier: set[int],
    stored_sha: dict[tuple[str, str | None], int],
    recheck: Callable[[set[int], set[int]], None],
) -> Callable[[list[int]], None]:
    """Return what a batch does before it commits: its archive copies made durable and, the chunk's last, the 累计
    of the earlier chunks' files checked again against the whole chunk (`earlier` holding theirs)."""

    def step(ids: list[int]) -> None:
        # In the chunk's last transaction: a run killed between the chunk's commit and the recheck's would leave
        # earlier receipts told of their 累计 as before for good, as its retry finds those files taken in.
        if last:
            recheck(earlier, (set(stored_sha.values()) - earlier) | set(ids))
        archive.make_durable()  # its fsyncs went on in the pool while the recheck ran

    return step


def _read_back(chunk: list[WorkFile], report: IngestReport, bar: tqdm) -> list[Candidate]:
    """Read a chunk's files back from their work files; one left alone this run is logged, not returned."""
    candidates = []
    with collector_paused():  # unpickled: no cycles among them, nothing for the collector's passes to free
        for work_file in chunk:
            candidate = work_file.candidate()
            if candidate.skipped is not None:  # left alone this run, logged at the end, nothing stored
                report.skipped.append(candidate.skipped)
                bar.update()
            else:
                candidates.append(candidate)
    return candidates


def _archived(archive: ArchiveBatch, candidate: Candidate) -> str | None:
    """Start archiving a file's bytes before it is recorded; return where, or None for a file never read."""
    if candidate.archive_path or candidate.sha256 is None:
        return candidate.archive_path
    return archive.add(candidate.content, candidate.sha256, candidate.entry.suffix)


def load_parsed(
    settings: Settings,
    registry: Registry,
    parsed_keys: Iterable[str],
    progress: bool = False,
    writer_processes: bool = False,
    publish_it: bool = True,
    scanned: InboxScan | None = None,
    named: Mapping[str, str] | None = None,
    read_on: ReadOn | None = None,
) -> IngestReport:
    """Load the work files parse_one/parse_shard wrote, by their keys under `settings.work_root`, as the single
    writer under the run lock; remove them once stored.

    `writer_processes`: write receipts from a process beside this one (`pools.writers`),
    where this process's main script may be imported again, as a pool's process does: not in an Airflow task.
    `publish_it`: publish the warehouse once loaded; without it, the marts' rebuild that follows publishes both.
    `scanned`: the inbox as scanned just before, with nothing new in it, to count instead of scanning it again.
    `named`: the inbox file each key was parsed from (the shards' lists), read again where its work file keeps
    nothing readable, by `read_on`, the night's day (`work_versions`).
    """
    keys = [str(k) for k in parsed_keys]
    report = IngestReport()
    remember_registry(registry)  # the templates work files name are this registry's
    if keys:
        warm_up_in_background(registry)  # GX's import overlaps reading the work files' heads
    with load_scratch() as scratch:
        try:
            files = fetched(settings, keys, Path(scratch))
        except MissingWorkFile:
            # An attempt Airflow judged failed (its worker lost, its heartbeat missed) may have finished the load and
            # removed the work files: its retry failed the night for good, telling to run it again for nothing.
            if (finished := loaded_before(settings, run_folders(keys))) is None:
                raise
            logger.warning("这些解析结果已于 %s 入库（此前一次装载已完成），不再装载", finished)
            report.loaded_before = finished
            return report
        local = {key: local_name(key, files) for key in keys}
        work_files = open_work_files(
            list(local.values()),
            registry,
            settings.limits,
            Path(scratch),
            storage_for(settings),
            {local[key]: path for key, path in (named or {}).items() if key in local},
            read_on,
        )
        with (
            run_lock(settings, purpose="load"),
            writer(settings.warehouse, publish_it=publish_it) as con,
            # Threads, always: written by a process that outlives a killed loader, a batch's copies broke the crash
            # trials' rule that a batch is archived only once the one before it has committed (bench/crash_trials).
            ThreadPoolExecutor(
                writer_threads(settings.archive, ARCHIVE_THREADS), thread_name_prefix="archive"
            ) as pool,
            receipt_writers(settings, process=writer_processes) as receipt_pool,
        ):
            ensure_schema(con, registry)
            settle_slice_layouts(con, registry)
            _load(
                con,
                settings,
                registry,
                work_files,
                report,
                progress,
                pool,
                receipt_pool,
                scanned,
                run_folders(keys),
            )
    remove_work(settings, list(files))
    return report
