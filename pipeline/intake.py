"""Take in what is new in the inbox: fingerprint, parse, validate, archive, and load it chunk by chunk."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import pickle
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import astuple, dataclass, field, fields
from decimal import Decimal
from itertools import repeat
from pathlib import Path

import duckdb
from tqdm import tqdm

from pipeline.limits import Limits
from pipeline.parse import ParsedFile, parse_file, sending_folder_of, too_large_file, unreadable_file
from pipeline.problems import Problem, Severity
from pipeline.projects import ProjectRegister, resolve_projects, settle_register, slice_key
from pipeline.receipts import ReceiptIssue, write_receipts
from pipeline.registry import Registry
from pipeline.rules import load_rules
from pipeline.runlock import run_lock
from pipeline.settings import TIMEZONE, Settings
from pipeline.storage import SKIP_ZH, InboxEntry, LocalStorage, NotTakenIn, Skipped, Unreadable, sha256_of
from pipeline.text import printable
from pipeline.validate import Batch, Context, Validation, validate, write_data_docs
from pipeline.warehouse import ensure_schema, raw_columns, reader, writer

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    """What happened to one file."""

    inbox_path: str
    sha256: str
    status: str
    submission_id: int | None = None
    unit: str | None = None
    year: int | None = None
    templates: list[str] = field(default_factory=list)
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    reason: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


@dataclass(slots=True)
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    unchanged: int = 0
    # Inbox entries not taken in: no regular file, or left for the next run (still being written, gone).
    skipped: list[Skipped] = field(default_factory=list)
    receipts_failed: int = 0  # receipts that could not be written; retried next run
    data_docs: Path | None = None
    # Wall seconds per step ("read", "parse", "validate", "load"), for the benchmark's split.
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def _as_text(value: object) -> str | bytes | None:
    if value is None or isinstance(value, bytes):  # bytes go to BLOB columns as they are
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _as_column(values: list[object]) -> list[object]:
    if any(isinstance(v, list) for v in values):
        return values
    return [_as_text(v) for v in values]


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    rows: list[list[object]],
    replace: bool = False,
) -> None:
    """Insert (or, by primary key, replace) rows in one statement from a frame of text columns, so decimals
    arrive exact."""
    if not rows:
        return
    import pandas as pd  # only a run that stores something pays for pandas

    frame = pd.DataFrame(
        {
            name: pd.Series(_as_column([row[i] for row in rows]), dtype=object)
            for i, name in enumerate(columns)
        }
    )
    verb = "insert or replace" if replace else "insert"
    con.register("rows_to_insert", frame)
    try:
        con.execute(f"{verb} into {table} ({', '.join(columns)}) select * from rows_to_insert")
    finally:
        con.unregister("rows_to_insert")


class PendingRows:
    """Rows of one batch waiting to be inserted, table by table, so each table takes one statement."""

    def __init__(self) -> None:
        self.tables: dict[str, tuple[list[str], list[list[object]]]] = {}
        self.replacing: set[str] = set()

    def add(
        self, table: str, columns: list[str], rows: Iterable[list[object]], replace: bool = False
    ) -> None:
        self.tables.setdefault(table, (columns, []))[1].extend(rows)
        if replace:
            self.replacing.add(table)

    def values(self, table: str, column: str) -> set[object]:
        columns, rows = self.tables.get(table, ([column], []))
        where = columns.index(column)
        return {row[where] for row in rows}

    def insert(self, con: duckdb.DuckDBPyConnection) -> None:
        for table, (columns, rows) in self.tables.items():
            _insert(con, table, columns, rows, replace=table in self.replacing)


def _add_problems(pending: PendingRows, submission_id: int, problems: list[Problem]) -> None:
    columns = ["submission_id", *(f.name for f in fields(ReceiptIssue))]
    pending.add(
        "ops.validation_issues", columns, ([submission_id, *astuple(ReceiptIssue.of(p))] for p in problems)
    )


def _add_data(pending: PendingRows, submission_id: int, parsed: ParsedFile) -> int:
    """Queue the sheets, their column lineage, slices and raw rows of an accepted file; return its rows."""
    slices: dict[str, list] = {}
    total = 0
    for sheet in parsed.sheets:
        template = sheet.template
        pending.add(
            "ops.sheets",
            ["submission_id", "sheet", "template", "header_first_row", "header_last_row", "data_rows"],
            [[submission_id, sheet.name, template.id, *sheet.header_rows, len(sheet.records)]],
        )
        pending.add(
            "ops.sheet_columns",
            ["submission_id", "sheet", "column_name", "column_header", "excel_column", "written_unit"],
            ([submission_id, sheet.name, b.column.name, b.header, b.letter, b.unit] for b in sheet.bindings),
        )
        columns = [name for name, _, _ in raw_columns(template)]
        rows = []
        for record in sheet.records:
            key = slice_key(template.id, record, template.slice)
            entry = slices.setdefault(
                key,
                [
                    submission_id,
                    template.id,
                    key,
                    record["unit"],
                    record.get("project_name"),
                    record["year"],
                    record.get("month"),
                    record.get("project_code"),
                    0,
                ],
            )
            entry[-1] += 1
            lineage = {"submission_id": submission_id, "sheet": sheet.name, "slice_key": key}
            rows.append([lineage.get(c, record.get(c)) for c in columns])
        pending.add(f"raw.{template.id}", columns, rows)
        total += len(rows)
    pending.add(
        "ops.slices",
        [
            "submission_id",
            "template",
            "slice_key",
            "unit",
            "project_name",
            "year",
            "month",
            "project_code",
            "row_count",
        ],
        slices.values(),
    )
    return total


def _supersede(con: duckdb.DuckDBPyConnection, slice_keys: set[str]) -> None:
    """Mark superseded the accepted submissions on these slices whose every slice now has a later one."""
    if not slice_keys:
        return
    con.execute(
        """
        update ops.submissions set status = 'superseded'
        where status = 'accepted' and submission_id in (
            select s.submission_id
            from ops.slices s join ops.current_slices c using (slice_key)
            where s.submission_id in (
                select submission_id from ops.slices where slice_key in (select unnest(?::varchar[]))
            )
            group by s.submission_id
            having bool_and(c.submission_id <> s.submission_id)
        )
        """,
        [sorted(slice_keys)],
    )


@dataclass(slots=True)
class Candidate:
    """A new file on its way in: its bytes, fingerprint, what parsing found, and its outcome."""

    inbox_path: str
    content: bytes
    sha256: str | None  # None when the file could not be read at all
    entry: InboxEntry | None = None
    parsed: ParsedFile | None = None
    duplicate_of: tuple[int, str] | None = None
    outcome: Outcome | None = None
    archive_path: str | None = None  # set when archived before parsing: a file too large to hold in memory
    skipped: Skipped | None = None  # not taken in this run: nothing is recorded

    @property
    def carries_register(self) -> bool:
        return self.parsed is not None and "project_register" in self.parsed.templates


def known_shas(con: duckdb.DuckDBPyConnection | None, shas: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Return the first submission (number and file name) with each of these exact bytes, where there is one."""
    if con is None:
        return {}
    shas = {sha for sha in shas if sha is not None}
    return {
        sha: (number, name)
        for sha, number, name in con.execute(
            "select sha256, min(submission_id), arg_min(original_name, submission_id) from ops.submissions "
            "where sha256 in (select unnest(?::varchar[])) group by sha256",
            [sorted(shas)],
        ).fetchall()
    }


