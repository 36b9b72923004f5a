"""Export the marts anyone can read: every `mart.*` table and `ops.submissions` as Parquet, by year.

Each publish writes a version folder `<export>/versions/<warehouse version>/` with one Parquet dataset per table
(partitioned `year=…/` where the table has a year) and `manifest.json`, then replaces `<export>/LATEST.json`,
the small pointer written last: a reader who follows it finds a complete version or the one before. On object
storage (`PIPELINE_EXPORT=s3://…`) the same files are written in local scratch and published as objects
(`pipeline.published_objects.publish_objects`): the version's objects first, `LATEST.json` last.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb

from pipeline.locations import is_url
from pipeline.published_objects import publish_objects, upload_folder
from pipeline.relations import has_relation
from pipeline.settings import TIMEZONE, Settings
from pipeline.storage import fsync_path

POINTER = "LATEST.json"
# Besides every mart table: the files the marts come from, for lineage.
ALSO = ("ops.submissions",)
# DuckDB sums BIGINT counts into HUGEINT, which Parquet readers turn into DOUBLE; a count stays a whole number.
WIDE_INTEGERS = ("HUGEINT", "UHUGEINT")
KEEP_VERSIONS = 2

logger = logging.getLogger(__name__)


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    marts = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() where schema_name = 'mart' order by 1"
    ).fetchall()
    return [name for (name,) in marts] + [t for t in ALSO if has_relation(con, *t.split("."))]


def _select(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, bool]:
    """Return the SELECT that exports a table with its meaning kept, and whether it has a year to partition by."""
    columns = con.execute(f"describe {table}").fetchall()
    parts = [
        f'cast("{name}" as bigint) as "{name}"' if kind in WIDE_INTEGERS else f'"{name}"'
        for name, kind, *_ in columns
    ]
    return f"select {', '.join(parts)} from {table}", any(name == "year" for name, *_ in columns)


def export_version(version: Path, target: Path | str) -> dict:
    """Write one published warehouse version's marts as Parquet under `target` (a folder or `s3://` prefix),
    then point LATEST at it."""
    if is_url(target):
        # DuckDB cannot write s3:// here (no httpfs): written in this host's scratch, then published as objects.
        with tempfile.TemporaryDirectory(prefix="export-") as scratch:
            manifest = _write_tables(version, Path(scratch))
            publish_objects(str(target), upload_folder(Path(scratch)), version=version.stem, pointer=manifest)
        return manifest
    folder = target / "versions" / version.stem
    target.joinpath("versions").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target / "versions", prefix=f".{version.stem}.partial-"))
    manifest = _write_tables(version, staging)
    os.chmod(staging, 0o755)
    if folder.exists():  # the same version exported again (a retried step): replace it whole
        shutil.rmtree(folder)
    os.rename(staging, folder)
    fsync_path(folder.parent)
    pointer = {"version": folder.name, "path": f"versions/{folder.name}", **manifest}
    partial = target / f".{POINTER}.partial"
    partial.write_text(json.dumps(pointer, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, target / POINTER)
    fsync_path(target)
    _prune(target / "versions", keep=folder.name)
    return manifest


# What a killed export leaves: `LATEST.json` is written last, so readers keep the last whole export.
KILLED_ZH = "已发布的报告不受影响；导出位置的 LATEST.json 仍指向上一次完整的导出，下次运行时重新导出"


class Beside:
    """Exports running in forked children while their caller goes on (see `beside`)."""

    def __init__(self, stack: ExitStack):
        self._stack = stack
        self._waiting: list[Callable[[], dict]] = []

    def start(self, version: Path, target: Path | str) -> None:
        """Start exporting a published version in a forked child (or now, where forking gains nothing)."""
        from pipeline import forked

        self._waiting.append(
            self._stack.enter_context(forked.started(lambda: export_version(version, target)))
        )

    def wait(self) -> None:
        """Wait for every export started, in order; raise the first one's error after all have ended."""
        from pipeline.forked import ChildDied

        errors: list[Exception] = []
        for wait in self._waiting:
            try:
                wait()
            except ChildDied as exc:  # killed (the OOM killer, kill -9): say which child, and what is left
                errors.append(ChildDied(f"Parquet导出未完成：{exc}。{KILLED_ZH}"))
            except Exception as exc:  # the others still finish: each is a whole version or nothing
                errors.append(exc)
        self._waiting.clear()
        if errors:
            raise errors[0]


