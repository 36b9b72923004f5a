"""The night never stops (the small version of `bench.hostile_trials --night`), one writer at a time, and a
data root that must exist: all with real `pipeline` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from bench.hostile_night import night

# Whole nights of real `pipeline` processes, killed and raced: make test-slow.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PIPELINE = Path(sys.executable).with_name("pipeline")


def pipeline(home: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env |= {"PIPELINE_HOME": str(home), "PIPELINE_SETTLE_SECONDS": "0", "GX_ANALYTICS_ENABLED": "False"}
    return subprocess.Popen(
        [str(PIPELINE), "--quiet", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def finish(process: subprocess.Popen, timeout: float = 600) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


@pytest.fixture
def demo_home(tmp_path, demo) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    demo.write_inbox(home / "inbox")
    return home


def rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


STATE = (
    "select inbox_path, status, error_count, warning_count from ops.submissions order by inbox_path",
    "select * exclude (project_code) from mart.project_year order by all",
    "select count(*) from ops.runs",
)


def test_one_night_of_every_odd_inbox_entry_runs_to_the_end(tmp_path):
    verdict = night(tmp_path / "night", settle=2)

    failed = {name: seen for name, (ok, seen) in verdict.checks.items() if not ok}
    assert failed == {}
    assert len(verdict.checks) >= 12


def test_two_runs_started_together_one_runs_the_other_exits_3_and_the_tables_are_a_single_runs(
    demo_home, tmp_path, demo
):
    first, second = pipeline(demo_home, "run"), pipeline(demo_home, "run")
    results = sorted([finish(first), finish(second)])
    single = tmp_path / "single"
    single.mkdir()
    demo.write_inbox(single / "inbox")
    assert finish(pipeline(single, "run"))[0] == 0

    (ok, _), (busy, message) = results
    assert (ok, busy) == (0, 3)
    assert "另一个写入数据仓库的任务正在运行" in message and "Traceback" not in message
    for sql in STATE:
        assert rows(demo_home / "warehouse.duckdb", sql) == rows(single / "warehouse.duckdb", sql)


HOLD_LOCK = """
import sys, time
from pipeline.runlock import run_lock
from pipeline.settings import Settings
with run_lock(Settings.from_env(sys.argv[1]), wait_seconds=0, purpose="test holder"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_while_the_lock_is_held_writers_exit_3_at_once_and_check_still_works(demo_home):
    assert finish(pipeline(demo_home, "run"))[0] == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(demo_home)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for command in (("run",), ("ingest",), ("report", "--year", "2022")):
            started = time.monotonic()
            status, output = finish(pipeline(demo_home, *command))
            assert status == 3, output
            assert "test holder" in output and "Traceback" not in output
            assert time.monotonic() - started < 60
        listed = next((demo_home / "inbox" / "枣林街道办事处").glob("*.csv"))
        status, output = finish(pipeline(demo_home, "check", str(listed)))
        assert status == 0, output
        assert "重复提交" in output  # it looked the file up in the published warehouse
        assert finish(pipeline(demo_home, "status"))[0] == 0
    finally:
        holder.kill()
        holder.wait()
    assert finish(pipeline(demo_home, "run"))[0] == 0  # a killed holder leaves no stale lock


def test_a_process_holding_the_writers_copy_gives_exit_3_and_no_traceback(demo_home):
    assert finish(pipeline(demo_home, "run"))[0] == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(600)",
            str(demo_home / "writer" / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        status, output = finish(pipeline(demo_home, "run"))
    finally:
        holder.kill()
        holder.wait()
    assert status == 3
    assert "writer/" in output and "Traceback" not in output


ANALYST = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])  # read-write, as the issue's analyst did
con.execute("create table analyst_scratch as select 42 as answer")
con.execute("insert into analyst_scratch values (43)")
if sys.argv[2] == "checkpoint":
    con.execute("checkpoint")
    con.execute("insert into analyst_scratch values (44)")  # and more, in the WAL
