"""Write inbox objects into the archive on object storage: once each, under their SHA-256, copied on the server."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor
from pathlib import PurePosixPath

from pipeline.file_names import archive_suffix
from pipeline.inbox_entries import InboxEntry
from pipeline.local_read import sha256_of
from pipeline.locations import join_url
from pipeline.object_archive_batch import ObjectArchiveBatch
from pipeline.object_inbox import ObjectEntry, ObjectInbox, _key
from pipeline.s3_requests import _code, _etag, _precondition_failed
from pipeline.storage import PARTIAL

# A server-side copy of more than this goes in parts (S3's limit for one CopyObject is 5 GiB).
COPY_LIMIT = 5 * 1024**3
COPY_PART = 512 * 1024**2


class ObjectArchive(ObjectInbox):
    """The archive under an `s3://bucket/prefix` location, filled from the inbox as LocalStorage fills a local one."""

    # Set by ObjectStorage.__init__, from the settings.
    archive_bucket: str
    archive_prefix: str

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

    def archive_holds_files(self) -> bool:
        """Return whether the archive holds an object under a fingerprint "folder" (`<ab>/…`): files were taken in.

        One listing request, by folder: the claim and `.partial-` objects lie beside the folders, not in them.
        """
        request = {"Bucket": self.archive_bucket, "Delimiter": "/"}
        request["Prefix"] = f"{self.archive_prefix}/" if self.archive_prefix else ""
        while True:  # another page only where a thousand objects beside the folders came first
            page = self._call("list_objects_v2", **request)
            if page.get("CommonPrefixes"):
                return True
            if not page.get("IsTruncated"):
                return False
            request["ContinuationToken"] = page["NextContinuationToken"]
