"""The DAG benchmark's pieces: its figures and targets, what it reads from /proc and logs, and one real run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from bench import dag_bench
from bench.run import child_env
from deploy.processes import listening, loopback_only, proc_address

GIB_KIB = 1024 * 1024


def run_figures(state: str = "success", seconds: float = 30.0, extra_env: dict | None = None, **more) -> dict:
    """A scheduler run's figures as measure_scheduler returns them: find, two shards, load."""
    tasks = [
        {"task_id": "find_new_files", "map_index": -1, "duration_s": 2.0, "tree_kib": 150_000},
        {"task_id": "parse_shard", "map_index": 0, "duration_s": 9.0, "tree_kib": 700_000},
        {"task_id": "parse_shard", "map_index": 1, "duration_s": 11.0, "tree_kib": 690_000},
        {"task_id": "load_files", "map_index": -1, "duration_s": 12.0, "tree_kib": 900_000},
    ]
    return {"state": state, "trigger_to_end_s": seconds, "extra_env": extra_env or {}, "tasks": tasks} | more


def test_the_scheduler_run_is_held_against_one_and_a_half_times_the_cli_and_one_gib_per_task():
    ingest = {"process_s": 24.0, "ingest_s": 21.0}

    met = dag_bench.targets({"scheduler": [run_figures(seconds=36.0)]}, ingest)
    missed = dag_bench.targets({"scheduler": [run_figures(seconds=36.1)]}, ingest)

    assert [(t.measured, t.passed) for t in met] == [("1.50×", True), ("0.86 GiB", True)]
    assert (missed[0].measured, missed[0].passed) == ("1.50×", False)
    # Where the time went: the critical path is find + the longest shard + load = 25 s.
    assert "critical path 25.00 s, Airflow between them 11.10 s" in missed[0].why


def test_a_task_process_above_one_gib_misses_its_target():
    figures = run_figures()
    figures["tasks"][3]["tree_kib"] = GIB_KIB + 1

    rss = dag_bench.targets({"scheduler": [figures]}, {"ingest_s": 20.0})[1]

    assert not rss.passed and rss.measured == "1.00 GiB" and "load_files" in rss.why


def test_a_failed_run_misses_with_its_cause_and_the_workaround_figure_beside_it():
    failed = run_figures("failed", 6.0, failure="parse_shard[0] failed: BrokenProcessPool: …")
    workaround = run_figures("success", 30.0, extra_env={"PIPELINE_WORKERS": "1"})

    ratio, rss = dag_bench.targets({"scheduler": [failed, workaround]}, {"process_s": 20.0})

    assert (ratio.measured, ratio.passed) == ("failed", False)
    assert ratio.why.startswith("parse_shard[0] failed: BrokenProcessPool")
    assert "with PIPELINE_WORKERS=1 it took 30.00 s, 1.50× the CLI" in ratio.why
    assert rss.passed  # the largest task process over both runs


def test_a_run_that_never_started_says_why():
    ratio, rss = dag_bench.targets(
        {"scheduler": [{"error": "RuntimeError: Airflow was not ready"}]}, {"ingest_s": 1}
    )

    assert (ratio.measured, ratio.passed, ratio.why) == (
        "failed",
        False,
        "RuntimeError: Airflow was not ready",
    )
    assert (rss.measured, rss.passed) == ("not sampled", False)


