"""Rewrite an Office package with fixed times, so that equal content gives equal bytes."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable

# Office files: both are zip packages whose members carry the time they were written.

# zlib's fastest level: the packages' XML deflates to about 1.3 times the bytes of the default level (6) in
# two fifths of the time, on the Word and Excel writer's critical path; most of a Word file is its PNG charts, stored.
DEFLATE_LEVEL = 1
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def stable_zip(
    package: bytes,
    stamp: dt.datetime,
    edit: Callable[[str, bytes], bytes] | None = None,
    added: dict[str, bytes] | None = None,
) -> bytes:
    """Rewrite an Office package with every time fixed to `stamp`, so equal content gives equal bytes.

    `edit(name, data)`, if given, returns each member's content as it is to be written; `added` members
    (images, compressed already) are stored after them as they are.
    """
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        members = ((item.filename, source.read(item)) for item in source.infolist())
        if edit is not None:
            members = ((name, edit(name, data)) for name, data in members)
        return stable_package(members, stamp, added)


def stable_package(
    members: Iterable[tuple[str, bytes]], stamp: dt.datetime, added: dict[str, bytes] | None = None
) -> bytes:
    """Write an Office package of these members, in this order, every time fixed to `stamp` (see `stable_zip`)."""
    utc = stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    local = stamp.timetuple()[:6]
    out = io.BytesIO()

    def write(target: zipfile.ZipFile, name: str, data: bytes, compression: int) -> None:
        info = zipfile.ZipInfo(name, local)
        info.compress_type = compression
        info.external_attr = 0o644 << 16
        target.writestr(info, data, compresslevel=DEFLATE_LEVEL)

    with zipfile.ZipFile(out, "w") as target:
        for name, data in members:
            if name == "docProps/core.xml":
                data = _CORE_TIMES.sub(lambda m: m.group(1) + utc + m.group(3), data)
            write(target, name, data, zipfile.ZIP_DEFLATED)
        for name, data in (added or {}).items():
            write(target, name, data, zipfile.ZIP_STORED)
    return out.getvalue()
