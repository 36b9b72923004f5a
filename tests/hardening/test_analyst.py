"""Analysts cannot break what others see: sessions on the published warehouse, killed or not, and their own file."""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.analyst import _run_and_print, add_parser, cmd_sql
from pipeline.analyst_files import NotAnAnalystsFile, personal_database, session_folders
from pipeline.analyst_session import SessionStillOpen, open_personal
from pipeline.analyst_statements import KEPT_ATTACHED, run
from pipeline.cli import main
from pipeline.settings import Settings
from pipeline.warehouse import (
    WarehouseBusy,
    WarehouseDamaged,
    altered,
    current_version,
    published_reader,
    versions,
    working_copy,
    writer,
)

# An analyst's session that opens the published warehouse read-write, as `duckdb warehouse.duckdb` does, creates
# a table (checkpointing it into the file, or leaving it in the WAL) and stays open until killed.
ANALYST = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("create table analyst_notes as select 'mine' as note")
    if sys.argv[2] == "checkpoint":
        con.execute("checkpoint")
    print("ready", flush=True)
    sys.stdin.readline()
    """
)
# A session opened afterwards, in a fresh process: which tables it sees, and the writer's rows.
READER = textwrap.dedent(
    """
    import json, sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read_only")
    tables = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
    rows = [r[0] for r in con.execute("select x from kept order by x").fetchall()]
    print(json.dumps([tables, rows]))
    """
)
# Only root can open a published version read-write (its mode is 0444); anyone else is refused by the mode.
READER_MODES = ("read_only", "read_write") if os.geteuid() == 0 else ("read_only",)


def publish_rows(published, *values: int) -> None:
    """Add rows to the writer's table and publish, as a night does."""
    with writer(published) as con:
        con.execute("create table if not exists kept (x integer)")
        con.executemany("insert into kept values (?)", [[v] for v in values])


