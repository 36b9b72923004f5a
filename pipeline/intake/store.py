"""Store a batch of settled files in one transaction: submissions, problems, lineage, slices and rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import astuple, fields
from decimal import Decimal

import duckdb

from pipeline.file_names import written_path
from pipeline.inbox_storage import marker_of
from pipeline.intake.candidates import Candidate
from pipeline.intake.retell import retell_taken
from pipeline.parse import sending_folder_of
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem
from pipeline.projects import slice_key
from pipeline.raw_tables import raw_columns
from pipeline.receipt_facts import ReceiptIssue, recount_warnings
from pipeline.settings import TIMEZONE


def _as_text(value: object) -> str | bytes | None:
    if value is None or isinstance(value, bytes):  # bytes go to BLOB columns as they are
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


# The text of the values that fill a batch's columns, by exact class; anything else goes through `_as_text`.
_TEXT_OF = {int: str, Decimal: _decimal_text, dt.date: dt.date.isoformat, float: str}


def _as_column(values: list[object]) -> list[object]:
    classes = set(map(type, values))
    if any(issubclass(c, list) for c in classes) or classes <= {str, type(None)}:
        return values  # lists go to LIST columns as they are; text needs nothing
    text_of = _TEXT_OF.get
    return [v if v is None or v.__class__ is str else (text_of(v.__class__) or _as_text)(v) for v in values]


def _arrow_column(values: list[object]) -> object:
    """Return a column as Arrow: text as strings; bytes (BLOB) and lists (LIST) as Arrow infers them."""
    import pyarrow as pa  # only a run that stores something pays for it

    values = _as_column(values)
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # bytes or lists: not text
        return pa.array(values)


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    rows: list[list[object]],
    replace: bool = False,
) -> None:
    """Insert (or, by primary key, replace) rows in one statement from an Arrow table of text columns, so decimals
    arrive exact."""
    if not rows:
        return
    import pyarrow as pa

    # Arrow, not a pandas frame of objects: DuckDB reads Arrow strings without looking at each Python object.
    frame = pa.table([_arrow_column(list(values)) for values in zip(*rows, strict=True)], names=columns)
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
            insert_rows(con, table, columns, rows, replace=table in self.replacing)


def _numbered(named: tuple[object, ...], run_numbers: dict[int, int]) -> tuple[int, ...]:
    """Return the submissions a problem names, a file of this run by the number it was stored under."""
    numbers = (n if isinstance(n, int) else run_numbers.get(n[1]) for n in named)
    # A file of the run never stored (none is expected) cannot be followed: its warning is never retold.
    return tuple(n for n in numbers if n is not None)


def add_problems(
    pending: PendingRows, submission_id: int, problems: list[Problem], run_numbers: dict[int, int]
) -> None:
    rows = []
    for p in problems:
        row = [submission_id, *astuple(ReceiptIssue.of(p, _numbered(p.named, run_numbers)))]
        row[_NAMED_AT] = list(row[_NAMED_AT]) or None  # a LIST column, empty for most problems
        rows.append(row)
    pending.add("ops.validation_issues", _ISSUE_COLUMNS, rows)


_ISSUE_COLUMNS = ["submission_id", *(f.name for f in fields(ReceiptIssue))]
_NAMED_AT = _ISSUE_COLUMNS.index("named_submissions")


# Per template: its raw table's column names, and the record fields its slice key is made of.
_LAYOUTS: dict[int, tuple[object, list[str], list[str]]] = {}


def _layout(template) -> tuple[list[str], list[str]]:
    held = _LAYOUTS.get(id(template))
    if held is None or held[0] is not template:
        names = {"project": "project_code"}
        held = _LAYOUTS[id(template)] = (
            template,
            [name for name, _, _ in raw_columns(template)],
            [names.get(f, f) for f in template.slice],
        )
    return held[1], held[2]


def _add_data(pending: PendingRows, submission_id: int, parsed: ParsedFile) -> int:
    """Queue the sheets, their column lineage, slices and raw rows of an accepted file; return its rows."""
    slices: dict[str, list] = {}
    keys: dict[tuple, str] = {}  # slice keys by the values they are made of: rows of a sheet share a few
    total = 0
    for sheet in parsed.sheets:
        template = sheet.template
        columns, fields = _layout(template)
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
        pending.add(
            "ops.sheet_fields",
            ["submission_id", "sheet", "field_name", "field_header", "excel_row", "excel_column"],
            (
                [submission_id, sheet.name, name, *cell[2:], *cell[:2]]
                for name, cells in sheet.field_cells.items()
                for cell in cells
            ),
        )
        rows = []
        at_sheet, at_key = columns.index("sheet"), columns.index("slice_key")
        at_submission = columns.index("submission_id")
        for record in sheet.records:
            made_of = (template.id, *map(record.get, fields))
            key = keys.get(made_of)
            if key is None:
                key = keys[made_of] = slice_key(template.id, record, template.slice)
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
            row = list(map(record.get, columns))
            row[at_submission], row[at_sheet], row[at_key] = submission_id, sheet.name, key
            rows.append(row)
        pending.add(f"raw.{template.id}", columns, rows)
        total += len(rows)
    # Another office's list it takes out of force: the slice is its own, with no rows there.
    for key, taken in parsed.taken_slices.items():
        slices.setdefault(
            key,
            [submission_id, taken["template"], key, taken["unit"], taken["project_name"], taken["year"],
             taken["month"], taken["project_code"], 0],
        )  # fmt: skip
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


def _add_returned(pending: PendingRows, submission_id: int, parsed: ParsedFile) -> None:
    """Queue the slices a returned file's rows name, so the report can say the form was sent but returned."""
    named = {
        (sheet.template.id, record.get("unit"), record.get("project_code"), record.get("project_name"), year,
         record.get("month"))
        for sheet in parsed.sheets
        for record in sheet.records
        if isinstance(year := record.get("year"), int)
    }  # fmt: skip
    pending.add(
        "ops.returned_slices",
        ["submission_id", "template", "unit", "project_code", "project_name", "year", "month"],
        ([submission_id, *entry] for entry in sorted(named, key=str)),
    )