def test_task_figures_are_timed_from_the_trigger_and_matched_to_their_task_process():
    tis = [
        {
            "id": "0190-aaaa",
            "task_id": "find_new_files",
            "map_index": -1,
            "state": "success",
            "queued_when": "2026-01-01T00:00:00.500000Z",
            "start_date": "2026-01-01T00:00:01Z",
            "end_date": "2026-01-01T00:00:03Z",
            "duration": 2.0,
            "pid": 11,
        },
        {
            "id": "0190-bbbb",
            "task_id": "load_files",
            "map_index": -1,
            "state": "upstream_failed",
            "queued_when": None,
            "start_date": None,
            "end_date": None,
            "duration": None,
            "pid": None,
        },
    ]
    sampled = {12: {"ti_id": "0190-aaaa", "hwm_kib": 100, "tree_kib": 300, "processes": 3}}
    queued = dag_bench.parse_time("2026-01-01T00:00:00Z")

    find, load = dag_bench.task_figures(tis, sampled, queued)

    assert (find["queued_after_s"], find["start_after_s"], find["end_after_s"]) == (0.5, 1.0, 3.0)
    assert (find["hwm_kib"], find["tree_kib"], find["processes"]) == (100, 300, 3)
    assert load["start_after_s"] is None and load["tree_kib"] is None


def test_listening_addresses_are_read_from_proc_and_loopback_is_told_apart():
    assert proc_address("0100007F:4969") == "127.0.0.1:18793"
    assert proc_address("00000000:1F90") == "0.0.0.0:8080"
    assert proc_address("00000000000000000000000001000000:1F90") == "::1:8080"
    assert loopback_only(["127.0.0.1:8080", "::1:8793"])
    assert not loopback_only(["127.0.0.1:8080", "0.0.0.0:8793"])
    assert not loopback_only(["::1:8080", ":::8793"])


def test_listening_finds_the_sockets_of_the_processes_it_is_given_and_who_holds_them():
    code = "import socket, time; s = socket.create_server(('127.0.0.1', 0)); time.sleep(30)"
    server = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not (found := listening({server.pid})) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    [(address, holder)] = found.items()
    assert address.startswith("127.0.0.1:") and holder.endswith(f"[{server.pid}]")


SUPERVISOR = """
import subprocess, sys, setproctitle
setproctitle.setproctitle("airflow worker -- LocalExecutor: nightly_ingest/load_files")
subprocess.run([sys.executable, "-c", sys.argv[1]])
"""
TASK = """
import setproctitle, time
setproctitle.setproctitle("airflow worker -- 0190-cafe")
held = b"\x01" * (200 * 1024 * 1024)
time.sleep(1.0)
"""


def test_the_sampler_keeps_each_task_process_peak_and_skips_airflows_own_supervisor():
    with dag_bench.TaskSampler(os.getpid()) as sampler:
        subprocess.run([sys.executable, "-c", SUPERVISOR, TASK], check=True)

    (task,) = sampler.tasks.values()
    assert task["ti_id"] == "0190-cafe"
    assert task["hwm_kib"] >= 200 * 1024 and task["tree_kib"] >= 200 * 1024
    assert task["processes"] == 1


# A scheduler whose forked worker keeps its command line (setproctitle had no effect) and runs an untitled task.
SCHEDULER = """
import os, subprocess, sys
worker = os.fork()
if worker == 0:
    subprocess.run([sys.executable, "-c", sys.argv[1]])
    os._exit(0)
os.waitpid(worker, 0)
"""
UNTITLED_TASK = """
import time
held = b"\x01" * (200 * 1024 * 1024)
time.sleep(1.0)
"""


def test_the_sampler_finds_the_task_processes_of_workers_that_kept_the_schedulers_title():
    scheduler = subprocess.Popen([sys.executable, "-c", SCHEDULER, UNTITLED_TASK])
    with dag_bench.TaskSampler(scheduler.pid) as sampler:
        assert scheduler.wait(timeout=60) == 0

    (task,) = sampler.tasks.values()
    assert task["ti_id"] == ""  # told by the pid its task instance records (task_figures)
    assert task["hwm_kib"] >= 200 * 1024