@contextmanager
def beside(settings: Settings) -> Iterator[Beside]:
    """Run the exports started through the block's `Beside` beside the block, and wait for them at its end.

    The export reads the published version and writes Parquet; the report after it reads the writer's copy in
    one Python thread. Side by side they take two cores instead of one after the other. The run lock is held
    until every export has ended, so no other writer's export can interleave; a failed block still waits for its
    exports (each is a whole version or nothing), then raises its own error.
    """
    from pipeline.runlock import run_lock

    with run_lock(settings, purpose="export"), ExitStack() as stack:
        exports = Beside(stack)
        try:
            yield exports
        except BaseException as failed:
            try:
                exports.wait()
            except Exception as exc:
                _tell_also_failed(exc, failed)
            raise
        exports.wait()


def _tell_also_failed(exc: Exception, failed: BaseException) -> None:
    """Log in one Chinese line that an export failed beside the block's own failure; its traceback only at debug.

    The block's error is what the command line (or the DAG's task) says; a traceback before it, logged at the
    default level, buried that one message. An export out of reach of the same store is not said twice.
    """
    from pipeline.failures import file_error_zh, store_unreachable, warehouse_failed
    from pipeline.forked import ChildDied
    from pipeline.text import first_said, printable

    logger.debug("导出Parquet失败", exc_info=exc)
    if store_unreachable(exc) is not None and store_unreachable(failed) is not None:
        return
    if isinstance(exc, ChildDied):  # `Beside.wait` said it whole
        logger.warning("%s", exc)
        return
    said = store_unreachable(exc) or warehouse_failed(exc)
    if said is None:
        said = file_error_zh(exc) if isinstance(exc, OSError) else printable(first_said(exc), one_line=True)
    logger.warning("Parquet导出未完成：%s。%s", said.removeprefix("pipeline：").rstrip("。"), KILLED_ZH)


def _write_tables(version: Path, staging: Path) -> dict:
    """Write every exported table of a warehouse version as Parquet into `staging`, with `manifest.json`."""
    manifest = {
        "warehouse_version": version.name,
        "published_at": dt.datetime.now(TIMEZONE).isoformat(timespec="seconds"),
        "tables": {},
    }
    with duckdb.connect(str(version), read_only=True) as con:
        for table in _tables(con):
            query, by_year = _select(con, table)
            rows = con.execute(f"select count(*) from {table}").fetchone()[0]
            if by_year and rows:  # an empty table keeps its columns in one file: no partition would hold them
                out = staging / table
                con.execute(f"copy ({query}) to '{out}' (format parquet, partition_by (year))")
                path = f"{table}/year=*/*.parquet"
            else:
                out = staging / f"{table}.parquet"
                con.execute(f"copy ({query}) to '{out}' (format parquet)")
                path = f"{table}.parquet"
            manifest["tables"][table] = {
                "rows": rows,
                "path": path,
                "partitioned_by": "year" if by_year else None,
            }
    (staging / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return manifest


def _prune(versions: Path, keep: str) -> None:
    """Keep the newest versions (a reader may still be reading the one before); remove older and partial ones."""
    done = sorted((p for p in versions.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    for old in [p for p in done if p.name != keep][: max(len(done) - KEEP_VERSIONS, 0)]:
        shutil.rmtree(old, ignore_errors=True)
    for partial in versions.glob(".*.partial-*"):
        shutil.rmtree(partial, ignore_errors=True)
