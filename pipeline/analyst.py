"""Give each analyst a DuckDB file of their own, with the published warehouse attached read-only as `warehouse`."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import duckdb

from pipeline.settings import Settings
from pipeline.text import first_said, printable
from pipeline.warehouse import (
    WarehouseBusy,
    WarehouseDamaged,
    attach_published,
    open_or_busy,
    versions,
    working_copy,
)
from pipeline.warehouse_schema import SCHEMAS, sql_literal

HELP = "语句以 ; 结尾；Ctrl-C 中断正在执行的语句；.refresh 换到最新发布的数据仓库（开始新会话）；.quit 或 Ctrl-D 退出。"


# The name the published version is attached under in every session.
ATTACHED_AS = "warehouse"
# And a second time, read-only, under a name no one needs: while either attachment stays, DuckDB refuses to attach
# the file read-write (a "Unique file handle conflict"), so a session that lets go of `warehouse` (a Python one, which
# no statement guard watches) still cannot write the version, even as root.
PINNED_AS = "warehouse_pinned"
_HOLDING = (ATTACHED_AS, PINNED_AS)


def _clashes(path: Path) -> str | None:
    """Return the name a database opened from `path` would share with the warehouse or its schemas, if any."""
    # DuckDB names a database after its file name up to the first dot. Named warehouse (or warehouse_pinned), the
    # version could not be attached beside it; named like a schema (ops, raw…), the warehouse's views that read
    # `ops.…` find two.
    name = path.name.split(".", 1)[0]
    return name if name.lower() in (*_HOLDING, *SCHEMAS) else None


def personal_database(settings: Settings) -> Path:
    """Return the analyst's own DuckDB file: `$PIPELINE_HOME/analysts/<login name>.duckdb`."""
    # The login name comes from the environment, so it is kept to characters a file name can safely hold.
    login = re.sub(r"[^\w.-]", "_", getpass.getuser()).lstrip(".") or "analyst"
    own = settings.home / "analysts" / f"{login}.duckdb"
    return own.with_name(f"analyst_{own.name}") if _clashes(own) else own


class NotAnAnalystsFile(OSError):
    """A `--db` file that cannot be the analyst's: inside the pipeline's own folders (opened read-write, a session
    could damage the night's work), a folder, or named like the warehouse attached beside it."""


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(path))


def pipeline_folders(settings: Settings) -> list[Path]:
    """Return the local folders the pipeline keeps its data in: an analyst's session writes into none of them."""
    places = [settings.home, settings.warehouse.parent, settings.data_docs, settings.report_templates]
    places += [
        settings.inbox,
        settings.archive,
        settings.receipts,
        settings.reports,
        settings.export,
        settings.work,
    ]
    return [_real(place) for place in places if isinstance(place, Path)]


def _overlaps(folder: Path, others: list[Path]) -> bool:
    return any(
        folder == other or folder.is_relative_to(other) or other.is_relative_to(folder) for other in others
    )


def _analysts_folder(settings: Settings) -> Path | None:
    """Return `analysts/`, unless a setting puts one of the pipeline's folders in or around it."""
    analysts = _real(personal_database(settings).parent)
    others = [folder for folder in pipeline_folders(settings) if folder != _real(settings.home)]
    return None if _overlaps(analysts, others) else analysts


def session_folders(settings: Settings, own_file: Path) -> list[Path]:
    """Return the folders a session may read and write files in: `analysts/`, and its own file's, the home,
    temporary and current folders, unless they hold pipeline data."""
    guarded = pipeline_folders(settings)
    analysts = _analysts_folder(settings)
    folders = [analysts] if analysts is not None else []
    # The file's own folder, unless it holds the data root (a file beside `var/`): then only the file itself.
    for candidate in (own_file.parent, Path.home(), Path(tempfile.gettempdir()), Path.cwd()):
        folder = _real(candidate)
        if not _overlaps(folder, guarded) and folder not in folders:
            folders.append(folder)
    return folders


