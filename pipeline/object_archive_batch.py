"""Put a batch's files into the object-store archive together, durable before the commit recording them."""

from __future__ import annotations

import contextlib
from concurrent.futures import Executor, Future
from typing import Protocol


class ArchivePuts(Protocol):
    """What a batch asks of ObjectStorage, named here so that this module need not import it."""

    def archive_path(self, sha256: str, suffix: str) -> str: ...

    def _put_once(self, relative: str, content: bytes, sha256: str) -> bool: ...


class ObjectArchiveBatch:
    """A batch's files put into the archive together, durable before the transaction recording them commits.

    The counterpart of `pipeline.storage.ArchiveBatch`: `add` starts each PUT at once in the pool, and
    `make_durable`, called just before the commit, waits for them. An object is whole and durable once its PUT
    is acknowledged, so there is nothing to rename: a crash before the commit leaves at most complete objects
    no submission names yet (recorded by the rerun, never put twice).
    """

    def __init__(self, storage: ArchivePuts, pool: Executor):
        self.storage = storage
        self.pool = pool
        self.puts: dict[str, Future[bool]] = {}  # archive path → its PUT (True if this batch wrote it)
        self.paths: list[str] = []
        self.made: list[str] = []

    def add(self, content: bytes, sha256: str, suffix: str) -> str:
        """Start putting a file's bytes (whose SHA-256 the caller computed) into the archive; return its path."""
        relative = self.storage.archive_path(sha256, suffix)
        self.paths.append(relative)
        if relative not in self.puts:
            self.puts[relative] = self.pool.submit(self.storage._put_once, relative, content, sha256)
        return relative

    def make_durable(self) -> list[str]:
        """Wait for every PUT; return the archive paths this batch wrote. Raises if one failed."""
        try:
            for relative, put in self.puts.items():
                if put.result():
                    self.made.append(relative)
        finally:
            self.discard()
        return self.made

    def discard(self) -> None:
        """Wait for the PUTs still running. Objects already put stay: complete, and named by their bytes."""
        for put in self.puts.values():
            with contextlib.suppress(Exception):
                put.result()
        self.puts.clear()