def fresh_session(path, mode: str = "read_only") -> tuple[list[str], list[int]]:
    done = subprocess.run(
        [sys.executable, "-c", READER, str(path), mode], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    tables, rows = json.loads(done.stdout)
    return tables, rows


@pytest.fixture
def start_analyst():
    """Start read-write analyst sessions on a warehouse file; kill whatever is left at the end."""
    started = []

    def start(path, checkpoint: bool) -> subprocess.Popen:
        if os.geteuid() != 0:  # stand in for root, the one analyst the version's mode cannot stop
            path.resolve().chmod(0o644)
        process = subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(path), "checkpoint" if checkpoint else "wal"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout.readline() == "ready\n", process.stderr.read()
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def sql_args(settings, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sql", *argv])
    args.settings = settings
    return args


@pytest.mark.slow
@pytest.mark.parametrize("checkpoint", [False, True], ids=["wal", "checkpointed"])
def test_a_killed_read_write_session_never_reaches_the_next_version(tmp_path, start_analyst, checkpoint):
    published = tmp_path / "warehouse.duckdb"
    publish_rows(published, 1)
    held = current_version(published)
    analyst = start_analyst(published, checkpoint)

    # While it holds its version, readers of that version are told why they cannot open it.
    with pytest.raises(WarehouseBusy, match=held.name), published_reader(published):
        pass
    publish_rows(published, 2)  # the night publishes all the same
    analyst.kill()
    analyst.wait()

    assert fresh_session(held) == (
        ["analyst_notes", "kept"],
        [1],
    )  # the stray edits are there, in its version
    for mode in READER_MODES:
        assert fresh_session(published, mode) == (["kept"], [1, 2]), mode
    with published_reader(published) as con:
        assert con.execute("select x from kept order by x").fetchall() == [(1,), (2,)]
    publish_rows(published, 3)
    assert fresh_session(published) == (["kept"], [1, 2, 3])
    assert not [p for p in versions(published).iterdir() if p.name.startswith(held.name)]  # with its WAL


def test_a_session_killed_on_an_older_data_roots_plain_file_leaves_nothing_behind(tmp_path, start_analyst):
    published = tmp_path / "warehouse.duckdb"
    publish_rows(published, 1)
    published.unlink()  # back to the former layout: one plain file, copied from the writer's
    shutil.rmtree(versions(published))
    shutil.copyfile(working_copy(published), published)
    start_analyst(published, checkpoint=False).kill()
    assert published.with_name("warehouse.duckdb.wal").exists()  # which used to make it unopenable

    publish_rows(published, 2)

    assert not published.with_name("warehouse.duckdb.wal").exists()
    for mode in READER_MODES:
        assert fresh_session(published, mode) == (["kept"], [1, 2]), mode


def test_the_warehouse_busy_error_is_an_os_error_naming_the_file(tmp_path, start_analyst, settings):
    publish_rows(settings.warehouse, 1)
    start_analyst(settings.warehouse, checkpoint=False)

    with pytest.raises(WarehouseBusy, match=f"{current_version(settings.warehouse)} 正被另一个") as raised:
        cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"), "-c", "select 1"))

    assert isinstance(raised.value, OSError)  # so `pipeline` reports it and exits 1


def test_an_analysts_own_tables_survive_publications(settings, monkeypatch):
    publish_rows(settings.warehouse, 1)
    monkeypatch.setenv("LOGNAME", "wang")  # getpass reads LOGNAME first
    assert personal_database(settings) == settings.home / "analysts" / "wang.duckdb"

    with open_personal(settings) as con:
        con.execute("create table my_copy as select x from warehouse.kept")
        con.execute("create view newest as select max(x) as x from warehouse.kept")
        publish_rows(settings.warehouse, 2)  # the night, while the session is open
        assert con.execute("select x from newest").fetchone() == (1,)  # attached, the version stays put
    with open_personal(settings) as con:  # a new session reads the new version
        assert con.execute("select x from newest").fetchone() == (2,)
    publish_rows(settings.warehouse, 3)

    with open_personal(settings) as con:
        assert con.execute("select x from my_copy").fetchall() == [(1,)]
        assert con.execute("select x from newest").fetchone() == (3,)
        # New tables go to the analyst's own file; the warehouse is only ever read.
        assert con.execute("select current_database()").fetchone() == ("wang",)
        assert con.execute(
            "select readonly from duckdb_databases() where database_name = 'warehouse'"
        ).fetchone() == (True,)


def test_a_second_session_in_one_process_leaves_the_open_one_its_warehouse(settings, tmp_path):
    # A notebook opening open_personal again for a newer version, the first session still open: DuckDB shares one
    # database per file in a process, so the second would detach the first's warehouse under it.
    publish_rows(settings.warehouse, 1)
    held = current_version(settings.warehouse)
    mine = tmp_path / "mine.duckdb"
    attached = "select path, readonly from duckdb_databases() where database_name = 'warehouse'"
    with open_personal(settings, mine) as first:
        publish_rows(settings.warehouse, 2)
        with pytest.raises(SessionStillOpen, match="已有一个打开的会话"), open_personal(settings, mine):
            pass
        assert first.execute(attached).fetchall() == [(str(held), True)]
        with pytest.raises(duckdb.Error):  # the version it reads stays out of reach read-write
            first.execute(f"attach '{held}' as again")
    with open_personal(settings, mine) as second:
        assert second.execute(attached).fetchall() == [(str(current_version(settings.warehouse)), True)]
    with duckdb.connect(str(held), read_only=True) as con:
        assert con.execute("select x from kept").fetchall() == [(1,)]


def test_a_second_pipeline_sql_on_the_same_file_says_one_session_at_a_time(settings):
    # Two terminals, one login: the first shell holds analysts/<login>.duckdb read-write, as DuckDB allows one
    # process. The second was told to use pipeline sql, which is what it was doing.
    publish_rows(settings.warehouse, 1)
    command = [sys.executable, "-m", "pipeline.cli", "--home", str(settings.home), "sql"]
    first = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        first.stdin.write("select 'opened' as said;\n")
        first.stdin.flush()
        while "opened" not in first.stdout.readline():
            pass
        second = subprocess.run([*command, "-c", "select 1"], capture_output=True, text=True, timeout=120)
    finally:
        first.stdin.close()
        first.wait(timeout=120)

    assert second.returncode == 3
    assert str(personal_database(settings)) in second.stderr
    assert "只能由一个会话读写" in second.stderr and "pipeline sql）" not in second.stderr


def test_a_login_name_cannot_move_the_personal_file(settings, monkeypatch):
    monkeypatch.setenv("LOGNAME", "../../etc/wang")

    assert personal_database(settings).parent == settings.home / "analysts"


@pytest.mark.parametrize(
    "name", ["Warehouse.duckdb", "warehouse.2024.db", "warehouse_pinned.duckdb", "ops.duckdb", "RAW.duckdb"]
)
def test_a_file_named_like_the_warehouse_or_its_schemas_is_refused_before_it_is_made(
    settings, tmp_path, name
):
    # DuckDB names a database by its file name up to the first dot. Named warehouse (or warehouse_pinned, the
    # version's second attachment), the version could not be attached beside it (the session failed saying the
    # disk or the warehouse file might be damaged); named ops or raw, the warehouse's views reading ops.… and
    # raw.… met two of them and could not be read.
    publish_rows(settings.warehouse, 1)
    mine = tmp_path / name

    with pytest.raises(NotAnAnalystsFile, match="或其中的模式"):
        cmd_sql(sql_args(settings, "--db", str(mine), "-c", "select 1"))
    assert not mine.exists()


@pytest.mark.parametrize("login", ["warehouse", "warehouse_pinned", "ops"])
def test_a_login_named_like_the_warehouse_gets_a_personal_file_that_reads_it_whole(
    settings, monkeypatch, capsys, login
):
    monkeypatch.setattr("getpass.getuser", lambda: login)
    publish_rows(settings.warehouse, 1)
    with writer(settings.warehouse) as con:  # a view of the warehouse's own, reading a table by its schema
        con.execute("create schema ops")
        con.execute("create table ops.submissions as select 7 as submission_id")
        con.execute("create view ops.first_submission as select min(submission_id) as n from ops.submissions")

    assert personal_database(settings).parent == settings.home / "analysts"
    assert cmd_sql(sql_args(settings, "-c", "select n from warehouse.ops.first_submission")) == 0
    assert "7 │" in capsys.readouterr().out


def test_pipeline_sql_c_prints_a_table_and_exits_1_on_an_sql_error(settings, tmp_path, capsys):
    publish_rows(settings.warehouse, 1)
    mine = tmp_path / "mine.duckdb"
    script = "create table units as select '枣林\u202e' as unit from warehouse.kept; select unit from units"

    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", script)) == 0
    out = capsys.readouterr().out
    assert out.startswith("┌") and "unit" in out
    assert "枣林\ufffd" in out and "\u202e" not in out  # printed through printable()

    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", "select nope from units")) == 1
    printed = capsys.readouterr()
    assert printed.out == "" and "nope" in printed.err
    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", "create table more (y int)")) == 0
    assert capsys.readouterr().out == ""  # a command prints nothing


def _as_duckdb_says(limit: str) -> str:
    """Return a memory_limit as DuckDB reports it once set (`1GB` is `953.6 MiB`)."""
    con = duckdb.connect()
    con.execute("set memory_limit = ?", [limit])
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def test_a_session_is_held_to_the_analysts_memory_limit(settings, tmp_path, monkeypatch, capsys):
    # By DuckDB's default a session could take 80 % of the machine where the night rebuilds its marts in 512MB.
    publish_rows(settings.warehouse, 1)
    mine = tmp_path / "mine.duckdb"
    with open_personal(settings, mine) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == _as_duckdb_says("1GB")
        con.execute("set memory_limit = '2GB'")  # the analyst's own choice, for this session
    monkeypatch.setenv("PIPELINE_ANALYST_MEMORY_LIMIT", "256MB")
    script = "select current_setting('memory_limit') as memory_limit"
    assert cmd_sql(sql_args(Settings.from_env(), "--db", str(mine), "-c", script)) == 0
    assert _as_duckdb_says("256MB") in capsys.readouterr().out


def test_a_script_of_several_queries_shows_the_last_ones_result(settings, tmp_path, capsys):
    # The first query's rows were left unread, and DuckDB refused the next statement: "Resource In Use Error:
    # connection has an unfinished result from execute()", exit 1.
    publish_rows(settings.warehouse, 1, 2)
    script = "select x from warehouse.kept; describe warehouse.kept; select count(*) as n from warehouse.kept"

    assert cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"), "-c", script)) == 0
    printed = capsys.readouterr()
    assert printed.err == "" and "│   n   │" in printed.out and "│     2 │" in printed.out


def test_the_shell_runs_each_statement_at_its_semicolon_and_refreshes(
    settings, tmp_path, monkeypatch, capsys
):
    publish_rows(settings.warehouse, 1)

    class Typed(io.StringIO):
        """Stdin whose `.refresh` comes after a publication, as if typed the next morning."""

        def readline(self, *args):
            line = super().readline(*args)
            if line.startswith(".refresh"):
                publish_rows(settings.warehouse, 2)
            return line

    typed = "select max(x) as before_refresh\n  from warehouse.kept;\nselect nope;\n.refresh\n"
    typed += "select max(x) as after_refresh from warehouse.kept;\n.quit\nselect 'never run';\n"
    monkeypatch.setattr(sys, "stdin", Typed(typed))

    # Fed in, not typed at a terminal: `select nope` failing is told by the exit status too.
    assert cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"))) == 1

    printed = capsys.readouterr()
    before, after = printed.out.split("warehouse：")
    assert "before_refresh" in before and "1 │" in before
    assert after.startswith(str(current_version(settings.warehouse)))
    assert "after_refresh" in after and "2 │" in after, printed.err
    assert "never run" not in printed.out and "nope" in printed.err


def test_a_session_a_refused_statement_leaves_unable_to_run_says_to_refresh(
    settings, tmp_path, monkeypatch, capsys
):
    # A logger refused its file went on refusing every statement the same way, the folders "（无法列出）".
    publish_rows(settings.warehouse, 1)
    into = versions(settings.warehouse) / "log"
    typed = f"call enable_logging(storage='file', storage_path='{into}');\nselect 41;\n.refresh\nselect 42;\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))

    assert cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"))) == 1  # the refused logging

    printed = capsys.readouterr()
    assert "请输入 .refresh 开始新会话" in printed.err and "42 │" in printed.out
    assert not into.exists()


@pytest.mark.parametrize(
    ("script", "status"),
    [
        ("select 1;\nselect nope;\nselect 2;\n", 1),
        ("select 1;\nselect nope", 1),
        ("select 1;\nselect 2;\n", 0),
    ],
)
def test_a_script_fed_to_the_shell_exits_1_if_a_statement_failed(
    settings, tmp_path, monkeypatch, capsys, script, status
):
    # `pipeline sql < build.sql` from cron exited 0 with a statement refused: the table it builds was never made,
    # and nothing but a line on stderr said so. The statements after it still run, as in DuckDB's own shell.
    publish_rows(settings.warehouse, 1)
    monkeypatch.setattr(sys, "stdin", io.StringIO(script))

    assert cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"))) == status

    assert "2 │" in capsys.readouterr().out or "nope" in script.rpartition("\n")[2]


def test_the_shell_runs_a_last_statement_without_its_semicolon(settings, tmp_path, monkeypatch, capsys):
    publish_rows(settings.warehouse, 1)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\nselect 40 + 2 as answer"))

    assert cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"))) == 0

    assert "42" in capsys.readouterr().out


def test_the_shell_runs_a_statement_whose_text_has_a_line_ending_in_a_semicolon_whole(
    settings, tmp_path, monkeypatch, capsys
):
    # Cut at every line ending in `;`, the insert ran as two halves, each an unterminated string literal.
    publish_rows(settings.warehouse, 1)
    typed = "create table notes (t varchar);\ninsert into notes values ('第一行;\n第二行');\nselect count(*) as n from notes;\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))

    assert cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"))) == 0

    printed = capsys.readouterr()
    assert printed.err == "" and "1 │" in printed.out


@pytest.mark.parametrize("quote", ["$$", "$note$"])
def test_the_shell_runs_a_dollar_quoted_text_with_a_line_ending_in_a_semicolon_whole(
    settings, tmp_path, monkeypatch, capsys, quote
):
    # As a string literal's: cut at its first line's `;`, each half was refused as a syntax error.
    publish_rows(settings.warehouse, 1)
    typed = f"create table notes (t varchar);\ninsert into notes values ({quote}第一行;\n第二行{quote});\n"
    typed += "select count(*) as n from notes;\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))

    assert cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"))) == 0

    printed = capsys.readouterr()
    assert printed.err == "" and "1 │" in printed.out


def test_pipeline_sql_before_anything_is_published_says_so(settings, tmp_path):
    with pytest.raises(FileNotFoundError, match="尚未发布数据仓库"):
        cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"), "-c", "select 1"))


def test_a_session_reaches_no_file_of_the_pipeline_whoever_runs_it(settings, tmp_path, capsys):
    publish_rows(settings.warehouse, 1)
    (settings.reports).mkdir(parents=True)
    report = settings.reports / "2024年度预算绩效管理工作开展情况.html"
    report.write_text("发布的报告", encoding="utf-8")
    mine = tmp_path / "mine" / "mine.duckdb"
    mine.parent.mkdir()
    writers_copy = working_copy(settings.warehouse)
    before = writers_copy.read_bytes()
    # What an analyst running as the pipeline's own account could otherwise do to the night's work.
    attempts = [
        f"attach '{writers_copy}' as w; create table w.main.mine as select 1",
        f"copy (select 'x') to '{report}' (header false)",
        f"copy (select 'x') to '{settings.home / 'receipts.csv'}'",
        f"select * from read_csv('{report}')",
        "set enable_external_access = true",
        "set allowed_directories = ['/']",
    ]
    for statement in attempts:
        assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", statement)) == 1, statement
        assert "warehouse" not in capsys.readouterr().out

    assert writers_copy.read_bytes() == before
    assert report.read_text(encoding="utf-8") == "发布的报告"
    assert not (settings.home / "receipts.csv").exists()
    # Their own folder is theirs: tables, and files written and read back.
    export = mine.parent / "kept.csv"
    script = f"create table t as from warehouse.kept; copy t to '{export}'; select count(*) as n from read_csv('{export}')"
    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", script)) == 0
    assert "1 │" in capsys.readouterr().out


@pytest.mark.parametrize(
    "detach", ["detach warehouse", 'DETACH DATABASE IF EXISTS "Warehouse"', "detach warehouse_pinned"]
)
def test_a_session_cannot_attach_the_published_version_again_to_write_it(settings, tmp_path, capsys, detach):
    # Detached, the version could be attached again without READ_ONLY, and as root written under every reader.
    publish_rows(settings.warehouse, 1)
    mine = tmp_path / "mine" / "mine.duckdb"
    mine.parent.mkdir()
    version = current_version(settings.warehouse)
    script = f"{detach}; attach '{version}' as warehouse; insert into warehouse.kept values (99)"

    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", script)) == 1

    assert KEPT_ATTACHED in capsys.readouterr().err
    with duckdb.connect(str(version), read_only=True) as con:
        assert con.execute("select x from kept").fetchall() == [(1,)]


@pytest.mark.parametrize(
    "replace",
    [
        "attach or replace ':memory:' as warehouse",
        "attach or replace '{mine}'",
        "attach or replace ':memory:' as warehouse_pinned",
    ],
)
def test_a_session_cannot_replace_the_warehouse_to_attach_the_version_again(
    settings, tmp_path, capsys, replace
):
    # ATTACH OR REPLACE detaches the version as DETACH does; a file named warehouse.duckdb takes that alias unasked.
    publish_rows(settings.warehouse, 1)
    mine = tmp_path / "mine" / "mine.duckdb"
    mine.parent.mkdir()
    version = current_version(settings.warehouse)
    replacing = replace.format(mine=mine.parent / "warehouse.duckdb")
    script = f"{replacing}; attach '{version}' as again; insert into again.kept values (99)"

    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", script)) == 1

    assert KEPT_ATTACHED in capsys.readouterr().err
    with duckdb.connect(str(version), read_only=True) as con:
        assert con.execute("select x from kept").fetchall() == [(1,)]
    # The session goes on with the version attached read-only again, as it was.
    with open_personal(settings, mine) as con:
        with pytest.raises(duckdb.InvalidInputException, match="ATTACH OR REPLACE"):
            run(con, replacing)
        assert con.execute(
            "select path, readonly from duckdb_databases() where database_name = 'warehouse'"
        ).fetchall() == [(str(version), True)]
        assert "1" in run(con, "select count(*) from warehouse.kept")


@pytest.mark.parametrize("target", ["version", "version.wal", "own file"])
def test_pipeline_sql_points_no_query_log_at_the_files_a_session_has_open(settings, tmp_path, capsys, target):
    # DuckDB's query log may be pointed at any file the fence admits, and it admits the files the session has open.
    # At the version, as root, it wrote over its first bytes: no one could open the warehouse until the next night.
    # At its WAL, every reader replayed it and the version counted as written after publication; at the analyst's
    # own file, it broke their tables.
    publish_rows(settings.warehouse, 1)
    version = current_version(settings.warehouse)
    mine = tmp_path / "mine" / "mine.duckdb"
    mine.parent.mkdir()
    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", "create table t as select 5 as y")) == 0
    log = {"version": version, "version.wal": Path(f"{version}.wal"), "own file": mine}[target]
    before = version.read_bytes()

    script = f"set log_query_path = '{log}'; select 1"
    assert cmd_sql(sql_args(settings, "--db", str(mine), "-c", script)) == 1

    assert "不能设置 log_query_path" in capsys.readouterr().err
    assert version.read_bytes() == before and not altered(version)
    assert not Path(f"{version}.wal").exists()
    with open_personal(settings, mine) as con:
        assert con.execute("select y from t").fetchall() == [(5,)]
        assert con.execute("select x from warehouse.kept").fetchall() == [(1,)]


@pytest.mark.parametrize("beside", [".wal", ".wal.checkpoint"])
def test_a_python_sessions_query_log_beside_the_version_goes_when_it_ends(settings, tmp_path, beside):
    # A Python session's statements are not checked: what its query log left in the version's WAL paths is removed.
    publish_rows(settings.warehouse, 1)
    version = current_version(settings.warehouse)
    log = Path(f"{version}{beside}")
    with open_personal(settings, tmp_path / "mine.duckdb") as con:
        con.execute(f"set log_query_path = '{log}'")
        con.execute("select 3")
    assert not log.exists() and not altered(version)


def test_a_python_session_that_detaches_the_warehouse_still_cannot_write_the_version(settings, tmp_path):
    # open_personal hands over a plain connection: no statement guard sees its DETACH. Attached again without
    # READ_ONLY, the version was open to a root session's writes, under every other reader.
    publish_rows(settings.warehouse, 1)
    version = current_version(settings.warehouse)
    with open_personal(settings, tmp_path / "mine.duckdb") as con:
        con.execute("detach warehouse")
        with pytest.raises(duckdb.Error, match="already attached"):
            con.execute(f"attach '{version}' as warehouse")
        con.execute(f"attach '{version}' as warehouse (read_only)")  # read-only, as a refresh would
        assert con.execute("select x from warehouse.kept").fetchall() == [(1,)]
    with duckdb.connect(str(version), read_only=True) as con:
        assert con.execute("select x from kept").fetchall() == [(1,)]


def test_a_refused_file_says_which_folders_a_session_may_use(settings, tmp_path, capsys):
    publish_rows(settings.warehouse, 1)
    desk = tmp_path / "desk"
    desk.mkdir()
    target = settings.home / "inbox" / "x.csv"

    script = f"copy (select 1) to '{target}'"
    assert cmd_sql(sql_args(settings, "--db", str(desk / "mine.duckdb"), "-c", script)) == 1

    said = capsys.readouterr().err
    assert "本会话只能读写以下文件夹中的文件" in said
    allowed = [Path(folder) for folder in said.strip().split("：")[-1].split("、")]
    assert desk in allowed and versions(settings.warehouse) not in allowed
    analysts = settings.home / "analysts"
    # None holds the data root or lies in it, but analysts/.
    others = [f for f in allowed if f != analysts]
    assert not any(settings.home.is_relative_to(f) or f.is_relative_to(settings.home) for f in others)
    assert tmp_path not in allowed  # the folder holding the data root


def test_a_file_beside_the_data_root_opens_only_itself(settings, tmp_path, capsys):
    publish_rows(settings.warehouse, 1)
    beside = tmp_path / "mine.duckdb"  # tmp_path holds the data root, home/

    assert cmd_sql(sql_args(settings, "--db", str(beside), "-c", "create table t as select 1 as x")) == 0
    script = f"copy t to '{tmp_path / 'home' / 'x.csv'}'"
    assert cmd_sql(sql_args(settings, "--db", str(beside), "-c", script)) == 1
    assert not (settings.home / "x.csv").exists()


def test_a_link_from_an_allowed_folder_into_the_data_root_is_refused(settings, tmp_path):
    publish_rows(settings.warehouse, 1)
    desk = tmp_path / "desk"
    desk.mkdir()
    (desk / "reports").symlink_to(settings.home, target_is_directory=True)

    script = f"copy (select 1) to '{desk / 'reports' / 'x.csv'}'"
    assert cmd_sql(sql_args(settings, "--db", str(desk / "mine.duckdb"), "-c", script)) == 1
    assert not (settings.home / "x.csv").exists()


@pytest.mark.parametrize("inside", ["writer/warehouse.duckdb", "mine.duckdb", "reports/mine.duckdb"])
def test_a_file_inside_the_data_root_is_never_an_analysts(settings, inside):
    publish_rows(settings.warehouse, 1)
    target = settings.home / inside
    before = target.read_bytes() if target.exists() else None

    with pytest.raises(NotAnAnalystsFile, match="不能作为个人数据库打开") as raised:
        cmd_sql(sql_args(settings, "--db", str(target), "-c", "create table mine as select 1"))

    assert isinstance(raised.value, OSError)  # the command line says it and exits 1, with no traceback
    assert (target.read_bytes() if target.exists() else None) == before


def test_a_session_leaves_nothing_in_versions_and_the_nights_go_on(settings, monkeypatch):
    publish_rows(settings.warehouse, 1)
    monkeypatch.setenv("LOGNAME", "li")
    newer = versions(settings.warehouse) / "warehouse-1.duckdb"
    # A folder under a version's name, once made by a session, stopped every later publication.
    script = f"copy (select 1 as a, 2 as b) to '{newer}' (format csv, partition_by (b))"

    assert cmd_sql(sql_args(settings, "-c", script)) == 1

    assert not newer.exists()
    with open_personal(settings) as con:
        assert session_folders(settings, personal_database(settings))[0] == settings.home / "analysts"
        con.execute("create table mine as from warehouse.kept")
    newer.mkdir()  # made some other way: the night passes over it
    publish_rows(settings.warehouse, 2)
    with open_personal(settings) as con:
        assert con.execute("select max(x) from warehouse.kept").fetchone() == (2,)
        assert con.execute("select count(*) from mine").fetchone() == (1,)


def test_settings_that_put_the_pipelines_folders_in_analysts_close_it(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("PIPELINE_REPORTS", str(settings.home / "analysts" / "reports"))
    moved = type(settings).from_env()
    publish_rows(moved.warehouse, 1)
    report = moved.reports / "报告.html"
    report.parent.mkdir(parents=True)
    report.write_text("发布的报告", encoding="utf-8")

    assert settings.home / "analysts" not in session_folders(moved, tmp_path / "mine.duckdb")
    with pytest.raises(NotAnAnalystsFile):
        cmd_sql(sql_args(moved, "--db", str(settings.home / "analysts" / "mine.duckdb"), "-c", "select 1"))
    script = f"copy (select 'x') to '{report}'"
    assert cmd_sql(sql_args(moved, "--db", str(tmp_path / "mine.duckdb"), "-c", script)) == 1
    assert report.read_text(encoding="utf-8") == "发布的报告"


@pytest.mark.parametrize("linked", ["published version", "writer's copy"])
def test_a_hard_link_to_the_warehouse_is_refused_as_a_personal_file(settings, tmp_path, linked):
    # No path check sees a hard link: opened read-write through it, a session wrote its tables into the version
    # every reader opens (as root), or into the writer's copy the next night publishes (as its owner).
    publish_rows(settings.warehouse, 1)
    target = (
        current_version(settings.warehouse)
        if linked == "published version"
        else working_copy(settings.warehouse)
    )
    link = tmp_path / "budget.duckdb"
    os.link(target, link)
    before = (target.read_bytes(), target.stat().st_mtime_ns)

    with pytest.raises(NotAnAnalystsFile, match="硬链接"):
        cmd_sql(sql_args(settings, "--db", str(link), "-c", "create table mine as select 1 as x"))

    assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    assert not altered(current_version(settings.warehouse))


@pytest.mark.parametrize("where", ["a folder", "analysts"])
def test_db_naming_a_folder_is_refused_in_chinese(settings, tmp_path, where):
    publish_rows(settings.warehouse, 1)
    folder = tmp_path / "desk" if where == "a folder" else settings.home / "analysts"
    folder.mkdir(exist_ok=True)

    with pytest.raises(NotAnAnalystsFile, match="是文件夹"):
        cmd_sql(sql_args(settings, "--db", str(folder), "-c", "select 1"))


def test_a_root_session_writing_a_version_without_a_checkpoint_is_told_apart(settings):
    publish_rows(settings.warehouse, 1)
    version = current_version(settings.warehouse)
    version.with_name(f"{version.name}.wal").write_bytes(b"changes a session left unsaved")

    assert altered(version)


def test_a_personal_file_that_is_no_database_is_not_the_warehouse_to_restore(settings, tmp_path):
    # --db naming a text file, or a personal file cut short: the warehouse is whole, and restoring it would not help.
    publish_rows(settings.warehouse, 1)
    notes = tmp_path / "notes.txt"
    notes.write_text("不是数据库", encoding="utf-8")

    with pytest.raises(NotAnAnalystsFile, match="已发布的数据仓库不受影响") as raised:
        cmd_sql(sql_args(settings, "--db", str(notes), "-c", "select 1"))

    assert "Backup and restore" not in str(raised.value)
    assert notes.read_text(encoding="utf-8") == "不是数据库"


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ('IO Error: Cannot open file "{}": Read-only file system', "文件系统是只读的"),
        ('IO Error: Cannot open file "{}": No space left on device', "磁盘已满"),
    ],
    ids=["read-only mount", "disk full"],
)
def test_a_personal_file_that_cannot_be_written_is_not_the_warehouse_to_restore(
    settings, monkeypatch, capsys, said, why
):
    # The data root mounted read-only on an analyst's machine, or analysts/ on a full disk: `pipeline sql` said
    # "数据仓库无法写入，本次运行未完成…按 Backup and restore 恢复", of a warehouse that was whole.
    publish_rows(settings.warehouse, 1)
    own = personal_database(settings)
    connect = duckdb.connect

    def refused(*args, **kwargs):
        if args[:1] == (str(own),):
            raise duckdb.IOException(said.format(own))
        return connect(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", refused)

    assert main(["sql", "-c", "select 1"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert f"无法打开或新建个人数据库“{own}”" in line and why in line and "--db ~/budget.duckdb" in line
    assert "Backup and restore" not in line


@pytest.mark.parametrize("writers_copy", ["whole", "gone"])
def test_a_damaged_version_is_named_with_the_way_to_restore(settings, tmp_path, writers_copy):
    publish_rows(settings.warehouse, 1)
    version = current_version(settings.warehouse)
    version.chmod(0o644)
    version.write_bytes(version.read_bytes()[:4096])
    if writers_copy == "gone":
        working_copy(settings.warehouse).unlink()

    with pytest.raises(WarehouseDamaged, match="不是完整的DuckDB数据库文件") as raised:
        cmd_sql(sql_args(settings, "--db", str(tmp_path / "mine.duckdb"), "-c", "select 1"))

    assert isinstance(raised.value, OSError) and str(version) in str(raised.value)
    # Restoring a backup lost the withdrawals made since; with the writer's copy whole, publishing it again is all.
    said = str(raised.value)
    if writers_copy == "whole":
        assert "运行 pipeline report 即以它重新发布" in said and "Backup and restore" not in said
        with pytest.raises(WarehouseDamaged, match="pipeline report"), published_reader(settings.warehouse):
            pass
    else:
        assert "Backup and restore" in said


def test_ctrl_c_interrupts_the_running_query_and_the_session_goes_on(settings, tmp_path, capsys):
    # DuckDB heeds Ctrl-C in execute(), not while it draws a relation: a runaway query in pipeline sql ran on to
    # its end (minutes, holding the analyst's file), and the Ctrl-C was told only then.
    publish_rows(settings.warehouse, 1)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    ctrl_c = threading.Timer(1.0, signal.pthread_kill, (threading.get_ident(), signal.SIGINT))
    try:
        with open_personal(settings, tmp_path / "mine.duckdb") as con:
            started = time.monotonic()
            ctrl_c.start()
            try:
                ran = _run_and_print(con, "select sum(i) from range(6000000000) t(i)")
            except KeyboardInterrupt:
                ran = "told only once it ended"
            took = time.monotonic() - started
            assert ran is False and took < 5, (ran, took)
            assert "已中断" in capsys.readouterr().err
            assert _run_and_print(con, "select count(*) as n from warehouse.kept")
            assert "1 │" in capsys.readouterr().out
    finally:
        ctrl_c.cancel()
        signal.signal(signal.SIGINT, previous)


def test_a_file_given_with_a_tilde_is_checked_where_duckdb_opens_it(settings, tmp_path, monkeypatch):
    # DuckDB opens `~/…` in $HOME; the checks looked at `<current folder>/~/…`: a session's file was made inside the
    # data root (here the inbox, where the night would take it in), and a folder `~` in the current one.
    publish_rows(settings.warehouse, 1)
    monkeypatch.setenv("HOME", str(settings.home.parent))
    monkeypatch.chdir(tmp_path)
    inside = f"~/{settings.home.name}/inbox/mine.duckdb"

    with pytest.raises(NotAnAnalystsFile, match="位于数据仓库的数据目录中"):
        cmd_sql(sql_args(settings, "--db", inside, "-c", "select 1"))
    assert not (settings.home / "inbox" / "mine.duckdb").exists()
    assert not (tmp_path / "~").exists()
    # From Python, a path given as text is taken too.
    with open_personal(settings, "~/budget.duckdb") as con:
        assert con.execute("select count(*) from warehouse.kept").fetchall() == [(1,)]
    assert (settings.home.parent / "budget.duckdb").exists()
