"""Read the inbox on object storage: list it, tell each object's state, and read only the version listed."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.file_names import HIDDEN, hidden_kind, not_sent
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
from pipeline.s3_requests import REFUSED_KEYS, S3Requests, _code, _etag, _precondition_failed, _seconds_ns

if TYPE_CHECKING:
    from pipeline.settings import Settings

# Bytes per ranged read when an object is fingerprinted a part at a time.
CHUNK = 8 * 1024 * 1024
NO_FILE_ZH = "对象名含空的或“.”“..”路径段（如“a//b”“a/../b”“a/”），不是收件箱中的普通文件，未读取"
# Key segments that name no folder: `a/./b` and `a/../b` are keys as they stand, never paths to walk.
DOT_SEGMENTS = (".", "..")
ARCHIVED_ZH = "对象已转入归档存储类别，需先恢复才能读取"


def _key(prefix: str, *parts: str) -> str:
    return "/".join(p for p in (prefix, *parts) if p)


@dataclass(frozen=True, slots=True)
class ObjectEntry(InboxEntry):
    """An inbox object: `mtime_ns` is its LastModified, `marker` its ETag (what says it changed).

    An InboxEntry everywhere one is expected, and pickles into work files. The loader records the marker in
    `ops.inbox_files.marker` (`marker_of`), as it does a local file's inode and ctime.
    """


class ObjectInbox(S3Requests):
    """The inbox under an `s3://bucket/prefix` location, read as LocalStorage reads a local one."""

    # Set by ObjectStorage.__init__, from the settings.
    settings: Settings
    inbox_bucket: str
    inbox_prefix: str

    # Inbox paths and keys.
    def _inbox_key(self, path: str) -> str:
        return _key(self.inbox_prefix, path)

    def _below(self) -> str:
        return f"{self.inbox_prefix}/" if self.inbox_prefix else ""

    def _entry(self, path: str, size: int, modified: dt.datetime, etag: str | None) -> ObjectEntry:
        return ObjectEntry(path, size, _seconds_ns(modified), None, marker=_etag(etag))

    def scan(self) -> InboxListing:
        """List the inbox without reading anything: its objects, and those skipped with why.

        Hidden files and Office lock files (`.x`, `~$x`) are skipped by their names as locally (`hidden_kind`);
        anything in a hidden folder is passed over silently, as are empty "folder" objects (keys ending in `/`).
        A key no folder could hold (an empty, `.` or `..` segment, or a "folder" with bytes) is skipped as no file.
        """
        listing = InboxListing()
        below = self._below()
        try:
            objects = list(self._pages(self.inbox_bucket, below))
        except OSError as exc:  # no such bucket, no permission to list, the store unreachable
            # As for a local inbox that is not there: a broken data root fails the night, never passes for a quiet one.
            raise InboxUnusable(self.settings.inbox, exc) from None
        found = []
        for item in objects:
            path = item["Key"][len(below) :]
            parts = path.split("/")
            if not path:  # the inbox's own "folder" marker (its key is the prefix): no file in it
                continue
            if path.endswith("/") and not item["Size"]:  # an empty "folder" made in a console
                continue
            if any(part.startswith(HIDDEN) and part not in DOT_SEGMENTS for part in parts[:-1]):
                continue
            if not_sent(parts[-1]):
                if kind := hidden_kind(parts[-1]):
                    found.append((parts, Skipped(path, kind, SKIP_ZH[kind])))
                continue
            if any(part in ("", *DOT_SEGMENTS) for part in parts):
                # Bytes no folder could hold under that name: logged, so that what was sent is not lost unseen.
                found.append((parts, Skipped(path, "other", NO_FILE_ZH)))
                continue
            found.append((parts, self._entry(path, item["Size"], item["LastModified"], item.get("ETag"))))
        # In the order a walk of the folders gives, as LocalStorage lists them.
        for _, item in sorted(found, key=lambda pair: [p.encode("utf-8") for p in pair[0]]):
            (listing.skipped if isinstance(item, Skipped) else listing.files).append(item)
        return listing

    def list_inbox(self) -> Iterator[InboxEntry]:
        """Yield every object under the inbox that is a submission."""
        yield from self.scan().files

    def raw_path(self, path: str) -> bytes | None:
        """Object keys are Unicode: no name needs its original bytes."""
        return None

    def settling(self, entry: InboxEntry | Any) -> bool:
        """Return whether an object was modified within the settle window, so may not be whole yet."""
        return settling_at(entry.st_mtime_ns, int(self.settings.settle_seconds * 1e9), time.time_ns())

    def _not_taken(self, path: str, kind: str, detail: str = "") -> NotTakenIn:
        reason = f"{SKIP_ZH[kind]}（{detail}）" if detail else SKIP_ZH[kind]
        return NotTakenIn(Skipped(path, kind, reason))

    @contextlib.contextmanager
    def _reading(self, path: str) -> Iterator[None]:
        """Turn a request's failure into the entry's outcome: vanished, changed, unreadable or retried later."""
        try:
            yield
        except FileNotFoundError:
            raise self._not_taken(path, "vanished") from None
        except PermissionError as exc:
            # The object closed to the pipeline is the file's own outcome; the pipeline's own keys refused
            # (wrong, expired, a skewed clock: listing fails too) are a failure of the run, never a rejection.
            if _code(exc) in REFUSED_KEYS or not self._may_list(path):
                raise
            raise Unreadable(f"没有读取该对象的权限（{exc}）") from None
        except OSError as exc:
            if _precondition_failed(exc):
                raise self._not_taken(path, "changed") from None
            if _code(exc) == "InvalidObjectState":
                raise Unreadable(ARCHIVED_ZH) from None
            raise self._not_taken(path, "read_failed", str(exc)) from None

    def _may_list(self, path: str) -> bool:
        try:
            self._call("list_objects_v2", Bucket=self.inbox_bucket, Prefix=self._inbox_key(path), MaxKeys=1)
        except PermissionError:
            return False
        return True

    def _head(self, path: str) -> ObjectEntry:
        """HEAD an inbox object; raise `NotTakenIn`/`Unreadable` for its state."""
        if not path or path.endswith("/"):
            raise self._not_taken(path, "vanished")
        with self._reading(path):
            head = self._call("head_object", Bucket=self.inbox_bucket, Key=self._inbox_key(path))
        return self._entry(path, head["ContentLength"], head["LastModified"], head.get("ETag"))

    def stat_inbox(self, path: str) -> InboxEntry:
        """Return one inbox object's entry as it is now, if settled; raise `NotTakenIn` or `Unreadable`."""
        entry = self._head(path)
        if self.settling(entry):
            raise self._not_taken(path, "settling")
        return entry

    def lstat_entry(self, path: str) -> InboxEntry | None:
        """Return an object's entry from the bucket's listing alone (no read permission needed); None if gone."""
        key = self._inbox_key(path)
        for item in self._pages(self.inbox_bucket, key, MaxKeys=1):
            if item["Key"] == key:  # the key itself sorts before every longer key it prefixes
                return self._entry(path, item["Size"], item["LastModified"], item.get("ETag"))
            break
        return None

    def _condition(self, entry: ObjectEntry) -> dict:
        return {"IfMatch": f'"{entry.marker}"'} if entry.marker else {}

    def _read(self, entry: ObjectEntry, start: int | None = None, end: int | None = None) -> bytes:
        """Read an object (or bytes start..end-1 of it) only as the version `entry` describes."""
        extra = self._condition(entry)
        if start is not None:
            extra["Range"] = f"bytes={start}-{end - 1}"
        with self._reading(entry.path):
            response, content = self._get(self.inbox_bucket, self._inbox_key(entry.path), **extra)
        if entry.marker and _etag(response.get("ETag")) != entry.marker:  # a store that ignored If-Match
            raise self._not_taken(entry.path, "changed")
        return content

    def read_inbox(self, path: str, max_bytes: int | None = None) -> tuple[bytes | None, InboxEntry]:
        """Read a settled inbox object whole, as the version just listed; raise `NotTakenIn` if it changed.

        An object larger than `max_bytes` is not read: its content comes back as None, beside its entry.
        """
        entry = self.stat_inbox(path)
        if max_bytes is not None and entry.size > max_bytes:
            return None, entry
        content = self._read(entry)
        if len(content) != entry.size:
            raise self._not_taken(path, "changed")
        return content, entry

    def _chunks(self, entry: ObjectEntry) -> Iterator[bytes]:
        for start in range(0, entry.size, CHUNK):
            yield self._read(entry, start, min(start + CHUNK, entry.size))

    def inbox_sha256(self, path: str) -> str:
        """Fingerprint an inbox object a ranged read at a time, never holding it whole."""
        return self._fingerprint(self.stat_inbox(path))

    def _fingerprint(self, entry: ObjectEntry) -> str:
        digest = hashlib.sha256()
        for chunk in self._chunks(entry):
            digest.update(chunk)
        return digest.hexdigest()

    def readable(self, path: str) -> bool:
        """Return whether an inbox object can now be read (one refused earlier may have been fixed)."""
        try:
            entry = self.stat_inbox(path)
            if entry.size:
                self._read(entry, 0, 1)
            else:
                self._read(entry)
        except (NotTakenIn, Unreadable):
            return False
        return True