def test_a_task_failure_is_told_from_its_log_with_the_parse_workers_stderr(tmp_path):
    run_id = "bench-n120-1"
    log = (
        tmp_path
        / "logs"
        / "dag_id=nightly_ingest"
        / f"run_id={run_id}"
        / "task_id=parse_shard"
        / "map_index=0"
    )
    log.mkdir(parents=True)
    events = [
        {
            "logger": "task.stderr",
            "event": '  File "/venv/lib/python3.11/multiprocessing/spawn.py", line 246',
        },
        {"logger": "task.stderr", "event": "    _fixup_main_from_path(data['init_main_from_path'])"},
        {"logger": "task.stderr", "event": '  File "/work/main/.venv/bin/airflow", line 4, in <module>'},
        {"logger": "task.stderr", "event": "sqlalchemy.exc.ArgumentError: Could not parse SQLAlchemy URL"},
        {
            "logger": "task",
            "event": "Task failed",
            "error_detail": [{"exc_type": "BrokenProcessPool", "exc_value": "gone"}],
        },
    ]
    (log / "attempt=1.log").write_text("\n".join(map(json.dumps, events)) + "\nnot json\n", encoding="utf-8")

    why = dag_bench.task_failure(
        tmp_path, run_id, {"task_id": "parse_shard", "map_index": 0, "state": "failed"}
    )

    assert why.startswith("parse_shard[0] failed: BrokenProcessPool: gone; its last stderr line: sqlalchemy")
    assert "re-ran the task process's __main__, the `airflow` script" in why


def test_warehouses_are_compared_path_by_path(tmp_path):
    def warehouse(name: str, rows: list[tuple[str, str]]) -> Path:
        home = tmp_path / name
        home.mkdir()
        with duckdb.connect(str(home / "warehouse.duckdb")) as con:
            con.execute(
                "create schema ops; create table ops.submissions (inbox_path varchar, status varchar)"
            )
            con.executemany("insert into ops.submissions values (?, ?)", rows)
        return home

    cli = dag_bench.taken_in(warehouse("cli", [("a.xlsx", "accepted"), ("b.csv", "rejected")]))
    same = dag_bench.taken_in(warehouse("same", [("b.csv", "rejected"), ("a.xlsx", "accepted")]))
    swapped = dag_bench.taken_in(warehouse("swapped", [("a.xlsx", "rejected"), ("b.csv", "accepted")]))

    assert cli["by_status"] == {"accepted": 1, "rejected": 1} == swapped["by_status"]
    assert dag_bench.same_as_cli(same, cli) == "accepted 1, rejected 1 — same as the CLI's"
    assert "DIFFERS" in dag_bench.same_as_cli(swapped, cli)
    assert dag_bench.taken_in(tmp_path / "none") == {"by_status": {}, "digest": "", "files": 0}


@pytest.mark.slow
def test_a_real_scheduler_runs_nightly_ingest_on_loopback_and_stops_every_process(tmp_path, demo):
    """The demo inbox (one shard, its draft sent back) under a real scheduler; about 40 s."""
    inbox = tmp_path / "inbox"
    files = demo.write_inbox(inbox)

    figures = dag_bench.measure_scheduler(child_env(tmp_path / "unused", inbox), len(files), out=tmp_path)

    assert "error" not in figures, figures.get("error")
    assert figures["state"] == "success", figures.get("failure")
    assert figures["listening"] and loopback_only(figures["listening"])
    assert figures["other_runs"] == []  # neither a scheduled run nor annual_indicators after the Asset
    assert [(t["task_id"], t["state"]) for t in figures["tasks"]] == [
        ("find_new_files", "success"),
        ("parse_shard", "success"),
        ("load_files", "success"),
    ]
    unsampled = [t["task_id"] for t in figures["tasks"] if not t["hwm_kib"]]
    assert not unsampled, f"the sampler never saw the task process of {unsampled}: {figures['tasks']}"
    assert all(t["tree_kib"] < GIB_KIB for t in figures["tasks"])
    returned = sum(1 for path in files if demo.is_returned(path))
    assert figures["taken_in"]["by_status"] == {"accepted": len(files) - returned, "rejected": returned}
    assert figures["load_split"]  # load_files's return value, read over the REST API
    assert 0 < figures["trigger_to_end_s"] < 120
    for pid in figures["pgids"]:  # every component's process group is gone
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
