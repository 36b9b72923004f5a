"""Insert a batch's rows table by table, each table in one statement from Arrow text columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import duckdb


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
    # Most columns hold one class beside blanks (amounts, years): its text made without a lookup per value.
    if len(others := classes - {str, type(None)}) == 1 and (text := _TEXT_OF.get(next(iter(others)))):
        if len(classes) == 1:
            return list(map(text, values))
        return [v if v is None or v.__class__ is str else text(v) for v in values]
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
