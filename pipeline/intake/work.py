"""Parse inbox files into work files for the loader, in this process or a pool of workers."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from tqdm import tqdm

from pipeline.intake.candidates import Candidate, read_candidate
from pipeline.registry import Registry
from pipeline.settings import Settings
from pipeline.storage import LocalStorage, sha256_of


def work_dir(settings: Settings, run_key: str) -> Path:
    """Return the scratch folder where one run's parsed files wait for the loader."""
    return settings.home / "work" / (re.sub(r"[^0-9A-Za-z_.-]+", "_", run_key).strip(".") or "run")


@dataclass(frozen=True, slots=True)
class WorkFile:
    """A parsed file waiting on disk for the loader, with what the loader needs before opening it whole."""

    path: str
    inbox_path: str
    sha256: str
    mtime_ns: int
    rows: int
    carries_register: bool
    state: str = "parsed"  # or "rejected" (by the parser already), "not_taken_in" (left for the next run)

    @classmethod
    def open(cls, path: str | Path) -> WorkFile:
        """Read only the head of a work file: its candidate stays on disk until its chunk is loaded."""
        with open(path, "rb") as handle:
            return cls(str(path), *pickle.load(handle))

    def candidate(self) -> Candidate:
        with open(self.path, "rb") as handle:
            pickle.load(handle)
            return pickle.load(handle)

    @property
    def load_order(self) -> tuple:
        # Registers first, so a list naming no project finds it in a register of the same run; then as received.
        return (not self.carries_register, self.mtime_ns, self.inbox_path)


def write_work_file(candidate: Candidate, target: Path) -> str:
    """Write a parsed file for the loader: a small head, then the candidate; return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    parsed = candidate.parsed
    head = (
        candidate.inbox_path,
        candidate.sha256,
        candidate.entry.mtime_ns if candidate.entry else 0,
        sum(len(s.records) for s in parsed.sheets) if parsed else 0,
        candidate.carries_register,
        "not_taken_in" if candidate.skipped else "rejected" if parsed and parsed.errors else "parsed",
    )
    # Write then rename, so a retried or killed task never leaves half a file for the loader.
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with open(partial, "wb") as handle:
        pickle.dump(head, handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(candidate, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, target)
    return str(target)


def parse_one(settings: Settings, registry: Registry, inbox_path: str, run_key: str = "manual") -> str:
    """Read, fingerprint and parse one inbox file into a work file for `load_parsed`; return its path.

    Whatever happens to the file is its own outcome inside the result: bad data or no permission to read it
    is a rejection; a file gone, still being written or no regular file is left for the loader to log. Only
    the pipeline's own I/O (the archive or work folder unwritable, a full disk) raises.
    """
    candidate = read_candidate(LocalStorage(settings), registry, inbox_path, settings.limits)
    target = work_dir(settings, run_key) / f"{sha256_of(inbox_path.encode('utf-8'))[:32]}.pickle"
    return write_work_file(candidate, target)


# Below this many files, starting worker processes costs more than parsing in this one.
PARALLEL_FROM = 64


_worker: tuple[Settings, Registry] | None = None


def _start_worker(settings: Settings, registry: Registry) -> None:
    global _worker
    _worker = (settings, registry)


def _parse_in_worker(inbox_path: str, run_key: str) -> str:
    return parse_one(*_worker, inbox_path, run_key)


def parse_all(
    settings: Settings, registry: Registry, inbox_paths: list[str], run_key: str, progress: bool = False
) -> list[str]:
    """Parse files into work files, in `settings.workers` processes when there are enough of them."""
    with (
        tqdm(
            total=len(inbox_paths), desc="读取文件", unit="个", disable=not progress or not inbox_paths
        ) as bar,
        ExitStack() as stack,
    ):
        if settings.workers == 1 or len(inbox_paths) < PARALLEL_FROM:
            parsed = (parse_one(settings, registry, path, run_key) for path in inbox_paths)
        else:
            # forkserver: workers never inherit the parent's threads or open handles.
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    settings.workers,
                    mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_start_worker,
                    initargs=(settings, registry),
                )
            )
            parsed = pool.map(_parse_in_worker, inbox_paths, repeat(run_key), chunksize=16)
        paths = []
        for path in parsed:
            paths.append(path)
            bar.update()
        return paths


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_work(settings: Settings) -> None:
    """Remove the work folders of `pipeline ingest` runs that were killed before they could clean up."""
    for folder in (settings.home / "work").glob("ingest-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def parse_shard(settings: Settings, registry: Registry, inbox_paths: list[str], run_key: str) -> dict:
    """Parse one shard of new files into work files, as the CLI does; return what it took in and the paths.

    Each file's outcome stays its own (a bad file is a rejection inside its work file), so one never fails the
    shard. The counts are what the Airflow UI shows for the shard; `work_files` is what the loader reads.
    """
    work_files = parse_all(settings, registry, inbox_paths, run_key)
    states = [WorkFile.open(path).state for path in work_files]
    return {
        "files": len(inbox_paths),
        "parsed": states.count("parsed"),
        "rejected_by_parser": states.count("rejected"),
        "not_taken_in": states.count("not_taken_in"),
        "work_files": work_files,
    }