def _outcome(candidate: Candidate) -> Outcome:
    if candidate.duplicate_of:
        number, name = candidate.duplicate_of
        reason = (
            f"与第{number}号提交“{name}”内容完全相同，未重复入库。"
            if number
            else f"与本次同时报送的“{name}”内容完全相同。"
        )
        return Outcome(candidate.inbox_path, candidate.sha256, "duplicate", reason=reason)
    parsed = candidate.parsed
    return Outcome(
        candidate.inbox_path,
        candidate.sha256,
        "rejected" if parsed.errors else "accepted",
        unit=parsed.unit,
        year=max(parsed.years) if parsed.years else None,
        templates=parsed.templates,
        rows=sum(len(s.records) for s in parsed.sheets) if not parsed.errors else 0,
        problems=parsed.all_problems,
        reason=parsed.errors[0].message_zh if parsed.errors else None,
    )


def parse_candidate(
    inbox_path: str,
    content: bytes,
    entry: InboxEntry | None,
    registry: Registry,
    limits: Limits | None = None,
) -> Candidate:
    """Fingerprint and parse one file's bytes; bad data becomes problems on the result, never an exception."""
    return Candidate(
        inbox_path, content, sha256_of(content), entry, parse_file(content, inbox_path, registry, limits)
    )


def settle(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    candidates: list[Candidate],
    seen_in_run: dict[str, str] | None = None,
) -> tuple[list[Candidate], Validation]:
    """Find duplicates, name missing projects and validate all sheets at once; return files in load order.

    Candidates come in the order they were received; registers load first, so a list naming no project
    finds its project in a register sent in the same run. `seen_in_run` maps the fingerprint of each file
    settled earlier in the run (in an earlier chunk) to its name, and is extended with these files.
    """
    seen = {} if seen_in_run is None else seen_in_run
    stored = known_shas(con, (c.sha256 for c in candidates))
    for candidate in candidates:
        if candidate.sha256 is None:  # never read: nothing to compare
            continue
        twin = seen.get(candidate.sha256)
        earlier = stored.get(candidate.sha256) if twin is None else None
        if twin is not None:
            candidate.duplicate_of = (0, twin)
        elif earlier:
            candidate.duplicate_of = earlier
        else:
            seen[candidate.sha256] = candidate.inbox_path.rsplit("/", 1)[-1]
        if candidate.duplicate_of:
            candidate.parsed = None  # a duplicate is recorded, never loaded or checked
    parsed = [c.parsed for c in candidates if c.parsed is not None]
    register = ProjectRegister.from_warehouse(con)
    for file in parsed:
        settle_register(file)  # a register giving one code to two projects is rejected before it is used
    for file in parsed:
        if not file.errors:
            register.add_from(file)
    for file in parsed:
        resolve_projects(file, register)
    validation = validate_files(
        parsed,
        registry,
        Context(
            known_projects=register.known_names,
            planned_totals=register.planned_totals,
            monthly_history=monthly_history(con),
            negative_list=load_rules().negative_list_any_year,
        ),
    )
    for candidate in candidates:
        candidate.outcome = _outcome(candidate)
    return sorted(candidates, key=lambda c: not c.carries_register), validation


