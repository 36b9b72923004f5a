"""Open this process's S3 file system, configured by the AWS environment alone."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from s3fs import S3FileSystem


_ENVIRONMENT = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
)


def object_filesystem() -> S3FileSystem:
    """Return this process's S3 file system, configured by the AWS environment alone.

    botocore reads the endpoint (`AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`), keys and region itself.
    fsspec's own instance cache keys on arguments, which are none here, so one instance is kept per process
    and per AWS environment: a changed endpoint or key gets a new one.
    """
    return _filesystem(os.getpid(), tuple(os.environ.get(name) for name in _ENVIRONMENT))


@functools.lru_cache(maxsize=8)
def _filesystem(pid: int, environment: tuple) -> S3FileSystem:
    import s3fs

    # No listing cache: every scan must see the bucket as it is now.
    return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)
