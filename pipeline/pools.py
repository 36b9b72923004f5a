"""Pools that write files beside the loader: threads, or a process that leaves its work to the loader if it dies.

The loader is one Python process: receipts written by its threads take turns with it for one core (the GIL) while
a second core idles. Written by a process beside it, they take that second core instead. Archive copies stay in
threads: a process outlives a killed loader (README "Performance").
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar

from pipeline import forked

logger = logging.getLogger(__name__)

T = TypeVar("T")


def writers(threads: int, name: str, process: bool = False) -> Executor:
    """Return a pool that writes files: with `process` and more than one CPU, one process (forkserver: it
    inherits none of this process's threads, locks or open warehouse); else `threads` threads named `name`.

    A pool's process imports this process's main script again: never ask for one inside an Airflow task. Nor
    for object storage, whose client and credentials live in this process.
    """
    if process and forked.usable():
        _told.clear()
        return process_pool(1)
    return ThreadPoolExecutor(threads, thread_name_prefix=name)


def process_pool(
    workers: int, initializer: Callable[..., object] | None = None, initargs: tuple = ()
) -> ProcessPoolExecutor:
    """Return a pool of `workers` forkserver processes (inheriting none of this process's threads, locks or open
    files), each started by `initializer(*initargs)` and ended once this process is gone."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_started,
        initargs=(os.getpid(), initializer, initargs),
    )


def _started(owner: int, initializer: Callable[..., object] | None, initargs: tuple) -> None:
    # The pool's owner killed (kill -9, the OOM killer) never says so: its processes would wait for work for ever,
    # each holding its memory and open files (a parse worker's spool, deleted, keeps its disk space).
    threading.Thread(target=_end_with, args=(owner,), daemon=True, name="pool-owner").start()
    if initializer is not None:
        initializer(*initargs)


def _end_with(owner: int) -> None:
    """End this process once `owner` has ended."""
    try:
        handle = os.pidfd_open(owner)
    except ProcessLookupError:  # already gone
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here (Linux before 5.3): look once a second
        while alive(owner):
            time.sleep(1)
        os._exit(1)
    select.select([handle], [], [])  # readable once it has exited
    os._exit(1)


def alive(pid: int) -> bool:
    """Say whether a process of this host runs under `pid`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def submit(pool: Executor, work: Callable[[], T], here: Callable[[], T]) -> Future:
    """Hand `work` (picklable, for a process) to the pool; run `here` in this process if the pool's process died."""
    try:
        return pool.submit(work)
    except BrokenExecutor:
        return _done_here(here)


def settled(job: Future, here: Callable[[], T]) -> Future:
    """Return `job` once it is over, or `here` run in this process if the pool's process died under it."""
    if isinstance(job.exception(), BrokenExecutor):
        return _done_here(here)
    return job


_told: list[bool] = []  # said since the last process pool was made: a dead process is told once, not per file


def _done_here(here: Callable[[], T]) -> Future:
    # A writing process killed (out of memory, by hand) must not cost the run what it was writing.
    if not _told:
        _told.append(True)
        logger.warning("写出文件的子进程已退出，其余文件改在本进程写出")
    done: Future = Future()
    try:
        done.set_result(here())
    except Exception as exc:  # the same error the pool would have handed back
        done.set_exception(exc)
    return done
