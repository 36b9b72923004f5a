"""Open the DuckDB warehouse and publish it in versions, each read-only under readers while the writer works on its own copy."""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline.registry import Registry
from pipeline.settings import TIMEZONE
from pipeline.storage import fsync_path
from pipeline.text import first_said
from pipeline.warehouse_schema import ensure_schema, lags_registry, sql_literal

if TYPE_CHECKING:
    from pipeline.export import Beside

logger = logging.getLogger(__name__)


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a DuckDB file with Shanghai time; readers open read-only so the nightly writer is never blocked."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        _raise_unopenable(path, exc)
        raise
    try:
        con.execute("set TimeZone = 'Asia/Shanghai'")
        yield con
    finally:
        con.close()


class WarehouseDamaged(OSError):
    """A DuckDB file that is not a whole database: damaged, cut short, or something else under its name."""


# DuckDB's words for a file it cannot read as a database, and for one it may not open.
_DAMAGED = ("not a valid DuckDB database file", "Could not read enough bytes")


def _raise_unopenable(path: Path, exc: duckdb.IOException) -> None:
    """Raise what the operator can act on for a file DuckDB could not open; return for any other failure."""
    said = first_said(exc)
    if any(words in said for words in _DAMAGED):
        raise WarehouseDamaged(
            f"{path} 不是完整的DuckDB数据库文件（已损坏、被截断或不是数据库），无法打开，本次未完成。"
            f"请按 docs/deploying.md 的“Backup and restore”一节从备份或上一版本恢复。（{said}）"
        ) from exc
    if "Permission denied" in said:
        raise PermissionError(errno.EACCES, "Permission denied", str(path)) from exc


class WarehouseBusy(OSError):
    """A DuckDB file cannot be opened because a session holds it read-write."""


# What to do about a published version some session holds read-write.
OPEN_IT_READ_ONLY = (
    "请关闭那个会话；查询数据仓库请只读打开（duckdb -readonly、read_only=True 或 pipeline sql）。"
)


@contextmanager
def _busy_if_locked(path: Path, advice: str = OPEN_IT_READ_ONLY) -> Iterator[None]:
    """Turn DuckDB's lock conflict while opening `path` into WarehouseBusy, naming the file and the holder."""
    try:
        yield
    except duckdb.IOException as exc:
        if "Could not set lock" not in str(exc):
            raise
        holder = re.search(r"PID \d+", str(exc))
        raise WarehouseBusy(
            f"{path} 正被另一个以读写方式打开它的会话（{holder.group() if holder else '进程号未知'}）锁定，暂时无法打开。"
            + advice
        ) from exc


