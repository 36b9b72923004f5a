"""A real scheduler's pieces: task figures timed from the trigger, the task processes sampled from /proc, a
failure told from its task's log, and one real run of nightly_ingest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.dag_scheduler import TaskSampler, measure_scheduler, parse_time, task_failure, task_figures
from bench.measure import child_env
from deploy.processes import loopback_only, proc_stat

GIB_KIB = 1024 * 1024


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
    queued = parse_time("2026-01-01T00:00:00Z")

    find, load = task_figures(tis, sampled, queued)

    assert (find["queued_after_s"], find["start_after_s"], find["end_after_s"]) == (0.5, 1.0, 3.0)
    assert (find["hwm_kib"], find["tree_kib"], find["processes"]) == (100, 300, 3)
    assert load["start_after_s"] is None and load["tree_kib"] is None


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
    with TaskSampler(os.getpid()) as sampler:
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
    with TaskSampler(scheduler.pid) as sampler:
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

    why = task_failure(tmp_path, run_id, {"task_id": "parse_shard", "map_index": 0, "state": "failed"})

    assert why.startswith("parse_shard[0] failed: BrokenProcessPool: gone; its last stderr line: sqlalchemy")
    assert "re-ran the task process's __main__, the `airflow` script" in why


@pytest.mark.slow
def test_a_real_scheduler_runs_nightly_ingest_on_loopback_and_stops_every_process(tmp_path, demo):
    """The demo inbox (one shard, its draft sent back) under a real scheduler; about 40 s."""
    inbox = tmp_path / "inbox"
    files = demo.write_inbox(inbox)

    figures = measure_scheduler(child_env(tmp_path / "unused", inbox), len(files), out=tmp_path)

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
    # Every component's process group is gone: no live process is left in it. A member already ended may stay a
    # zombie until init reaps it, and one killed at the end of the grace may take a moment to end, on a loaded
    # machine (a fresh clone's make test-slow, beside make test, saw a group still there).
    pgids = set(figures["pgids"])
    deadline = time.monotonic() + 10
    while (live := _live_in(pgids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pgids and live == []


def _live_in(pgids: set[int]) -> list[int]:
    """Return the live (not zombie) processes in these process groups."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (fields := proc_stat(int(entry.name))) and int(fields[2]) in pgids
    ]
