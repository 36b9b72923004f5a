"""Put, get and list whole objects by their URLs: receipts and the files of other outputs."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any

from pipeline.locations import split_url
from pipeline.object_fs import object_filesystem

if TYPE_CHECKING:
    from s3fs import S3FileSystem


def content_type(name: str) -> str:
    """The Content-Type an object is served with, so a receipt or report opens in a browser."""
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind == "application/json":
        kind += "; charset=utf-8"
    return kind


def _bucket_key(url: str) -> tuple[str, str]:
    bucket, key = split_url(url)
    if not key:
        raise ValueError(f"an object URL needs a key after the bucket: {url!r}")
    return bucket, key


def put_bytes(url: str, data: bytes, *, fs: S3FileSystem | None = None, **extra: Any) -> None:
    """Put one object whole (a PUT is atomic: readers see the old object or the new one, never part)."""
    fs = fs or object_filesystem()
    bucket, key = _bucket_key(url)
    fs.call_s3("put_object", Bucket=bucket, Key=key, Body=data, ContentType=content_type(key), **extra)


def get_bytes(url: str, *, fs: S3FileSystem | None = None) -> bytes:
    """Read one object whole."""
    fs = fs or object_filesystem()
    return fs.cat_file(f"{'/'.join(_bucket_key(url))}")


def put_text(url: str, text: str, *, fs: S3FileSystem | None = None) -> bool:
    """Write a receipt (or any text) as one UTF-8 object; leave it alone if it already says this.

    Return whether it was written. The counterpart of `pipeline.receipts._write_whole`: no partial file is
    needed, a PUT is whole; its Content-Type (`.html`, `.json`) lets an office open it from a link.
    """
    fs = fs or object_filesystem()
    data = text.encode("utf-8")
    bucket, key = _bucket_key(url)
    try:
        head = fs.call_s3("head_object", Bucket=bucket, Key=key)
        if head["ContentLength"] == len(data) and get_bytes(url, fs=fs) == data:
            return False  # written by a run that stopped before recording it, or unchanged
    except FileNotFoundError:
        pass
    put_bytes(url, data, fs=fs)
    return True


def list_objects(url: str, *, fs: S3FileSystem | None = None) -> list[str]:
    """Return the URLs of every object under a prefix: a run's work files, the receipts."""
    fs = fs or object_filesystem()
    bucket, key = split_url(url)
    scheme = url.partition("://")[0]
    return sorted(f"{scheme}://{path}" for path in fs.find(f"{bucket}/{key}"))
