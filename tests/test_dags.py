"""The DAGs as Airflow sees them: how they parse, how they are wired, and a real run of both on the demo inbox."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError

from pipeline.intake.work import MissingWorkFile
from pipeline.runlock import RunLockHeld
from pipeline.settings import DataRootUnusable
from pipeline.task_settings import SettingsRefused
from pipeline.warehouse import working_copy

DAGS = Path(__file__).resolve().parent.parent / "dags"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    """Point Airflow at a fresh home with this repository's DAG folder, before Airflow is first imported."""
    home = tmp_path_factory.mktemp("airflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_HOME", str(home))
        patch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS))
        patch.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        from airflow.configuration import conf

        if Path(conf.get("core", "dags_folder")) != DAGS:
            pytest.fail("Airflow was configured before these tests; run them in a fresh process")
        yield home


@pytest.fixture(scope="module")
def dagbag(airflow_home):
    """Parse the DAG folder as the DAG processor does: the folder is on sys.path for `_shared`."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")


def test_both_dags_import_without_errors(dagbag):
    # How long each takes is bench's figure (`DAG … imports ≤ 0.5 s`): a wall-clock bound here failed under load.
    assert dagbag.import_errors == {}
    assert sorted(dagbag.dag_ids) == ["annual_indicators", "nightly_ingest"]
    parsed = {Path(s.file).name for s in dagbag.dagbag_stats}
    assert parsed == {"nightly_ingest.py", "annual_indicators.py"}  # _shared.py is ignored


IMPORT_PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from airflow.sdk import Asset, Param, RetryDecision, RetryPolicy, dag, get_current_context, task
seconds = {}
for name in ("nightly_ingest", "annual_indicators"):
    started = time.perf_counter()
    __import__(name)
    seconds[name] = time.perf_counter() - started
heavy = sorted(m for m in ("duckdb", "pandas", "great_expectations", "pipeline") if m in sys.modules)
print(json.dumps({"seconds": seconds, "heavy": heavy}))
"""


def test_dag_files_import_nothing_heavy(airflow_home):
    """In a fresh process with only Airflow loaded, as the DAG processor parses them."""
    probe = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, str(DAGS)], capture_output=True, text=True, check=True
    )
    found = json.loads(probe.stdout.strip().splitlines()[-1])

    # Nothing heavy is what keeps the import fast; its time is bench's figure, not a unit test's.
    assert found["heavy"] == [], found
    assert set(found["seconds"]) == {"nightly_ingest", "annual_indicators"}


