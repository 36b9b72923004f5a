"""pipeline.forked: work run in a forked child, its result or error handed back."""

from __future__ import annotations

import os
import threading

import pytest

from pipeline import forked
from pipeline.report import ReportError


@pytest.fixture
def can_fork(monkeypatch):
    monkeypatch.setattr(forked, "usable", lambda: True)  # forked even on a one-CPU machine


def test_the_work_runs_in_another_process_and_sees_this_ones_objects(can_fork):
    held = {"figures": list(range(100_000))}  # inherited, never pickled on the way in

    result = forked.start(lambda: (os.getpid(), sum(held["figures"])))

    pid, total = result()
    assert pid != os.getpid() and total == sum(range(100_000))


def test_an_error_in_the_child_is_raised_here_with_its_words(can_fork):
    def fail():
        raise ReportError("模板 report.html.j2 第12行出错：除数为零")

    result = forked.start(fail)

    with pytest.raises(ReportError, match="第12行出错：除数为零"):
        result()


def test_an_error_that_cannot_cross_the_pipe_keeps_its_type_name_and_message(can_fork):
    class Holding(Exception):
        def __init__(self, message):
            super().__init__(message)
            self.lock = threading.Lock()  # not picklable

    def fail():
        raise Holding("数据源损坏")

    with pytest.raises(RuntimeError, match="Holding: 数据源损坏"):
        forked.start(fail)()


def test_a_child_that_dies_is_reported_with_its_exit_code(can_fork):
    with pytest.raises(forked.ChildDied, match="退出码 7"):
        forked.start(lambda: os._exit(7))()


def test_where_forking_gains_nothing_the_work_runs_here(monkeypatch):
    monkeypatch.setattr(forked, "usable", lambda: False)

    assert forked.start(os.getpid)() == os.getpid()


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
