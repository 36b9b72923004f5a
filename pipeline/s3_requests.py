"""Make requests to an S3 store through s3fs, and tell what its answers say (error codes, ETags, times)."""

from __future__ import annotations

import calendar
import datetime as dt
import errno
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from s3fs import S3FileSystem

# 403s that say the pipeline's own credentials are refused, not that one object is closed to it.
REFUSED_KEYS = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "RequestTimeTooSkewed",
        "AccountProblem",
        "AllAccessDisabled",
    }
)


def _code(exc: BaseException) -> str:
    """The S3 error code behind an error s3fs translated (`PreconditionFailed`, `NoSuchKey`, `403`, …)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    response = getattr(cause, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _precondition_failed(exc: BaseException) -> bool:
    return _code(exc) in ("PreconditionFailed", "412")


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else None


def _seconds_ns(moment: dt.datetime) -> int:
    """LastModified in nanoseconds, whole seconds: a listing and a HEAD of one object agree."""
    return calendar.timegm(moment.utctimetuple()) * 1_000_000_000


class S3Requests:
    """Requests to one store through the s3fs file system `self.fs`; ObjectStorage reads and writes by them."""

    fs: S3FileSystem

    # Requests. s3fs translates errors: FileNotFoundError (404), PermissionError (403), else OSError.
    def _call(self, method: str, **kwargs: Any) -> dict:
        return self.fs.call_s3(method, **kwargs)

    def _get(self, bucket: str, key: str, **kwargs: Any) -> tuple[dict, bytes]:
        from fsspec.asyn import sync

        return sync(self.fs.loop, self._get_async, bucket, key, kwargs)

    async def _get_async(self, bucket: str, key: str, kwargs: dict) -> tuple[dict, bytes]:
        response = await self.fs._call_s3("get_object", Bucket=bucket, Key=key, **kwargs)
        body = response["Body"]
        try:
            return response, await body.read()
        except OSError:
            raise
        except Exception as exc:  # the connection dropped mid-body (aiohttp's errors are no OSError)
            raise OSError(errno.EIO, f"读取中断：{exc}") from exc
        finally:
            body.close()

    def _pages(self, bucket: str, prefix: str, **kwargs: Any) -> Iterator[dict]:
        """Yield each object under a prefix (ListObjectsV2, every page; no delimiter)."""
        request = {"Bucket": bucket, "Prefix": prefix, **kwargs}
        while True:
            page = self._call("list_objects_v2", **request)
            yield from page.get("Contents", [])
            if not page.get("IsTruncated"):
                return
            request["ContinuationToken"] = page["NextContinuationToken"]

    def _exists(self, bucket: str, key: str) -> bool:
        try:
            self._call("head_object", Bucket=bucket, Key=key)
        except FileNotFoundError:
            return False
        return True