def test_nightly_ingest_runs_at_two_shanghai_time_parsing_in_parallel_and_writing_through_one_pool(dagbag):
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dagbag.dags["nightly_ingest"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.timetable.expression == "0 2 * * *"
    assert str(dag.timetable.timezone) == "Asia/Shanghai"
    tasks = {t.task_id: t for t in dag.tasks}
    assert sorted(tasks) == ["find_new_files", "load_files", "parse_shard"]
    assert tasks["parse_shard"].upstream_task_ids == {"find_new_files"}
    assert tasks["load_files"].upstream_task_ids == {"parse_shard"}
    assert isinstance(tasks["parse_shard"], MappedOperator)
    assert tasks["load_files"].pool == "duckdb_writer"
    assert [o.name for o in tasks["load_files"].outlets] == ["warehouse"]
    # The load runs after every shard, whatever they found.
    assert tasks["load_files"].trigger_rule == "none_failed"
    # Beside the load, the listing reads the writer's copy of the warehouse: both run where it lives.
    assert {name for name, t in tasks.items() if t.pool == "duckdb_writer"} == {
        "find_new_files",
        "load_files",
    }


def test_the_nightly_runs_start_is_the_one_the_portal_predicts_the_night_by(dagbag):
    from pipeline.read_day import NIGHTLY_AT

    # The portal cannot import the DAG: it reads the night's day from NIGHTLY_AT, which must be the DAG's.
    expression = dagbag.dags["nightly_ingest"].timetable.expression
    assert expression == f"{NIGHTLY_AT.minute} {NIGHTLY_AT.hour} * * *"


def test_every_shard_reads_by_the_day_its_run_started_whatever_its_own_clock_says(dagbag, monkeypatch):
    from types import SimpleNamespace

    import pendulum

    import pipeline.intake
    from pipeline import read_day
    from pipeline.read_day import ReadOn

    tasks = {t.task_id: t for t in dagbag.dags["nightly_ingest"].tasks}
    parse_shard = tasks["parse_shard"].python_callable
    # The night of 1 December starts at 02:00 in Shanghai, 18:00 on 30 November in UTC; this shard, queued or
    # retried, runs after midnight on 2 December, by then a day later.
    night = SimpleNamespace(run_after=pendulum.datetime(2026, 11, 30, 18, 0, tz="UTC"))
    context = {"run_id": "scheduled__2026-11-30T18:00:00+00:00", "dag_run": night}
    monkeypatch.setitem(parse_shard.__globals__, "get_current_context", lambda: context)
    monkeypatch.setitem(parse_shard.__globals__, "pipeline_settings", lambda own_root=True: "settings")
    monkeypatch.setattr(read_day, "now", lambda: dt.datetime(2026, 12, 2, 0, 30, tzinfo=read_day.TIMEZONE))
    seen = []
    monkeypatch.setattr(pipeline.intake, "parse_shard", lambda *args, **kwargs: seen.append(kwargs) or {})

    parse_shard(["a.csv"])

    assert seen == [{"run_key": context["run_id"], "read_on": ReadOn(dt.date(2026, 12, 1))}]


@pytest.mark.parametrize("now", ["01:59", "02:00:30", "02:30", "04:00", "12:00", "23:59"])
def test_nothing_runs_when_airflow_starts_the_first_nightly_run_is_the_next_two_oclock(
    dagbag, monkeypatch, now
):
    import airflow.timetables.trigger as trigger
    import pendulum
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable
    from airflow.timetables.base import TimeRestriction

    dag = dagbag.dags["nightly_ingest"]
    # The timetable as the scheduler runs it: serialized by the DAG processor, read back in the scheduler.
    timetable = decode_timetable(encode_timetable(dag.timetable))
    started = pendulum.parse(f"2026-03-10T{now}", tz="Asia/Shanghai")
    monkeypatch.setattr(trigger, "utcnow", lambda: started.in_tz("UTC"))

    first = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=dag.catchup),
    )

    assert first.run_after > started  # never one already due: Airflow starts with nothing to run
    assert first.run_after.in_tz("Asia/Shanghai").time() == dt.time(2, 0)
    assert first.run_after - started <= dt.timedelta(days=1)


def test_every_annual_task_writes_through_the_one_pool(dagbag):
    tasks = {t.task_id: t for t in dagbag.dags["annual_indicators"].tasks}
    assert {name: t.pool for name, t in tasks.items()} == {
        "build_indicators": "duckdb_writer",
        "write_report": "duckdb_writer",
        "write_catalog": "duckdb_writer",
    }


def test_the_annual_run_ends_by_refreshing_the_catalog_as_pipeline_run_does(dagbag):
    tasks = {t.task_id: t for t in dagbag.dags["annual_indicators"].tasks}
    assert tasks["write_catalog"].upstream_task_ids == {"build_indicators"}
    # A night with no year to report skips the report, never the catalog.
    assert tasks["write_catalog"].trigger_rule == "all_done"
    # A leaf beside the report: a report that fails still fails the run.
    assert {t.task_id for t in dagbag.dags["annual_indicators"].leaves} == {"write_report", "write_catalog"}


