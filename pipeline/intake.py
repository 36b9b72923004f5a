"""Take in what is new in the inbox: fingerprint, archive, parse, and load each file in one transaction."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import astuple, dataclass, field, fields
from decimal import Decimal
from pathlib import Path

import duckdb
from tqdm import tqdm

from pipeline.limits import Limits
from pipeline.parse import ParsedFile, parse_file
from pipeline.problems import Problem, Severity
from pipeline.projects import ProjectRegister
from pipeline.receipts import ReceiptIssue, write_receipts
from pipeline.registry import Registry
from pipeline.rules import load_rules
from pipeline.settings import TIMEZONE, Settings
from pipeline.storage import InboxEntry, LocalStorage, sha256_of
from pipeline.validate import Batch, Context, Validation, validate, write_data_docs
from pipeline.warehouse import ensure_schema, raw_columns, reader, writer


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
    data_docs: Path | None = None
    # Wall seconds per step ("read", "parse", "validate", "load"), for the benchmark's split.
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def slice_key(template_id: str, record: dict, slice_fields: Iterable[str]) -> str:
    """Return the key of the slice a record belongs to: template, then unit, project, year[, month]."""
    names = {"project": "project_name"}
    return "|".join([template_id, *(str(record.get(names.get(f, f)) or "") for f in slice_fields)])


def resolve_projects(parsed: ParsedFile, register: ProjectRegister) -> None:
    """Name the project of sheets that state none: the unit's single project of that type in the register."""
    for sheet in parsed.sheets:
        project_type = sheet.template.project.register_project_type
        pending = [r for r in sheet.records if not r.get("project_name")]
        if not pending or project_type is None or parsed.unit is None:
            continue
        for year in sorted({r["year"] for r in pending if r.get("year")}):
            candidates = register.names_of(parsed.unit, year, project_type)
            if len(candidates) == 1:
                for record in pending:
                    if record.get("year") == year:
                        record["project_name"] = candidates[0]
                continue
            found = f"有{len(candidates)}个（{'、'.join(candidates)}）" if candidates else "没有登记"
            parsed.fail(
                "project_unknown",
                f"工作表“{sheet.name}”没有写明项目名称，而项目基本信息表中{parsed.unit}{year}年度的"
                f"{project_type}项目{found}。请在表格上方加一行“项目名称：…”。",
                sheet=sheet.name,
            )


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[list[object]]) -> None:
    """Insert rows in one multi-row statement; values travel as text so decimals arrive exact."""
    if not rows:
        return
    names = ", ".join(columns)
    # DuckDB binds at most 65,535 parameters per statement, so a very long sheet goes in a few statements.
    per_statement = max(1, 60_000 // len(columns))
    row_slots = "(" + ", ".join("?" * len(columns)) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        con.execute(
            f"insert into {table} ({names}) values {', '.join([row_slots] * len(chunk))}",
            [_as_text(value) for row in chunk for value in row],
        )


def _store_problems(con: duckdb.DuckDBPyConnection, submission_id: int, problems: list[Problem]) -> None:
    columns = ["submission_id", *(f.name for f in fields(ReceiptIssue))]
    rows = [[submission_id, *astuple(ReceiptIssue.of(p))] for p in problems]
    _insert(con, "ops.validation_issues", columns, rows)


def _store_data(con: duckdb.DuckDBPyConnection, submission_id: int, parsed: ParsedFile) -> int:
    """Store the sheets, their column lineage, slices and raw rows of an accepted file; return rows loaded."""
    slices: dict[str, list] = {}
    total = 0
    for sheet in parsed.sheets:
        template = sheet.template
        _insert(
            con,
            "ops.sheets",
            ["submission_id", "sheet", "template", "header_first_row", "header_last_row", "data_rows"],
            [[submission_id, sheet.name, template.id, *sheet.header_rows, len(sheet.records)]],
        )
        _insert(
            con,
            "ops.sheet_columns",
            ["submission_id", "sheet", "column_name", "column_header", "excel_column", "written_unit"],
            [[submission_id, sheet.name, b.column.name, b.header, b.letter, b.unit] for b in sheet.bindings],
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
                    0,
                ],
            )
            entry[-1] += 1
            lineage = {"submission_id": submission_id, "sheet": sheet.name, "slice_key": key}
            rows.append([lineage.get(c, record.get(c)) for c in columns])
        _insert(con, f"raw.{template.id}", columns, rows)
        total += len(rows)
    _insert(
        con,
        "ops.slices",
        ["submission_id", "template", "slice_key", "unit", "project_name", "year", "month", "row_count"],
        list(slices.values()),
    )
    # A submission is superseded once every one of its slices has a later accepted submission.
    con.execute(
        """
        update ops.submissions set status = 'superseded'
        where status = 'accepted' and submission_id in (
            select s.submission_id
            from ops.slices s join ops.current_slices c using (slice_key)
            group by s.submission_id
            having bool_and(c.submission_id <> s.submission_id)
        )
        """
    )
    return total


