"""Kill `pipeline run` with SIGKILL at random moments while it loads, and prove nothing is lost or half-stored.

Usage: python -m bench.crash_trials [--trials 20] [--commit-trials 5] [--files 60] [--seed 7] [--jobs 2] [--warm]
       (make trials)

A synthetic inbox (bench/synthetic.py) goes through `pipeline run` once without interruption: the reference.
Then each trial, in a data root of its own, starts `pipeline run` on the same inbox, draws a file, waits
until that many files are in the archive (each is archived just before its own transaction), sleeps a random
part of one file's loading time and kills the process with SIGKILL: the kills spread over the whole loading
however fast the machine. Afterwards:
- the published warehouse and the writer's working copy both open;
- no submission is partially stored: an accepted (or superseded) one has its sheets, slices and every raw
  row, a rejected or duplicate one has none, and no row belongs to a submission that is not there;
- the archive keeps every file it held at the moment of the kill, each byte for byte under its SHA-256;
- a rerun of `pipeline run` exits 0 and reaches exactly the reference's ops and raw tables (compared by
  file fingerprint and row content, ignoring submission numbers and times), with every receipt whole.
It prints the counts: trials, kills during loading, kills after it, consistent states, identical reruns.

The commit trials (--commit-trials, default 5) kill at the one moment group durability has to get right:
each batch's archive copies are fsynced together and only then does its transaction commit. The run loads
in small batches (so there are several) and, at a drawn batch, stops right after that batch's archive copies
are durable and before its commit, naming them in `crash-point.json`; it is killed there. Besides the checks
above: the working copy holds exactly the batches before it, and every file of the batch being committed is
whole in the archive under its SHA-256 (an accepted file is in the archive before the warehouse says so).
With --warm each run is forked from one process that has already imported the pipeline, which saves
each run the imports' ten seconds; tests/hardening/test_crash.py runs a few trials of each kind that way."""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from bench import synthetic

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out" / "crash"
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
    from pipeline.intake import load
    from pipeline.storage import ArchiveBatch

    load.FILES_PER_BATCH = hold.files_per_batch
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
                f"import sys; from bench.crash_trials import held_console; sys.exit({call})",
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


def archived(home: Path) -> dict[str, Path]:
    """Return the archive's files by relative path (temporary files of an interrupted copy included)."""
    root = home / "archive"
    return (
        {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    )


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


# --- what the warehouse holds ---------------------------------------------------------------------------


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
        ).fetchall()
    ]


def partial_submissions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Say what is half-stored: a stored file missing its rows, rows of no stored file, counts that differ."""
    problems = []
    stored = "(select submission_id from ops.submissions)"
    for table in [
        "ops.validation_issues",
        "ops.sheets",
        "ops.sheet_columns",
        "ops.sheet_fields",
        "ops.slices",
    ] + [f"raw.{t}" for t in raw_tables(con)]:
        (orphans,) = con.execute(
            f"select count(*) from {table} where submission_id not in {stored}"
        ).fetchone()
        if orphans:
            problems.append(f"{orphans} rows of {table} belong to no submission")
    raw_counts = " union all ".join(
        f"select submission_id, count(*) as n from raw.{t} group by 1" for t in raw_tables(con)
    )
    for submission_id, status, sheets, sheet_rows, slice_rows, raw_rows in con.execute(
        f"""
        select s.submission_id, s.status,
               (select count(*) from ops.sheets x where x.submission_id = s.submission_id),
               (select coalesce(sum(data_rows), 0) from ops.sheets x where x.submission_id = s.submission_id),
               (select coalesce(sum(row_count), 0) from ops.slices x where x.submission_id = s.submission_id),
               coalesce((select sum(n) from ({raw_counts}) r where r.submission_id = s.submission_id), 0)
        from ops.submissions s order by 1
        """
    ).fetchall():
        loaded = status in ("accepted", "superseded")
        if loaded and not sheets:
            problems.append(f"submission {submission_id} is {status} without its sheets")
        if not loaded and (sheets or raw_rows or slice_rows):
            problems.append(f"submission {submission_id} is {status} yet has rows stored")
        if not sheet_rows == slice_rows == raw_rows:
            problems.append(
                f"submission {submission_id}: {sheet_rows} sheet rows, {slice_rows} slice rows, {raw_rows} raw rows"
            )
    return problems


def canonical(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Return the ops and raw tables keyed by file fingerprint instead of submission number, sorted."""
    sha = "join (select submission_id, sha256 from ops.submissions) s using (submission_id)"
    tables = {
        "submissions": """
            select s.sha256, s.inbox_path, s.original_name, s.unit, s.templates, s.year, s.status,
                   s.error_count, s.warning_count, s.archive_path, regexp_replace(s.reason, '第\\d+号', '第#号', 'g'),
                   d.sha256, s.receipt_status
            from ops.submissions s left join ops.submissions d on d.submission_id = s.duplicate_of""",
        "inbox_files": "select inbox_path, size, mtime_ns, sha256 from ops.inbox_files",
        **{
            name: f"select s.sha256, t.* exclude (submission_id) from ops.{name} t {sha}"
            for name in ("validation_issues", "sheets", "sheet_columns", "sheet_fields", "slices")
        },
        **{
            f"raw.{t}": f"select s.sha256, t.* exclude (submission_id) from raw.{t} t {sha}"
            for t in raw_tables(con)
        },
    }
    return {name: con.execute(f"{query} order by all").fetchall() for name, query in tables.items()}