def prepare(
    con: duckdb.DuckDBPyConnection | None,
    registry: Registry,
    files: Iterable[tuple[str, bytes, InboxEntry | None]],
    progress: bool = False,
    limits: Limits | None = None,
) -> tuple[list[Candidate], Validation]:
    """Fingerprint, parse and validate files without writing anything; return them in load order."""
    limits = limits or Limits.from_env()
    candidates = [
        parse_candidate(inbox_path, content, entry, registry, limits)
        for inbox_path, content, entry in tqdm(files, desc="读取文件", unit="个", disable=not progress)
    ]
    return settle(con, registry, candidates)


def monthly_history(con: duckdb.DuckDBPyConnection | None) -> dict[tuple, dict[int, Decimal]]:
    """Return the warehouse's 本月完成投资 per (unit, project, year) and month."""
    if con is None:
        return {}
    history: dict[tuple, dict[int, Decimal]] = {}
    for unit, project, year, month, amount in con.execute(
        "select unit, project_name, year, month, monthly_completed_wan from staging.investment_progress "
        "where monthly_completed_wan is not null"
    ).fetchall():
        history.setdefault((unit, project, year), {})[month] = amount
    return history


def validate_files(parsed: list[ParsedFile], registry: Registry, context: Context) -> Validation:
    """Run the expectation suites over every sheet of every file at once, adding what they find to each file."""
    batches = [Batch(index, sheet) for index, file in enumerate(parsed) for sheet in file.sheets]
    validation = validate(batches, registry, context)
    for index, problems in validation.problems.items():
        parsed[index].problems.extend(problems)
    return validation


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
]