@contextmanager
def open_or_busy(
    path: Path, read_only: bool = False, advice: str = OPEN_IT_READ_ONLY
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a DuckDB file like `connect`, raising WarehouseBusy (saying `advice`) when a read-write session holds it."""
    with ExitStack() as stack:
        with _busy_if_locked(path, advice):
            con = stack.enter_context(connect(path, read_only))
        yield con


def working_copy(published: Path) -> Path:
    """Return where the single writer keeps its own database, beside the published one's data root."""
    return published.parent / "writer" / published.name


def unpublished_note(published: Path) -> Path:
    """Return where the writer notes what its copy holds that no published version does yet (`pipeline status`)."""
    return working_copy(published).with_name("unpublished.json")


def _note_unpublished(con: duckdb.DuckDBPyConnection, published: Path, opened: dt.datetime) -> None:
    """Note the runs, files and withdrawals the writer's copy holds since it was last published, if any."""
    # A paused annual_indicators DAG (it publishes nightly_ingest's load with the marts), a `pipeline withdraw`
    # whose rebuild failed, a load cut short: readers stay on the version before, and `pipeline status`, which reads
    # only published versions, would not know that anything waits.
    try:
        since = dt.datetime.fromisoformat((unpublished(published) or {})["since"])
    except (ValueError, KeyError, TypeError):
        since = opened
    # Only a note: a failed transaction, a database without ops (a test's), a full disk never stop the writer for it.
    with suppress(duckdb.Error, OSError):
        _write_note(con, unpublished_note(published), since)


def unpublished(published: Path) -> dict | None:
    """Return the writer's note of what its copy holds unpublished, unless a version published since holds it."""
    note = unpublished_note(published)
    try:
        written = note.stat().st_mtime_ns
        said = json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none, or not this account's to read
        return None
    current = current_version(published)
    # Left behind by a publication cut short before removing it, or by a restore from backup: its version holds it.
    if current is not None and current.stat().st_mtime_ns > written:
        return None
    return said if isinstance(said, dict) else None


def _write_note(con: duckdb.DuckDBPyConnection, note: Path, since: dt.datetime) -> None:
    """Write what the writer's copy holds since `since` into `note`, if anything."""
    shown = "strftime({}, '%Y-%m-%d %H:%M:%S')"
    runs = con.execute(
        f"select {shown.format('finished_at')}, new_files, accepted, rejected, duplicate from ops.runs "
        "where finished_at >= ? order by finished_at",
        [since],
    ).fetchall()
    files = con.execute("select count(*) from ops.submissions where received_at >= ?", [since]).fetchone()[0]
    withdrawals = con.execute(
        f"select {shown.format('w.withdrawn_at')}, w.submission_id, s.original_name from ops.withdrawals w "
        "join ops.submissions s using (submission_id) where w.withdrawn_at >= ? order by w.withdrawn_at",
        [since],
    ).fetchall()
    if not (runs or files or withdrawals):
        return
    said = {"since": since.isoformat(), "runs": runs, "files": files, "withdrawals": withdrawals}
    writing = note.with_name(f".{note.name}.writing")
    writing.write_text(json.dumps(said, ensure_ascii=False), encoding="utf-8")
    os.replace(writing, note)


def versions(published: Path) -> Path:
    """Return the folder holding each published version, beside the published pointer."""
    return published.parent / "versions"


def current_version(published: Path) -> Path | None:
    """Return the file the published pointer names now (an older data root's plain file is its own), or None."""
    try:
        return published.resolve(strict=True)
    except FileNotFoundError:
        return None


def publish(work: Path, published: Path) -> Path:
    """Copy the writer's file into a new read-only version, point `published` at it in one rename, return it."""
    # Each version is a file of its own behind a symlink: DuckDB follows the link and keeps its lock and WAL on
    # the version it opened, so whatever a session does to one (write, hold it, die leaving a WAL) never reaches
    # a newer one.
    previous = current_version(published)
    folder = versions(published)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.time_ns()
    version = folder / f"{published.stem}-{stamp}{published.suffix}"
    try:
        shutil.copyfile(work, version)
        # Its modification time is its name's: a root session writing into it despite its mode shows (altered()).
        os.utime(version, ns=(stamp, stamp))
        # Read-only for everyone: a session that is not root can then open it only read-only, which takes no
        # exclusive lock and writes no WAL.
        version.chmod(0o444)
        fsync_path(version)
        fsync_path(folder)
    except BaseException:
        # A copy cut short by a full disk held the space it took until a later publication pruned it, so freeing
        # just enough for the next night was not enough.
        version.unlink(missing_ok=True)
        raise
    pointer = published.with_name(f".{published.name}.publishing")
    pointer.unlink(missing_ok=True)
    pointer.symlink_to(version.relative_to(published.parent))
    os.replace(pointer, published)
    fsync_path(published.parent)
    unpublished_note(published).unlink(missing_ok=True)  # all the copy held is out now
    # A WAL beside the pointer belongs to an older data root's plain file, never to a version.
    published.with_name(f"{published.name}.wal").unlink(missing_ok=True)
    _prune(folder, published, keep={version.name, previous.name if previous else ""})
    return version


def publish_pending(published: Path) -> None:
    """Publish what a writer left unpublished in its copy (`writer(publish_it=False)`), if it left a copy."""
    work = working_copy(published)
    if work.exists():
        publish(work, published)


def _prune(folder: Path, published: Path, keep: set[str]) -> None:
    """Delete the versions (and their WAL) but those kept; a reader still holding one open keeps reading it."""
    pattern = re.compile(rf"{re.escape(published.stem)}-\d+{re.escape(published.suffix)}")
    for path in folder.iterdir():
        name = path.name.removesuffix(".wal")
        # Only files: whatever else bears a version's name (a folder a session made) is not the pipeline's to remove,
        # and must not stop the night.
        if pattern.fullmatch(name) and name not in keep and not path.is_dir():
            path.unlink(missing_ok=True)


# How far a version's modification time may be from its name's stamp: versions published before the stamp was
# set carry the end of their copy instead, seconds later. Writing into one moves it further.
_ALTERED_AFTER_NS = 60 * 10**9


class PublishedVersionAltered(OSError):
    """The published version was written after its publication (a root session): it is not the pipeline's."""

    # Said in Chinese by the command line like WarehouseDamaged, not as a traceback; no retry restores the copy.
    permanent = True


def altered(version: Path) -> bool:
    """Say whether a published version was written into after its publication."""
    match = re.search(r"-(\d+)\.[^.]*$", version.name)
    if match is None:  # an older data root's plain file: no stamp to compare
        return False
    # A session that wrote without checkpointing left its changes in a WAL beside the file, which readers replay.
    if version.with_name(f"{version.name}.wal").exists():
        return True
    return abs(version.stat().st_mtime_ns - int(match.group(1))) > _ALTERED_AFTER_NS


def _published_version(published: Path) -> Path:
    version = current_version(published)
    if version is None:
        raise FileNotFoundError(f"尚未发布数据仓库：{published}。请先运行 pipeline run。")
    if altered(version):
        logger.warning(
            "已发布的数据仓库 %s 在发布后被写入过（只读文件只有root能写入），所见数据可能已不是管道发布的；"
            "下次 pipeline run 将重新发布。请只以只读方式打开它（read_only=True）。",
            version,
        )
    return version


@contextmanager
def _republish_if_damaged(published: Path, version: Path) -> Iterator[None]:
    """Say a published version that does not open whole is published again from the writer's copy, if any."""
    try:
        yield
    except WarehouseDamaged as exc:
        if not working_copy(published).exists():
            raise
        # Told to restore from a backup, an operator lost every withdrawal since (docs/deploying.md), while the
        # writer's own copy, which no session on a version reaches, was whole (if not, `pipeline report` says so).
        raise WarehouseDamaged(
            f"已发布的数据仓库 {version} 不是完整的DuckDB数据库文件（在发布后被写入或已损坏），无法打开。"
            "写入方自己的副本不受影响，无需从备份恢复：运行 pipeline report 即以它重新发布（也可等下一次 pipeline run）。"
            f"（{first_said(exc.__cause__ or exc)}）"
        ) from exc


@contextmanager
def published_reader(published: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the version published now, read-only; a publication during the session leaves it on its version."""
    version = _published_version(published)
    with ExitStack() as stack:
        with _republish_if_damaged(published, version):
            con = stack.enter_context(open_or_busy(version, read_only=True))
        yield con


@contextmanager
def checking_reader(published: Path, registry: Registry) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the published version for a dry run; while it lags the registry, a scratch copy made as the night will."""
    version = _published_version(published)
    with ExitStack() as stack:
        with _republish_if_damaged(published, version):
            con = stack.enter_context(open_or_busy(version, read_only=True))
        if not lags_registry(con, registry):
            yield con
            return
    # A source added or a column added since the last publish has no raw table or column until the night: a dry
    # run of its file failed on them, told as a damaged warehouse. The copy lives only as long as the check.
    with tempfile.TemporaryDirectory(prefix="pipeline-check-") as scratch:
        copy = Path(scratch) / version.name
        shutil.copyfile(version, copy)
        with connect(copy) as con:
            ensure_schema(con, registry)
            yield con


def attach_published(con: duckdb.DuckDBPyConnection, published: Path) -> Path:
    """Attach the version published now read-only as `warehouse`, in place of an older one; return its file."""
    version = _published_version(published)
    con.execute("detach database if exists warehouse")
    with _busy_if_locked(version), _republish_if_damaged(published, version):
        try:
            con.execute(f"attach {sql_literal(str(version))} as warehouse (read_only)")
        except duckdb.IOException as exc:
            _raise_unopenable(version, exc)
            raise
    return version


def readable(published: Path) -> bool:
    """Say whether `reader` has a warehouse to open: the writer's copy, or the published one."""
    # A first load not yet published (annual_indicators paused, or its rebuild failed) lies in the writer's copy alone.
    return working_copy(published).is_file() or published.is_file()


@contextmanager
def reader(published: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the pipeline's own read-only view: the writer's copy, so an analyst's lock on the published file
    never stops a step."""
    work = working_copy(published)
    with connect(work if work.exists() else published, read_only=True) as con:
        yield con


def _closed_to_others(folder: Path) -> None:
    """Take others' access to the writer's folder away: only the pipeline's account and group open its copy."""
    # Any session on the writer's copy, read-only too (a tool globbing *.duckdb, an analyst who missed "never open
    # it"), holds a lock the writer cannot take: every night failed while it stayed open.
    folder.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o007:
        with suppress(PermissionError):  # not this account's folder: its owner's next writer closes it
            folder.chmod(mode & ~0o007)


@contextmanager
def writer(
    published: Path, export: Path | None = None, publish_it: bool = True, beside: Beside | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the writer's own copy of the warehouse and publish it as a new version when the block succeeds.

    With `export`, the new version's marts are also written there as Parquet (pipeline/export.py): at once, or
    with `beside` in a forked child while the caller goes on. Without `publish_it` the copy is left for the next
    writer to publish with its own changes (`publish_pending` if none).
    """
    # The writer never opens a published version, so no analyst's session on one can block or alter the night.
    work = working_copy(published)
    _closed_to_others(work.parent)
    current = current_version(published)
    if not work.exists() and current is not None:
        if altered(current):  # its rows may be an analyst's, not the pipeline's: never the base of the next
            raise PublishedVersionAltered(
                f"已发布的数据仓库 {current} 在发布后被写入过，写入方自己的副本（{work}）又不存在，"
                "不能以它为底继续入库。请按 docs/deploying.md 的“Backup and restore”一节从备份或上一版本恢复后再运行。"
            )
        work.parent.mkdir(parents=True, exist_ok=True)
        # Copy, then rename: a copy cut short by a crash must never pass for the working copy. The copy takes
        # the bytes, not the version's read-only mode.
        copying = work.with_name(f".{work.name}.copying")
        shutil.copyfile(current, copying)
        os.replace(copying, work)
    opened = dt.datetime.now(TIMEZONE)
    with connect(work) as con:
        try:
            yield con
        except BaseException:
            _note_unpublished(con, published, opened)  # what a batch committed before the failure waits too
            raise
        con.execute("checkpoint")
        if not publish_it:
            _note_unpublished(con, published, opened)
    if not publish_it:
        return
    version = publish(work, published)
    if export is not None and beside is not None:
        beside.start(version, export)
    elif export is not None:
        from pipeline.export import export_version

        export_version(version, export)
