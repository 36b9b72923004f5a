"""One writer at a time: the run lock in the data root that every command writing the warehouse holds."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.settings import TIMEZONE, Settings
from pipeline.store_claim import claim_stores

# How often a waiting writer tries the lock again.
POLL_SECONDS = 1.0


class RunLockHeld(BlockingIOError):
    """Another process holds the run lock; an OSError, so Airflow's retry policy treats it as passing I/O."""

    def __init__(self, lock_file: Path, holder: str, waited: float = 0.0):
        self.lock_file = lock_file
        self.holder = holder
        waited_text = f"等待{waited:.0f}秒后仍" if waited else ""
        super().__init__(
            f"另一个写入数据仓库的任务正在运行（{holder or '持有者未知'}），{waited_text}未能取得运行锁 {lock_file}，"
            "本次未执行。请等它结束后再试；任务结束（包括被终止）时锁会自动释放。"
        )


# Held locks of this process, by lock file: a step called inside `pipeline run` re-enters the run's own lock.
_held: dict[Path, list] = {}
_guard = threading.Lock()


def _holder_of(handle) -> str:
    handle.seek(0)
    return handle.read().strip()


# The steps' own names for the lock, as a clerk or operator refused by it reads them (`pipeline …` are commands).
PURPOSE_ZH = {
    "ingest": "接收新文件",
    "load": "入库",
    "indicators": "计算指标",
    "report": "生成报告",
    "export": "导出",
    "withdraw": "撤回提交",
}


def _holder_name(purpose: str) -> str:
    """Name who takes the lock: the command, or the step in Chinese and, in an Airflow task, the DAG's task."""
    # A command refused by a DAG's load read “（进程 N，load，…）”: an English word, and nothing of the DAG.
    what = PURPOSE_ZH.get(purpose, purpose) or " ".join(os.path.basename(a) for a in sys.argv[:2])
    dag, task = os.environ.get("AIRFLOW_CTX_DAG_ID"), os.environ.get("AIRFLOW_CTX_TASK_ID")
    return f"Airflow 任务 {dag}.{task}：{what}" if dag and task else what


@contextmanager
def run_lock(settings: Settings, wait_seconds: float | None = None, purpose: str = "") -> Iterator[None]:
    """Hold the data root's run lock for the block; wait up to `wait_seconds` (default: the setting) for it.

    An `flock`, so the kernel releases it when the holder dies, even by SIGKILL: a killed run never leaves a
    stale lock behind. Raises `RunLockHeld` if another process keeps it longer than the wait, and `StoreClaimed`
    if an object-store location it would write belongs to another machine's warehouse (`pipeline.store_claim`).
    """
    path = settings.lock_file
    with _guard:
        held = _held.get(path)
        if held is not None:
            held[1] += 1
    if held is not None:
        try:
            yield
        finally:
            with _guard:
                held[1] -= 1
        return
    wait = settings.lock_wait_seconds if wait_seconds is None else wait_seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held across the yield
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait:
                    # Refused at once (`wait_seconds=0`, the CLI): no "waited 0 seconds" in the message.
                    raise RunLockHeld(path, _holder_of(handle), waited if wait else 0.0) from None
                time.sleep(min(POLL_SECONDS, wait - waited))
        now = dt.datetime.now(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")
        what = _holder_name(purpose)
        handle.seek(0)
        handle.truncate()
        handle.write(f"进程 {os.getpid()}，{what}，始于 {now}")
        handle.flush()
        with _guard:
            _held[path] = [handle, 1]
        try:
            # After the holder is named (a command refused meanwhile says whose the lock is, though the claim
            # waits on the network): the flock keeps one writer per machine, the claim one per shared bucket.
            claim_stores(settings, now)
            yield
        finally:
            with _guard:
                del _held[path]
            handle.seek(0)
            handle.truncate()
    finally:
        handle.close()  # closing releases the flock