def _store_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[Candidate, str]],
    stored_sha: dict[str, int],
) -> None:
    """Record a batch of archived files, their problems and accepted rows, in one transaction.

    `stored_sha` maps the fingerprint of each file stored earlier in this run to its submission, so a twin
    names the submission it repeats; it is only updated once the batch commits.
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
        first_of_sha = dict(stored_sha)
        for submission_id, (candidate, archive_path) in zip(ids, batch, strict=True):
            outcome = candidate.outcome
            duplicate_of = candidate.duplicate_of[0] if candidate.duplicate_of else None
            if duplicate_of == 0:
                duplicate_of = first_of_sha[candidate.sha256]
            first_of_sha.setdefault(candidate.sha256, submission_id)
            entry = candidate.entry
            pending.add(
                "ops.submissions",
                SUBMISSION_COLUMNS,
                [
                    [
                        submission_id,
                        outcome.sha256,
                        entry.path.rsplit("/", 1)[-1],
                        entry.path,
                        outcome.unit,
                        outcome.templates,
                        outcome.year,
                        received_at,
                        outcome.status,
                        len(outcome.errors),
                        len(outcome.warnings),
                        archive_path,
                        outcome.reason,
                        duplicate_of,
                        entry.raw,
                        sending_folder_of(entry.path),
                    ]
                ],
            )
            _add_problems(pending, submission_id, outcome.problems)
            if outcome.status == "accepted":
                outcome.rows = _add_data(pending, submission_id, candidate.parsed)
            pending.add(
                "ops.inbox_files",
                ["inbox_path", "size", "mtime_ns", "sha256", "submission_id", "raw_path"],
                [[entry.path, entry.size, entry.mtime_ns, outcome.sha256, submission_id, entry.raw]],
                # A file changed in place is taken in again under the same inbox path: its row is replaced.
                replace=True,
            )
        pending.insert(con)
        _supersede(con, pending.values("ops.slices", "slice_key"))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    for submission_id, (candidate, _) in zip(ids, batch, strict=True):
        candidate.outcome.submission_id = submission_id
    stored_sha.update(first_of_sha)


@dataclass(slots=True)
class InboxScan:
    """The inbox against what the warehouse has taken in."""

    fresh: list[InboxEntry] = field(default_factory=list)
    touched: list[InboxEntry] = field(default_factory=list)  # stat changed, bytes as taken in
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)  # not taken in: no regular file, or not settled


def taken_in(con: duckdb.DuckDBPyConnection | None) -> dict[str, tuple[int, int, str | None]]:
    """Return size, mtime and SHA-256 (None: it could not be read) of every inbox path as last taken in."""
    if (
        con is None
        or not con.execute(
            "select 1 from duckdb_tables() where schema_name = 'ops' and table_name = 'inbox_files'"
        ).fetchall()
    ):
        return {}
    return {
        path: (size, mtime, sha)
        for path, size, mtime, sha in con.execute(
            "select inbox_path, size, mtime_ns, sha256 from ops.inbox_files"
        ).fetchall()
    }


def scan_inbox(
    con: duckdb.DuckDBPyConnection | None, storage: LocalStorage, skip: frozenset[str] = frozenset()
) -> InboxScan:
    """Sort the inbox (oldest first) into fresh, touched-but-unchanged, unchanged and skipped entries.

    Nothing is written. Only a known file whose size or mtime moved is read, to see whether its bytes did too;
    a new or changed file modified within the settle window waits for the next run. A file that could not be
    read before is looked at again once it can be opened.
    """
    known = taken_in(con)
    listing = storage.scan()
    scan = InboxScan(skipped=[s for s in listing.skipped if s.path not in skip])
    for entry in sorted(listing.files, key=lambda e: (e.mtime_ns, e.path)):
        seen = known.get(entry.path)
        if entry.path in skip:
            continue
        try:
            if seen is not None and seen[:2] == (entry.size, entry.mtime_ns):
                if seen[2] is not None or not storage.readable(entry.path):
                    scan.unchanged += 1
                    continue
            elif seen is not None and seen[2] is not None and seen[2] == storage.inbox_sha256(entry.path):
                scan.touched.append(entry)
                scan.unchanged += 1
                continue
        except (NotTakenIn, Unreadable):
            pass  # found again below, as unsettled or as the reading's own outcome
        if storage.settling(entry):
            scan.skipped.append(Skipped(entry.path, "settling", SKIP_ZH["settling"], entry.raw))
        else:
            scan.fresh.append(entry)
    return scan


def find_new_files(settings: Settings) -> list[str]:
    """Return the inbox paths not yet taken in, oldest first; the warehouse is only read."""
    storage = LocalStorage(settings)
    if not settings.warehouse.is_file():
        return [entry.path for entry in scan_inbox(None, storage).fresh]
    with reader(settings.warehouse) as con:
        return [entry.path for entry in scan_inbox(con, storage).fresh]


def work_dir(settings: Settings, run_key: str) -> Path:
    """Return the scratch folder where one run's parsed files wait for the loader."""
    return settings.home / "work" / (re.sub(r"[^0-9A-Za-z_.-]+", "_", run_key).strip(".") or "run")


