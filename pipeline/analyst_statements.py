"""Run an analyst's statements so that none can detach, replace or log into the published warehouse."""

from __future__ import annotations

import re
import threading

import duckdb

from pipeline.analyst_files import ATTACHED_AS, HOLDING, PINNED_AS
from pipeline.text import printable
from pipeline.warehouse_schema import sql_literal

# DuckDB lets a session attach again a file it had attached: detached, or replaced by `ATTACH OR REPLACE … AS
# warehouse` (or a file named warehouse.duckdb, whose name is its alias), the version could be attached read-write,
# and as root (whom the version's read-only mode does not stop) written, under every other reader. Its pin is kept
# the same way.
_WAREHOUSE = re.compile(rf'(?<![\w"])"?(?:{"|".join(HOLDING)})"?(?![\w"])', re.IGNORECASE)
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
        list(HOLDING),
    ).fetchall()
    if held == sorted((name, version, True) for name in HOLDING):
        return
    for name in HOLDING:
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
    version = attached(con)
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


def interruptible(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
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


def attached(con: duckdb.DuckDBPyConnection) -> str:
    """Return the file attached as `warehouse`: the version this session reads."""
    [(path,)] = con.execute(
        "select path from duckdb_databases() where database_name = 'warehouse'"
    ).fetchall()
    return path
