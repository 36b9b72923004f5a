"""Take in what is new in the inbox: fingerprint, archive, parse, and load each file in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import pandas as pd
from tqdm import tqdm

from pipeline.parse import ParsedFile, parse_file
from pipeline.problems import Problem, Severity
from pipeline.registry import Registry
from pipeline.settings import TIMEZONE, Settings
from pipeline.storage import InboxEntry, LocalStorage, sha256_of
from pipeline.warehouse import connect, ensure_schema, raw_columns

STATUS_ZH = {
    "accepted": "已接收",
    "rejected": "已退回",
    "duplicate": "重复提交",
    "superseded": "已被更正版本替代",
}
DEFERRED = object()
ProjectLookup = Callable[[str, int, str], list[str]]


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

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def slice_key(template_id: str, record: dict, slice_fields: Iterable[str]) -> str:
    """Return the key of the slice a record belongs to: template, then unit, project, year[, month]."""
    names = {"project": "project_name"}
    return "|".join([template_id, *(str(record.get(names.get(f, f)) or "") for f in slice_fields)])


def register_lookup(con: duckdb.DuckDBPyConnection | None) -> ProjectLookup:
    """Return a lookup of a unit's projects of one type and year in the current project register."""

    def lookup(unit: str, year: int, project_type: str) -> list[str]:
        if con is None:
            return []
        rows = con.execute(
            "select distinct project_name from staging.project_register "
            "where implementing_unit = ? and year = ? and project_type = ? order by 1",
            [unit, year, project_type],
        ).fetchall()
        return [r[0] for r in rows]

    return lookup


def resolve_projects(parsed: ParsedFile, lookup: ProjectLookup) -> None:
    """Name the project of sheets that state none: the unit's single project of that type in the register."""
    for sheet in parsed.sheets:
        project_type = sheet.template.project.register_project_type
        pending = [r for r in sheet.records if not r.get("project_name")]
        if not pending or project_type is None or parsed.unit is None:
            continue
        for year in sorted({r["year"] for r in pending if r.get("year")}):
            candidates = lookup(parsed.unit, year, project_type)
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
    """Insert rows through one DataFrame scan; values travel as text so decimals arrive exact."""
    if not rows:
        return
    frame = pd.DataFrame([[_as_text(v) for v in row] for row in rows], columns=columns, dtype=object)
    con.register("incoming_rows", frame)
    try:
        names = ", ".join(columns)
        con.execute(f"insert into {table} ({names}) select {names} from incoming_rows")
    finally:
        con.unregister("incoming_rows")


def _store_problems(con: duckdb.DuckDBPyConnection, submission_id: int, problems: list[Problem]) -> None:
    columns = [
        "submission_id",
        "sheet",
        "excel_row",
        "column_header",
        "value",
        "severity",
        "rule",
        "message_zh",
        "expected",
        "fix",
    ]
    rows = [
        [
            submission_id,
            p.sheet,
            p.excel_row,
            p.column_header,
            p.value,
            str(p.severity),
            p.rule,
            p.message_zh,
            p.expected,
            p.fix,
        ]
        for p in problems
    ]
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


class Intake:
    """Ingest files one at a time into an open warehouse connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, storage: LocalStorage, registry: Registry):
        self.con = con
        self.storage = storage
        self.registry = registry

    def known_sha(self, sha256: str) -> tuple[int, str] | None:
        row = self.con.execute(
            "select submission_id, original_name from ops.submissions where sha256 = ? order by submission_id limit 1",
            [sha256],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def take(self, entry: InboxEntry, may_defer: bool = False) -> Outcome | None:
        """Take one inbox file in; return None when it was already taken in unchanged.

        With `may_defer`, a file whose only problem is a project the register does not know yet is left
        untouched and returned as DEFERRED: the register may arrive later in the same run.
        """
        content = self.storage.read_inbox(entry.path)
        sha = sha256_of(content)
        seen = self.con.execute(
            "select sha256 from ops.inbox_files where inbox_path = ?", [entry.path]
        ).fetchone()
        if seen and seen[0] == sha:
            # Touched but not changed: remember the new stat so the next run skips it without reading.
            self.con.execute(
                "update ops.inbox_files set size = ?, mtime_ns = ? where inbox_path = ?",
                [entry.size, entry.mtime_ns, entry.path],
            )
            return None
        earlier = self.known_sha(sha)
        if earlier:
            outcome = Outcome(
                entry.path,
                sha,
                "duplicate",
                reason=f"与第{earlier[0]}号提交“{earlier[1]}”内容完全相同，未重复入库。",
            )
            parsed = None
        else:
            parsed = parse_file(content, entry.path, self.registry)
            if not parsed.errors:
                resolve_projects(parsed, register_lookup(self.con))
                if may_defer and parsed.errors and all(p.rule == "project_unknown" for p in parsed.errors):
                    return DEFERRED
            status = "rejected" if parsed.errors else "accepted"
            outcome = Outcome(
                entry.path,
                sha,
                status,
                unit=parsed.unit,
                year=max(parsed.years) if parsed.years else None,
                templates=parsed.templates,
                problems=parsed.all_problems,
                reason=parsed.errors[0].message_zh if parsed.errors else None,
            )
        archive_path = self.storage.archive(content, entry.suffix)
        self._store(entry, outcome, parsed, archive_path, earlier[0] if earlier else None)
        return outcome

    def _store(
        self, entry: InboxEntry, outcome: Outcome, parsed: ParsedFile | None, archive_path: str, duplicate_of
    ) -> None:
        con = self.con
        con.execute("begin")
        try:
            submission_id = con.execute("select nextval('ops.submission_ids')").fetchone()[0]
            outcome.submission_id = submission_id
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
            if outcome.status == "accepted" and parsed is not None:
                outcome.rows = _store_data(con, submission_id, parsed)
            con.execute(
                "insert or replace into ops.inbox_files values (?, ?, ?, ?, ?)",
                [entry.path, entry.size, entry.mtime_ns, outcome.sha256, submission_id],
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise


def pending_entries(con: duckdb.DuckDBPyConnection, storage: LocalStorage) -> tuple[list[InboxEntry], int]:
    """Return inbox files not yet taken in as they are now (by path, size and mtime), oldest first."""
    known = {
        (path, size, mtime)
        for path, size, mtime in con.execute(
            "select inbox_path, size, mtime_ns from ops.inbox_files"
        ).fetchall()
    }
    entries = list(storage.list_inbox())
    fresh = [e for e in entries if (e.path, e.size, e.mtime_ns) not in known]
    fresh.sort(key=lambda e: (e.mtime_ns, e.path))
    return fresh, len(entries) - len(fresh)


def ingest(settings: Settings, registry: Registry, progress: bool = True) -> IngestReport:
    """Ingest everything new in the inbox; one bad file never stops the others."""
    storage = LocalStorage(settings)
    report = IngestReport()
    with connect(settings.warehouse) as con:
        ensure_schema(con, registry)
        fresh, report.unchanged = pending_entries(con, storage)
        intake = Intake(con, storage, registry)
        deferred = []
        for entry in tqdm(fresh, desc="接收文件", unit="个", disable=not progress or not fresh):
            outcome = intake.take(entry, may_defer=True)
            if outcome is DEFERRED:
                deferred.append(entry)
            elif outcome is not None:
                report.outcomes.append(outcome)
            else:
                report.unchanged += 1
        for entry in deferred:
            outcome = intake.take(entry)
            if outcome is not None:
                report.outcomes.append(outcome)
    return report