@dataclass(frozen=True, slots=True)
class WorkFile:
    """A parsed file waiting on disk for the loader, with what the loader needs before opening it whole."""

    path: str
    inbox_path: str
    sha256: str
    mtime_ns: int
    rows: int
    carries_register: bool

    @classmethod
    def open(cls, path: str | Path) -> WorkFile:
        """Read only the head of a work file: its candidate stays on disk until its chunk is loaded."""
        with open(path, "rb") as handle:
            return cls(str(path), *pickle.load(handle))

    def candidate(self) -> Candidate:
        with open(self.path, "rb") as handle:
            pickle.load(handle)
            return pickle.load(handle)

    @property
    def load_order(self) -> tuple:
        # Registers first, so a list naming no project finds it in a register of the same run; then as received.
        return (not self.carries_register, self.mtime_ns, self.inbox_path)


def write_work_file(candidate: Candidate, target: Path) -> str:
    """Write a parsed file for the loader: a small head, then the candidate; return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    parsed = candidate.parsed
    head = (
        candidate.inbox_path,
        candidate.sha256,
        candidate.entry.mtime_ns if candidate.entry else 0,
        sum(len(s.records) for s in parsed.sheets) if parsed else 0,
        candidate.carries_register,
    )
    # Write then rename, so a retried or killed task never leaves half a file for the loader.
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with open(partial, "wb") as handle:
        pickle.dump(head, handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(candidate, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, target)
    return str(target)


def parse_one(settings: Settings, registry: Registry, inbox_path: str, run_key: str = "manual") -> str:
    """Read, fingerprint and parse one inbox file into a work file for `load_parsed`; return its path.

    Whatever happens to the file is its own outcome inside the result: bad data or no permission to read it
    is a rejection; a file gone, still being written or no regular file is left for the loader to log. Only
    the pipeline's own I/O (the archive or work folder unwritable, a full disk) raises.
    """
    candidate = read_candidate(LocalStorage(settings), registry, inbox_path, settings.limits)
    target = work_dir(settings, run_key) / f"{sha256_of(inbox_path.encode('utf-8'))[:32]}.pickle"
    return write_work_file(candidate, target)


def read_candidate(storage: LocalStorage, registry: Registry, inbox_path: str, limits: Limits) -> Candidate:
    """Read and parse one inbox file, or say why it is not taken in; never raises for the file's own sake."""
    try:
        entry = storage.stat_inbox(inbox_path)
        if entry.size > limits.max_file_bytes:
            # Refused from its size alone, and archived a chunk at a time: never read into memory whole.
            archive_path, sha256, entry = storage.archive_inbox_file(inbox_path)
            refused = too_large_file(inbox_path, entry.size, limits, registry.offices)
            return Candidate(inbox_path, b"", sha256, entry, refused, archive_path=archive_path)
        content, entry = storage.read_inbox(inbox_path)
    except NotTakenIn as exc:
        return Candidate(inbox_path, b"", None, skipped=exc.skipped)
    except Unreadable as exc:
        entry = storage.lstat_entry(inbox_path)
        if entry is None:
            return Candidate(
                inbox_path, b"", None, skipped=Skipped(inbox_path, "vanished", SKIP_ZH["vanished"])
            )
        refused = unreadable_file(inbox_path, str(exc), registry.offices)
        return Candidate(inbox_path, b"", None, entry, refused)
    return parse_candidate(inbox_path, content, entry, registry, limits)


