"""Kill one `pipeline run` at a drawn moment of its loading, or before a drawn batch's commit, and check what
it left; then rerun it and compare with the run that was never interrupted."""

from __future__ import annotations

import hashlib
import math
import os
import random
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.crash_checks import (
    archive_damage,
    archived,
    canonical,
    differences,
    open_read_only,
    partial_submissions,
    snapshot,
    stored_count,
    stored_file_damage,
)
from bench.crash_launch import Hold, Launch, run_to_end, wait_for_archived, wait_for_marker


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
    # A batch is archived only once the one before it has committed: with N files in the archive, at most one
    # batch's worth of them can be uncommitted. Fewer stored means a commit was lost. Counted once the run is dead:
    # while it runs, a walk of the archive can list a partial copy in its root and then, renamed meanwhile, the same
    # file in its folder, counting a batch not yet committed as the next one begun (trial 13 of a run on 2026-12-06).
    left = len(archived(home))
    if reached and trial.stored_at_kill < left - size:
        trial.problems.append(
            f"{trial.stored_at_kill} files stored with {left} in the archive after the kill, in batches of {size}: "
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
