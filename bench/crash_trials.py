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
import os
import shutil
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import synthetic
from bench.crash_kills import crash, crash_at_commit, recover, reference_run, trial_batches, trial_home
from bench.crash_launch import REPO, Launch, launch_console, launch_forked

OUT = REPO / "bench" / "out" / "crash"


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
