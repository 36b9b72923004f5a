"""Open and read one local file safely: no link followed, no FIFO blocked on, an I/O error the file's outcome."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from pipeline.inbox_entries import SKIP_ZH, NotTakenIn, Skipped, Unreadable

CHUNK = 1024 * 1024


def _read_failed(path: str, raw: bytes | None, exc: OSError) -> NotTakenIn:
    return NotTakenIn(Skipped(path, "read_failed", f"{SKIP_ZH['read_failed']}（{exc.strerror}）", raw))


def _chunks_of(handle: BinaryIO, path: str, raw: bytes | None = None) -> Iterator[bytes]:
    """Yield a file a chunk at a time; an I/O error is the file's outcome (`NotTakenIn`), not the run's failure."""
    while True:
        try:
            chunk = handle.read(CHUNK)
        except OSError as exc:
            raise _read_failed(path, raw, exc) from None
        if not chunk:
            return
        yield chunk


@contextlib.contextmanager
def open_regular(
    fs_path: bytes, path: str, raw: bytes | None = None
) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """Open a regular file without following a link or blocking on a FIFO; yield it and its stat.

    Anything else (a link, FIFO, socket or device, a file gone, an I/O error) raises `NotTakenIn` with `path` as
    its name, before a byte is read; a file the permissions keep closed raises `Unreadable`.
    """
    try:
        fd = os.open(fs_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotTakenIn(Skipped(path, "vanished", SKIP_ZH["vanished"], raw)) from None
    except PermissionError as exc:
        raise Unreadable(f"没有读取该文件的权限（{exc.strerror}）") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotTakenIn(Skipped(path, "symlink", SKIP_ZH["symlink"], raw)) from None
        raise _read_failed(path, raw, exc) from None
    # Looked at before it is wrapped: a folder put in its place since listing opens, but refuses to be a file.
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):  # a FIFO, device or folder, or a file replaced by one since listing
        os.close(fd)
        kind = _kind_of(status.st_mode)
        raise NotTakenIn(Skipped(path, kind, SKIP_ZH[kind], raw))
    with os.fdopen(fd, "rb") as handle:
        yield handle, status


def read_whole(handle: BinaryIO, before: os.stat_result, path: str, raw: bytes | None = None) -> bytes:
    """Read a file opened by `open_regular` whole; raise `NotTakenIn` if it fails or changes size meanwhile."""
    try:
        # One byte more than its size: a file still growing shows itself without being read to the end.
        content = handle.read(before.st_size + 1)
    except OSError as exc:
        raise _read_failed(path, raw, exc) from None
    if len(content) != before.st_size:
        raise NotTakenIn(Skipped(path, "changed", SKIP_ZH["changed"], raw))
    return content


def local_marker(status: os.stat_result) -> str:
    """Return what says a local file changed: its inode and ctime.

    Size and mtime alone miss a corrected file copied in with its old mtime kept (`cp -p`, a sync tool) when
    its size did not change. Every write, rename or `touch` moves the ctime, and a replaced file has another
    inode; a file that only moved is fingerprinted again and found unchanged.
    """
    return f"{status.st_ino}:{status.st_ctime_ns}"


def rewritten_in_place(marker: str | None, recorded: str | None) -> bool:
    """Whether a local file's marker, against the one recorded, says it was written again where it lies.

    The same inode with another ctime: saved, or copied over itself with its old mtime kept (Explorer's copy onto
    the file, `cp -p`). Another inode is a file put there anew, or the whole data root copied (`cp -a`, a new disk).
    An object's ETag is no local marker, and says neither.
    """
    mine, theirs = (m.split(":") if m else () for m in (marker, recorded))
    return len(mine) == len(theirs) == 2 and mine[0] == theirs[0] and mine[1] != theirs[1]


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"
