"""Run a piece of work in a forked copy of this process while this one goes on with the next.

The report's formats are rendered from one set of objects, read once, and each rendering takes a second or more:
a forked child inherits those objects as they are (nothing is pickled on the way in) and hands back only its
bytes, so two renderings take the wall time of the longer on a machine with two cores. Those bytes come back through
an anonymous in-memory file, not the pipe: a 66 MB page took 0.2 s through the pipe (pickled, then sent 64 KB at a
time while both processes waited on each other) and takes 0.05 s so.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


class ChildDied(RuntimeError):
    """The forked child ended without handing back a result or an error."""


def usable() -> bool:
    """Say whether forking works and gains anything here: fork exists, this process may start children, and more
    than one CPU may run it."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if multiprocessing.current_process().daemon:  # multiprocessing lets a daemonic process start no child
        return False
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus > 1


def _picklable(exc: BaseException) -> BaseException:
    """Return the error itself if it survives the pipe, else a RuntimeError carrying its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # an error holding a frame, a lock, a template…: its words are what the caller needs
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _die_with(parent: int) -> None:
    """Have the kernel kill this child the moment its parent dies (Linux), or end now if it has already."""
    # An orphan would go on rendering for nobody while holding what it inherited, the run lock among them: a run
    # started right after the parent was killed (kill -9, a task's timeout) would be refused as busy.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # died between the fork and the line above
        os._exit(1)


def _anonymous_file() -> IO[bytes]:
    """Open a file no name leads to, in memory where Linux offers it (memfd), else a temporary file."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("forked-result", os.MFD_CLOEXEC), "w+b")
    return tempfile.TemporaryFile()


def _hand_back(into: IO[bytes], outcome: tuple[bool, object]) -> None:
    """Write the child's outcome into the file the parent reads it from; a result that cannot be pickled is said
    as an error instead."""
    try:
        pickle.dump(outcome, into, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a result holding a lock, a connection…: the parent must hear why, not "died"
        into.seek(0)
        into.truncate()
        pickle.dump((False, _picklable(exc)), into, protocol=pickle.HIGHEST_PROTOCOL)
    into.flush()


@contextmanager
def started(work: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Run `work` in a forked child during the block, which gets a function that waits for it and returns its
    result or raises its error. A child whose result the block never took (the block failed first) is stopped
    when the block ends. Where forking gains nothing, `work` runs in this process when the function is called."""
    if not usable():
        yield work
        return
    context = multiprocessing.get_context("fork")
    # The pipe only says the outcome is written (its end closing unsaid: the child died); the file holds it.
    receiving, sending = context.Pipe(duplex=False)
    outcome_file = _anonymous_file()
    parent = os.getpid()

    def child() -> None:
        _die_with(parent)
        receiving.close()
        try:
            outcome = (True, work())
        except BaseException as exc:  # every error goes back to the parent, which raises it there
            outcome = (False, _picklable(exc))
        _hand_back(outcome_file, outcome)
        sending.send_bytes(b"")

    process = context.Process(target=child, daemon=True)
    process.start()
    sending.close()

    def result() -> T:
        try:
            receiving.recv_bytes()
        except EOFError:
            process.join()
            raise ChildDied(f"并行处理的子进程异常退出（退出码 {process.exitcode}），未交回结果") from None
        process.join()
        outcome_file.seek(0)  # the child's writes moved the offset both processes share
        ok, value = pickle.load(outcome_file)
        if not ok:
            raise value
        return value

    try:
        yield result
    finally:
        # Not waited for: its result is not wanted, and it holds its copy of the parent's memory until it ends.
        if process.is_alive():
            process.terminate()
        process.join()
        receiving.close()
        outcome_file.close()
