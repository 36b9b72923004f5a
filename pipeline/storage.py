"""The one place files are read and written, so the inbox and archive can later move to object storage."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.settings import Settings


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """A file in the inbox, by its path relative to the inbox (POSIX separators)."""

    path: str
    size: int
    mtime_ns: int

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix.lower()


CHUNK = 1024 * 1024
# An archive copy in progress; renamed into place only once complete.
PARTIAL = ".partial-"


def _chunks_of(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class LocalStorage:
    """Inbox and archive on the local file system."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def list_inbox(self) -> Iterator[InboxEntry]:
        """Yield every regular file under the inbox, recursively, skipping hidden and temporary files."""
        root = self.settings.inbox
        if not root.is_dir():
            return
        for directory, subdirs, files in os.walk(root):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for name in sorted(files):
                # Office lock files (~$x.xlsx) and dot-files are not submissions.
                if name.startswith((".", "~$")):
                    continue
                full = Path(directory, name)
                stat = full.stat()
                yield InboxEntry(full.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns)

    def stat_inbox(self, path: str) -> InboxEntry:
        """Return one inbox file's entry as it is now."""
        stat = (self.settings.inbox / path).stat()
        return InboxEntry(path, stat.st_size, stat.st_mtime_ns)

    def read_inbox(self, path: str) -> bytes:
        return (self.settings.inbox / path).read_bytes()

    def archive_path(self, sha256: str, suffix: str) -> str:
        """Return where a file with this fingerprint lives in the archive, relative to it."""
        return f"{sha256[:2]}/{sha256}{suffix}"

    def archive(self, content: bytes, suffix: str) -> str:
        """Copy a file into the archive under its SHA-256, once; never overwrite or delete."""
        relative = self.archive_path(sha256_of(content), suffix)
        if not (self.settings.archive / relative).exists():
            self._archive_chunks([content], suffix)
        return relative

    def archive_inbox_file(self, path: str) -> tuple[str, str]:
        """Copy an inbox file into the archive a chunk at a time, never holding it whole; return (path, SHA-256).

        For files too large to read into memory; the fingerprint is of exactly the bytes archived.
        """
        return self._archive_chunks(
            _chunks_of(self.settings.inbox / path), PurePosixPath(path).suffix.lower()
        )

    def _archive_chunks(self, chunks: Iterable[bytes], suffix: str) -> tuple[str, str]:
        """Write bytes to a partial file, fsync it, then rename it into place under their SHA-256, once."""
        self.settings.archive.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with tempfile.NamedTemporaryFile(dir=self.settings.archive, prefix=PARTIAL, delete=False) as handle:
            try:
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)
                raise
        relative = self.archive_path(digest.hexdigest(), suffix)
        target = self.settings.archive / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            Path(handle.name).unlink()
        else:
            os.replace(handle.name, target)
        return relative, digest.hexdigest()

    def inbox_sha256(self, path: str) -> str:
        """Fingerprint an inbox file a chunk at a time."""
        digest = hashlib.sha256()
        for chunk in _chunks_of(self.settings.inbox / path):
            digest.update(chunk)
        return digest.hexdigest()

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
