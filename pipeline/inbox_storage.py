"""Pick the intake's storage by its inbox's location, and tell whether an entry is as last taken in."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.inbox_entries import InboxEntry, InboxListing
from pipeline.locations import _mangled, is_url
from pipeline.objectstore import ObjectStorage
from pipeline.storage import LocalStorage

if TYPE_CHECKING:
    from pipeline.settings import Settings


def marker_of(entry: InboxEntry) -> str | None:
    """Return an entry's change marker: an object's ETag, a local file's inode and ctime (None: made before)."""
    return entry.marker


def same_object(entry: InboxEntry, size: int, mtime_ns: int, marker: str | None = None) -> bool:
    """Whether an inbox entry is as last taken in: by (size, marker) where it has a marker, else (size, mtime)."""
    mine = marker_of(entry)
    if mine is not None:
        return (entry.size, mine) == (size, marker)
    return (entry.size, entry.mtime_ns) == (size, mtime_ns)


class Storage(Protocol):
    """What the intake uses of its storage; `LocalStorage` and `ObjectStorage` both provide it."""

    settings: Settings

    def scan(self) -> InboxListing: ...
    def list_inbox(self) -> Iterator[InboxEntry]: ...
    def raw_path(self, path: str) -> bytes | None: ...
    def settling(self, entry: Any) -> bool: ...
    def lstat_entry(self, path: str) -> InboxEntry | None: ...
    def stat_inbox(self, path: str) -> InboxEntry: ...
    def read_inbox(self, path: str, max_bytes: int | None = None) -> tuple[bytes | None, InboxEntry]: ...
    def archive_path(self, sha256: str, suffix: str) -> str: ...
    def archive(self, content: bytes, suffix: str) -> str: ...
    def archive_inbox_file(self, path: str) -> tuple[str, str, InboxEntry]: ...
    def archive_batch(self, pool: Executor) -> Any: ...
    def inbox_sha256(self, path: str) -> str: ...
    def readable(self, path: str) -> bool: ...
    def remove_stale_partials(self, older_than_s: float = 3600) -> int: ...
    def read_archive(self, relative: str) -> bytes: ...
    def archive_holds_files(self) -> bool: ...


def storage_for(settings: Settings) -> LocalStorage | ObjectStorage:
    """Return the storage of the settings' inbox and archive: local folders, or `s3://` locations."""
    places = {"PIPELINE_INBOX": settings.inbox, "PIPELINE_ARCHIVE": settings.archive}
    for name, place in places.items():
        if _mangled(place):
            raise ValueError(f"{name} {str(place)!r} is a URL that went through Path: keep URLs as str")
    settings.check_storage()
    return ObjectStorage(settings) if is_url(settings.inbox) else LocalStorage(settings)
