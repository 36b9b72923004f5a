"""What the published warehouse holds: every schema, table, view and column with its COMMENT, row counts and a
few sample rows, read from DuckDB's own catalog (`duckdb_tables()`, `duckdb_views()`, `duckdb_columns()`)."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field

import duckdb

from pipeline.text import first_said, printable

SCHEMA_ORDER = ("ops", "raw", "staging", "intermediate", "mart", "config")
SAMPLE_ROWS = 5
CELL_CHARS = 80  # a sample cell longer than this is cut, marked with …

_OBJECTS = """
select schema_name, table_name as name, 'table' as kind, comment
from duckdb_tables() where database_name = current_database() and not internal and not temporary
union all
select schema_name, view_name, 'view', comment
from duckdb_views() where database_name = current_database() and not internal and not temporary
"""
_COLUMNS = """
select schema_name, table_name, column_name, data_type, is_nullable, comment
from duckdb_columns() where database_name = current_database() and not internal
order by schema_name, table_name, column_index
"""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    nullable: bool
    comment: str


@dataclass
class Table:
    schema: str
    name: str
    kind: str  # table or view
    comment: str
    columns: list[Column] = field(default_factory=list)
    row_count: int | None = None
    sample: list[list[str | None]] = field(default_factory=list)  # shown as text; None is NULL
    sample_error: str = ""

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def uncommented(self) -> list[str]:
        """Return what lacks a COMMENT: the table itself (by its name) and each column."""
        missing = [self.qualified] if not self.comment else []
        return missing + [f"{self.qualified}.{c.name}" for c in self.columns if not c.comment]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def show(value: object, limit: int = CELL_CHARS) -> str | None:
    """Return a sample value as short, printable text; None stays None (NULL)."""
    if value is None:
        return None
    text = printable(_text(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_inner(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    if isinstance(value, uuid.UUID | int | float):
        return str(value)
    return str(value)


def _inner(value: object) -> str:
    return "NULL" if value is None else _text(value)


def _sample(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Count the rows and keep the first few in a fixed order (same warehouse, same page)."""
    source = f"{_ident(table.schema)}.{_ident(table.name)}"
    try:
        (table.row_count,) = con.execute(f"select count(*) from {source}").fetchone()
        try:
            rows = con.execute(f"select * from {source} order by all limit {SAMPLE_ROWS}").fetchall()
        except duckdb.Error:  # a column type that cannot be ordered: the rows as stored
            rows = con.execute(f"select * from {source} limit {SAMPLE_ROWS}").fetchall()
    except duckdb.Error as exc:  # a view that no longer binds, say; the catalog still describes it
        table.sample_error = printable(first_said(exc))
        return
    table.sample = [[show(value) for value in row] for row in rows]


def read_tables(con: duckdb.DuckDBPyConnection, samples: bool = True) -> list[Table]:
    """Return every user table and view of the database, schemas in warehouse order, names sorted."""
    rank = {s: i for i, s in enumerate(SCHEMA_ORDER)}
    tables = {
        (schema, name): Table(schema, name, kind, (comment or "").strip())
        for schema, name, kind, comment in con.execute(_OBJECTS).fetchall()
    }
    for schema, table, column, data_type, nullable, comment in con.execute(_COLUMNS).fetchall():
        if (schema, table) in tables:
            tables[(schema, table)].columns.append(
                Column(column, data_type, nullable, (comment or "").strip())
            )
    ordered = sorted(tables.values(), key=lambda t: (rank.get(t.schema, len(rank)), t.schema, t.name))
    if samples:
        for table in ordered:
            _sample(con, table)
    return ordered
