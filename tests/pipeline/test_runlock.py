"""The run lock: one writer at a time, re-entered by a command's own steps, waited for by Airflow tasks."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.intake import load_parsed
from pipeline.runlock import RunLockHeld, run_lock

REPO = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from pipeline.runlock import run_lock
from pipeline.settings import Settings
with run_lock(Settings.from_env(sys.argv[1]), wait_seconds=0, purpose="holder"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(settings, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.home), str(seconds)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_step_inside_a_command_re_enters_the_commands_lock(settings):
    with run_lock(settings, wait_seconds=0), run_lock(settings, wait_seconds=0):
        assert "进程" in settings.lock_file.read_text(encoding="utf-8")
    assert settings.lock_file.read_text(encoding="utf-8") == ""  # released: no holder named


def test_a_writer_task_waits_for_the_lock_and_then_fails_as_retryable_io(settings, registry):
    holder = hold(settings, 60)
    try:
        started = time.monotonic()
        with pytest.raises(RunLockHeld) as held:
            load_parsed(dataclasses.replace(settings, lock_wait_seconds=1.5), registry, [])
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert isinstance(held.value, OSError)
    assert 1.5 <= waited < 30
    assert "holder" in str(held.value) and "等待2秒后仍" in str(held.value)


def test_a_command_refused_at_once_names_the_holder_and_no_wait(settings):
    holder = hold(settings, 60)
    try:
        with pytest.raises(RunLockHeld) as held, run_lock(settings, wait_seconds=0):
            pytest.fail("the lock was held")
    finally:
        holder.kill()
        holder.wait()
    said = str(held.value)
    assert "（进程 " in said and "holder" in said and "等待" not in said, said


def test_a_writer_task_proceeds_once_the_holder_is_done(settings, registry):
    # The loader lists the inbox: one that is not there is a broken data root.
    settings.inbox.mkdir(parents=True)
    holder = hold(settings, 1)
    report = load_parsed(dataclasses.replace(settings, lock_wait_seconds=60), registry, [])
    holder.wait()
    assert report.outcomes == []


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({}, "进程 {pid}，入库，始于 "),
        (
            {"AIRFLOW_CTX_DAG_ID": "nightly_ingest", "AIRFLOW_CTX_TASK_ID": "load_files"},
            "进程 {pid}，Airflow 任务 nightly_ingest.load_files：入库，始于 ",
        ),
    ],
)
def test_a_step_holding_the_lock_is_named_in_chinese_and_as_its_airflow_task(
    settings, monkeypatch, environment, named
):
    # A command refused by a DAG's load read “（进程 N，load，…）”: an English word, and nothing of the DAG.
    import os

    for key in ("AIRFLOW_CTX_DAG_ID", "AIRFLOW_CTX_TASK_ID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    with run_lock(settings, wait_seconds=0, purpose="load"):
        said = settings.lock_file.read_text(encoding="utf-8")
    assert said.startswith(named.format(pid=os.getpid())), said
