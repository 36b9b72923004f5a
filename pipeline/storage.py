"""Keep the inbox and archive on the local file system, each archive copy durable before it is recorded."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path

from pipeline.file_names import archive_suffix
from pipeline.inbox_entries import (
    SKIP_ZH,
    InboxEntry,
    InboxListing,
    InboxUnusable,
    NotTakenIn,
    Skipped,
    Unreadable,
    settling_at,
)
from pipeline.inbox_walk import walk
from pipeline.local_read import _chunks_of, local_marker, open_regular, read_whole, sha256_of
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

# An archive copy in progress; renamed into place only once complete.
PARTIAL = ".partial-"


# Per inbox, the bytes of every listed path whose name is not UTF-8, by its decoded text: how to open it again.
_RAW_PATHS: dict[Path, dict[str, bytes]] = {}
# Per inbox, where it really is (links resolved): every file opened is checked to lie under it.
_REAL_ROOTS: dict[Path, bytes] = {}


class LocalStorage:
    """Inbox and archive on the local file system."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def _raw_paths(self) -> dict[str, bytes]:
        return _RAW_PATHS.setdefault(self.settings.inbox, {})

    def scan(self) -> InboxListing:
        """List the inbox without opening anything: regular files, and every other entry with why it is skipped.

        Symlinks (to files or folders) are never followed, so nothing outside the inbox is ever read.
        Hidden files and Office lock files (~$x.xlsx) are not submissions: each is skipped with its reason, but for
        macOS's own files (`hidden_kind`); hidden folders (.git, .Trash) are passed over silently.
        A folder that cannot be entered or listed, or whose path is too long, is skipped with its reason; only an
        inbox that cannot be listed itself raises `InboxUnusable`.
        """
        try:
            return walk(os.fsencode(self.settings.inbox), self._raw_paths)
        except OSError as exc:
            raise InboxUnusable(self.settings.inbox, exc) from None

    def list_inbox(self) -> Iterator[InboxEntry]:
        """Yield every regular file under the inbox, recursively, skipping hidden and temporary files."""
        yield from self.scan().files

    def raw_path(self, path: str) -> bytes | None:
        """Return the bytes of an inbox path whose name is not UTF-8, as listed; None for a UTF-8 name."""
        return self._raw_paths.get(path)

    def _fs_path(self, path: str) -> bytes:
        root = os.fsencode(self.settings.inbox)
        raw = self._raw_paths.get(path)
        if raw is None:
            plain = os.path.join(root, path.encode("utf-8"))
            if os.path.lexists(plain):
                return plain
            self.scan()  # another process listed it: learn the bytes of names that are not UTF-8
            raw = self._raw_paths.get(path, path.encode("utf-8"))
        return os.path.join(root, raw)

    @contextlib.contextmanager
    def _open(self, path: str) -> Iterator[tuple[object, os.stat_result]]:
        """Open a regular inbox file without following links or blocking on a FIFO; yield it and its stat."""
        fs_path = self._fs_path(path)
        root = _REAL_ROOTS.get(self.settings.inbox)
        if root is None:  # resolved once per process: its folders are what may change while files are read
            root = _REAL_ROOTS[self.settings.inbox] = os.path.realpath(os.fsencode(self.settings.inbox))
        folder = os.path.realpath(os.path.dirname(fs_path))
        if folder != root and not folder.startswith(root + b"/"):  # a folder swapped for a link since listing
            raise NotTakenIn(Skipped(path, "symlink", SKIP_ZH["symlink"], self.raw_path(path)))
        with open_regular(fs_path, path, self.raw_path(path)) as (handle, before):
            self._check_settled(path, before)
            yield handle, before

    def settling(self, entry: InboxEntry | os.stat_result) -> bool:
        """Return whether a file was modified within the settle window, so may still be being copied in."""
        return settling_at(entry.st_mtime_ns, int(self.settings.settle_seconds * 1e9), time.time_ns())

    def _check_settled(self, path: str, now: os.stat_result, before: os.stat_result | None = None) -> None:
        """Leave a file for the next run if it was modified within the settle window or changed while read."""
        if before is not None and (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise NotTakenIn(Skipped(path, "changed", SKIP_ZH["changed"], self.raw_path(path)))
        if self.settling(now):
            raise NotTakenIn(Skipped(path, "settling", SKIP_ZH["settling"], self.raw_path(path)))

    def lstat_entry(self, path: str) -> InboxEntry | None:
        """Return an inbox file's entry from its directory record alone, without opening it; None if gone."""
        try:
            return self._entry(path, os.lstat(self._fs_path(path)))
        except FileNotFoundError:
            return None

    def _entry(self, path: str, status: os.stat_result) -> InboxEntry:
        return InboxEntry(path, status.st_size, status.st_mtime_ns, self.raw_path(path), local_marker(status))

    def stat_inbox(self, path: str) -> InboxEntry:
        """Return one inbox file's entry as it is now, if it is a regular file the pipeline may read."""
        with self._open(path) as (_, status):
            return self._entry(path, status)

    def read_inbox(self, path: str, max_bytes: int | None = None) -> tuple[bytes | None, InboxEntry]:
        """Read a settled inbox file whole; raise `NotTakenIn` if it changes while being read.

        A file larger than `max_bytes` is not read: its content comes back as None, beside its entry.
        """
        with self._open(path) as (handle, before):
            if max_bytes is not None and before.st_size > max_bytes:
                return None, self._entry(path, before)
            content = read_whole(handle, before, path, self.raw_path(path))
            self._check_settled(path, os.fstat(handle.fileno()), before)
            return content, self._entry(path, before)

    def archive_path(self, sha256: str, suffix: str) -> str:
        """Return where a file with this fingerprint lives in the archive, relative to it."""
        return f"{sha256[:2]}/{sha256}{suffix}"

    def archive(self, content: bytes, suffix: str) -> str:
        """Copy a file into the archive under its SHA-256, once; never overwrite or delete."""
        relative = self.archive_path(sha256_of(content), suffix)
        # A copy cut short is told once, by _archive_chunks as it replaces it.
        if not archived(self.settings.archive / relative, len(content), tell=False):
            self._archive_chunks([content], suffix)
        return relative

    def archive_inbox_file(self, path: str) -> tuple[str, str, InboxEntry]:
        """Copy an inbox file into the archive a chunk at a time, never holding it whole; return (path, SHA-256,
        entry).

        For files too large to read into memory; the fingerprint is of exactly the bytes archived.
        """
        with self._open(path) as (handle, before):

            def unchanged() -> None:
                self._check_settled(path, os.fstat(handle.fileno()), before)

            chunks = _chunks_of(handle, path, self.raw_path(path))
            relative, sha256 = self._archive_chunks(chunks, archive_suffix(path), unchanged)
            return relative, sha256, self._entry(path, before)

    def _archive_chunks(self, chunks: Iterable[bytes], suffix: str, verify=None) -> tuple[str, str]:
        """Write bytes to a partial file, fsync it, then rename it into place under their SHA-256, once."""
        self.settings.archive.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=self.settings.archive, prefix=PARTIAL, delete=False) as handle:
            try:
                for chunk in chunks:
                    digest.update(chunk)
                    size += handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
                if verify is not None:
                    verify()
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
        relative = self.archive_path(digest.hexdigest(), suffix)
        target = self.settings.archive / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if archived(target, size):
            Path(handle.name).unlink()
        else:
            os.replace(handle.name, target)
        return relative, digest.hexdigest()

    def archive_batch(self, pool: Executor) -> ArchiveBatch:
        """Start copying a batch of files into the archive; see `ArchiveBatch`."""
        return ArchiveBatch(self, pool)

    def inbox_sha256(self, path: str) -> str:
        """Fingerprint an inbox file a chunk at a time."""
        digest = hashlib.sha256()
        with self._open(path) as (handle, _):
            for chunk in _chunks_of(handle, path, self.raw_path(path)):
                digest.update(chunk)
        return digest.hexdigest()

    def readable(self, path: str) -> bool:
        """Return whether an inbox file can now be opened (one refused earlier may have been fixed)."""
        try:
            with self._open(path):
                return True
        except (NotTakenIn, Unreadable):
            return False

    def remove_stale_partials(self, older_than_s: float = 3600) -> int:
        """Delete archive copies a killed run left unfinished; return how many. Complete files are never touched."""
        removed = 0
        cutoff = time.time() - older_than_s
        for partial in self.settings.archive.glob(f"**/{PARTIAL}*"):
            with contextlib.suppress(FileNotFoundError):
                if partial.stat().st_mtime < cutoff:
                    partial.unlink()
                    removed += 1
        return removed

    def read_archive(self, relative: str) -> bytes:
        return (self.settings.archive / relative).read_bytes()

    def archive_holds_files(self) -> bool:
        """Return whether the archive holds a file under a fingerprint folder (`<ab>/…`): files were taken in."""
        return next(Path(self.settings.archive).glob("*/*"), None) is not None


