"""Say what a killed run left: warehouses that do not open, half-stored submissions, archive files lost or
not whole, receipts missing; and, keyed by file, the tables a rerun must reach."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb


def archived(home: Path) -> dict[str, Path]:
    """Return the archive's files by relative path (temporary files of an interrupted copy included)."""
    root = home / "archive"
    return (
        {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    )


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
        ).fetchall()
    ]


def partial_submissions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Say what is half-stored: a stored file missing its rows, rows of no stored file, counts that differ."""
    problems = []
    stored = "(select submission_id from ops.submissions)"
    for table in [
        "ops.validation_issues",
        "ops.sheets",
        "ops.sheet_columns",
        "ops.sheet_fields",
        "ops.slices",
    ] + [f"raw.{t}" for t in raw_tables(con)]:
        (orphans,) = con.execute(
            f"select count(*) from {table} where submission_id not in {stored}"
        ).fetchone()
        if orphans:
            problems.append(f"{orphans} rows of {table} belong to no submission")
    raw_counts = " union all ".join(
        f"select submission_id, count(*) as n from raw.{t} group by 1" for t in raw_tables(con)
    )
    for submission_id, status, sheets, sheet_rows, slice_rows, raw_rows in con.execute(
        f"""
        select s.submission_id, s.status,
               (select count(*) from ops.sheets x where x.submission_id = s.submission_id),
               (select coalesce(sum(data_rows), 0) from ops.sheets x where x.submission_id = s.submission_id),
               (select coalesce(sum(row_count), 0) from ops.slices x where x.submission_id = s.submission_id),
               coalesce((select sum(n) from ({raw_counts}) r where r.submission_id = s.submission_id), 0)
        from ops.submissions s order by 1
        """
    ).fetchall():
        loaded = status in ("accepted", "superseded")
        if loaded and not sheets:
            problems.append(f"submission {submission_id} is {status} without its sheets")
        if not loaded and (sheets or raw_rows or slice_rows):
            problems.append(f"submission {submission_id} is {status} yet has rows stored")
        if not sheet_rows == slice_rows == raw_rows:
            problems.append(
                f"submission {submission_id}: {sheet_rows} sheet rows, {slice_rows} slice rows, {raw_rows} raw rows"
            )
    return problems


def canonical(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Return the ops and raw tables keyed by file fingerprint instead of submission number, sorted."""
    sha = "join (select submission_id, sha256 from ops.submissions) s using (submission_id)"
    tables = {
        "submissions": """
            select s.sha256, s.inbox_path, s.original_name, s.unit, s.templates, s.year, s.status,
                   s.error_count, s.warning_count, s.archive_path, regexp_replace(s.reason, '第\\d+号', '第#号', 'g'),
                   d.sha256, s.receipt_status
            from ops.submissions s left join ops.submissions d on d.submission_id = s.duplicate_of""",
        "inbox_files": "select inbox_path, size, mtime_ns, sha256 from ops.inbox_files",
        **{
            name: f"select s.sha256, t.* exclude (submission_id) from ops.{name} t {sha}"
            for name in ("validation_issues", "sheets", "sheet_columns", "sheet_fields", "slices")
        },
        **{
            f"raw.{t}": f"select s.sha256, t.* exclude (submission_id) from raw.{t} t {sha}"
            for t in raw_tables(con)
        },
    }
    return {name: con.execute(f"{query} order by all").fetchall() for name, query in tables.items()}


def differences(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> list[str]:
    """Name each table whose rows differ, with a row found on one side only."""
    found = []
    for name in sorted(set(got) | set(want)):
        mine, theirs = got.get(name, []), want.get(name, [])
        if mine != theirs:
            extra = next((r for r in mine if r not in theirs), None)
            missing = next((r for r in theirs if r not in mine), None)
            found.append(f"{name}: {len(mine)} rows vs {len(theirs)}; extra {extra}; missing {missing}")
    return found


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def snapshot(home: Path) -> dict[str, list[tuple]]:
    with open_read_only(home / "warehouse.duckdb") as con:
        return canonical(con)


def archive_damage(home: Path, before: dict[str, Path]) -> tuple[list[str], int]:
    """Return what is wrong with the archive (files lost since `before`, files not matching their name) and
    how many temporary files an interrupted copy left."""
    now = archived(home)
    damage = [f"lost {name}" for name in before if name not in now and not _temporary(name)]
    leftovers = 0
    for name, path in now.items():
        if _temporary(name):
            leftovers += 1
        elif hashlib.sha256(path.read_bytes()).hexdigest() != Path(name).stem:
            damage.append(f"{name} does not hold the bytes its name says")
    return damage, leftovers


def _temporary(name: str) -> bool:
    return not re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{64}(\.\w+)?", name)


def stored_file_damage(home: Path) -> list[str]:
    """Say which stored submissions lack their archived file or a whole receipt (HTML, and JSON naming it)."""
    damage = []
    with open_read_only(home / "warehouse.duckdb") as con:
        rows = con.execute(
            "select submission_id, sha256, archive_path, receipt_path from ops.submissions"
        ).fetchall()
    for submission_id, sha256, archive_path, receipt in rows:
        if not (home / "archive" / archive_path).is_file():
            damage.append(f"submission {submission_id}'s file is not in the archive")
        if receipt is None or not Path(receipt).is_file():
            damage.append(f"submission {submission_id} has no receipt")
            continue
        try:
            facts = json.loads(Path(receipt).with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            damage.append(f"submission {submission_id}'s JSON receipt is missing or cut short")
            continue
        if facts.get("sha256") != sha256:
            damage.append(f"submission {submission_id}'s receipt names another file")
    return damage


def stored_count(home: Path) -> tuple[int, list[str]]:
    """Open the published and working warehouses as they were left; return the working copy's submissions
    and what is half-stored in either."""
    problems = []
    published, work = home / "warehouse.duckdb", home / "writer" / "warehouse.duckdb"
    count = 0
    for path in (published, work):
        if not path.exists():
            continue
        try:
            with open_read_only(path) as con:
                problems += [f"{path.name} in {path.parent.name}: {p}" for p in partial_submissions(con)]
                (count,) = con.execute("select count(*) from ops.submissions").fetchone()
        except duckdb.Error as exc:
            problems.append(f"{path} does not open: {exc}")
    return count, problems
