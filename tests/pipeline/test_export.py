"""The marts anyone can read: Parquet by year at each publish, with a manifest and a pointer written last."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

import duckdb
import pytest

from pipeline import cli, export, forked
from pipeline.indicators import build_indicators
from pipeline.intake import ingest
from pipeline.runlock import run_lock
from pipeline.settings import Settings


def read(settings, table: str) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyRelation]:
    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    entry = latest["tables"][table]
    path = settings.export / latest["path"] / entry["path"]
    con = duckdb.connect()
    return con, con.sql(f"select * from read_parquet('{path}', hive_partitioning = true)")


@pytest.mark.slow
def test_each_publish_exports_every_mart_and_the_submissions_as_parquet_by_year(
    settings, registry, demo_inbox
):
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)

    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        marts = {
            f"mart.{t}"
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'mart'"
            ).fetchall()
        }
        counts = {
            t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in [*marts, "ops.submissions"]
        }
    assert set(latest["tables"]) == marts | {"ops.submissions"}
    assert latest["warehouse_version"] == settings.warehouse.resolve().name
    for table, rows in counts.items():
        assert latest["tables"][table]["rows"] == rows
        con, relation = read(settings, table)
        assert relation.aggregate("count(*)").fetchall() == [(rows,)]


@pytest.mark.slow  # 5 s or more on two cores
def test_counts_stay_whole_numbers_and_money_stays_decimal(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)

    con, relation = read(settings, "mart.renovated_compounds")
    types = dict(zip(relation.columns, map(str, relation.types), strict=True))
    assert types["households"] == "BIGINT"
    assert types["planned_investment_wan"].startswith("DECIMAL")
    con, relation = read(settings, "mart.project_year")
    assert str(dict(zip(relation.columns, relation.types, strict=True))["funds_received_wan"]).startswith(
        "DECIMAL"
    )


@pytest.mark.slow
def test_only_the_current_and_previous_exports_are_kept(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    for _ in range(3):
        build_indicators(settings, registry)

    versions = sorted(p.name for p in (settings.export / "versions").iterdir())
    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    assert len(versions) == 2 and latest["version"] == versions[-1]


def _export_recording(seen: Path, fail: bool = False):
    """An export that records its process and whether the run lock was free to take, then fails if asked."""

    def export(version, target):
        with open(Settings.from_env().lock_file, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                free = True
            except BlockingIOError:
                free = False
        seen.write_text(json.dumps({"pid": os.getpid(), "lock_free": free, "version": str(version)}))
        if fail:
            raise RuntimeError("磁盘已满")
        return {"tables": {}}

    return export


def test_an_export_beside_runs_in_another_process_under_the_run_lock_and_ends_with_the_block(
    settings, monkeypatch, tmp_path
):
    seen = tmp_path / "seen.json"
    monkeypatch.setattr(export, "export_version", _export_recording(seen))

    with export.beside(settings) as exports:
        exports.start(tmp_path / "v1.duckdb", settings.export)
    done = json.loads(seen.read_text())

    assert done["version"] == str(tmp_path / "v1.duckdb")
    if forked.usable():  # one CPU: it runs in this process, when the block ends
        assert done["pid"] != os.getpid()
    assert done["lock_free"] is False  # no other writer's export can interleave with it
    with run_lock(settings, wait_seconds=0):  # and the lock is free once the block has ended
        pass


def test_a_failed_export_beside_raises_once_the_block_has_done_its_work(settings, monkeypatch, tmp_path):
    seen = tmp_path / "seen.json"
    monkeypatch.setattr(export, "export_version", _export_recording(seen, fail=True))
    did = []

    with pytest.raises(RuntimeError, match="磁盘已满"), export.beside(settings) as exports:
        exports.start(tmp_path / "v1.duckdb", settings.export)
        did.append("report")

    assert did == ["report"] and seen.exists()


def _killed(version, target):
    os.kill(os.getpid(), signal.SIGKILL)  # the OOM killer, or kill -9 of the exporting child


@pytest.mark.skipif(not forked.usable(), reason="one CPU: the export runs in this process")
def test_an_export_child_killed_is_said_in_one_line_and_fails_the_command(
    settings, monkeypatch, tmp_path, capsys
):
    monkeypatch.setattr(export, "export_version", _killed)
    with (
        pytest.raises(forked.ChildDied, match="Parquet导出未完成.*LATEST.json"),
        export.beside(settings) as exports,
    ):
        exports.start(tmp_path / "v1.duckdb", settings.export)

    def report(args):
        with export.beside(args.settings) as exports:
            exports.start(tmp_path / "v1.duckdb", args.settings.export)
        return 0

    monkeypatch.setattr("pipeline.cli_parser.cmd_report", report)
    assert cli.main(["report"]) == 1
    said = capsys.readouterr().err
    assert "Parquet导出未完成" in said and "Traceback" not in said


def test_a_failed_block_waits_for_its_export_and_raises_its_own_error(settings, monkeypatch, tmp_path):
    seen = tmp_path / "seen.json"
    monkeypatch.setattr(export, "export_version", _export_recording(seen))

    with pytest.raises(ValueError, match="模板有误"), export.beside(settings) as exports:
        exports.start(tmp_path / "v1.duckdb", settings.export)
        raise ValueError("模板有误")

    assert json.loads(seen.read_text())["version"] == str(tmp_path / "v1.duckdb")  # finished, not cut short


@pytest.mark.slow
def test_indicators_with_the_export_beside_export_what_they_publish(settings, registry, demo_inbox):
    ingest(settings, registry, progress=False)
    with export.beside(settings) as exports:
        build_indicators(settings, registry, None, exports)
        latest_during = settings.warehouse.resolve().name

    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    assert latest["warehouse_version"] == latest_during
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute("select count(*) from mart.project_year").fetchone()[0]
    assert rows and latest["tables"]["mart.project_year"]["rows"] == rows


def _report_held_in_its_export(marker: Path) -> None:
    """Run `pipeline report` in this forked process, its export holding (marker written) where it writes Parquet."""

    def held(version, staging):
        (staging / "part.parquet").write_bytes(b"cut short")  # what a kill leaves: a partial folder
        marker.write_text(str(os.getpid()))
        time.sleep(120)

    export._write_tables = held
    os._exit(cli.main(["report"]))


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] in "ZX"  # dead, not yet reaped
    except (FileNotFoundError, IndexError):
        return True


@pytest.mark.slow
def test_a_report_killed_while_its_export_runs_beside_leaves_the_last_export_whole_and_a_rerun_exports_anew(
    settings, registry, demo_inbox, tmp_path
):
    ingest(settings, registry, progress=False)
    build_indicators(settings, registry)
    before = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    marker = tmp_path / "export-pid"

    run = multiprocessing.get_context("fork").Process(target=_report_held_in_its_export, args=(marker,))
    run.start()
    deadline = time.monotonic() + 120
    while not marker.exists() and run.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the export never started"
    os.kill(run.pid, signal.SIGKILL)
    run.join()
    exporter = int(marker.read_text())
    while not _gone(exporter) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert _gone(exporter)  # the export dies with the run: it would hold the run lock for nobody
    assert json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8")) == before
    assert (settings.export / before["path"] / "manifest.json").is_file()

    assert cli.main(["report"]) == 0
    latest = json.loads((settings.export / "LATEST.json").read_text(encoding="utf-8"))
    assert latest["warehouse_version"] == settings.warehouse.resolve().name != before["warehouse_version"]
    assert not [p.name for p in (settings.export / "versions").iterdir() if "partial" in p.name]


def test_an_export_failing_beside_a_failed_block_is_one_chinese_line_its_traceback_only_at_debug(
    settings, monkeypatch, caplog
):
    # Logged with logger.exception, its traceback came before the block's own Chinese message on the terminal.
    import errno
    import logging

    def disk_full(version, target):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(export, "export_version", disk_full)
    with (
        caplog.at_level(logging.DEBUG, logger="pipeline.export"),
        pytest.raises(RuntimeError, match="报告未写成"),
        export.beside(settings) as exports,
    ):
        exports.start(settings.warehouse, settings.export)
        raise RuntimeError("报告未写成")

    told = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [r.getMessage() for r in told] == [
        f"Parquet导出未完成：无法写入“{settings.export}”：磁盘空间不足。"
        f"请清理磁盘空间后重新运行；已入库的数据不受影响。（No space left on device）。{export.KILLED_ZH}"
    ]
    assert told[0].exc_info is None
    assert [r.exc_info[1] for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info]
