"""Compare the inbox with what the warehouse has taken in, without writing anything."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb

from pipeline.inbox_entries import SKIP_ZH, InboxEntry, NotTakenIn, Skipped, Unreadable
from pipeline.inbox_storage import Storage, marker_of, same_object, storage_for
from pipeline.local_read import rewritten_in_place
from pipeline.settings import Settings
from pipeline.warehouse import readable, reader


@dataclass(slots=True)
class InboxScan:
    """The inbox against what the warehouse has taken in."""

    fresh: list[InboxEntry] = field(default_factory=list)
    touched: list[InboxEntry] = field(default_factory=list)  # stat changed, bytes as taken in
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)  # not taken in: no regular file, or not settled


def taken_in(
    con: duckdb.DuckDBPyConnection | None,
) -> dict[str, tuple[int, int, str | None, str | None, bool]]:
    """Return size, mtime, SHA-256 (None: it could not be read), change marker (an object's ETag, a local file's
    inode and ctime; None if recorded before markers) and whether it was returned, of every inbox path as last taken
    in."""
    if con is None:
        return {}
    columns = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'ops' and table_name = 'inbox_files'"
        ).fetchall()
    }
    if not columns:
        return {}
    # A warehouse read before the loader added the column has no markers yet.
    marker = "f.marker" if "marker" in columns else "null"
    return {
        path: (size, mtime, sha, mark, returned)
        for path, size, mtime, sha, mark, returned in con.execute(
            f"select f.inbox_path, f.size, f.mtime_ns, f.sha256, {marker}, coalesce(s.status = 'rejected', false) "
            "from ops.inbox_files as f left join ops.submissions as s using (submission_id)"
        ).fetchall()
    }


def sent_again(entry: InboxEntry, seen: tuple[int, int, str | None, str | None, bool]) -> bool:
    """Whether a returned file was saved again since it was recorded, its bytes maybe unchanged."""
    # Its modified time moved (the same bytes put again in an object store keep their ETag; saving or touching a
    # local file moves it), or it was written again where it lies with its mtime kept: the clerk's copy of the list
    # put over it again. A file with new inode and ctime, its mtime kept, is either a data root copied or moved
    # (`cp -a`, a new disk: every file so) or a copy put anew by a tool that keeps mtimes; its bytes, as taken in,
    # keep its outcome rather than take every returned file of a moved data root in again.
    return seen[4] and (entry.mtime_ns != seen[1] or rewritten_in_place(marker_of(entry), seen[3]))


def scan_inbox(
    con: duckdb.DuckDBPyConnection | None, storage: Storage, skip: frozenset[str] = frozenset()
) -> InboxScan:
    """Sort the inbox (oldest first) into fresh, touched-but-unchanged, unchanged and skipped entries.

    Nothing is written. A file is as taken in when its size and change marker (an object's ETag, a local file's
    inode and ctime) match, or, recorded without a marker, its size and mtime. Only a known file that moved is read, to see whether its bytes did too
    (a returned one whose mtime moved, or written again where it lies, is sent again, whatever its bytes);
    a new or changed file modified within the settle window waits for the next run. A file that could not be
    read before is looked at again once it can be opened.
    """
    known = taken_in(con)
    listing = storage.scan()
    scan = InboxScan(skipped=[s for s in listing.skipped if s.path not in skip])
    for entry in sorted(listing.files, key=lambda e: (e.mtime_ns, e.path)):
        seen = known.get(entry.path)
        if entry.path in skip:
            continue
        try:
            # A returned file saved again is sent again, its bytes unchanged: a list sent before its project's
            # register, as its receipt asked, passes now.
            if seen is None or sent_again(entry, seen):
                pass
            elif same_object(entry, seen[0], seen[1], seen[3]):
                if seen[2] is not None or not storage.readable(entry.path):
                    scan.unchanged += 1
                    continue
            # Its marker moved: the bytes as taken in, whatever its outcome, are remembered under the new marker.
            # A file still unreadable, its size and mtime as recorded, is the one refused before, told once.
            elif (
                seen[2] == storage.inbox_sha256(entry.path)
                if seen[2] is not None
                else (entry.size, entry.mtime_ns) == seen[:2] and not storage.readable(entry.path)
            ):
                scan.touched.append(entry)
                scan.unchanged += 1
                continue
        except (NotTakenIn, Unreadable):
            pass  # found again below, as unsettled or as the reading's own outcome
        if storage.settling(entry):
            scan.skipped.append(Skipped(entry.path, "settling", SKIP_ZH["settling"], entry.raw))
        else:
            scan.fresh.append(entry)
    return scan


def scan_published(settings: Settings) -> InboxScan:
    """Compare the inbox with what the warehouse has taken in (the writer's copy where there is one); only read."""
    storage = storage_for(settings)
    # Read by the published file alone, a first load not yet published left every file new again the next night,
    # and every shard parsed the whole inbox again.
    if not readable(settings.warehouse):
        return scan_inbox(None, storage)
    with reader(settings.warehouse) as con:
        return scan_inbox(con, storage)


def find_new_files(settings: Settings) -> list[str]:
    """Return the inbox paths not yet taken in, oldest first; the warehouse is only read."""
    return [entry.path for entry in scan_published(settings).fresh]


def shards_of(paths: list[str], files_per_shard: int, max_shards: int) -> list[list[str]]:
    """Cut paths, oldest first, into clamp(ceil(files / files_per_shard), 1, max_shards) shards of near-equal size."""
    count = min(max(math.ceil(len(paths) / files_per_shard), 1), max_shards)
    size, extra = divmod(len(paths), count)
    shards, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        shards.append(paths[start:end])
        start = end
    return shards


def find_new_shards(settings: Settings) -> list[list[str]]:
    """Return the new inbox paths as the DAG's shards; always at least one, so the load always runs."""
    return shards_of(find_new_files(settings), settings.shard_files, settings.shards_max)