@dataclass(slots=True)
class Candidate:
    """A new file on its way in: its bytes, fingerprint, what parsing found, and its outcome."""

    inbox_path: str
    content: bytes
    sha256: str
    entry: InboxEntry | None = None
    parsed: ParsedFile | None = None
    duplicate_of: tuple[int, str] | None = None
    outcome: Outcome | None = None

    @property
    def carries_register(self) -> bool:
        return self.parsed is not None and "project_register" in self.parsed.templates


def known_sha(con: duckdb.DuckDBPyConnection | None, sha256: str) -> tuple[int, str] | None:
    """Return the first submission with these exact bytes, if any."""
    if con is None:
        return None
    row = con.execute(
        "select submission_id, original_name from ops.submissions where sha256 = ? order by submission_id limit 1",
        [sha256],
    ).fetchone()
    return (row[0], row[1]) if row else None


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
    con: duckdb.DuckDBPyConnection | None, registry: Registry, candidates: list[Candidate]
) -> tuple[list[Candidate], Validation]:
    """Find duplicates, name missing projects and validate all sheets at once; return files in load order.

    Candidates come in the order they were received; registers load first, so a list naming no project
    finds its project in a register sent in the same run.
    """
    first_of_sha: dict[str, Candidate] = {}
    for candidate in candidates:
        earlier = known_sha(con, candidate.sha256)
        twin = first_of_sha.get(candidate.sha256)
        if earlier:
            candidate.duplicate_of = earlier
        elif twin is not None:
            candidate.duplicate_of = (0, twin.inbox_path.rsplit("/", 1)[-1])
        else:
            first_of_sha[candidate.sha256] = candidate
        if candidate.duplicate_of:
            candidate.parsed = None  # a duplicate is recorded, never loaded or checked
    parsed = [c.parsed for c in candidates if c.parsed is not None]
    register = ProjectRegister.from_warehouse(con)
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


def _store(con: duckdb.DuckDBPyConnection, candidate: Candidate, archive_path: str) -> None:
    """Record one file, its problems and (if accepted) its rows, in one transaction."""
    outcome = candidate.outcome
    entry = candidate.entry
    con.execute("begin")
    try:
        submission_id = con.execute("select nextval('ops.submission_ids')").fetchone()[0]
        duplicate_of = candidate.duplicate_of[0] if candidate.duplicate_of else None
        if duplicate_of == 0:
            duplicate_of = known_sha(con, candidate.sha256)[0]
        con.execute(
            "insert into ops.submissions (submission_id, sha256, original_name, inbox_path, unit, templates, year, "
            "received_at, status, error_count, warning_count, archive_path, reason, duplicate_of) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                submission_id,
                outcome.sha256,
                entry.path.rsplit("/", 1)[-1],
                entry.path,
                outcome.unit,
                outcome.templates,
                outcome.year,
                dt.datetime.now(TIMEZONE),
                outcome.status,
                len(outcome.errors),
                len(outcome.warnings),
                archive_path,
                outcome.reason,
                duplicate_of,
            ],
        )
        _store_problems(con, submission_id, outcome.problems)
        if outcome.status == "accepted":
            outcome.rows = _store_data(con, submission_id, candidate.parsed)
        con.execute(
            "insert or replace into ops.inbox_files values (?, ?, ?, ?, ?)",
            [entry.path, entry.size, entry.mtime_ns, outcome.sha256, submission_id],
        )
        con.execute("commit")
        outcome.submission_id = submission_id
    except Exception:
        con.execute("rollback")
        raise


@dataclass(slots=True)
class InboxScan:
    """The inbox against what the warehouse has taken in."""

    fresh: list[InboxEntry] = field(default_factory=list)
    touched: list[InboxEntry] = field(default_factory=list)  # stat changed, bytes as taken in
    unchanged: int = 0


def taken_in(con: duckdb.DuckDBPyConnection | None) -> dict[str, tuple[int, int, str]]:
    """Return size, mtime and SHA-256 of every inbox path as last taken in; none before the first run."""
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
    """Sort the inbox (oldest first) into fresh, touched-but-unchanged and unchanged files; write nothing.

    Only a known file whose size or mtime moved is read, to see whether its bytes did too.
    """
    known = taken_in(con)
    scan = InboxScan()
    for entry in sorted(storage.list_inbox(), key=lambda e: (e.mtime_ns, e.path)):
        seen = known.get(entry.path)
        if entry.path in skip:
            continue
        if seen is None:
            scan.fresh.append(entry)
        elif seen[:2] == (entry.size, entry.mtime_ns):
            scan.unchanged += 1
        elif seen[2] == sha256_of(storage.read_inbox(entry.path)):
            scan.touched.append(entry)
            scan.unchanged += 1
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