def differences(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> list[str]:
    """Name each table whose rows differ, with a row found on one side only."""
    found = []
    for name in sorted(set(got) | set(want)):
        mine, theirs = got.get(name, []), want.get(name, [])
        if mine != theirs:
            extra = next((r for r in mine if r not in theirs), None)
            missing = next((r for r in theirs if r not in mine), None)
            found.append(f"{name}: {len(mine)} rows vs {len(theirs)}; extra {extra}; missing {missing}")
    return found


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def snapshot(home: Path) -> dict[str, list[tuple]]:
    with open_read_only(home / "warehouse.duckdb") as con:
        return canonical(con)


def archive_damage(home: Path, before: dict[str, Path]) -> tuple[list[str], int]:
    """Return what is wrong with the archive (files lost since `before`, files not matching their name) and
    how many temporary files an interrupted copy left."""
    now = archived(home)
    damage = [f"lost {name}" for name in before if name not in now and not _temporary(name)]
    leftovers = 0
    for name, path in now.items():
        if _temporary(name):
            leftovers += 1
        elif hashlib.sha256(path.read_bytes()).hexdigest() != Path(name).stem:
            damage.append(f"{name} does not hold the bytes its name says")
    return damage, leftovers


def _temporary(name: str) -> bool:
    return not re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{64}(\.\w+)?", name)


def stored_file_damage(home: Path) -> list[str]:
    """Say which stored submissions lack their archived file or a whole receipt (HTML, and JSON naming it)."""
    damage = []
    with open_read_only(home / "warehouse.duckdb") as con:
        rows = con.execute(
            "select submission_id, sha256, archive_path, receipt_path from ops.submissions"
        ).fetchall()
    for submission_id, sha256, archive_path, receipt in rows:
        if not (home / "archive" / archive_path).is_file():
            damage.append(f"submission {submission_id}'s file is not in the archive")
        if receipt is None or not Path(receipt).is_file():
            damage.append(f"submission {submission_id} has no receipt")
            continue
        try:
            facts = json.loads(Path(receipt).with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            damage.append(f"submission {submission_id}'s JSON receipt is missing or cut short")
            continue
        if facts.get("sha256") != sha256:
            damage.append(f"submission {submission_id}'s receipt names another file")
    return damage


# --- trials --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Reference:
    tables: dict[str, list[tuple]]
    files: int
    load_s: float  # from the first file archived to the last, loading in the trials' batches


@dataclass(slots=True)
class Trial:
    number: int
    kill_after: int  # files archived before the kill
    files: int
    killed: bool = False  # the run was still going when SIGKILL came
    stored_at_kill: int = 0
    consistent: bool = False
    identical: bool = False
    archive_leftovers: int = 0
    archive_before_kill: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    at_commit: bool = False  # a commit trial: held after its batch's archive fsync, killed before the commit
    archived_at_commit: int = 0  # files of the batch being committed, found whole in the archive
    held: bool = False  # a commit trial's run stopped before the drawn batch's commit

    @property
    def during_load(self) -> bool:
        return self.killed and self.stored_at_kill < self.files


def trial_home(root: Path, trial: Trial) -> Path:
    return root / f"{'commit' if trial.at_commit else 'trial'}-{trial.number:03d}"


def reference_run(root: Path, inbox: Path, files: int, launch: Launch, command: str) -> Reference:
    """Ingest the inbox once without interruption, in the trials' batches: the tables every rerun must reach,
    and the loading time."""
    home = root / "reference"
    shutil.rmtree(home, ignore_errors=True)
    load_s = run_to_end(launch, home, inbox, command, hold=Hold(None, trial_batches(files)[0]))
    return Reference(snapshot(home), files, max(load_s, 0.05))


def stored_count(home: Path) -> tuple[int, list[str]]:
    """Open the published and working warehouses as they were left; return the working copy's submissions
    and what is half-stored in either."""
    problems = []
    published, work = home / "warehouse.duckdb", home / "writer" / "warehouse.duckdb"
    count = 0
    for path in (published, work):
        if not path.exists():
            continue
        try:
            with open_read_only(path) as con:
                problems += [f"{path.name} in {path.parent.name}: {p}" for p in partial_submissions(con)]
                (count,) = con.execute("select count(*) from ops.submissions").fetchone()
        except duckdb.Error as exc:
            problems.append(f"{path} does not open: {exc}")
    return count, problems


def crash(number: int, root: Path, inbox: Path, reference: Reference, seed: int, launch: Launch) -> Trial:
    """Kill one `pipeline run` at a random moment of its loading and check what it left.

    The moment is drawn as a file (the run is killed once that file is archived, whatever the run's speed)
    and a random part of one file's loading time after it. The run loads in about six batches, each archived
    and then committed, so the kills land before, between and after commits, not only before the first.
    """
    rng = random.Random(seed * 1_000 + number)
    trial = Trial(number, kill_after=rng.randint(1, reference.files), files=reference.files)
    home = root / f"trial-{number:03d}"
    shutil.rmtree(home, ignore_errors=True)
    size = trial_batches(reference.files)[0]
    run = launch(home, inbox, "run", hold=Hold(None, size))
    reached = wait_for_archived(run, home, trial.kill_after)
    if reached:
        time.sleep(rng.uniform(0, 1.5 * reference.load_s / reference.files))
    trial.archive_before_kill = archived(home)
    if run.poll() is None:
        os.kill(run.pid, signal.SIGKILL)
        trial.killed = True
    run.wait()
    trial.stored_at_kill, trial.problems = stored_count(home)
    # A batch is archived only once the one before it has committed: with `kill_after` files in the archive, at
    # most one batch's worth of them can be uncommitted. Fewer stored means a commit was lost.
    if reached and trial.stored_at_kill < trial.kill_after - size:
        trial.problems.append(
            f"{trial.stored_at_kill} files stored after {trial.kill_after} were archived in batches of {size}: "
            f"a committed batch is missing"
        )
    damage, trial.archive_leftovers = archive_damage(home, trial.archive_before_kill)
    trial.problems += damage
    trial.consistent = not trial.problems
    return trial


def trial_batches(files: int) -> tuple[int, int]:
    """Return the batch size the trials load with, and the number of batches: about six, whatever N."""
    size = max(1, math.ceil(files / 6))
    return size, math.ceil(files / size)


def wait_for_marker(run: Run, home: Path) -> dict | None:
    """Wait until a held run names the batch it stopped before committing; None if it ended first."""
    marker = home / COMMIT_MARKER
    while run.poll() is None:
        if marker.exists():
            return json.loads(marker.read_text(encoding="utf-8"))
        time.sleep(POLL_S)
    return None


def crash_at_commit(
    number: int, root: Path, inbox: Path, reference: Reference, seed: int, launch: Launch
) -> Trial:
    """Kill one `pipeline run` after a drawn batch's archive copies are durable and before its commit.

    The batches before it are committed, that batch is not: the working copy holds exactly the files of the
    earlier batches, and each file of that batch is whole in the archive, under its SHA-256.
    """
    rng = random.Random(seed * 1_000 + 500 + number)
    size, count = trial_batches(reference.files)
    hold = Hold(rng.randint(1, count), size)
    trial = Trial(number, kill_after=(hold.batch - 1) * size, files=reference.files, at_commit=True)
    home = root / f"commit-{number:03d}"
    shutil.rmtree(home, ignore_errors=True)
    run = launch(home, inbox, "run", hold=hold)
    marker = wait_for_marker(run, home)
    trial.archive_before_kill = archived(home)
    if run.poll() is None:
        os.kill(run.pid, signal.SIGKILL)
        trial.killed = True
    run.wait()
    trial.held = marker is not None
    if marker is None:
        trial.problems.append(f"the run never reached batch {hold.batch}'s commit")
    trial.stored_at_kill, problems = stored_count(home)
    trial.problems += problems
    if marker is not None:
        if trial.stored_at_kill != trial.kill_after:
            trial.problems.append(
                f"{trial.stored_at_kill} files stored when killed before batch {hold.batch}'s commit, "
                f"not the {trial.kill_after} of the batches before it"
            )
        root_archive = home / "archive"
        for path in marker["archived"]:
            file = root_archive / path
            if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != Path(path).stem:
                trial.problems.append(f"{path} of the batch being committed is not whole in the archive")
        trial.archived_at_commit = len(marker["archived"])
    damage, trial.archive_leftovers = archive_damage(home, trial.archive_before_kill)
    trial.problems += damage
    trial.consistent = not trial.problems
    return trial


def recover(
    trial: Trial, root: Path, inbox: Path, reference: Reference, launch: Launch, command: str
) -> Trial:
    """Rerun after the kill and compare with the uninterrupted run."""
    home = trial_home(root, trial)
    run_to_end(launch, home, inbox, command)
    with open_read_only(home / "warehouse.duckdb") as con:
        after = partial_submissions(con) + differences(canonical(con), reference.tables)
    trial.problems += after + stored_file_damage(home) + archive_damage(home, trial.archive_before_kill)[0]
    trial.identical = not after
    return trial


@dataclass(slots=True)
class Summary:
    trials: int
    killed_during_load: int
    killed_after_load: int
    finished_before_kill: int
    consistent_after_kill: int
    identical_after_rerun: int
    archive_leftovers: int
    problems: list[str]
    stored_at_kills: list[int]
    commit_trials: int = 0
    killed_at_commit: int = 0  # held after a batch's archive fsync and killed there, before its commit
    archived_at_commit: list[int] = field(default_factory=list)  # files of that batch whole in the archive
    held_at: list[tuple[int, int]] = field(default_factory=list)  # per commit trial: files stored, batch held

    @property
    def ok(self) -> bool:
        runs = self.trials + self.commit_trials
        return (
            self.consistent_after_kill == self.identical_after_rerun == runs
            and self.killed_at_commit == self.commit_trials
            and not self.problems
        )


def run_trials(
    trials: int,
    files: int,
    seed: int,
    jobs: int,
    root: Path = OUT,
    launch: Launch = launch_console,
    rerun: str = "run",
    commit_trials: int = 0,
) -> Summary:
    """Write the inbox, run the reference, then the trials, `jobs` at a time: kill each, then rerun each.

    `trials` runs are killed at random moments of their loading, `commit_trials` between a batch's archive
    fsync and its commit. The reference and the reruns run the `rerun` command (`run`, or `ingest`, which
    writes the same ops and raw tables sooner); the runs killed are always `pipeline run`.
    """
    inbox = root / f"inbox-{files}"
    if not inbox.is_dir():
        synthetic.write_inbox(inbox, synthetic.plan(files))
    reference = reference_run(root, inbox, files, launch, rerun)
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        killed = list(
            pool.map(lambda n: crash(n, root, inbox, reference, seed, launch), range(1, trials + 1))
        ) + list(
            pool.map(
                lambda n: crash_at_commit(n, root, inbox, reference, seed, launch),
                range(1, commit_trials + 1),
            )
        )
        done = list(pool.map(lambda t: recover(t, root, inbox, reference, launch, rerun), killed))
    for trial in done:
        if not trial.problems:  # a damaged data root stays for a look
            shutil.rmtree(trial_home(root, trial), ignore_errors=True)
    random_kills = [t for t in done if not t.at_commit]
    commit_kills = [t for t in done if t.at_commit]
    return Summary(
        trials=len(random_kills),
        killed_during_load=sum(t.during_load for t in random_kills),
        killed_after_load=sum(t.killed and not t.during_load for t in random_kills),
        finished_before_kill=sum(not t.killed for t in random_kills),
        consistent_after_kill=sum(t.consistent for t in done),
        identical_after_rerun=sum(t.identical for t in done),
        archive_leftovers=sum(t.archive_leftovers for t in done),
        problems=[
            f"{'commit trial' if t.at_commit else 'trial'} {t.number}: {p}" for t in done for p in t.problems
        ],
        stored_at_kills=sorted(t.stored_at_kill for t in random_kills if t.killed),
        commit_trials=len(commit_kills),
        killed_at_commit=sum(t.killed and t.held for t in commit_kills),
        archived_at_commit=[t.archived_at_commit for t in commit_kills],
        held_at=[
            (t.stored_at_kill, t.kill_after // max(1, trial_batches(t.files)[0]) + 1) for t in commit_kills
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the crash trials and print their counts; exit 1 if any trial found damage."""
    parser = argparse.ArgumentParser(description="Kill pipeline run during loading; check nothing is lost.")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument(
        "--commit-trials",
        type=int,
        default=5,
        help="runs killed between a batch's archive fsync and its commit (default 5)",
    )
    parser.add_argument("--files", type=int, default=60, help="synthetic submissions in the inbox")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="trials run at once")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--warm",
        action="store_true",
        help="fork each run from one process that has imported the pipeline (faster; what make test does)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    launch = launch_forked if args.warm else launch_console
    summary = run_trials(
        args.trials, args.files, args.seed, args.jobs, args.out, launch, commit_trials=args.commit_trials
    )
    size, count = trial_batches(args.files)
    print(
        f"crash trials: {summary.trials} at random moments and {summary.commit_trials} before a commit, "
        f"inbox of {args.files} files, {time.perf_counter() - started:.0f} s"
    )
    print(f"  killed during loading:              {summary.killed_during_load}")
    print(f"  killed after loading (receipts…):   {summary.killed_after_load}")
    print(
        f"  files stored when killed:           {' '.join(map(str, summary.stored_at_kills))} (of {args.files})"
    )
    print(f"  finished before the kill:           {summary.finished_before_kill}")
    print(
        f"  killed between a batch's archive fsync and its commit: {summary.killed_at_commit}/"
        f"{summary.commit_trials} (batches of {size}, {count} in all; files of that batch whole in the "
        f"archive: {' '.join(map(str, summary.archived_at_commit)) or '-'})"
    )
    if summary.held_at:
        held = " ".join(f"{stored}@{batch}" for stored, batch in summary.held_at)
        print(f"  files stored when killed @ batch held: {held} (exactly the batches before it)")
    runs = summary.trials + summary.commit_trials
    print(f"  warehouse consistent after the kill: {summary.consistent_after_kill}/{runs}")
    print(f"  rerun identical to uninterrupted:   {summary.identical_after_rerun}/{runs}")
    print(f"  temporary files left in the archive: {summary.archive_leftovers}")
    for problem in summary.problems:
        print(f"  PROBLEM {problem}")
    print("OK" if summary.ok else "FAILED")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