def _own_file(settings: Settings, path: Path | str | None) -> Path:
    """Return the analyst's file, refusing a folder, or a file inside the pipeline's folders other than `analysts/`."""
    # `~` expanded here, as DuckDB expands it: the checks below looked at `<current folder>/~/…` while DuckDB
    # opened `$HOME/…`, so `--db '~/var/inbox/…'` made a session's file inside the data root. A str is a path too.
    own = Path(path).expanduser() if path is not None else personal_database(settings)
    analysts = _analysts_folder(settings)
    real = _real(own)
    if (analysts is None or not real.is_relative_to(analysts)) and _overlaps(
        real, pipeline_folders(settings)
    ):
        raise NotAnAnalystsFile(
            f"{own} 位于数据仓库的数据目录中（{settings.home} 等），不能作为个人数据库打开：读写它可能损坏入库数据。"
            f"请使用默认的 analysts/ 下的个人文件，或数据目录以外的文件（--db ~/budget.duckdb）。"
        )
    if _linked_to_warehouse(real, settings):
        raise NotAnAnalystsFile(
            f"{own} 是数据仓库文件（已发布的版本或写入方副本）的硬链接，不能作为个人数据库打开：在它里面建表就是改写数据仓库。"
            "请删除这个链接，使用默认的 analysts/ 下的个人文件或另一个文件（--db ~/budget.duckdb）。"
        )
    if real.is_dir() or not real.name:
        raise NotAnAnalystsFile(
            f"“{own}”是文件夹，不是DuckDB文件：请在 --db 后写出文件名，如 --db ~/budget.duckdb。"
        )
    clash = _clashes(own)
    if clash:
        raise NotAnAnalystsFile(
            f"“{own}”不能作为个人数据库：DuckDB 以文件名第一个“.”之前的部分称呼它，即 {clash}，"
            f"与会话中挂载的已发布数据仓库（{'、'.join(_HOLDING)}）或其中的模式（{'、'.join(SCHEMAS)}）同名。"
            "请换一个文件名，如 --db ~/budget.duckdb。"
        )
    return own


def _linked_to_warehouse(real: Path, settings: Settings) -> bool:
    """Say whether a file is a hard link to the writer's copy or a published version, which no path check sees."""
    # Opened read-write through such a link, a session wrote its tables into the version every reader opens (as
    # root), or into the writer's copy the next night publishes (as the pipeline's own account, its owner).
    try:
        own = real.stat()
    except OSError:  # not there yet: made by the session, linked to nothing
        return False
    if own.st_nlink < 2:
        return False
    published = settings.warehouse
    folder = versions(published)
    candidates = [working_copy(published), *(folder.iterdir() if folder.is_dir() else [])]
    for candidate in candidates:
        with suppress(OSError):
            theirs = candidate.stat()
            if (theirs.st_dev, theirs.st_ino) == (own.st_dev, own.st_ino):
                return True
    return False


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
    own = _own_file(settings, path)
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


# DuckDB lets a session attach again a file it had attached: detached, or replaced by `ATTACH OR REPLACE … AS
# warehouse` (or a file named warehouse.duckdb, whose name is its alias), the version could be attached read-write,
# and as root (whom the version's read-only mode does not stop) written, under every other reader. Its pin is kept
# the same way.
_WAREHOUSE = re.compile(rf'(?<![\w"])"?(?:{"|".join(_HOLDING)})"?(?![\w"])', re.IGNORECASE)
KEPT_ATTACHED = (
    f"本会话不能 DETACH 或替换（ATTACH OR REPLACE）{ATTACHED_AS}（及 {PINNED_AS}）：已发布的数据仓库始终以只读方式挂载"
    "（换用新发布的版本请输入 .refresh）"
)


# DuckDB writes its query log into any file the fence admits, and the fence admits the files the session has open:
# pointed at the published version it wrote over the version's first bytes (as root, whom the mode does not stop),
# and no one could open the warehouse until the next night; at the version's WAL path, every reader replayed it;
# at the analyst's own file, it broke their tables. Said in a SET (or PRAGMA, RESET) statement, by this name.
_QUERY_LOG = re.compile(r"log_query_path", re.IGNORECASE)
NO_QUERY_LOG = (
    "本会话不能设置 log_query_path：DuckDB 的查询日志可以写进会话已打开的文件（已发布的数据仓库版本及其预写日志、"
    "你自己的数据库），会把它们写坏。"
)


