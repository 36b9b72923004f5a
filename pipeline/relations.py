"""Ask a DuckDB database which tables and views it holds, for the writer, the report and the export alike."""

from __future__ import annotations

import duckdb


def has_relation(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Say whether the warehouse holds a table or view of this name."""
    return bool(
        con.execute(
            "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    )