print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("analyst_mode", ["wal", "checkpoint"])
def test_an_analyst_killed_while_holding_the_warehouse_read_write_across_a_run_breaks_nothing(
    demo_home, demo, analyst_mode
):
    assert finish(pipeline(demo_home, "run"))[0] == 0
    published = demo_home / "warehouse.duckdb"
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(published), analyst_mode], stdout=subprocess.PIPE, text=True
    )
    assert analyst.stdout.readline().strip() == "ready"
    extra = demo_home / "inbox" / "新单位" / "项目基本信息表.csv"
    extra.parent.mkdir()
    extra.write_text(
        "2022年项目基本信息表\n序号,项目名称,项目类型,实施单位,计划总投资（万元）\n1,新项目,其他,新单位,10\n",
        encoding="utf-8",
    )
    status, output = finish(pipeline(demo_home, "run"))
    os.kill(analyst.pid, signal.SIGKILL)
    analyst.wait()

    assert status == 0, output
    writer_state = [rows(demo_home / "writer" / "warehouse.duckdb", sql) for sql in STATE]
    for read_only in (True, False):
        with duckdb.connect(str(published), read_only=read_only) as con:
            assert [con.execute(sql).fetchall() for sql in STATE] == writer_state
            tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
            assert "analyst_scratch" not in tables
    before = os.readlink(published)
    extra.write_text(extra.read_text(encoding="utf-8").replace(",10\n", ",11\n"), encoding="utf-8")
    assert finish(pipeline(demo_home, "run"))[0] == 0
    assert os.readlink(published) != before  # the next run published a new version


def test_a_data_root_that_does_not_exist_is_refused_and_nothing_is_created(tmp_path):
    missing = tmp_path / "typo"
    for args in (("--home", str(missing), "run"), ("run", "--home", str(missing)), ("status",), ("ingest",)):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
        env["PIPELINE_HOME"] = str(missing)
        done = subprocess.run([str(PIPELINE), *args], cwd=REPO, env=env, capture_output=True, text=True)
        assert done.returncode == 1, args
        assert "数据根目录不存在" in done.stderr and "pipeline init" in done.stderr
    assert not missing.exists()
    done = subprocess.run(
        [str(PIPELINE), "init", "--home", str(missing)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert sorted(p.name for p in missing.iterdir()) == ["archive", "inbox", "receipts", "reports"]


def test_a_warehouse_missing_beside_an_archive_that_holds_files_is_refused_and_not_made_anew(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env["PIPELINE_HOME"] = str(home)
    assert subprocess.run([str(PIPELINE), "init"], cwd=REPO, env=env, capture_output=True).returncode == 0
    # A night taken in before: a file in the archive. The warehouse's volume is not mounted tonight.
    (home / "archive" / "ab").mkdir()
    (home / "archive" / "ab" / f"ab{'0' * 62}.csv").write_text("序号\n", encoding="utf-8")
    unmounted = tmp_path / "mnt"
    unmounted.mkdir()
    env["PIPELINE_WAREHOUSE"] = str(unmounted / "warehouse.duckdb")
    writers = (("run",), ("ingest",), ("report", "--year", "2022"), ("withdraw", "--reason", "错报", "1"))
    # An analyst's reader too: told 请先运行 pipeline run, it was sent to a command that refuses.
    for args in (*writers, ("sql", "-c", "select 1"), ("docs",)):
        done = subprocess.run([str(PIPELINE), *args], cwd=REPO, env=env, capture_output=True, text=True)
        assert done.returncode == 1, args
        assert "数据仓库不存在" in done.stderr and "PIPELINE_WAREHOUSE" in done.stderr, done.stderr
    assert list(unmounted.iterdir()) == []
    # The portal may run where the archive is shared and the warehouse is not: it is not refused for it.
    done = subprocess.run([str(PIPELINE), "status"], cwd=REPO, env=env, capture_output=True, text=True)
    assert "数据仓库不存在" not in done.stderr