def _keep_attached(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement, version: str) -> None:
    """Attach the version again read-only under its names if an ATTACH replaced one, and refuse that ATTACH."""
    if statement.type is not duckdb.StatementType.ATTACH:
        return
    held = con.execute(
        "select database_name, path, readonly from duckdb_databases() where database_name in (?, ?) order by 1",
        list(_HOLDING),
    ).fetchall()
    if held == sorted((name, version, True) for name in _HOLDING):
        return
    for name in _HOLDING:
        con.execute(f"detach database if exists {name}")
        con.execute(f"attach {sql_literal(version)} as {name} (read_only)")
    raise duckdb.InvalidInputException(KEPT_ATTACHED)


def run(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """Run one statement or a script; return its last result drawn as a table, or None for a command."""
    statements = con.extract_statements(text)
    if not statements:
        return None
    if any(s.type is duckdb.StatementType.DETACH and _WAREHOUSE.search(s.query) for s in statements):
        raise duckdb.InvalidInputException(KEPT_ATTACHED)
    if any(s.type is duckdb.StatementType.SET and _QUERY_LOG.search(s.query) for s in statements):
        raise duckdb.InvalidInputException(NO_QUERY_LOG)
    version = _attached(con)
    # One at a time: an ATTACH's alias is known only once it has run, and the next statement must not find the
    # version detached.
    for statement in statements[:-1]:
        con.execute(statement)
        # A query's rows left unread made DuckDB refuse the next statement ("unfinished result"): `select …;
        # select …` failed whole. Only the last statement's result is shown.
        con.complete()
        _keep_attached(con, statement, version)
    result = con.sql(statements[-1])
    _keep_attached(con, statements[-1], version)
    # CREATE, DROP, SET, ATTACH and the like may answer nothing; an empty box after them would only be noise.
    if result is None or duckdb.ExpectedResultType.NOTHING in statements[-1].expected_result_type:
        return None
    return printable(str(result))


def _interruptible(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """Do `run` in a thread of its own, so that Ctrl-C interrupts the statement running."""
    # DuckDB heeds Ctrl-C in execute(), not while it draws a relation (str(con.sql(…))): a runaway query ran on
    # to its end, holding the analyst's file, the Ctrl-C told only then. This thread waits where a signal reaches it.
    said: dict = {}
    done = threading.Event()

    def work() -> None:
        try:
            said["shown"] = run(con, text)
        except BaseException as exc:  # raised again below, in the session's own thread
            said["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="pipeline-sql", daemon=True).start()
    while True:
        try:
            # With a timeout: a Ctrl-C delivered to the other thread is still seen here within a moment.
            if done.wait(0.2):
                break
        except KeyboardInterrupt:
            con.interrupt()
    if "error" in said:
        raise said["error"]
    return said["shown"]


def _run_and_print(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    """Run SQL text and print its result, or its error on stderr; return whether it ran."""
    try:
        shown = _interruptible(con, text)
    except duckdb.InterruptException:
        print("已中断（Ctrl-C），该语句未执行完。", file=sys.stderr)
        return False
    except duckdb.PermissionException as exc:
        print(printable(f"{exc}\n{_FENCED}{_allowed(con)}"), file=sys.stderr)
        return False
    except duckdb.Error as exc:
        print(printable(str(exc)), file=sys.stderr)
        return False
    if shown is not None:
        print(shown)
    return True


_FENCED = "为保护数据仓库，本会话只能读写以下文件夹中的文件（数据目录中的文件不能读写）："


def _allowed(con: duckdb.DuckDBPyConnection) -> str:
    try:
        # fetchall: a result left unfinished (fetchone) would refuse the session's next statement.
        [(folders,)] = con.execute("select current_setting('allowed_directories')").fetchall()
    except duckdb.Error:
        # The session is failing as a whole (a refused `CALL enable_logging(storage='file', …)` left DuckDB logging
        # every statement to where it may not write): each statement after was refused the same way, unexplained.
        return "（无法列出：本会话已不能再执行语句，请输入 .refresh 开始新会话，或重新运行 pipeline sql）"
    return "、".join(folders)


def _attached(con: duckdb.DuckDBPyConnection) -> str:
    """Return the file attached as `warehouse`: the version this session reads."""
    [(path,)] = con.execute(
        "select path from duckdb_databases() where database_name = 'warehouse'"
    ).fetchall()
    return path


_OPEN_DOLLAR_QUOTE = re.compile(r'at or near "\$[A-Za-z_]*\$')


def _ends_statement(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    """Say whether text ending in `;` ends a statement there, not inside a string, quoted name or comment."""
    # Cut at every line ending in `;`, a text typed over two lines ('第一行;⏎第二行') was run as two halves, each
    # refused as an unterminated string literal.
    try:
        con.extract_statements(text)
    except duckdb.ParserException as exc:
        # A dollar-quoted text left open (`$$第一行;`) is told as a syntax error at its opening `$$` or `$tag$`.
        return "unterminated" not in str(exc) and _OPEN_DOLLAR_QUOTE.search(str(exc)) is None
    return True


def shell(con: duckdb.DuckDBPyConnection, banner: bool = True) -> tuple[bool, bool]:
    """Read statements from stdin until `;` and run each, until `.quit` or the end of input; return whether it
    ended at `.refresh`, for a new session on the version published now, and whether a statement failed."""
    interactive = sys.stdin.isatty()
    if interactive and banner:
        databases = con.execute(
            "select database_name, readonly, path from duckdb_databases() "
            "where not internal and database_name <> ? order by readonly",
            [PINNED_AS],
        ).fetchall()
        for name, readonly, path in databases:
            print(printable(f"{name}{'（只读）' if readonly else '（你的表建在这里）'}：{path}"))
        print(printable(f"可读写文件的文件夹：{_allowed(con)}"))
        print(HELP)
    lines: list[str] = []
    failed = False
    while True:
        try:
            line = input(("sql> " if not lines else " ..> ") if interactive else "")
            command = line.strip()
            if not lines and command in (".quit", ".exit"):
                break
            if not lines and command == ".refresh":
                return True, failed
            if command:
                lines.append(line)
                if command.endswith(";") and _ends_statement(con, "\n".join(lines)):
                    failed = not _run_and_print(con, "\n".join(lines)) or failed
                    lines.clear()
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            lines.clear()
    if lines:  # a last statement without its `;`
        failed = not _run_and_print(con, "\n".join(lines)) or failed
    return False, failed


def cmd_sql(args: argparse.Namespace) -> int:
    """Run `-c SQL` (exit 1 if it fails) or the shell in the analyst's own file, the warehouse attached."""
    if args.sql is not None:
        with open_personal(args.settings, args.db) as con:
            return 0 if _run_and_print(con, args.sql) else 1
    banner, failed = True, False
    while True:
        # A session's fence cannot admit a newer version: `.refresh` ends it and opens the next on the newest.
        with open_personal(args.settings, args.db) as con:
            if not banner:
                print(printable(f"warehouse：{_attached(con)}（新会话：临时表和 SET 的设置不保留）"))
            refresh, failed_here = shell(con, banner)
            failed = failed or failed_here
            if not refresh:
                # A script fed in (`pipeline sql < build.sql`, from cron) is told a statement failed, as -c is; a
                # person at the shell saw each error as it came.
                return 1 if failed and not sys.stdin.isatty() else 0
        banner = False


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `pipeline sql` with the command line's subcommands."""
    parser = subparsers.add_parser(
        "sql",
        help="SQL in your own DuckDB file, with the published warehouse attached read-only as `warehouse`",
    )
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="your own DuckDB file, for your tables (default: $PIPELINE_HOME/analysts/<login name>.duckdb)",
    )
    parser.add_argument(
        "-c", dest="sql", metavar="SQL", help="run this statement or script, print its result and exit"
    )
    parser.set_defaults(handler=cmd_sql)
    return parser
