"""pipeline.forked: work run in a forked child, its result or error handed back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline import forked
from pipeline.report_model import ReportError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def can_fork(monkeypatch):
    monkeypatch.setattr(forked, "usable", lambda: True)  # forked even on a one-CPU machine


def test_the_work_runs_in_another_process_and_sees_this_ones_objects(can_fork):
    held = {"figures": list(range(100_000))}  # inherited, never pickled on the way in

    with forked.started(lambda: (os.getpid(), sum(held["figures"]))) as result:
        pid, total = result()
    assert pid != os.getpid() and total == sum(range(100_000))


def test_an_error_in_the_child_is_raised_here_with_its_words(can_fork):
    def fail():
        raise ReportError("模板 report.html.j2 第12行出错：除数为零")

    with forked.started(fail) as result, pytest.raises(ReportError, match="第12行出错：除数为零"):
        result()


def test_an_error_that_cannot_cross_the_pipe_keeps_its_type_name_and_message(can_fork):
    class Holding(Exception):
        def __init__(self, message):
            super().__init__(message)
            self.lock = threading.Lock()  # not picklable

    def fail():
        raise Holding("数据源损坏")

    with forked.started(fail) as result, pytest.raises(RuntimeError, match="Holding: 数据源损坏"):
        result()


def _say_pid(pid_file: Path) -> None:
    """Write this process's pid whole: a file being written exists, empty, before its digits are in it."""
    partial = pid_file.with_suffix(".partial")
    partial.write_text(str(os.getpid()))
    partial.rename(pid_file)


def test_a_result_larger_than_a_pipe_holds_is_handed_back_without_the_child_waiting_for_this_process(
    can_fork, tmp_path
):
    pid_file = tmp_path / "child.pid"
    page = "页".encode() * 5_000_000  # 15 MB, as a year's page is tens of megabytes

    def work():
        _say_pid(pid_file)
        return page

    with forked.started(work) as result:
        while not pid_file.exists():
            time.sleep(0.01)
        child = int(pid_file.read_text())
        deadline = time.monotonic() + 30
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.01)
        ended_before_asked = not _running(child)
        assert result() == page
    assert ended_before_asked


def test_a_result_that_cannot_be_pickled_is_an_error_with_its_type(can_fork):
    with forked.started(lambda: threading.Lock()) as result, pytest.raises(TypeError, match="pickle"):
        result()


def test_a_child_that_dies_is_reported_with_its_exit_code(can_fork):
    with forked.started(lambda: os._exit(7)) as result, pytest.raises(forked.ChildDied, match="退出码 7"):
        result()


def test_a_child_whose_result_the_block_never_took_is_stopped_when_the_block_fails(can_fork, tmp_path):
    pid_file = tmp_path / "child.pid"

    def work():
        _say_pid(pid_file)
        return b"x" * 10_000_000

    with pytest.raises(ValueError, match="Word 文件写不出"), forked.started(work):
        while not pid_file.exists():
            time.sleep(0.01)
        raise ValueError("Word 文件写不出")

    pid = int(pid_file.read_text())
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped: no longer this process's child


def test_where_forking_gains_nothing_the_work_runs_here(monkeypatch):
    monkeypatch.setattr(forked, "usable", lambda: False)

    with forked.started(os.getpid) as result:
        assert result() == os.getpid()


def _usable_in_a_daemon(answer):
    answer.put(forked.usable())


def test_a_daemonic_process_which_may_start_no_child_works_in_itself(monkeypatch):
    import multiprocessing

    monkeypatch.setattr(forked.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)  # two CPUs, always
    context = multiprocessing.get_context("fork")
    answers = []
    for daemonic in (True, False):
        answer = context.Queue()
        process = context.Process(target=_usable_in_a_daemon, args=(answer,), daemon=daemonic)
        process.start()
        process.join()
        answers.append(answer.get(timeout=10))

    assert answers == [False, True]


KILLED_PARENT = """
import os, signal, sys, time
from pathlib import Path
from pipeline import forked
forked.usable = lambda: True
pid_file = Path(sys.argv[1])
def child():
    # Written aside, then renamed: the parent must never find the file before its number is in it.
    pid_file.with_suffix(".partial").write_text(str(os.getpid()))
    os.replace(pid_file.with_suffix(".partial"), pid_file)
    time.sleep(60)
with forked.started(child):
    while not pid_file.exists():
        time.sleep(0.01)
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 or a task's timeout would, mid-rendering
"""


def _running(pid: int) -> bool:
    """Say whether a process is running (an exited one not yet reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_a_child_dies_with_its_parent_killed_so_it_holds_nothing_the_parent_held(tmp_path):
    # An orphan would go on holding the run lock it inherited: the next run would be refused as busy.
    pid_file = tmp_path / "child.pid"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_PARENT, str(pid_file)], cwd=REPO, timeout=60, check=False
    )
    child = int(pid_file.read_text())

    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert killed.returncode == -9 and not _running(child)
