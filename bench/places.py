"""Name where the benchmark works (the repository, its DAGs, bench/out), and move earlier data roots aside."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
DAGS = REPO / "dags"
TRASH = OUT / "trash"


def retire(path: Path) -> None:
    """Move an earlier run's data root aside, into `trash` beside it, to be deleted after the benchmark
    (`empty_trash`, for those under bench/out).

    Deleting its 30,000 files just before a timed run slowed that run's disk writes by a third for a minute
    (the disk discards the blocks freed, and ext4 passes over inodes freed in the last minutes when it makes new
    files), which would be counted as the ingest's own time.
    """
    if path.exists():
        trash = path.parent / TRASH.name
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{path.name}-{time.time_ns()}")


def fresh(path: Path) -> Path:
    """Make an empty folder at `path`, moving an earlier one aside (deleted after the benchmark, not before a run)."""
    retire(path)
    path.mkdir(parents=True)
    return path


def empty_trash() -> None:
    shutil.rmtree(TRASH, ignore_errors=True)
