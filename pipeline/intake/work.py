"""Parse inbox files into work files for the loader, in this process or a pool of workers."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from contextlib import ExitStack
from itertools import repeat
from pathlib import Path

from tqdm import tqdm

from pipeline.inbox_storage import Storage, storage_for
from pipeline.intake.candidates import parsed_read
from pipeline.intake.inbox_reads import read_inbox_file
from pipeline.intake.work_format import SPOOL_SUFFIX, remember_registry, state_of, work_bytes, write_work_file
from pipeline.limits import Limits
from pipeline.local_read import sha256_of
from pipeline.locations import Location, is_url, join_location
from pipeline.pools import alive, process_pool
from pipeline.read_day import ReadOn, read_today
from pipeline.registry import Registry
from pipeline.settings import Settings
from pipeline.validate import check_sources
from pipeline.work_files import run_folder, writing


def work_dir(settings: Settings, run_key: str) -> Path:
    """Return the local scratch folder where one `pipeline ingest` run's parsed files wait for the loader."""
    return settings.home / "work" / run_folder(run_key)


class MissingWorkFile(FileNotFoundError):
    """A work key the loader cannot find: written where it cannot see, or already removed.

    Waiting never brings it back, so the nightly DAG's retry policy fails it at once (`permanent`).
    """

    permanent = True

    def __init__(self, key: str, root: Location):
        super().__init__(
            errno.ENOENT,
            f"工作文件不存在：{key}（工作位置 {root}）。解析任务把结果写到了装载任务看不到的地方，或它已被删除："
            "PIPELINE_WORK 须是每个 worker 都能读写的共享位置（如 s3://…）。重试不会好转，请重新运行当晚的 DAG。",
            str(join_location(root, key)),
        )


def _parsed(
    storage: Storage, registry: Registry, inbox_path: str, limits: Limits, read_on: ReadOn | None
) -> tuple[bytes, str]:
    """Read and parse one inbox file; return its work file's bytes and its state."""
    read = read_inbox_file(storage, inbox_path, limits, read_on)
    candidate = parsed_read(read, registry, limits)
    return work_bytes(read, candidate, registry), state_of(candidate)


# A parse worker appends the files it parses to one spool file of its own instead of creating a file for each:
# creating files is what costs (a third of a millisecond and more each, on a busy disk), appending does not.
class _Spool:
    """One parse worker's spool in one run's work folder: parsed files appended, each named by its key.

    Locally an entry is named only once it is written whole and flushed to the operating system, so a killed or
    retried task never hands the loader half an entry; what a killed worker leaves goes with the folder. An
    object cannot be appended to: on object storage the spool is kept in this host's scratch and put whole
    when it closes, so its entries exist for the loader only once `close` returns.
    """

    def __init__(self, root: Location, run_key: str):
        self.root = root
        self.folder = run_folder(run_key)
        self.key: str | None = None
        self.handle = None

    def append(self, data: bytes) -> str:
        if self.handle is None:  # made with the first entry, so a run with nothing to parse leaves nothing
            self.key = f"{self.folder}/{os.getpid()}-{time.time_ns()}{SPOOL_SUFFIX}"
            if is_url(self.root):
                self.handle = tempfile.TemporaryFile()  # noqa: SIM115 - put whole by close
            else:
                path = Path(join_location(self.root, self.key))
                path.parent.mkdir(parents=True, exist_ok=True)
                self.handle = open(path, "ab")  # noqa: SIM115 - open while parsing, flushed per entry
        offset = self.handle.tell()
        self.handle.write(data)
        self.handle.flush()
        return f"{self.key}#{offset}"

    def close(self, keep: bool = True) -> None:
        """Close the spool; on object storage put it whole, unless the parse failed (`keep=False`)."""
        if self.handle is None:
            return
        handle, self.handle = self.handle, None
        with handle:
            if keep and is_url(self.root):
                handle.seek(0)
                with writing(join_location(self.root, self.key)) as target:
                    shutil.copyfileobj(handle, target, 8 * 1024 * 1024)
        # A failed shard's entries reach no loader: a retry writes anew.
        if not keep and not is_url(self.root):
            Path(join_location(self.root, self.key)).unlink(missing_ok=True)


def parse_one(
    settings: Settings,
    registry: Registry,
    inbox_path: str,
    run_key: str = "manual",
    read_on: ReadOn | None = None,
) -> str:
    """Read, fingerprint and parse one inbox file into a work file for `load_parsed`; return its key.

    Whatever happens to the file is its own outcome inside the result: bad data or no permission to read it
    is a rejection; a file gone, still being written or no regular file is left for the loader to log. Only
    the pipeline's own I/O (the archive or work folder unwritable, a full disk) raises.
    """
    remember_registry(registry)
    data, _ = _parsed(storage_for(settings), registry, inbox_path, settings.limits, read_on)
    key = f"{run_folder(run_key)}/{sha256_of(inbox_path.encode('utf-8'))[:32]}.pickle"
    write_work_file(data, join_location(settings.work_root, key))
    return key


# Below this many files, starting worker processes costs more than parsing in this one.
PARALLEL_FROM = 64


_worker: tuple[Settings, Registry] | None = None
_spools: dict[str, _Spool] = {}


