"""Open the DuckDB warehouse and keep its schema in step with the registry and `sql/`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.registry import ColumnType, Registry, Template

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

SQL_TYPES = {
    ColumnType.TEXT: "varchar",
    ColumnType.PROSE: "varchar",
    ColumnType.NAME: "varchar",
    ColumnType.ENUM: "varchar",
    ColumnType.INTEGER: "bigint",
    ColumnType.COUNT: "bigint",
    ColumnType.DECIMAL: "decimal(18, 6)",
    ColumnType.MONEY: "decimal(18, 6)",
    ColumnType.AREA: "decimal(18, 4)",
    ColumnType.PERCENT: "decimal(9, 6)",
    ColumnType.DATE: "date",
    ColumnType.YEAR: "integer",
    ColumnType.MONTH: "integer",
}
UNIT_NOTE = {
    ColumnType.MONEY: "（万元）",
    ColumnType.AREA: "（平方米）",
    ColumnType.PERCENT: "（比例，0.95=95%）",
}

# Every raw row says which file, sheet and Excel row it came from, and which slice it belongs to.
LINEAGE_COLUMNS = (
    ("submission_id", "integer", "提交编号（ops.submissions）"),
    ("sheet", "varchar", "工作表名称"),
    ("excel_row", "integer", "Excel中显示的行号"),
    ("slice_key", "varchar", "切片键（ops.slices）"),
    ("unit", "varchar", "填报单位"),
)


def raw_columns(template: Template) -> list[tuple[str, str, str]]:
    """Return (name, SQL type, comment) of a template's raw table: lineage, slice fields, then its columns."""
    columns = list(LINEAGE_COLUMNS)
    names = {c.name for c in template.columns}
    if "project_name" not in names:
        columns.append(("project_name", "varchar", "项目名称"))
    if "year" not in names:
        columns.append(("year", "integer", "报表年度"))
    for column in template.columns:
        note = f"「{column.header}」{UNIT_NOTE.get(column.type, '')}"
        columns.append((column.name, SQL_TYPES[column.type], note))
    if template.part_of_previous:
        columns.append(("parent_item", "varchar", "“其中”行所属的上一行内容；顶层行为空"))
    return columns


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_raw_table(con: duckdb.DuckDBPyConnection, template: Template) -> None:
    """Create the template's raw table, or add the columns a registry change introduced."""
    table = f"raw.{template.id}"
    columns = raw_columns(template)
    definition = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in columns)
    con.execute(f"create table if not exists {table} ({definition})")
    for name, sql_type, _ in columns:
        con.execute(f"alter table {table} add column if not exists {name} {sql_type}")
    con.execute(f"comment on table {table} is {_quote(f'原始层：{template.name_zh}，每个已接收数据行一行')}")
    for name, _, note in columns:
        con.execute(f"comment on column {table}.{name} is {_quote(note)}")


def staging_models() -> list[Path]:
    """Return the staging models, one per file, in name order."""
    return sorted((SQL_DIR / "staging").glob("stg_*.sql"))


def ensure_schema(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Create ops, raw and staging objects; safe to run on every start."""
    con.execute("begin")
    try:
        con.execute((SQL_DIR / "ops" / "schema.sql").read_text(encoding="utf-8"))
        for template in registry.templates.values():
            ensure_raw_table(con, template)
        for model in staging_models():
            template_id = model.stem.removeprefix("stg_")
            if template_id in registry.templates:
                con.execute(model.read_text(encoding="utf-8"))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse with Shanghai time; readers open read-only so the nightly writer is never blocked."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        con.execute("set TimeZone = 'Asia/Shanghai'")
        yield con
    finally:
        con.close()


def working_copy(published: Path) -> Path:
    """Return where the single writer keeps its own database, beside the published one's data root."""
    return published.parent / "writer" / published.name


def publish(work: Path, published: Path) -> None:
    """Replace the published warehouse by the writer's copy in one rename; open readers keep the old file."""
    staged = published.with_name(f".{published.name}.publishing")
    shutil.copyfile(work, staged)
    with open(staged, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, published)


@contextmanager
def reader(published: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the pipeline's own read-only view: the writer's copy, so an analyst's lock on the published file
    never stops a step."""
    work = working_copy(published)
    with connect(work if work.exists() else published, read_only=True) as con:
        yield con


@contextmanager
def writer(published: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the writer's own copy of the warehouse and publish it when the block succeeds.

    Analysts hold the published file open (even read-write) without ever blocking the night: the writer
    never opens it, and a finished step swaps in a new file that sessions opened afterwards see.
    """
    work = working_copy(published)
    if not work.exists() and published.exists():
        work.parent.mkdir(parents=True, exist_ok=True)
        # Copy, then rename: a copy cut short by a crash must never pass for the working copy.
        copying = work.with_name(f".{work.name}.copying")
        shutil.copyfile(published, copying)
        os.replace(copying, work)
    with connect(work) as con:
        yield con
        con.execute("checkpoint")
    publish(work, published)
