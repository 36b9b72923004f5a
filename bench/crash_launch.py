"""Start `pipeline` commands the way the crash trials kill them, and watch them through the archive.

Each runs in a data root of its own on a shared inbox, from the console script or forked from a warm server,
loading in small batches and, when asked, held between a batch's archive fsync and its commit.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bench.crash_checks import archived

REPO = Path(__file__).resolve().parent.parent
POLL_S = 0.002
RUN_TIMEOUT_S = 900


def environment(home: Path, inbox: Path) -> dict[str, str]:
    """Return a child's environment: its own data root, the shared (only ever read) inbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    # The trial writes its files just before each run: no settle window.
    return env | {
        "PIPELINE_HOME": str(home),
        "PIPELINE_INBOX": str(inbox),
        "PIPELINE_SETTLE_SECONDS": "0",
        "GX_ANALYTICS_ENABLED": "False",
    }


class Run(Protocol):
    """A running `pipeline` command: its process id, and `poll`/`wait` as subprocess.Popen has them."""

    pid: int

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...


# Written by a run held before a commit (`hold_before_commit`): the batch, and its files' archive paths.
COMMIT_MARKER = "crash-point.json"


@dataclass(frozen=True, slots=True)
class Hold:
    """How a trial's run loads: in batches of how many files, and at which batch a commit trial stops it
    (None: it runs on until it is killed)."""

    batch: int | None
    files_per_batch: int


def hold_before_commit(home: Path, hold: Hold) -> None:
    """In the pipeline's own process: load in batches of `hold.files_per_batch` files and, at batch
    `hold.batch` if one is named, stop between making its archive copies durable and committing its
    transaction.

    The batch's archive paths go to `home/crash-point.json` (written whole, by rename); then the run waits
    there to be killed. It wraps `ArchiveBatch.make_durable`, the step `store_batch` runs just before it
    commits, so nothing of the pipeline changes but the batch size.
    """
    from pipeline.intake import cutting
    from pipeline.storage import ArchiveBatch

    cutting.FILES_PER_BATCH = hold.files_per_batch
    if hold.batch is None:
        return
    make_durable = ArchiveBatch.make_durable
    batches = iter(range(1, 1_000_000))

    def held(self: ArchiveBatch) -> list[str]:
        made = make_durable(self)
        if next(batches) == hold.batch:
            marker = home / COMMIT_MARKER
            writing = marker.with_suffix(".partial")
            writing.write_text(json.dumps({"batch": hold.batch, "archived": self.paths}), encoding="utf-8")
            os.replace(writing, marker)
            time.sleep(RUN_TIMEOUT_S)  # SIGKILL comes here, before the commit
        return made

    ArchiveBatch.make_durable = held


def held_console(home: str, batch: int | None, files_per_batch: int, command: str) -> int:
    """Run `pipeline COMMAND` in this process, in batches and held before a commit if a batch is named: the
    console launcher's child."""
    hold_before_commit(Path(home), Hold(batch, files_per_batch))
    from pipeline.cli import main

    return main(["--quiet", command])


def launch_console(home: Path, inbox: Path, command: str, hold: Hold | None = None) -> Run:
    """Start the `pipeline` console script itself (not through uv), so SIGKILL reaches the pipeline."""
    script = Path(sys.executable).with_name("pipeline")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "pipeline.cli"]
    if hold is not None:  # the same command in a process loading in small batches, maybe held before a commit
        call = f"held_console({str(home)!r}, {hold.batch}, {hold.files_per_batch}, {command!r})"
        return _start(
            [
                sys.executable,
                "-c",
                f"import sys; from bench.crash_launch import held_console; sys.exit({call})",
            ],
            home,
            inbox,
        )
    return _start([*program, "--quiet", command], home, inbox)


def _start(argv: list[str], home: Path, inbox: Path) -> Run:
    home.mkdir(parents=True, exist_ok=True)
    with (home / "run.log").open("ab") as log:
        return subprocess.Popen(
            argv,
            cwd=REPO,
            env=environment(home, inbox),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


# What `pipeline run` imports, the lazy imports included, so that forks start warm.
WARM_MODULES = [
    "pipeline.cli",
    "pipeline.intake",
    "pipeline.indicators",
    "pipeline.report",
    "pipeline.validate",
    "great_expectations",
]


class _Forked:
    def __init__(self, process: multiprocessing.process.BaseProcess):
        self.process, self.pid = process, process.pid

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        return self.process.exitcode


def _pipeline_in_fork(home: str, inbox: str, command: str, hold: Hold | None = None) -> None:
    for name in [k for k in os.environ if k.startswith("PIPELINE_")]:
        del os.environ[name]
    if hold is not None:
        hold_before_commit(Path(home), hold)
    os.environ.update(environment(Path(home), Path(inbox)))
    log = os.open(Path(home) / "run.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    from tqdm import tqdm

    # tqdm's default lock holds semaphores of the fork server's resource tracker, which warns of every one
    # a killed run leaves behind; a thread lock does the same job in one process.
    tqdm.set_lock(threading.RLock())
    from pipeline.cli import main

    sys.exit(main(["--quiet", command]))


@functools.cache
def _fork_server() -> multiprocessing.context.BaseContext:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"  # read when the server imports GX
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WARM_MODULES)
    return context


def launch_forked(home: Path, inbox: Path, command: str, hold: Hold | None = None) -> Run:
    """Run `pipeline COMMAND` (cli.main) in a fork of a server that has imported it all once.

    The process killed is the one running the pipeline, exactly as with the console script; only the
    ten seconds of imports each fresh process pays are saved, which keeps the test's trials short.
    """
    home.mkdir(parents=True, exist_ok=True)
    process = _fork_server().Process(target=_pipeline_in_fork, args=(str(home), str(inbox), command, hold))
    process.start()
    return _Forked(process)


Launch = Callable[..., Run]  # (home, inbox, command, hold=None)


def wait_for_archived(run: Run, home: Path, count: int = 1) -> bool:
    """Wait until `count` files are in the archive (each is archived just before its transaction starts);
    False if the run ended first."""
    while run.poll() is None:
        if len(archived(home)) >= count:
            return True
        time.sleep(POLL_S)
    return False


def run_to_end(launch: Launch, home: Path, inbox: Path, command: str, hold: Hold | None = None) -> float:
    """Run a pipeline command to its end; return its loading time, from the first to the last file archived."""
    run = launch(home, inbox, command, hold=hold)
    first = time.perf_counter() if wait_for_archived(run, home) else None
    last, count = first, 0
    while run.poll() is None:
        if (now := len(archived(home))) > count:
            count, last = now, time.perf_counter()
        time.sleep(POLL_S)
    if run.wait(timeout=RUN_TIMEOUT_S) != 0:
        log = (home / "run.log").read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"pipeline {command} failed in {home}:\n{log[-4000:]}")
    return last - first if first is not None and last is not None else 0.0


def wait_for_marker(run: Run, home: Path) -> dict | None:
    """Wait until a held run names the batch it stopped before committing; None if it ended first."""
    marker = home / COMMIT_MARKER
    while run.poll() is None:
        if marker.exists():
            return json.loads(marker.read_text(encoding="utf-8"))
        time.sleep(POLL_S)
    return None
