"""Publish a set of files as one folder, all or nothing: a symlink switched between complete version folders."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
import time
from pathlib import Path

from pipeline.folder_lock import holding
from pipeline.locations import ObjectPath
from pipeline.published_objects import publish_objects, version_of
from pipeline.storage import fsync_path

# `reports/<year>` is a symlink to a version folder `reports/.<year>.<hash>/`; these mark what a publisher
# killed midway leaves beside them: a version folder being written, a symlink about to replace the pointer.
PARTIAL = ".partial-"
LINK = ".link"
_AT_FDCWD = -100  # <fcntl.h>: paths relative to the working directory
_RENAME_EXCHANGE = 2  # <linux/fs.h>: renameat2 swaps the two paths


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system or file system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _write_version(version: Path, files: dict[str, bytes]) -> None:
    """Write the files into a private folder, fsync them, and rename it into place as `version`, complete."""
    staging = Path(tempfile.mkdtemp(dir=version.parent, prefix=f"{version.name}{PARTIAL}"))
    for name, content in files.items():
        with open(staging / name, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fchmod(handle.fileno(), 0o644)  # a published report is for everyone to read
            os.fsync(handle.fileno())
    os.chmod(staging, 0o755)  # mkdtemp makes it private
    fsync_path(staging)
    os.rename(staging, version)
    fsync_path(version.parent)


def _switch(pointer: Path, version: Path) -> str | None:
    """Point `pointer` at `version` in one rename; return the folder it showed before, if any."""
    link = pointer.with_name(f".{pointer.name}{LINK}")
    os.symlink(version.name, link)
    if pointer.is_symlink() or not pointer.is_dir():
        previous = os.readlink(pointer) if pointer.is_symlink() else None
        os.replace(link, pointer)
    else:
        # A real folder from an older data root: set it aside as a version of its own. Swapped with the new
        # pointer in one step where the system can, so no reader ever finds the year missing.
        aside = pointer.with_name(f".{pointer.name}.before-{time.time_ns()}")
        if _exchange(link, pointer):
            os.rename(link, aside)
        else:
            os.rename(pointer, aside)
            os.replace(link, pointer)
        previous = aside.name
    fsync_path(pointer.parent)
    return previous


def _prune(pointer: Path, keep: set[str | None] | None) -> None:
    """Remove what killed publishers left and, unless `keep` is None, every version folder not in it."""
    for entry in pointer.parent.iterdir():
        if not entry.name.startswith(f".{pointer.name}."):
            continue
        leftover = PARTIAL in entry.name or entry.name.endswith(LINK)
        if not leftover and (keep is None or entry.name in keep):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def publish_set(pointer: Path | ObjectPath, files: dict[str, bytes]) -> Path | ObjectPath:
    """Publish files as the whole content of the folder `pointer`: a reader sees all of them or the set before.

    Return the folder readers find the files in. On object storage (`pointer` an `ObjectPath`) the files go to
    `<pointer>/versions/<hash>/` and `<pointer>/LATEST.json` names it, written last (`publish_objects`); that
    version prefix is returned. Locally `pointer` becomes a relative symlink to `.<name>.<hash of the files>/`, a version folder only ever renamed
    into place complete, so one that exists can be pointed at again. The version it replaced stays, for a
    reader who has it open; older ones are removed.
    """
    if isinstance(pointer, ObjectPath):
        version = publish_objects(str(pointer), files)
        return pointer / "versions" / version
    version = pointer.with_name(f".{pointer.name}.{version_of(files)}")
    # One publisher at a time, so none prunes a folder another is pointing at.
    with holding(pointer.parent):
        _prune(pointer, keep=None)
        if not version.is_dir():
            _write_version(version, files)
        if not (pointer.is_symlink() and os.readlink(pointer) == version.name):
            previous = _switch(pointer, version)
            _prune(pointer, keep={version.name, previous})
    return pointer
