"""Give each analyst a DuckDB file of their own, with the published warehouse attached read-only as `warehouse`."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

from pipeline.analyst_files import PINNED_AS
from pipeline.analyst_session import open_personal
from pipeline.analyst_statements import attached, interruptible
from pipeline.text import printable

HELP = "语句以 ; 结尾；Ctrl-C 中断正在执行的语句；.refresh 换到最新发布的数据仓库（开始新会话）；.quit 或 Ctrl-D 退出。"


def _run_and_print(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    """Run SQL text and print its result, or its error on stderr; return whether it ran."""
    try:
        shown = interruptible(con, text)
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
                print(printable(f"warehouse：{attached(con)}（新会话：临时表和 SET 的设置不保留）"))
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
