"""Open an analyst's own DuckDB file with the published warehouse attached read-only and its files fenced."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import duckdb

from pipeline.analyst_files import PINNED_AS, NotAnAnalystsFile, own_file, session_folders
from pipeline.settings import Settings
from pipeline.text import first_said
from pipeline.warehouse import WarehouseBusy, WarehouseDamaged, attach_published, open_or_busy
from pipeline.warehouse_schema import sql_literal


def _fence(con: duckdb.DuckDBPyConnection, folders: list[Path]) -> None:
    """Let the session's statements reach files only in these folders, for the rest of its life."""
    # DuckDB allows the files already attached (the analyst's own, the version) on top of these. Once external
    # access is off, neither it nor the folders can be changed again in this session: no statement can ATTACH the
    # writer's copy, COPY over a report or receipt, read the archive, or leave anything in versions/ (a folder under
    # a version's name once stopped every night), whoever runs it. So a newer version takes a new session.
    listed = ", ".join(sql_literal(f"{folder}{os.sep}") for folder in folders)
    con.execute(f"set allowed_directories = [{listed}]")
    con.execute("set enable_external_access = false")


# Another `pipeline sql` (or a notebook) holds the analyst's own file: read-write, DuckDB lets one process have it.
ONE_SESSION_A_FILE = (
    "个人数据库同一时间只能由一个会话读写：请先退出那个会话（.quit），"
    "或用 --db 另选一个文件同时使用（如 --db ~/budget2.duckdb）。"
)


class SessionStillOpen(RuntimeError):
    """The analyst's file has a session open in this process: a second one would take over its `warehouse`."""


def _first_session(con: duckdb.DuckDBPyConnection, own: Path) -> None:
    """Refuse a file whose database this process has fenced already: another session of it is open."""
    # DuckDB keeps one database per file in a process, shared by its connections: attaching the newest version
    # here would detach the open session's `warehouse` (leaving the version it read free to attach read-write),
    # and its fence would refuse the new one anyway.
    [(open_to_files,)] = con.execute("select current_setting('enable_external_access')").fetchall()
    if not open_to_files:
        raise SessionStillOpen(
            f"{own} 在本进程中已有一个打开的会话（open_personal）。同一进程中的会话共用这个文件，"
            "新会话会卸下那个会话挂载的 warehouse。请先关闭那个会话（退出它的 with 块），再打开新会话读取最新发布的数据仓库。"
        )


@contextmanager
def open_personal(settings: Settings, path: Path | str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the analyst's own DuckDB file read-write, with the version published now attached as `warehouse`.

    Files can be read and written only in `session_folders`: never the writer's copy, reports, receipts or archive.
    One session of a file at a time in a process: a second raises SessionStillOpen.
    """
    own = own_file(settings, path)
    with ExitStack() as stack:
        try:
            con = stack.enter_context(open_or_busy(own, advice=ONE_SESSION_A_FILE))
        except WarehouseDamaged as exc:
            # The analyst's file, not the warehouse: nothing to restore from backup.
            raise NotAnAnalystsFile(
                f"“{own}”不是完整的DuckDB数据库文件（已损坏、被截断或不是数据库），不能作为个人数据库打开；"
                "已发布的数据仓库不受影响。请用 --db 另指定一个文件（不存在的文件会新建），如 --db ~/budget.duckdb。"
            ) from exc
        except WarehouseBusy:
            raise
        except (OSError, duckdb.IOException) as exc:
            # The analyst's file too: said as the warehouse's ("数据仓库无法写入…按 Backup and restore 恢复"), it sent
            # an analyst whose data root is mounted read-only, or whose disk is full, to restore the warehouse.
            raise NotAnAnalystsFile(
                f"无法打开或新建个人数据库“{own}”：{_unwritable(exc)}；已发布的数据仓库不受影响。"
                "请用 --db 指定一个你能写入的文件（不存在的文件会新建），如 --db ~/budget.duckdb。"
                f"（{first_said(exc)}）"
            ) from exc
        _first_session(con, own)
        # See Settings.analyst_memory_limit: the session may SET another, as its own choice.
        con.execute("set memory_limit = ?", [settings.analyst_memory_limit])
        version = attach_published(con, settings.warehouse)
        con.execute(f"attach {sql_literal(str(version))} as {PINNED_AS} (read_only)")
        _fence(con, session_folders(settings, own))
        beside = _free_beside(con, str(version))
        try:
            yield con
        finally:  # a Python session's statements are not checked: a query log left beside the version goes now
            _undo_beside(con, beside)


# Why a personal file could not be opened, by the words the OS (or DuckDB quoting it) used.
_UNWRITABLE = {
    "Read-only file system": "它所在的文件系统是只读的",
    "No space left": "磁盘已满",
    "Permission denied": "没有读写它的权限",
}


def _unwritable(exc: BaseException) -> str:
    """Say in Chinese why a file could not be opened for writing, from its error's words."""
    return next((zh for words, zh in _UNWRITABLE.items() if words in str(exc)), "无法读写它")


def _free_beside(con: duckdb.DuckDBPyConnection, version: str) -> list[Path]:
    """Return the files beside the attached version that the fence lets a session write and that are not there."""
    # DuckDB admits an attached file's WAL and the WAL's companions with it. Nothing of DuckDB's writes them for a
    # read-only attachment, but its query log (log_query_path) can: a `.wal` there makes every reader replay it and
    # the version count as written after its publication (warehouse.altered).
    [(allowed,)] = con.execute("select current_setting('allowed_paths')").fetchall()
    return [
        Path(path)
        for path in allowed
        if path.startswith(version) and path != version and not os.path.lexists(path)
    ]


def _undo_beside(con: duckdb.DuckDBPyConnection, beside: list[Path]) -> None:
    """Remove what the session wrote beside the version and stop the query log writing there again."""
    made = [path for path in beside if os.path.lexists(path)]
    for path in made:
        path.unlink(missing_ok=True)
    if made:
        with suppress(duckdb.Error):  # a session failing as a whole logs nothing more either
            con.execute("reset log_query_path")
