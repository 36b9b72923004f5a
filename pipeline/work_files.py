"""Write, read and remove work files whole, on a local disk or under a shared object-storage prefix."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pipeline.locations import Location, is_url, join_location
from pipeline.object_fs import object_filesystem
from pipeline.object_io import _bucket_key, get_bytes, put_bytes

if TYPE_CHECKING:
    from s3fs import S3FileSystem

    from pipeline.settings import Settings


def work_root(settings: Settings) -> Location:
    """Return where parsed work files wait for the loader: `PIPELINE_WORK`, else `<home>/work` (`Settings.work_root`).

    With `s3://…` every worker shares it.
    """
    return settings.work_root


def run_folder(run_key: str) -> str:
    """The folder name of one run's work files (as `pipeline.intake.work.work_dir` makes it)."""
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", run_key).strip(".") or "run"


def work_location(settings: Settings, run_key: str) -> Location:
    """Return one run's work folder or prefix."""
    return join_location(work_root(settings), run_folder(run_key))


@contextlib.contextmanager
def writing(location: Location, *, fs: S3FileSystem | None = None) -> Iterator[BinaryIO]:
    """Write a file or object whole, streamed: it appears complete on success and not at all on failure.

    Locally: a `.partial` file beside it, renamed into place. On object storage: one PUT, or a multipart
    upload completed only on success (aborted otherwise).
    """
    if not is_url(location):
        target = Path(location)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        try:
            with open(partial, "wb") as handle:
                yield handle
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return
    fs = fs or object_filesystem()
    handle = fs.open("/".join(_bucket_key(location)), "wb")
    try:
        yield handle
    except BaseException:
        handle.discard()  # aborts a multipart upload; nothing was committed
        handle.closed = True
        raise
    handle.close()  # commits: one PUT, or completes the multipart upload


@contextlib.contextmanager
def reading(location: Location, offset: int = 0, *, fs: S3FileSystem | None = None) -> Iterator[BinaryIO]:
    """Open a file or object for streamed reading from `offset` (an entry of a spool, `<spool>#<offset>`).

    On object storage it reads by ranged GETs a MiB at a time: a work file's head is read without the rest.
    """
    if not is_url(location):
        with open(location, "rb") as handle:
            handle.seek(offset)
            yield handle
        return
    fs = fs or object_filesystem()
    with fs.open("/".join(_bucket_key(location)), "rb", block_size=1024 * 1024) as handle:
        handle.seek(offset)
        yield handle


def write_work_object(url: str, data: bytes, *, fs: S3FileSystem | None = None) -> str:
    """Put a work file whole; return its URL."""
    put_bytes(url, data, fs=fs)
    return url


def read_work_object(url: str, *, fs: S3FileSystem | None = None) -> bytes:
    return get_bytes(url, fs=fs)


def remove_work_objects(
    urls: Iterable[str], *, recursive: bool = False, fs: S3FileSystem | None = None
) -> None:
    """Delete loaded work files, or with `recursive` whole run prefixes (absent ones are fine)."""
    fs = fs or object_filesystem()
    paths = ["/".join(_bucket_key(url)) for url in urls]
    if paths:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(paths, recursive=recursive)


# A run folder nothing wrote to for this long belongs to a night whose load never came (marked failed while its
# shards parsed, or its load failed for good): no run lasts a day, and a `dags test` beside a night is fresh.
ABANDONED_AFTER_S = 7 * 24 * 3600


def remove_abandoned_runs(root: Location, now: float | None = None) -> list[str]:
    """Remove run folders (or prefixes) of `root` whose newest work file is older than ABANDONED_AFTER_S; name them."""
    # Only a night's own load removed its folder: every failed night's parse results stayed, for good.
    cutoff = (time.time() if now is None else now) - ABANDONED_AFTER_S
    newest: dict[str, float] = {}
    if is_url(root):
        fs = object_filesystem()
        prefix = "/".join(_bucket_key(str(root))).rstrip("/")
        with contextlib.suppress(FileNotFoundError):
            for key, info in fs.find(prefix, detail=True).items():
                folder = key[len(prefix) + 1 :].split("/", 1)[0]
                modified = info.get("LastModified")
                stamp = modified.timestamp() if modified is not None else time.time()
                newest[folder] = max(newest.get(folder, 0.0), stamp)
        old = sorted(f for f, stamp in newest.items() if f and stamp < cutoff)
        remove_work_objects([str(join_location(root, f)) for f in old], recursive=True, fs=fs)
        return old
    base = Path(root)
    if not base.is_dir():
        return []
    old = []
    for folder in sorted(base.iterdir()):
        if not folder.is_dir() or folder.is_symlink():
            continue
        stamps = [folder.stat().st_mtime] + [
            p.stat().st_mtime for p in folder.rglob("*") if not p.is_symlink()
        ]
        if max(stamps) < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            old.append(folder.name)
    return old