# Below this many files, starting worker processes costs more than parsing in this one.
PARALLEL_FROM = 64

_worker: tuple[Settings, Registry] | None = None


def _start_worker(settings: Settings, registry: Registry) -> None:
    global _worker
    _worker = (settings, registry)


def _parse_in_worker(inbox_path: str, run_key: str) -> str:
    return parse_one(*_worker, inbox_path, run_key)


def parse_all(
    settings: Settings, registry: Registry, inbox_paths: list[str], run_key: str, progress: bool = False
) -> list[str]:
    """Parse files into work files, in `settings.workers` processes when there are enough of them."""
    with (
        tqdm(
            total=len(inbox_paths), desc="读取文件", unit="个", disable=not progress or not inbox_paths
        ) as bar,
        ExitStack() as stack,
    ):
        if settings.workers == 1 or len(inbox_paths) < PARALLEL_FROM:
            parsed = (parse_one(settings, registry, path, run_key) for path in inbox_paths)
        else:
            # forkserver: workers never inherit the parent's threads or open handles.
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    settings.workers,
                    mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_start_worker,
                    initargs=(settings, registry),
                )
            )
            parsed = pool.map(_parse_in_worker, inbox_paths, repeat(run_key), chunksize=16)
        paths = []
        for path in parsed:
            paths.append(path)
            bar.update()
        return paths


# A chunk of files is read back and validated together; chunks bound the memory of a run. Each chunk costs a
# GX validation per template (about half a second each), so chunks are large.
FILES_PER_CHUNK = 5_000
ROWS_PER_CHUNK = 250_000
# A batch of a chunk's files is stored in one transaction: a few statements per table, not per file.
FILES_PER_BATCH = 500
ROWS_PER_BATCH = 25_000


def chunks(work_files: list[WorkFile]) -> Iterator[list[WorkFile]]:
    """Cut files, in load order, into chunks of at most `FILES_PER_CHUNK` files and about `ROWS_PER_CHUNK` rows."""
    chunk: list[WorkFile] = []
    rows = 0
    for work_file in work_files:
        if chunk and (len(chunk) >= FILES_PER_CHUNK or rows + work_file.rows > ROWS_PER_CHUNK):
            yield chunk
            chunk, rows = [], 0
        chunk.append(work_file)
        rows += work_file.rows
    if chunk:
        yield chunk