def test_a_reporting_year_asked_for_without_data_fails_the_run_as_pipeline_run_does(
    dagbag, settings, registry, monkeypatch
):
    from airflow.sdk.exceptions import AirflowSkipException

    from pipeline.indicators import NoDataError

    build = dagbag.dags["annual_indicators"].get_task("build_indicators").python_callable
    monkeypatch.setitem(build.__globals__, "pipeline_settings", lambda: settings)

    def run(year):
        context = {"params": {"reporting_year": year}}
        monkeypatch.setitem(build.__globals__, "get_current_context", lambda: context)
        return build()

    # Nothing taken in yet: with no year asked for, the report is skipped, as on a new deployment's first night.
    with pytest.raises(AirflowSkipException):
        run(None)
    # A year asked for that the warehouse lacks fails, as `pipeline run --year` exits 1: never a green run.
    with pytest.raises(NoDataError):
        run(2022)


def test_the_nightly_load_leaves_its_version_to_be_published_with_the_marts(dagbag, settings, monkeypatch):
    # Published by the load, a version's marts were the night before's until annual_indicators rebuilt them, and
    # for good if that failed; `pipeline run` publishes the load with its marts (tests/pipeline/test_warehouse.py).
    from pipeline.intake import IngestReport

    load = dagbag.dags["nightly_ingest"].get_task("load_files").python_callable
    monkeypatch.setitem(load.__globals__, "pipeline_settings", lambda: settings)
    calls = []
    monkeypatch.setattr(
        "pipeline.intake.load_parsed", lambda *args, **kwargs: calls.append(kwargs) or IngestReport()
    )

    monkeypatch.setitem(load.__globals__, "_nights_day", lambda: "the night's day")

    # A shard of this code lists its inbox files beside its keys, one parsed by the code before does not.
    load(
        [{"work_files": ["scheduled__1/0-1.spool#0"], "inbox_files": ["甲/1.xlsx"]}, {"work_files": ["b#0"]}]
    )

    assert [call.get("publish_it", True) for call in calls] == [False]
    # What the loader reads again where a work file turns out unreadable, by the night's day.
    assert [(call["named"], call["read_on"]) for call in calls] == [
        ({"scheduled__1/0-1.spool#0": "甲/1.xlsx"}, "the night's day")
    ]


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (FileNotFoundError("收件箱文件已被删除"), "retry"),
        (duckdb.IOException("Could not set lock on file"), "retry"),
        (RunLockHeld(Path("run.lock"), "进程 1，pipeline run", 1800), "retry"),
        # The object store away (restarting, the network down): botocore's error is no OSError, yet it may pass.
        (EndpointConnectionError(endpoint_url="http://minio:9000/budget/inbox"), "retry"),
        (NoCredentialsError(), "fail"),
        # A parse result the loader cannot see stays unseen: failed at once, with the key and the setting named.
        (MissingWorkFile("scheduled__1/7-1.spool#0", "s3://budget/work"), "fail"),
        # A data root that is not there: refused at once, as the command line exits 1.
        (DataRootUnusable("数据根目录不存在：/data。"), "fail"),
        # A refused PIPELINE_* value, told in the log already: a retry reads the same environment.
        (SettingsRefused(1), "fail"),
        (KeyError("reporting_year"), "fail"),
        (duckdb.BinderException("no such column"), "fail"),
    ],
)
def test_every_task_retries_io_failures_with_backoff_and_fails_anything_else_at_once(dagbag, error, action):
    # A missing work file is an OSError, yet never an I/O hiccup.
    assert isinstance(MissingWorkFile("k", "w"), OSError)
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.retries == 3 and task.retry_exponential_backoff == 2.0, task.task_id
            assert task.retry_delay == dt.timedelta(minutes=1)
            assert task.retry_policy.evaluate(error, try_number=1, max_tries=4).action.value == action


@pytest.fixture(scope="module")
def airflow_db(airflow_home):
    """Create the metadata database dag.test() records its runs in."""
    from airflow.utils import db

    db.initdb()