def supersede(con: duckdb.DuckDBPyConnection, slice_keys: set[str]) -> None:
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


def _taken_from(con: duckdb.DuckDBPyConnection, taken: dict[str, int]) -> dict[int, int]:
    """Return each other office's file in force on these slices, with the submission taking its place."""
    if not taken:
        return {}
    keys, numbers = list(taken), list(taken.values())
    return dict(
        con.execute(
            "select c.submission_id, t.taker from ops.current_slices as c "
            "join ops.submissions as s using (submission_id) "
            "join (select unnest(?::varchar[]) as slice_key, unnest(?::integer[]) as taker) as t using (slice_key) "
            "where s.unit = split_part(c.slice_key, '|', 2)",  # not the unit's own earlier list, which took it
            [keys, numbers],
        ).fetchall()
    )


def _name_keepers(con: duckdb.DuckDBPyConnection, taken: dict[str, int]) -> set[int]:
    """Add to the warnings an implementing unit's list told other offices' lists of taking their slices the unit's
    later list that keeps them; return the files warned.

    The warning names the list that took the slice, so that it no longer applies once that list is out of force
    (`retell_issues`); a later list of the unit holding the slice in its place keeps it applying.
    """
    if not taken:
        return set()
    keys, numbers = list(taken), list(taken.values())
    return {
        submission_id
        for (submission_id,) in con.execute(
            "update ops.validation_issues as v set named_submissions = list_append(v.named_submissions, t.taker) "
            "from ops.current_slices as c join ops.submissions as s using (submission_id) "
            "join (select unnest(?::varchar[]) as slice_key, unnest(?::integer[]) as taker) as t using (slice_key) "
            "where s.unit <> split_part(c.slice_key, '|', 2) "  # the unit's earlier list holds it
            "and v.rule = 'listed_by_other_unit' and list_contains(v.named_submissions, c.submission_id) "
            "and not list_contains(v.named_submissions, t.taker) "
            "and v.submission_id in (select l.submission_id from ops.slices as l where l.slice_key = c.slice_key) "
            "returning v.submission_id",
            [keys, numbers],
        ).fetchall()
    }


def _retell_stored(con: duckdb.DuckDBPyConnection, retold: set[int], replaced: dict[int, int]) -> None:
    """Count again the warnings of files stored before that these were told of, and mark their receipts stale; a
    file whose list an implementing unit's took gets the reason its receipt gives if that leaves it superseded."""
    retell_taken(con, set(replaced))
    recount_warnings(con, retold | set(replaced))


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
) -> None:
    """Record a batch of archived files, their problems and accepted rows, in one transaction.

    `stored_sha` maps the fingerprint and office of each file taken in earlier in this run to its submission, so a twin
    names the submission it repeats; `run_numbers` maps each parsed file of the run's chunk stored so far (by its id)
    to its submission, so a warning names by number a file settled beside it. Both are only updated once the batch
    commits. Inside `committing_after`, its step (the batch's archive copies made durable, and what else must commit
    with the batch) runs after the rows are written and before the commit.
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
        for submission_id, (candidate, archive_path) in zip(ids, batch, strict=True):
            outcome = candidate.outcome
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
                        len(outcome.warnings),
                        archive_path,
                        outcome.reason,
                        duplicate_of,
                        entry.raw,
                        sending_folder_of(written),
                    ]
                ],
            )
            add_problems(pending, submission_id, outcome.problems, numbers)
            if outcome.status == "accepted":
                outcome.rows = _add_data(pending, submission_id, candidate.parsed)
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
