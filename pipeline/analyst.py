"""Give each analyst a DuckDB file of their own, with the published warehouse attached read-only as `warehouse`."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.settings import Settings
from pipeline.text import printable
from pipeline.warehouse import attach_published, open_or_busy

HELP = "语句以 ; 结尾；.refresh 换到最新发布的数据仓库；.quit 或 Ctrl-D 退出。"


def personal_database(settings: Settings) -> Path:
    """Return the analyst's own DuckDB file: `$PIPELINE_HOME/analysts/<login name>.duckdb`."""
    # The login name comes from the environment, so it is kept to characters a file name can safely hold.
    login = re.sub(r"[^\w.-]", "_", getpass.getuser()).lstrip(".") or "analyst"
    return settings.home / "analysts" / f"{login}.duckdb"


@contextmanager
def open_personal(settings: Settings, path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the analyst's own DuckDB file read-write, with the version published now attached as `warehouse`."""
    with open_or_busy(path or personal_database(settings)) as con:
        attach_published(con, settings.warehouse)
        yield con


def run(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """Run one statement or a script; return its last result drawn as a table, or None for a command."""
    statements = con.extract_statements(text)
    if not statements:
        return None
    result = con.sql(text)
    # CREATE, DROP, SET, ATTACH and the like may answer nothing; an empty box after them would only be noise.
    if result is None or duckdb.ExpectedResultType.NOTHING in statements[-1].expected_result_type:
        return None
    return printable(str(result))


def _run_and_print(con: duckdb.DuckDBPyConnection, text: str) -> bool:
    """Run SQL text and print its result, or its error on stderr; return whether it ran."""
    try:
        shown = run(con, text)
    except duckdb.Error as exc:
        print(printable(str(exc)), file=sys.stderr)
        return False
    if shown is not None:
        print(shown)
    return True


def _refresh(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Attach the version published now in place of the one this session started with, and say which."""
    try:
        print(printable(f"warehouse：{attach_published(con, published)}"))
    except OSError as exc:  # nothing published, or the new version held read-write by someone
        print(printable(str(exc)), file=sys.stderr)


def shell(con: duckdb.DuckDBPyConnection, published: Path) -> None:
    """Read statements from stdin until `;` and run each, until `.quit` or the end of input."""
    interactive = sys.stdin.isatty()
    if interactive:
        databases = con.execute(
            "select database_name, readonly, path from duckdb_databases() where not internal order by readonly"
        ).fetchall()
        for name, readonly, path in databases:
            print(printable(f"{name}{'（只读）' if readonly else '（你的表建在这里）'}：{path}"))
        print(HELP)
    lines: list[str] = []
    while True:
        try:
            line = input(("sql> " if not lines else " ..> ") if interactive else "")
            command = line.strip()
            if not lines and command in (".quit", ".exit"):
                break
            if not lines and command == ".refresh":
                _refresh(con, published)
            elif command:
                lines.append(line)
                if command.endswith(";"):
                    _run_and_print(con, "\n".join(lines))
                    lines.clear()
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            lines.clear()
    if lines:  # a last statement without its `;`
        _run_and_print(con, "\n".join(lines))


def cmd_sql(args: argparse.Namespace) -> int:
    """Run `-c SQL` (exit 1 if it fails) or the shell in the analyst's own file, the warehouse attached."""
    with open_personal(args.settings, args.db) as con:
        if args.sql is not None:
            return 0 if _run_and_print(con, args.sql) else 1
        shell(con, args.settings.warehouse)
    return 0


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