def _start_worker(settings: Settings, registry: Registry) -> None:
    global _worker
    _worker = (settings, registry)
    remember_registry(registry)


def _parse_into(
    spool: _Spool, settings: Settings, registry: Registry, inbox_path: str, read_on: ReadOn | None
) -> str:
    """Read, fingerprint and parse one inbox file into a spool, as `parse_one` does; return its entry."""
    return spool.append(_parsed(storage_for(settings), registry, inbox_path, settings.limits, read_on)[0])


def _parse_in_worker(inbox_path: str, run_key: str, read_on: ReadOn | None) -> str:
    """Parse one file in a worker and append it to the worker's spool for this run; return its entry."""
    settings, registry = _worker
    if run_key not in _spools:
        _spools[run_key] = _Spool(settings.work_root, run_key)
    return _parse_into(_spools[run_key], settings, registry, inbox_path, read_on)


def parse_all(
    settings: Settings,
    registry: Registry,
    inbox_paths: list[str],
    run_key: str,
    progress: bool = False,
    read_on: ReadOn | None = None,
) -> list[str]:
    """Parse files into work files under `settings.work_root`, in `settings.workers` processes when there are
    enough of them; return their keys.

    `read_on`: the run's day (`read_day`; today's, read once, if not given), the same for every worker whatever
    its clock says when it gets there.

    A pool's spools are never closed, only flushed: with work on object storage, parsing stays in this process.
    """
    read_on = read_on or read_today()
    with (
        tqdm(
            total=len(inbox_paths), desc="读取文件", unit="个", disable=not progress or not inbox_paths
        ) as bar,
        ExitStack() as stack,
    ):
        if settings.workers == 1 or len(inbox_paths) < PARALLEL_FROM or is_url(settings.work_root):
            remember_registry(registry)
            spool = _Spool(settings.work_root, run_key)
            stack.callback(spool.close)
            parsed = (_parse_into(spool, settings, registry, path, read_on) for path in inbox_paths)
        else:
            pool = stack.enter_context(process_pool(settings.workers, _start_worker, (settings, registry)))
            parsed = pool.map(_parse_in_worker, inbox_paths, repeat(run_key), repeat(read_on), chunksize=16)
        paths = []
        for path in parsed:
            paths.append(path)
            bar.update()
        return paths


def _remove_dead_folders(parent: Path, prefix: str) -> None:
    """Remove the folders `<prefix><pid>-…` in `parent` whose process (on this host) is no longer alive."""
    for folder in parent.glob(f"{prefix}*-*"):
        pid = folder.name.removeprefix(prefix).split("-")[0]
        if pid.isdigit() and not alive(int(pid)) and folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)


def remove_stale_work(settings: Settings) -> None:
    """Remove the work folders of `pipeline ingest` runs that were killed before they could clean up."""
    _remove_dead_folders(settings.home / "work", "ingest-")


SCRATCH_PREFIX = "pipeline-load-"


def load_scratch() -> tempfile.TemporaryDirectory:
    """Make the loader's scratch folder (spools fetched from object storage), named by this process; first remove
    those of loaders on this host that were killed before they could (`tempfile.gettempdir()`)."""
    _remove_dead_folders(Path(tempfile.gettempdir()), SCRATCH_PREFIX)
    return tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")


def parse_shard(
    settings: Settings,
    registry: Registry,
    inbox_paths: list[str],
    run_key: str,
    read_on: ReadOn | None = None,
) -> dict:
    """Parse one shard of new files into the shared work location; return what it took in and the work keys.

    `read_on`: the night's day (the DAG run's), the same for every shard whatever host or hour it runs on.

    Each file's outcome stays its own (a bad file is a rejection inside its work file), so one never fails the
    shard. The counts are what the Airflow UI shows for the shard; `work_files` holds keys relative to
    `settings.work_root` (PIPELINE_WORK), which the loader, on whichever host, reads.
    """
    # In this process, never a pool: shards already run side by side as tasks, and a pool's workers would start
    # by re-running the task's main script (`airflow`), which cannot import inside a task (its database URL is
    # blocked there) — the night would fail on every shard of 64 files or more.
    # A suite broken since find_new_files checked it (edited mid-night, another host's checkout) fails the shard
    # before any file is read, as it stops `pipeline run`, not the load after every shard; the task says it in one
    # Chinese line (task_settings.configuration_checked).
    check_sources(registry)
    remember_registry(registry)
    storage = storage_for(settings)
    spool = _Spool(settings.work_root, run_key)
    keys, states = [], []
    try:
        for inbox_path in inbox_paths:
            data, state = _parsed(storage, registry, inbox_path, settings.limits, read_on)
            keys.append(spool.append(data))
            states.append(state)
    except BaseException:
        spool.close(keep=False)
        raise
    spool.close()
    return {
        "files": len(inbox_paths),
        "parsed": states.count("parsed"),
        "rejected_by_parser": states.count("rejected"),
        "not_taken_in": states.count("not_taken_in"),
        "work_files": keys,
        # Beside each key, for the loader to read that file again where its work file is found unreadable.
        "inbox_files": list(inbox_paths),
    }