def read_inbox_file(storage: LocalStorage, inbox_path: str) -> tuple[bytes, InboxEntry]:
    """Read one inbox file with the stat it had before reading (a later change makes it fresh again)."""
    entry = storage.stat_inbox(inbox_path)
    return storage.read_inbox(inbox_path), entry


def work_dir(settings: Settings, run_key: str) -> Path:
    """Return the scratch folder where one run's parsed files wait for the loader."""
    return settings.home / "work" / (re.sub(r"[^0-9A-Za-z_.-]+", "_", run_key).strip(".") or "run")


def parse_one(settings: Settings, registry: Registry, inbox_path: str, run_key: str = "manual") -> str:
    """Read, fingerprint and parse one inbox file into a work file for `load_parsed`; return its path.

    Bad data is a rejection inside the result; only I/O failures (file gone, disk full) raise.
    """
    content, entry = read_inbox_file(LocalStorage(settings), inbox_path)
    candidate = parse_candidate(inbox_path, content, entry, registry, settings.limits)
    target = work_dir(settings, run_key) / f"{sha256_of(inbox_path.encode('utf-8'))[:32]}.pickle"
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a retried or killed task never leaves half a file for the loader.
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_bytes(pickle.dumps(candidate, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, target)
    return str(target)


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
    candidates: list[Candidate],
    report: IngestReport,
    progress: bool,
) -> None:
    """Settle and validate the parsed files, then archive and store each in its own transaction."""
    storage = LocalStorage(settings)
    known = taken_in(con)
    # A retried load finds files it already stored: those are taken in, not duplicates of themselves.
    candidates = sorted(
        (c for c in candidates if known.get(c.inbox_path, (None, None, None))[2] != c.sha256),
        key=lambda c: (c.entry.mtime_ns, c.inbox_path),
    )
    with _timed(report, "validate"):
        candidates, validation = settle(con, registry, candidates)
    with _timed(report, "load"):
        scan = scan_inbox(con, storage, skip=frozenset(c.inbox_path for c in candidates))
        report.unchanged = scan.unchanged
        # Touched but not changed: remember the new stat so the next run skips it without reading.
        if scan.touched:
            con.executemany(
                "update ops.inbox_files set size = ?, mtime_ns = ? where inbox_path = ?",
                [[e.size, e.mtime_ns, e.path] for e in scan.touched],
            )
        if validation.results:
            report.data_docs = write_data_docs(validation, settings.data_docs)
        for candidate in tqdm(candidates, desc="入库", unit="个", disable=not progress or not candidates):
            archive_path = storage.archive(candidate.content, candidate.entry.suffix)
            _store(con, candidate, archive_path)
            report.outcomes.append(candidate.outcome)
        write_receipts(con, settings)
        con.execute(
            "insert into ops.runs values (?, ?, ?, ?, ?, ?)",
            [
                dt.datetime.now(TIMEZONE),
                len(report.outcomes),
                *(report.count(status) for status in ("accepted", "rejected", "duplicate")),
                report.unchanged,
            ],
        )


def load_parsed(settings: Settings, registry: Registry, parsed_paths: Iterable[str]) -> IngestReport:
    """Load the work files `parse_one` wrote, as the single writer; remove them once all are stored."""
    paths = [Path(p) for p in parsed_paths]
    report = IngestReport()
    with _timed(report, "read"):
        candidates = [pickle.loads(path.read_bytes()) for path in paths]
    with writer(settings.warehouse) as con:
        ensure_schema(con, registry)
        _load(con, settings, registry, candidates, report, progress=False)
    for path in paths:
        path.unlink(missing_ok=True)
        with suppress(OSError):  # other work files of the run may still be there
            path.parent.rmdir()
    return report


def ingest(settings: Settings, registry: Registry, progress: bool = True) -> IngestReport:
    """Ingest everything new in the inbox; one bad file never stops the others."""
    storage = LocalStorage(settings)
    report = IngestReport()
    with _timed(report, "read"):
        files = [read_inbox_file(storage, path) for path in find_new_files(settings)]
    with _timed(report, "parse"):
        candidates = [
            parse_candidate(entry.path, content, entry, registry, settings.limits)
            for content, entry in tqdm(files, desc="读取文件", unit="个", disable=not progress or not files)
        ]
    with writer(settings.warehouse) as con:
        ensure_schema(con, registry)
        _load(con, settings, registry, candidates, report, progress)
    return report