def batches(candidates: list[Candidate]) -> Iterator[list[Candidate]]:
    """Cut validated files into batches of at most `FILES_PER_BATCH` files, or about `ROWS_PER_BATCH` rows."""
    batch: list[Candidate] = []
    rows = 0
    for candidate in candidates:
        if batch and (len(batch) >= FILES_PER_BATCH or rows + candidate.outcome.rows > ROWS_PER_BATCH):
            yield batch
            batch, rows = [], 0
        batch.append(candidate)
        rows += candidate.outcome.rows
    if batch:
        yield batch


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
) -> None:
    """Validate and store the parsed files chunk by chunk, each chunk archived and then stored in one transaction."""
    storage = LocalStorage(settings)
    # Only the single writer gets here; an hour-old partial copy belongs to a run that was killed.
    storage.remove_stale_partials()
    known = taken_in(con)
    # A retried load finds files it already stored: those are taken in, not duplicates of themselves.
    pending = sorted(
        (w for w in work_files if w.inbox_path not in known or known[w.inbox_path][2] != w.sha256),
        key=lambda w: w.load_order,
    )
    with _timed(report, "load"):
        scan = scan_inbox(con, storage, skip=frozenset(w.inbox_path for w in pending))
        report.unchanged = scan.unchanged
        report.skipped.extend(scan.skipped)
        # Touched but not changed: remember the new stat so the next run skips it without reading.
        if scan.touched:
            con.executemany(
                "update ops.inbox_files set size = ?, mtime_ns = ? where inbox_path = ?",
                [[e.size, e.mtime_ns, e.path] for e in scan.touched],
            )
    seen_in_run: dict[str, str] = {}
    stored_sha: dict[str, int] = {}
    results: list[tuple[str, object]] = []
    validation = None
    with tqdm(total=len(pending), desc="入库", unit="个", disable=not progress or not pending) as bar:
        for number, chunk in enumerate(chunks(pending), start=1):
            with _timed(report, "validate"):
                candidates = []
                for work_file in chunk:
                    candidate = work_file.candidate()
                    if candidate.skipped is not None:  # left alone this run, logged below, nothing stored
                        report.skipped.append(candidate.skipped)
                        bar.update()
                    else:
                        candidates.append(candidate)
                candidates, validation = settle(con, registry, candidates, seen_in_run)
                # Data Docs show every chunk's results; a run in one chunk keeps the suite names as they are.
                results += [
                    (name if number == 1 else f"{name}#{number}", r) for name, r in validation.results
                ]
            with _timed(report, "load"):
                for batch in batches(candidates):
                    archived = [(c, _archived(storage, c)) for c in batch]
                    _store_batch(con, archived, stored_sha)
                    report.outcomes.extend(c.outcome for c in batch)
                    bar.update(len(batch))
            del candidates
    with _timed(report, "load"):
        if results:
            validation.results = results
            report.data_docs = write_data_docs(validation, settings.data_docs)
        report.receipts_failed = write_receipts(con, settings).failed
        finished = dt.datetime.now(TIMEZONE)
        con.execute(
            "insert into ops.runs (finished_at, new_files, accepted, rejected, duplicate, unchanged, skipped) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [
                finished,
                len(report.outcomes),
                *(report.count(status) for status in ("accepted", "rejected", "duplicate")),
                report.unchanged,
                len(report.skipped),
            ],
        )
        _insert(
            con,
            "ops.inbox_skips",
            ["run_finished_at", "inbox_path", "raw_path", "kind", "reason_zh"],
            [[finished.isoformat(), s.path, s.raw, s.kind, s.reason_zh] for s in report.skipped],
        )
        for skipped in report.skipped:
            logger.warning("未接收 %s：%s", printable(skipped.path), skipped.reason_zh)


def _archived(storage: LocalStorage, candidate: Candidate) -> str | None:
    """Archive a file's bytes before it is recorded; return where, or None for a file that could not be read."""
    if candidate.archive_path or candidate.sha256 is None:
        return candidate.archive_path
    return storage.archive(candidate.content, candidate.entry.suffix)


def load_parsed(
    settings: Settings, registry: Registry, parsed_paths: Iterable[str], progress: bool = False
) -> IngestReport:
    """Load the work files `parse_one` wrote, as the single writer under the run lock; remove them once stored."""
    paths = [Path(p) for p in parsed_paths]
    report = IngestReport()
    work_files = [WorkFile.open(path) for path in paths]
    with run_lock(settings, purpose="load"), writer(settings.warehouse) as con:
        ensure_schema(con, registry)
        _load(con, settings, registry, work_files, report, progress)
    for path in paths:
        path.unlink(missing_ok=True)
        with suppress(OSError):  # other work files of the run may still be there
            path.parent.rmdir()
    return report


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_work(settings: Settings) -> None:
    """Remove the work folders of `pipeline ingest` runs that were killed before they could clean up."""
    for folder in (settings.home / "work").glob("ingest-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def ingest(settings: Settings, registry: Registry, progress: bool = True) -> IngestReport:
    """Ingest everything new in the inbox; one bad file never stops the others."""
    with run_lock(settings, purpose="ingest"):
        remove_stale_work(settings)
        started = time.perf_counter()
        new_files = find_new_files(settings)
        scanned = time.perf_counter()
        run_key = f"ingest-{os.getpid()}-{time.time_ns()}"
        try:
            paths = parse_all(settings, registry, new_files, run_key, progress)
            parsed = time.perf_counter()
            report = load_parsed(settings, registry, paths, progress)
        finally:
            shutil.rmtree(work_dir(settings, run_key), ignore_errors=True)
    report.timings = {"scan": scanned - started, "parse": parsed - scanned} | report.timings
    return report
