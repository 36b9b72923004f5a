"""Keep the inbox and archive on object storage (`s3://bucket/prefix`), through fsspec/s3fs.

`ObjectStorage` has the public interface of `pipeline.storage.LocalStorage`, so the intake reads either one;
`pipeline.inbox_storage.storage_for(settings)` picks it by the inbox's location. What an object store changes,
and how it is kept:

- **Change marker.** An object's marker is its ETag (quotes stripped), carried by `ObjectEntry.marker`. Its
  LastModified has one-second resolution and is the upload's time, so two uploads of the same size within a
  second look alike by (size, time): the ETag tells them apart. `pipeline.inbox_storage.same_object` compares
  an entry with what the warehouse recorded, by (size, marker) where there is a marker and by (size, mtime_ns)
  where there is none.
- **Settle window.** `mtime_ns` is LastModified (whole seconds, as HEAD gives it), and an object modified
  within `settings.settle_seconds` waits for the next run, as a local file does. An object is whole once
  visible (a multipart upload appears only when completed), but a sync client may upload one file as several
  objects, or upload again at once; the window keeps its meaning: a recently modified object waits.
- **Reads are of the version listed.** Every read (whole, ranged, copy) is conditional on the ETag seen
  (`If-Match`), so bytes, fingerprint and entry always belong to one version; an object replaced meanwhile is
  left for the next run (`changed`), one deleted is `vanished`, one the pipeline may not read is `Unreadable`.
- **The archive** is `<archive>/<ab>/<sha256><suffix>`, each object written once: skipped if it exists, and
  put with `If-None-Match: *`. An object PUT is whole and durable once acknowledged, so there is no partial
  file to rename; a large inbox file is fingerprinted by ranged reads and copied on the server, through a
  `.partial-` object, never through this machine's memory.
- **Names.** Object keys are Unicode, so names (Chinese ones included) arrive decoded and `raw_path` is None.
  Hidden files and Office lock files (`.x`, `~$x`) are skipped with their reasons and anything in a hidden
  folder is passed over, as locally; "folder" objects (keys ending in `/`) are not files; a key with an empty
  segment (`a//b`) is skipped as no file.

Endpoint and keys come from the standard AWS environment (`AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3`,
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, or a role), which botocore and with it
s3fs honour; nothing here names an endpoint.

The other outputs go to object storage through `pipeline.object_io` (a receipt: `put_text`),
`pipeline.published_objects` (a set of files under a versioned prefix, its pointer written last) and
`pipeline.work_files` (work files under a shared work location); locations are told and joined by
`pipeline.locations`.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from pipeline.file_names import HIDDEN, archive_suffix, hidden_kind, not_sent
from pipeline.inbox_entries import (
    SKIP_ZH,
    InboxEntry,
    InboxListing,
    InboxUnusable,
    NotTakenIn,
    Skipped,
    Unreadable,
)
from pipeline.local_read import sha256_of
from pipeline.locations import join_url, split_url
from pipeline.object_archive_batch import ObjectArchiveBatch
from pipeline.object_fs import object_filesystem
from pipeline.s3_requests import REFUSED_KEYS, S3Requests, _code, _etag, _precondition_failed, _seconds_ns
from pipeline.storage import PARTIAL

if TYPE_CHECKING:
    from s3fs import S3FileSystem

    from pipeline.settings import Settings

# Bytes per ranged read when an object is fingerprinted a part at a time.
CHUNK = 8 * 1024 * 1024
# A server-side copy of more than this goes in parts (S3's limit for one CopyObject is 5 GiB).
COPY_LIMIT = 5 * 1024**3
COPY_PART = 512 * 1024**2
NO_FILE_ZH = "对象名含空的路径段（如“a//b”），不是收件箱中的普通文件，未读取"
ARCHIVED_ZH = "对象已转入归档存储类别，需先恢复才能读取"


def _key(prefix: str, *parts: str) -> str:
    return "/".join(p for p in (prefix, *parts) if p)


@dataclass(frozen=True, slots=True)
class ObjectEntry(InboxEntry):
    """An inbox object: `mtime_ns` is its LastModified, `marker` its ETag (what says it changed).

    An InboxEntry everywhere one is expected, and pickles into work files. The loader records the marker in
    `ops.inbox_files.marker` (`marker_of`), as it does a local file's inode and ctime.
    """


class ObjectStorage(S3Requests):
    """Inbox and archive as objects under `s3://bucket/prefix` locations, with LocalStorage's interface."""

    def __init__(self, settings: Settings, fs: S3FileSystem | None = None):
        self.settings = settings
        self.inbox_bucket, self.inbox_prefix = split_url(str(settings.inbox))
        self.archive_bucket, self.archive_prefix = split_url(str(settings.archive))
        inside = not self.inbox_prefix or self.archive_prefix.startswith(f"{self.inbox_prefix}/")
        if self.archive_bucket == self.inbox_bucket and (inside or self.archive_prefix == self.inbox_prefix):
            raise ValueError(
                "the archive must not lie inside the inbox: its objects would be read as submissions"
            )
        self.fs = fs or object_filesystem()

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
        anything in a hidden folder is passed over silently, as are "folder" objects (keys ending in `/`).
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
            if path.endswith("/") or any(part.startswith(HIDDEN) for part in parts[:-1]):
                continue
            if not_sent(parts[-1]):
                if kind := hidden_kind(parts[-1]):
                    found.append((parts, Skipped(path, kind, SKIP_ZH[kind])))
                continue
            if "" in parts:
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
        window_ns = int(self.settings.settle_seconds * 1e9)
        # Either side of now: a store whose clock runs ahead stamps an upload in the future.
        return bool(window_ns) and abs(time.time_ns() - entry.st_mtime_ns) < window_ns

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

    @contextlib.contextmanager
    def _copying(self, path: str) -> Iterator[None]:
        """A server-side copy from the inbox: the source gone or replaced is its outcome; anything else (the
        archive not writable) is the pipeline's own failure and raises."""
        try:
            yield
        except FileNotFoundError:
            raise self._not_taken(path, "vanished") from None
        except OSError as exc:
            if _precondition_failed(exc):
                raise self._not_taken(path, "changed") from None
            raise

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

    # The archive.
    def archive_path(self, sha256: str, suffix: str) -> str:
        """Return where a file with this fingerprint lives in the archive, relative to it."""
        return f"{sha256[:2]}/{sha256}{suffix}"

    def _archive_key(self, relative: str) -> str:
        return _key(self.archive_prefix, relative)

    def archive_url(self, relative: str) -> str:
        return join_url(str(self.settings.archive), relative)

    def _put_once(self, relative: str, content: bytes, sha256: str) -> bool:
        """Put an archive object unless one is there; return whether this call wrote it."""
        key = self._archive_key(relative)
        if self._exists(self.archive_bucket, key):
            return False
        request = {
            "Bucket": self.archive_bucket,
            "Key": key,
            "Body": content,
            # The store checks the bytes it received against their SHA-256 and keeps it with the object.
            "ChecksumSHA256": base64.b64encode(bytes.fromhex(sha256)).decode(),
            "ContentType": "application/octet-stream",
        }
        try:
            self._call("put_object", IfNoneMatch="*", **request)
        except FileExistsError:  # another writer archived the same bytes meanwhile
            return False
        except OSError as exc:
            if _code(exc) not in ("NotImplemented", "501"):
                raise
            self._call("put_object", **request)  # a store without conditional writes: the same bytes again
        return True

    def archive(self, content: bytes, suffix: str) -> str:
        """Put a file into the archive under its SHA-256, once; never overwrite or delete."""
        sha256 = sha256_of(content)
        relative = self.archive_path(sha256, suffix)
        self._put_once(relative, content, sha256)
        return relative

    def archive_inbox_file(self, path: str) -> tuple[str, str, InboxEntry]:
        """Archive an inbox object too large to read whole: fingerprint it by ranged reads, copy it on the server.

        The copy goes through a `.partial-` object and is made from the version fingerprinted only (every read
        and the copy are conditional on its ETag), so the archived bytes are those the fingerprint names.
        """
        entry = self.stat_inbox(path)
        sha256 = self._fingerprint(entry)
        relative = self.archive_path(sha256, archive_suffix(path))
        target = self._archive_key(relative)
        if self._exists(self.archive_bucket, target):
            return relative, sha256, entry
        partial = _key(self.archive_prefix, f"{PARTIAL}{uuid.uuid4().hex}")
        try:
            with self._copying(path):
                copied = self._copy(self.inbox_bucket, self._inbox_key(path), partial, entry)
            # A store that ignores the copy's condition: the source must still be the version fingerprinted,
            # and a single-part ETag (the content's MD5) must have come along with it.
            now = self._head(path)
            plain = entry.marker and "-" not in entry.marker
            if now.marker != entry.marker or (plain and copied and copied != entry.marker):
                raise self._not_taken(path, "changed")
            if not self._exists(self.archive_bucket, target):
                self._copy(self.archive_bucket, partial, target)
        finally:
            with contextlib.suppress(OSError):
                self._call("delete_object", Bucket=self.archive_bucket, Key=partial)
        return relative, sha256, entry

    def _copy(self, bucket: str, key: str, target: str, entry: ObjectEntry | None = None) -> str | None:
        """Copy an object on the server into the archive bucket (in parts above 5 GiB); return the new ETag."""
        source = {"Bucket": bucket, "Key": key}
        condition = {"CopySourceIfMatch": f'"{entry.marker}"'} if entry and entry.marker else {}
        size = entry.size if entry else self._call("head_object", **source)["ContentLength"]
        if size <= COPY_LIMIT:
            done = self._call(
                "copy_object", Bucket=self.archive_bucket, Key=target, CopySource=source, **condition
            )
            return _etag(done.get("CopyObjectResult", {}).get("ETag"))
        upload = self._call("create_multipart_upload", Bucket=self.archive_bucket, Key=target)["UploadId"]
        try:
            parts = []
            for number, start in enumerate(range(0, size, COPY_PART), start=1):
                end = min(start + COPY_PART, size) - 1
                part = self._call(
                    "upload_part_copy",
                    Bucket=self.archive_bucket,
                    Key=target,
                    UploadId=upload,
                    PartNumber=number,
                    CopySource=source,
                    CopySourceRange=f"bytes={start}-{end}",
                    **condition,
                )
                parts.append({"PartNumber": number, "ETag": part["CopyPartResult"]["ETag"]})
            self._call(
                "complete_multipart_upload",
                Bucket=self.archive_bucket,
                Key=target,
                UploadId=upload,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with contextlib.suppress(OSError):
                self._call("abort_multipart_upload", Bucket=self.archive_bucket, Key=target, UploadId=upload)
            raise
        return None

    def archive_batch(self, pool: Executor) -> ObjectArchiveBatch:
        """Start putting a batch of files into the archive; see `ObjectArchiveBatch`."""
        return ObjectArchiveBatch(self, pool)

    def remove_stale_partials(self, older_than_s: float = 3600) -> int:
        """Remove what a killed run left in the archive: `.partial-` objects and unfinished multipart uploads.

        Return how many. Complete archive objects are never touched.
        """
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than_s)
        removed = 0
        below = f"{self.archive_prefix}/" if self.archive_prefix else ""
        for item in self._pages(self.archive_bucket, below):
            if PurePosixPath(item["Key"]).name.startswith(PARTIAL) and item["LastModified"] < cutoff:
                with contextlib.suppress(FileNotFoundError):
                    self._call("delete_object", Bucket=self.archive_bucket, Key=item["Key"])
                    removed += 1
        request = {"Bucket": self.archive_bucket, "Prefix": below}
        while True:
            page = self._call("list_multipart_uploads", **request)
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < cutoff:
                    with contextlib.suppress(FileNotFoundError):
                        self._call(
                            "abort_multipart_upload",
                            Bucket=self.archive_bucket,
                            Key=upload["Key"],
                            UploadId=upload["UploadId"],
                        )
                        removed += 1
            if not page.get("IsTruncated"):
                return removed
            request["KeyMarker"] = page["NextKeyMarker"]
            request["UploadIdMarker"] = page["NextUploadIdMarker"]

    def read_archive(self, relative: str) -> bytes:
        return self._get(self.archive_bucket, self._archive_key(relative))[1]
