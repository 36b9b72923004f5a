"""List a local inbox folder's regular files, skipping every other entry with its reason, opening none."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator

from pipeline.file_names import (
    SPREADSHEET_SUFFIXES,
    bounded_name,
    decode_name,
    escaped_name,
    hidden_kind,
    is_utf8,
    not_sent,
)
from pipeline.inbox_entries import SKIP_ZH, InboxEntry, InboxListing, Skipped
from pipeline.local_read import _kind_of, _read_failed, local_marker


def walk(root: bytes, raw_paths: dict[str, bytes] | None = None) -> InboxListing:
    """List the regular files under a folder and skip every other entry with its reason, opening no file.

    Paths are relative to `root`; `raw_paths` learns the bytes of each one whose name is not UTF-8. Symlinks are
    never followed. Hidden and lock files are skipped by their names (`hidden_kind`), hidden folders passed over
    silently. Only `root` itself not listing or entering raises (OSError); any folder or entry below it is
    skipped with its reason, and the walk goes on.
    """
    listing = InboxListing()
    # Depth first with a stack of each open folder's remaining entries: no depth of folders can stop the night.
    stack: list[tuple[Iterator[tuple[os.DirEntry, str]], tuple, tuple]] = [(iter(_listed(root)), (), ())]
    while stack:
        entries, raw_parts, parts = stack[-1]
        named = next(entries, None)
        if named is None:
            stack.pop()
            continue
        entry, name = named
        raw = (*raw_parts, entry.name)
        path = "/".join((*parts, name))
        raw_path = _raw_of(raw)
        try:
            mode = entry.stat(follow_symlinks=False)
        except PermissionError as exc:
            if not parts:
                raise
            # The folder lists but cannot be entered (r--): none of its entries can be, so it is skipped once.
            listing.skipped.append(_not_listed("/".join(parts), _raw_of(raw_parts), exc))
            stack.pop()
            continue
        except OSError as exc:
            listing.skipped.append(_not_listed(path, raw_path, exc))
            continue
        if not_sent(name):
            # A hidden folder is a tool's own (.git, .Trash, a sync client's): passed over whole, without a word. A
            # file is logged, so a survey hidden by mistake is not lost without a trace.
            if not stat.S_ISDIR(mode.st_mode) and (kind := hidden_kind(name)):
                listing.skipped.append(Skipped(path, kind, SKIP_ZH[kind], raw_path))
            continue
        if raw_path is not None and raw_paths is not None:
            raw_paths[path] = raw_path
        if stat.S_ISDIR(mode.st_mode):
            if name.lower().endswith(SPREADSHEET_SUFFIXES):
                # Meant as a table (an unzipped workbook, a slip), empty it had no outcome at all: logged each run,
                # as any entry that is no regular file; the files in it are read as any folder's.
                listing.skipped.append(Skipped(path, "folder", SKIP_ZH["folder"], raw_path))
            try:
                inner = _listed(entry.path)
            except OSError as exc:  # a folder gone, closed to us or too deep: its files are not read
                listing.skipped.append(_not_listed(path, raw_path, exc))
            else:
                stack.append((iter(inner), raw, (*parts, name)))
        elif stat.S_ISREG(mode.st_mode):
            listing.files.append(
                InboxEntry(path, mode.st_size, mode.st_mtime_ns, raw_path, local_marker(mode))
            )
        else:
            kind = _kind_of(mode.st_mode)
            listing.skipped.append(Skipped(path, kind, SKIP_ZH[kind], raw_path))
    return listing


def _name(entry: os.DirEntry) -> bytes:
    return entry.name


def _listed(folder: bytes) -> list[tuple[os.DirEntry, str]]:
    """Return a folder's entries, named and in name order."""
    with os.scandir(folder) as scanned:
        return _names(sorted(scanned, key=_name))


def _raw_of(raw_parts: tuple) -> bytes | None:
    """Return a listed path's bytes when any part of it is not UTF-8, else None."""
    return b"/".join(raw_parts) if any(not is_utf8(part) for part in raw_parts) else None


# How a folder or entry that cannot be listed is skipped, by the error: the rest of the inbox goes on.
_NOT_LISTED = {
    errno.ENOENT: "vanished",
    errno.EACCES: "folder_closed",
    errno.EPERM: "folder_closed",
    errno.ENAMETOOLONG: "path_too_long",
}


def _not_listed(path: str, raw: bytes | None, exc: OSError) -> Skipped:
    kind = _NOT_LISTED.get(exc.errno)
    if kind is None:
        return _read_failed(path, raw, exc).skipped
    return Skipped(path, kind, SKIP_ZH[kind], raw)


def _names(entries: list[os.DirEntry]) -> list[tuple[os.DirEntry, str]]:
    """Name each entry of one folder as text, uniquely: UTF-8 names as they are, then the others decoded."""
    taken = {e.name.decode("utf-8") for e in entries if is_utf8(e.name)}
    named = []
    for entry in entries:
        if is_utf8(entry.name):
            named.append((entry, entry.name.decode("utf-8")))
            continue
        # A GBK name decoding to a UTF-8 name beside it falls back to the escaped form, which cannot collide.
        for name in (decode_name(entry.name), escaped_name(entry.name)):
            if name not in taken:
                break
        else:
            name = bounded_name(name, f"~{hashlib.sha256(entry.name).hexdigest()[:8]}")
        taken.add(name)
        named.append((entry, name))
    return named
