"""Keep the inbox and archive on object storage (`s3://bucket/prefix`), through fsspec/s3fs.

`ObjectStorage` has the public interface of `pipeline.storage.LocalStorage`, so the intake reads either one;
`pipeline.inbox_storage.storage_for(settings)` picks it by the inbox's location. It is made of
`pipeline.object_inbox.ObjectInbox` (reading the inbox) and `pipeline.object_archive.ObjectArchive` (writing the
archive), over `pipeline.s3_requests`; this module gives them their locations. What an object store changes,
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
  folder is passed over, as locally; empty "folder" objects (keys ending in `/`) are not files; a key with an
  empty, `.` or `..` segment (`a//b`, `a/../b`), or a "folder" object with bytes, is skipped as no file and
  logged, never passed over unseen.

Endpoint and keys come from the standard AWS environment (`AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_S3`,
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, or a role), which botocore and with it
s3fs honour; nothing here names an endpoint.

The other outputs go to object storage through `pipeline.object_io` (a receipt: `put_text`),
`pipeline.published_objects` (a set of files under a versioned prefix, its pointer written last) and
`pipeline.work_files` (work files under a shared work location); locations are told and joined by
`pipeline.locations`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.locations import split_url
from pipeline.object_archive import ObjectArchive
from pipeline.object_fs import object_filesystem

if TYPE_CHECKING:
    from s3fs import S3FileSystem

    from pipeline.settings import Settings


class ObjectStorage(ObjectArchive):
    """Inbox and archive as objects under `s3://bucket/prefix` locations, with LocalStorage's interface."""

    def __init__(self, settings: Settings, fs: S3FileSystem | None = None):
        self.settings = settings
        self.inbox_bucket, self.inbox_prefix = split_url(str(settings.inbox))
        self.archive_bucket, self.archive_prefix = split_url(str(settings.archive))
        if "archive" in settings.in_inbox():
            raise ValueError(
                "the archive must not lie inside the inbox: its objects would be read as submissions"
            )
        self.fs = fs or object_filesystem()
