"""Publish a set of files on object storage under a version, its pointer (`LATEST.json`) written last."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.locations import join_url
from pipeline.object_fs import object_filesystem
from pipeline.object_io import _bucket_key, content_type, get_bytes, put_bytes
from pipeline.settings import TIMEZONE

if TYPE_CHECKING:
    from s3fs import S3FileSystem


POINTER = "LATEST.json"


def version_of(files: Mapping[str, bytes | Path]) -> str:
    """Name a set of files by their names and bytes, as `pipeline.publish.publish_set` names a version folder."""
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        data = content.read_bytes() if isinstance(content, Path) else content
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def published(root: str, *, fs: S3FileSystem | None = None) -> dict | None:
    """Return the pointer of a published set (`<root>/LATEST.json`), or None if nothing is published."""
    try:
        return json.loads(get_bytes(join_url(root, POINTER), fs=fs))
    except FileNotFoundError:
        return None


def read_published(root: str, name: str, *, fs: S3FileSystem | None = None) -> bytes:
    """Read one file of the set a pointer names now: follow `LATEST.json`, then read from its version."""
    pointer = published(root, fs=fs)
    if pointer is None:
        raise FileNotFoundError(join_url(root, POINTER))
    return get_bytes(join_url(root, pointer["path"], name), fs=fs)


def publish_objects(
    root: str,
    files: Mapping[str, bytes | Path],
    *,
    version: str | None = None,
    pointer: Mapping[str, Any] | None = None,
    keep_previous: bool = True,
    fs: S3FileSystem | None = None,
) -> str:
    """Publish files as one set under `root`: all of a version, then the pointer naming it, written last.

    Each file goes to `<root>/versions/<version>/<name>` (names may hold `/`: `mart.x/year=2022/0.parquet`), a
    value being bytes or a local file to upload. Then `<root>/LATEST.json` is replaced in one PUT with
    `{"version", "path", "files", "published_at", **pointer}`: a reader who follows it finds a complete
    version, or the one before. The version is named by the files' bytes unless given (export names it by the
    warehouse version). The version the pointer named before stays for a reader still on it; with `keep=2`
    older versions, and any left half-written by a killed publisher, are removed. One publisher per root at a
    time (the run lock); return the version.
    """
    fs = fs or object_filesystem()
    version = version or version_of(files)
    if not re.fullmatch(r"[0-9A-Za-z_.=-]+", version) or version.strip(".") != version:
        raise ValueError(f"a version name is one plain path segment, not {version!r}")
    before = published(root, fs=fs)
    if (
        before is not None
        and before.get("version") == version
        and sorted(before.get("files", [])) == sorted(files)
    ):
        return version  # already what readers see
    folder = join_url(root, "versions", version)
    for name, content in files.items():
        if any(part in ("", ".", "..") for part in name.split("/")):
            raise ValueError(f"not a file name inside a version: {name!r}")
        target = join_url(folder, name)
        if isinstance(content, Path):
            bucket, key = _bucket_key(target)
            fs.put_file(str(content), f"{bucket}/{key}", ContentType=content_type(name))
        else:
            put_bytes(target, content, fs=fs)
    record = {
        "version": version,
        "path": f"versions/{version}",
        "files": sorted(files),
        # In Shanghai time, as the export's manifest says it: a report's pointer said +00:00 beside the export's +08:00.
        "published_at": dt.datetime.now(TIMEZONE).isoformat(timespec="seconds"),
        **(pointer or {}),
    }
    # Last, and in one PUT: the moment readers switch to the new version.
    put_bytes(
        join_url(root, POINTER),
        json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
        fs=fs,
        CacheControl="no-cache",
    )
    previous = before.get("version") if before else None
    _prune_versions(root, {version, previous} if keep_previous else {version}, fs)
    return version


def _prune_versions(root: str, keep: set[str | None], fs: S3FileSystem) -> None:
    bucket, key = _bucket_key(join_url(root, "versions"))
    listed = fs.call_s3("list_objects_v2", Bucket=bucket, Prefix=f"{key}/", Delimiter="/")
    for common in listed.get("CommonPrefixes", []):
        name = common["Prefix"][len(key) + 1 :].rstrip("/")
        if name not in keep:
            fs.rm(f"{bucket}/{common['Prefix']}", recursive=True)


def upload_folder(folder: Path) -> dict[str, Path]:
    """Map every file under a local folder to its name inside it, for `publish_objects` (a Parquet export)."""
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