def statuses(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("select status, count(*) from ops.submissions group by 1").fetchall())


def mart_row(settings, project: str, columns: str) -> tuple:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            f"select {columns} from mart.project_year where project_name = ? and year = 2022", [project]
        ).fetchone()


@pytest.mark.slow
def test_both_dags_run_end_to_end_on_the_demo_inbox(
    dagbag, airflow_db, settings, demo_inbox, demo, monkeypatch
):
    """dag.test() runs without the scheduler or its pools; the tasks see the test's PIPELINE_HOME."""
    assert os.environ["PIPELINE_HOME"] == str(settings.home)
    monkeypatch.setenv("PIPELINE_SHARD_FILES", "4")  # several shards, one of them holding a broken file
    broken = settings.inbox / "枣林街道办事处" / "坏文件.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")

    run = dagbag.dags["nightly_ingest"].test()

    assert run.state == "success"
    shards = [ti for ti in run.get_task_instances() if ti.task_id == "parse_shard"]
    assert len(shards) == -(-(len(demo_inbox) + 1) // 4)
    returned = sum(1 for path in demo_inbox if demo.is_returned(path))
    taken_in = {"accepted": len(demo_inbox) - returned, "rejected": returned + 1}
    assert statuses(working_copy(settings.warehouse)) == taken_in
    assert not settings.warehouse.exists()  # published by annual_indicators, with the marts
    assert not any((settings.home / "work").iterdir())  # the loader cleaned up after the parsers
    # A second night before annual_indicators publishes the first load finds it in the writer's copy: nothing is
    # new, where every shard parsed the whole inbox again until the first publication.
    again = dagbag.dags["nightly_ingest"].test()
    find = next(ti for ti in again.get_task_instances() if ti.task_id == "find_new_files")
    assert (again.state, find.xcom_pull(task_ids="find_new_files")) == ("success", [[]])
    assert statuses(working_copy(settings.warehouse)) == taken_in

    run = dagbag.dags["annual_indicators"].test()

    assert run.state == "success"
    assert statuses(settings.warehouse) == taken_in
    assert mart_row(
        settings, "枣林街道办事处改造老旧小区", "funds_received_wan, planned_total_investment_wan"
    ) == (Decimal("3036.1"), Decimal("9163.6"))
    assert mart_row(settings, "示范区双铺棚户区改造项目", "payment_rate, investment_completion_rate") == (
        1,
        1,
    )
    assert list((settings.reports / "2022").iterdir())
    assert (settings.home / "docs" / "index.html").is_file()  # as `pipeline run` ends


@pytest.mark.slow
def test_a_broken_rules_file_fails_the_first_task_before_any_shard_parses(
    dagbag, airflow_db, settings, demo_inbox, tmp_path, monkeypatch
):
    # Found only by the load, a broken rules.yaml let every shard parse the whole inbox for nothing.
    broken = tmp_path / "rules.yaml"
    broken.write_text("negative_list: [\n", encoding="utf-8")
    monkeypatch.setattr("pipeline.rules.RULES_PATH", broken)

    run = dagbag.dags["nightly_ingest"].test()

    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["find_new_files"] == "failed"
    assert states["parse_shard"] == states["load_files"] == "upstream_failed"
    assert not settings.warehouse.exists()


def test_a_broken_registry_fails_the_first_task_in_its_chinese_line_before_the_inbox_is_read(
    dagbag, settings, tmp_path, monkeypatch, caplog
):
    # Before: load_registry's RegistryError left find_new_files as a traceback, its words at the foot.
    from tests.pipeline.test_task_settings import _broken_registry

    said = _broken_registry(tmp_path, monkeypatch)
    find = dagbag.dags["nightly_ingest"].get_task("find_new_files").python_callable
    scanned = []
    monkeypatch.setitem(find.__globals__, "pipeline_settings", lambda: scanned.append(1))

    with caplog.at_level(logging.ERROR), pytest.raises(SettingsRefused) as ended:
        find()

    assert scanned == []  # failed before the settings, the warehouse or the inbox were read
    [line] = [r.getMessage() for r in caplog.records if r.name == "pipeline.task_settings"]
    assert line.startswith(f"报表模板登记有误：{said}") and "\n" not in line
    assert find.__globals__["RETRY_IO"]["retry_policy"].evaluate(ended.value, 1, 4).action.value == "fail"


def _broken_suite(monkeypatch) -> None:
    """Leave compound_list's suite naming `household_count`, a column its template no longer has."""
    import pipeline.suites as suites_module
    import pipeline.validate as validate_module
    from tests.pipeline.test_validate import _renamed_column

    suite = _renamed_column(suites_module.suite_documents, "compound_list", "households", "household_count")
    monkeypatch.setattr(validate_module, "suite_documents", suite)


def _ended_in_one_line(dag, ended, caplog) -> str:
    """Return the one line a task ended in, checking it was logged without a traceback and is never retried."""
    [record] = [r for r in caplog.records if r.name == "pipeline.task_settings"]
    assert record.exc_info is None and "\n" not in record.getMessage()
    retry_policy = next(iter(dag.tasks)).python_callable.__globals__["RETRY_IO"]["retry_policy"]
    assert retry_policy.evaluate(ended.value, 1, 4).action.value == "fail"
    return record.getMessage()


def test_a_suite_broken_after_the_first_task_ends_a_shard_in_its_chinese_line(
    dagbag, settings, monkeypatch, caplog
):
    # An operator edits the registry mid-night, or a parse worker's checkout differs: before, the shard's own
    # check_sources raised the SuiteError out of the task as a traceback, its words at the foot.
    from tests.pipeline.test_intake import COMPOUNDS_V1, drop

    _broken_suite(monkeypatch)
    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    dag = dagbag.dags["nightly_ingest"]
    parse = dag.get_task("parse_shard").python_callable
    monkeypatch.setitem(parse.__globals__, "pipeline_settings", lambda own_root=True: settings)
    monkeypatch.setitem(parse.__globals__, "get_current_context", lambda: {"run_id": "scheduled__1"})
    monkeypatch.setitem(parse.__globals__, "_nights_day", lambda: None)

    with caplog.at_level(logging.ERROR), pytest.raises(SettingsRefused) as ended:
        parse(["枣林街道办事处/清单.csv"])

    line = _ended_in_one_line(dag, ended, caplog)
    assert line.startswith("校验规则（expectations）有误：") and "compound_list.json" in line
    assert "'household_count'" in line


def test_a_suite_broken_after_the_shards_parsed_ends_the_load_in_its_chinese_line_before_the_warehouse(
    dagbag, settings, registry, monkeypatch, caplog
):
    # Before: the loader met it validating the first chunk, under the run lock, as a traceback.
    from pipeline.intake import parse_shard
    from tests.pipeline.test_intake import COMPOUNDS_V1, drop

    drop(settings, "枣林街道办事处/清单.csv", COMPOUNDS_V1)
    shard = parse_shard(settings, registry, ["枣林街道办事处/清单.csv"], run_key="scheduled__1")
    _broken_suite(monkeypatch)
    dag = dagbag.dags["nightly_ingest"]
    load = dag.get_task("load_files").python_callable
    monkeypatch.setitem(load.__globals__, "pipeline_settings", lambda: settings)
    monkeypatch.setitem(load.__globals__, "_nights_day", lambda: None)

    with caplog.at_level(logging.ERROR), pytest.raises(SettingsRefused) as ended:
        load([shard])

    line = _ended_in_one_line(dag, ended, caplog)
    assert line.startswith("校验规则（expectations）有误：") and "'household_count'" in line
    assert not settings.warehouse.exists() and not any(settings.receipts.rglob("*.json"))


def test_a_broken_report_file_ends_the_report_task_in_its_chinese_line(
    dagbag, settings, tmp_path, monkeypatch, caplog
):
    # Before: load_report_config's RegistryError left write_report as a traceback.
    broken = tmp_path / "report.yaml"
    broken.write_text("district: 示范区\nissuer: [\n", encoding="utf-8")
    monkeypatch.setattr("pipeline.report_model.REPORT_CONFIG", broken)
    dag = dagbag.dags["annual_indicators"]
    write = dag.get_task("write_report").python_callable
    monkeypatch.setitem(write.__globals__, "pipeline_settings", lambda: settings)

    with caplog.at_level(logging.ERROR), pytest.raises(SettingsRefused) as ended:
        write(2022)

    line = _ended_in_one_line(dag, ended, caplog)
    assert line.startswith(f"报告设置（report.yaml）有误：{broken}: 第3行第1列不是有效的YAML")


@pytest.mark.slow
def test_a_data_root_that_is_not_there_fails_the_night_at_once_and_nothing_is_created(
    dagbag, airflow_db, settings, demo, tmp_path, monkeypatch
):
    # The inbox kept elsewhere (a share, s3://), a typo in PIPELINE_HOME made a new warehouse that took in the
    # whole inbox again and rewrote every receipt, where `pipeline run` exits 1.
    inbox = tmp_path / "shared_inbox"
    demo.write_inbox(inbox)
    typo = tmp_path / "hoem"
    monkeypatch.setenv("PIPELINE_HOME", str(typo))
    monkeypatch.setenv("PIPELINE_INBOX", str(inbox))

    run = dagbag.dags["nightly_ingest"].test()

    assert run.state == "failed"
    tis = {ti.task_id: ti for ti in run.get_task_instances()}
    assert (tis["find_new_files"].state, tis["find_new_files"].try_number) == ("failed", 1)  # not retried
    assert tis["load_files"].state == "upstream_failed"
    assert not typo.exists()


@pytest.mark.slow
def test_a_refused_setting_fails_the_night_at_once_with_its_chinese_line_and_no_traceback(
    dagbag, airflow_db, settings, demo_inbox, monkeypatch, caplog, capfd
):
    # Raised out of the task, the ValueError was logged as a traceback, its Chinese message at the foot.
    monkeypatch.setenv("PIPELINE_WORKERS", "x")

    run = dagbag.dags["nightly_ingest"].test()

    assert run.state == "failed"
    tis = {ti.task_id: ti for ti in run.get_task_instances()}
    assert (tis["find_new_files"].state, tis["find_new_files"].try_number) == ("failed", 1)  # not retried
    assert tis["load_files"].state == "upstream_failed"
    # The task's log, as dag.test() writes it: the task's first line after it starts is the one Chinese line.
    lines = [f"{r.levelname} {r.getMessage()}" for r in caplog.records]
    started = next(
        i for i, line in enumerate(lines) if "running task <TaskInstance: nightly_ingest.find_new" in line
    )
    assert lines[started + 1].startswith("ERROR 环境变量设置有误：PIPELINE_WORKERS 的值 'x' 不是正整数")
    written = "\n".join([*lines, *capfd.readouterr()])  # what Airflow's own logger wrote beside
    assert "Traceback" not in written and "Task failed with exception" not in written
    assert all(r.exc_info is None for r in caplog.records)


def test_the_cluster_policy_sends_every_writer_task_and_only_those_to_the_writer_queue(dagbag):
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "deploy" / "airflow" / "airflow_local_settings.py"
    spec = importlib.util.spec_from_file_location("airflow_local_settings_under_test", path)
    policy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(policy)
    queues = {}
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            before = task.queue
            policy.task_policy(task)
            queues[(dag.dag_id, task.task_id)] = (task.pool, task.queue)
            task.queue = before
    assert (
        {key for key, (_, queue) in queues.items() if queue == "writer"}
        == {key for key, (pool, _) in queues.items() if pool == "duckdb_writer"}
        == {
            ("nightly_ingest", "find_new_files"),
            ("nightly_ingest", "load_files"),
            ("annual_indicators", "build_indicators"),
            ("annual_indicators", "write_report"),
            ("annual_indicators", "write_catalog"),
        }
    )


@pytest.mark.slow
def test_a_night_of_every_odd_inbox_entry_runs_to_the_end_under_airflow(
    dagbag, airflow_db, tmp_path, monkeypatch
):
    # The nightly DAG is the product's main path; the hostile night had only been run through `pipeline run`.
    # A GBK file name, a FIFO, links out of the inbox, long names, an unreadable file, a CSV still being written
    # and a file deleted mid-run: every entry gets its outcome and both DAGs succeed, twice.
    from bench.hostile_night import night

    monkeypatch.setenv("PIPELINE_SHARD_FILES", "4")  # the hostile entries spread over several shards

    def both_dags(home: Path, settle: float) -> tuple[int, float, str]:
        monkeypatch.setenv("PIPELINE_HOME", str(home))
        monkeypatch.setenv("PIPELINE_SETTLE_SECONDS", str(settle))
        started = dt.datetime.now()
        states = [dagbag.dags[dag_id].test().state for dag_id in ("nightly_ingest", "annual_indicators")]
        seconds = (dt.datetime.now() - started).total_seconds()
        return (0 if states == ["success", "success"] else 1), seconds, f"DAG runs: {states}"

    verdict = night(tmp_path / "night", settle=2, run=both_dags)

    failed = {name: seen for name, (ok, seen) in verdict.checks.items() if not ok}
    assert failed == {}
    assert len(verdict.checks) >= 12


# Run by an account bound by file permissions (as root, without the capabilities that read any file): both nights
# of the nightly DAG under dag.test(), the inbox changed between the scan and the parse as a clerk's copy would.
_ODD_NIGHTS = """
import json, os, sys, time
from pathlib import Path
from airflow.utils import db
db.initdb()
from airflow.dag_processing.dagbag import BundleDagBag
import duckdb
import pipeline.intake as intake
from pipeline.warehouse import working_copy
from pipeline.settings import Settings

settings = Settings.from_env()
plan = json.loads(sys.argv[2])
scanned = intake.find_new_shards

def then_changed(settings):
    shards = scanned(settings)
    with open(settings.inbox / plan["grown"], "a", encoding="utf-8") as handle:
        handle.write(plan["more"])
    (settings.inbox / plan["deleted"]).unlink()
    intake.find_new_shards = scanned  # the first night only
    return shards

intake.find_new_shards = then_changed
bag = BundleDagBag(dag_folder=sys.argv[1], bundle_path=Path(sys.argv[1]), bundle_name="dags-folder")
nights = []
for _ in range(2):
    state = bag.dags["nightly_ingest"].test().state
    with duckdb.connect(str(working_copy(settings.warehouse)), read_only=True) as con:
        stored = con.execute("select inbox_path, status, receipt_path from ops.submissions").fetchall()
        skips = con.execute("select inbox_path, kind from ops.inbox_skips where run_finished_at = (select max(run_finished_at) from ops.inbox_skips)").fetchall()
    nights.append({"state": state, "stored": stored, "skips": skips})
    time.sleep(settings.settle_seconds + 0.5)  # the grown file settles before the next night
print("NIGHTS " + json.dumps(nights, ensure_ascii=False))
"""


@pytest.mark.slow
@pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("setpriv") is None, reason="root reads every file, and no setpriv"
)
def test_a_night_of_odd_entries_changed_under_it_gives_each_its_outcome_under_airflow(tmp_path):
    from tests.conftest import REGISTER_CSV
    from tests.pipeline.test_intake import COMPOUNDS_V1, COMPOUNDS_V2

    home, office = tmp_path / "home", "枣林街道办事处"
    folder = home / "inbox" / office
    folder.mkdir(parents=True)
    (folder / "项目基本信息.csv").write_text(REGISTER_CSV, encoding="utf-8")
    (folder / "正在写入.csv").write_text(
        COMPOUNDS_V1, encoding="utf-8"
    )  # grows between the scan and the parse
    (folder / "将删除.csv").write_text(COMPOUNDS_V1, encoding="utf-8")  # deleted between them
    (folder / "空文件.xlsx").write_bytes(b"")
    (folder / "目录.xlsx").mkdir()
    locked = folder / "无权限.csv"
    locked.write_text(COMPOUNDS_V1, encoding="utf-8")
    locked.chmod(0)
    gbk = b"1" + "枣".encode("gbk") * 125 + b".csv"
    assert len(gbk) == 255  # the longest name ext4 allows: 376 bytes once decoded and written as UTF-8
    with open(os.path.join(os.fsencode(folder), gbk), "wb") as handle:
        handle.write(COMPOUNDS_V1.replace("1075.97", "1075.96").encode("gbk"))
    an_hour_ago = time.time() - 3600
    for path in folder.iterdir():
        os.utime(path, (an_hour_ago, an_hour_ago))
    plan = {
        "grown": f"{office}/正在写入.csv",
        "more": COMPOUNDS_V2.removeprefix(COMPOUNDS_V1),
        "deleted": f"{office}/将删除.csv",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPELINE_", "AIRFLOW"))}
    env |= {
        "PIPELINE_HOME": str(home),
        "PIPELINE_SETTLE_SECONDS": "2",
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "GX_ANALYTICS_ENABLED": "False",
    }
    drop = "-dac_override,-dac_read_search"
    bound = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"] if os.geteuid() == 0 else []
    done = subprocess.run(
        [*bound, sys.executable, "-c", _ODD_NIGHTS, str(DAGS), json.dumps(plan)],
        cwd=DAGS.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    said = [line for line in done.stdout.splitlines() if line.startswith("NIGHTS ")]
    assert done.returncode == 0 and said, done.stderr[-3000:]
    first, second = json.loads(said[-1].removeprefix("NIGHTS "))

    assert first["state"] == second["state"] == "success"
    stored = {path: (status, receipt) for path, status, receipt in first["stored"]}
    named = next(path for path in stored if path.startswith(f"{office}/1枣"))
    assert {path: status for path, (status, _) in stored.items()} == {
        f"{office}/项目基本信息.csv": "accepted",
        named: "accepted",  # the GBK name, read as its sender wrote it
        f"{office}/空文件.xlsx": "rejected",
        f"{office}/无权限.csv": "rejected",
    }
    assert named == f"{office}/1{'枣' * 125}.csv"
    for path, (_, receipt) in stored.items():
        receipt = Path(receipt)
        assert receipt.is_file() and len(os.fsencode(receipt.name)) <= 255, path
    reasons = {
        path: json.loads(Path(receipt).with_suffix(".json").read_text(encoding="utf-8"))["reason"]
        for path, (_, receipt) in stored.items()
    }
    assert reasons[f"{office}/空文件.xlsx"] == "文件为空（0字节）"
    assert reasons[f"{office}/无权限.csv"].startswith("没有读取该文件的权限")
    assert sorted(first["skips"]) == [
        [f"{office}/将删除.csv", "vanished"],
        [f"{office}/正在写入.csv", "settling"],  # modified since the scan: read the next night, whole
        [f"{office}/目录.xlsx", "folder"],
    ]
    # The next night takes in the file that grew, whole, with its receipt; the folder is still told of.
    grown = {path: (status, receipt) for path, status, receipt in second["stored"]}[f"{office}/正在写入.csv"]
    assert grown[0] == "accepted" and Path(grown[1]).is_file()
    assert sorted(second["skips"]) == [[f"{office}/目录.xlsx", "folder"]]
