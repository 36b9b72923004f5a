"""What reading one inbox file found, before parsing: kept in its work file so any version of the code parses it.

A work file's candidate is pickled by its classes (`ParsedFile`, `Candidate`): a loader deployed with other code
while a night ran cannot trust it (`work_versions`). What was read stays in plain values (text, bytes, numbers,
dicts), which every version unpickles, and the loader parses it again as the shard would have, by the night's day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.inbox_entries import SKIP_ZH, InboxEntry, NotTakenIn, Skipped, Unreadable
from pipeline.read_day import ReadOn

if TYPE_CHECKING:
    from pipeline.inbox_storage import Storage
    from pipeline.limits import Limits


@dataclass(frozen=True, slots=True)
class InboxRead:
    """What reading one inbox file found: its bytes, or why they were not read, and the day it is read by."""

    inbox_path: str
    content: bytes = b""
    entry: InboxEntry | None = None
    read_on: ReadOn | None = None
    # Refused from its size alone and archived a chunk at a time, never read whole: where, its SHA-256, and the
    # limit it passed (the file-size limit its refusal names).
    archived: tuple[str, str, int] | None = None
    unreadable: str | None = None  # why the pipeline may not open it (permissions): a rejection
    skipped: Skipped | None = None  # left alone this run

    def kept(self, read_on: ReadOn | None) -> dict:
        """Return this read as plain values, by the day its sheets were read by (`read_on`, the parse's)."""
        day = read_on or self.read_on
        return {
            "inbox_path": self.inbox_path,
            "content": self.content,
            "entry": _plain(self.entry),
            "read_on": (day.day.isoformat(), day.ahead) if day is not None else None,
            "archived": self.archived,
            "unreadable": self.unreadable,
            "skipped": _plain(self.skipped),
        }

    @classmethod
    def from_kept(cls, kept: dict) -> InboxRead:
        """Return a read kept by `kept`; raise (KeyError, TypeError, ValueError) where it is not one."""
        day = kept["read_on"]
        return cls(
            kept["inbox_path"],
            kept["content"],
            InboxEntry(**kept["entry"]) if kept["entry"] is not None else None,
            ReadOn(dt.date.fromisoformat(day[0]), day[1]) if day is not None else None,
            tuple(kept["archived"]) if kept["archived"] is not None else None,
            kept["unreadable"],
            Skipped(**kept["skipped"]) if kept["skipped"] is not None else None,
        )


def _plain(record: InboxEntry | Skipped | None) -> dict | None:
    """Return a record's fields by name (`dataclasses.asdict` copies each value deeply, and costs ten times more)."""
    return None if record is None else {name: getattr(record, name) for name in record.__slots__}


def read_inbox_file(
    storage: Storage, inbox_path: str, limits: Limits, read_on: ReadOn | None = None
) -> InboxRead:
    """Read one inbox file's bytes, or say why they are not read; never raises for the file's own sake."""
    try:
        content, entry = storage.read_inbox(inbox_path, limits.max_file_bytes)
        if content is None:
            # Refused from its size alone, and archived a chunk at a time: never read into memory whole.
            archive_path, sha256, entry = storage.archive_inbox_file(inbox_path)
            archived = (archive_path, sha256, limits.max_file_bytes)
            return InboxRead(inbox_path, entry=entry, read_on=read_on, archived=archived)
    except NotTakenIn as exc:
        return InboxRead(inbox_path, read_on=read_on, skipped=exc.skipped)
    except Unreadable as exc:
        entry = storage.lstat_entry(inbox_path)
        if entry is None:
            vanished = Skipped(inbox_path, "vanished", SKIP_ZH["vanished"])
            return InboxRead(inbox_path, read_on=read_on, skipped=vanished)
        return InboxRead(inbox_path, entry=entry, read_on=read_on, unreadable=str(exc))
    return InboxRead(inbox_path, content, entry, read_on)