def _syncfs():
    """Return libc's syncfs(2) where it reports a failed write-back (Linux 5.8 and later), else None."""
    if not sys.platform.startswith("linux"):
        return None
    release = tuple(int(part) for part in re.findall(r"\d+", os.uname().release)[:2])
    if release < (5, 8):  # before 5.8, syncfs returned 0 even when writing a file back had failed
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if function is not None:
        function.argtypes = [ctypes.c_int]
    return function


SYNCFS = _syncfs()


def sync_filesystem(path: Path) -> None:
    """Flush everything written to the file system holding `path`, data and names, in one call (syncfs(2))."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if SYNCFS(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(path))
    finally:
        os.close(fd)


def archived(target: Path, size: int, tell: bool = True) -> bool:
    """Say whether the archive holds this copy whole; one of another size (cut short) is told, to be written again."""
    try:
        held = target.stat().st_size
    except FileNotFoundError:
        return False
    if held != size and tell:
        # Its name is the SHA-256 of bytes received again now: writing them over it restores it, losing nothing.
        logger.warning(
            "存档副本 %s 不完整（%d 字节，应为 %d 字节），以本次收到的相同内容重新写入", target, held, size
        )
    return held == size


def _write_partials(
    root: Path, copies: list[tuple[str, bytes]], sync: bool = True
) -> list[tuple[str, str | None]]:
    """Write each file not yet in the archive to a new partial file, fsynced unless `sync` is off; return
    (archive path, partial file or None when already archived). Runs in a pool thread, a share of a batch at a
    time."""
    written: list[tuple[str, str | None]] = []
    try:
        for relative, content in copies:
            if archived(root / relative, len(content)):
                written.append((relative, None))
                continue
            fd, name = tempfile.mkstemp(dir=root, prefix=PARTIAL)
            written.append((relative, name))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                if sync:
                    handle.flush()
                    os.fsync(handle.fileno())
    except BaseException:
        for _, name in written:
            if name is not None:
                Path(name).unlink(missing_ok=True)
        raise
    return written


def fsync_path(path: Path) -> None:
    """Flush a file or folder to disk: a rename, or a folder made, is durable once its folder is."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ArchiveBatch:
    """A batch's files copied into the archive together, durable before the transaction recording them commits.

    `add` names each file and hands the copies, a share at a time, to pool threads, which write each to a
    partial file while the loader goes on building the batch's rows. `make_durable`, called just before the
    commit, waits for them, flushes them, renames each partial file into place under its SHA-256 and flushes
    the names. On Linux 5.8 and later each flush is one syncfs(2) of the archive's file system; elsewhere the
    threads fsync each copy and then each folder renamed into (and the archive root, where new folders appear).
    Per batch of 500 that is two calls instead of some 600: 0.926x the wall time of a 10,000-file ingest, a
    third less system time (README "Performance"). So an accepted file is in the archive, durably, before the
    warehouse says so; a name in the archive only ever holds a complete, flushed file; and a crash before the
    commit leaves at most partial files (removed by a later load) and complete files no submission names yet
    (recorded by the rerun, never copied twice).
    """

    def __init__(self, storage: LocalStorage, pool: Executor, share: int = 64):
        self.root = storage.settings.archive
        self.storage = storage
        self.pool = pool
        self.share = share  # files a pool job writes and fsyncs, one after the other
        self.paths: list[str] = []  # every file of the batch, by archive path, those already there included
        self.copies: dict[str, bytes] = {}  # archive path → bytes, named but not yet handed to the pool
        self.written: set[str] = set()  # archive paths handed to the pool or about to be
        self.writing: list[Future[list[tuple[str, str | None]]]] = []
        self.made: list[str] = []  # archive paths renamed into place

    def add(self, content: bytes, sha256: str, suffix: str) -> str:
        """Name a file's bytes (whose SHA-256 the caller computed) for the archive; return its path."""
        relative = self.storage.archive_path(sha256, suffix)
        self.paths.append(relative)
        if relative not in self.written:
            self.written.add(relative)
            self.copies[relative] = content
            if len(self.copies) >= self.share:
                self._start()
        return relative

    def _start(self) -> None:
        """Hand the copies named so far to a pool job."""
        if self.copies:
            self.root.mkdir(parents=True, exist_ok=True)
            self.writing.append(
                self.pool.submit(_write_partials, self.root, list(self.copies.items()), sync=SYNCFS is None)
            )
            self.copies = {}

    def make_durable(self) -> list[str]:
        """Wait for the copies, rename them into place and fsync their folders; return the paths made."""
        self._start()
        folders: set[Path] = set()
        try:
            written = [job.result() for job in self.writing]
            if SYNCFS is not None and any(partial for job in written for _, partial in job):
                sync_filesystem(self.root)  # every partial file's data, at once
            for job in written:
                for relative, partial in job:
                    if partial is None:
                        continue
                    target = self.root / relative
                    if not target.parent.is_dir():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        folders.add(self.root)
                    # Another run archived the same bytes meanwhile; a copy cut short (told when the partial was
                    # written) is replaced.
                    if archived(target, Path(partial).stat().st_size, tell=False):
                        Path(partial).unlink()
                    else:
                        os.replace(partial, target)
                        self.made.append(relative)
                    folders.add(target.parent)
            if SYNCFS is None:
                for done in [self.pool.submit(fsync_path, folder) for folder in folders]:
                    done.result()
            elif folders:
                sync_filesystem(self.root)  # the renames and new folders, at once
        finally:
            self.discard()
        return self.made

    def discard(self) -> None:
        """Remove the partial copies not renamed into place (the batch failed before its commit)."""
        writing, self.writing = self.writing, []
        self.copies = {}
        for job in writing:
            with contextlib.suppress(Exception):
                for _, partial in job.result():
                    if partial is not None:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(partial)
