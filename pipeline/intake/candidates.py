"""What one file becomes on its way in: its bytes read safely, parsed, and its outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.drop_downs import worded_for_file
from pipeline.file_names import written_path
from pipeline.inbox_entries import InboxEntry, Skipped
from pipeline.intake.inbox_reads import InboxRead, read_inbox_file
from pipeline.limits import Limits
from pipeline.local_read import sha256_of
from pipeline.parse import parse_file, too_large_file, unreadable_file
from pipeline.parsed_file import ParsedFile
from pipeline.problems import Problem, Severity
from pipeline.read_day import ReadOn
from pipeline.receipt_facts import with_force_note
from pipeline.registry import Registry
from pipeline.settle_unit import one_office

if TYPE_CHECKING:
    from pipeline.inbox_storage import Storage
    from pipeline.offices import Offices


@dataclass(slots=True)
class Outcome:
    """What happened to one file."""

    inbox_path: str
    sha256: str
    status: str
    submission_id: int | None = None
    unit: str | None = None
    year: int | None = None
    templates: list[str] = field(default_factory=list)
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    reason: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]


@dataclass(slots=True)
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)
    unchanged: int = 0
    # Inbox entries not taken in: no regular file, or left for the next run (still being written, gone).
    skipped: list[Skipped] = field(default_factory=list)
    receipts_failed: int = 0  # receipts that could not be written; retried next run
    data_docs: Path | None = None
    data_docs_failed: str | None = (
        None  # why the Data Docs could not be written: the load went on without them
    )
    # Wall seconds per step ("read", "parse", "validate", "load"), for the benchmark's split.
    timings: dict[str, float] = field(default_factory=dict)
    # When an earlier attempt of this load finished it: a retry that found its work files already loaded.
    loaded_before: dt.datetime | None = None

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


@dataclass(slots=True, weakref_slot=True)  # weakly referable: a test follows when a chunk lets its files go
class Candidate:
    """A new file on its way in: its bytes, fingerprint, what parsing found, and its outcome."""

    inbox_path: str
    content: bytes
    sha256: str | None  # None when the file could not be read at all
    entry: InboxEntry | None = None
    parsed: ParsedFile | None = None
    # settle.Original: number, name, sending folder, how it stands (receipt_facts.force_sql)
    duplicate_of: tuple[int, str, str | None, str | None] | None = None
    outcome: Outcome | None = None
    archive_path: str | None = None  # set when archived before parsing: a file too large to hold in memory
    skipped: Skipped | None = None  # not taken in this run: nothing is recorded

    @property
    def carries_register(self) -> bool:
        return self.parsed is not None and "project_register" in self.parsed.templates


# How a duplicate names a file of its own run; a dry run beside the inbox's waiting files words those its own way
# (check.check_contents).
SAME_RUN = "与本次同时报送的"


# How a duplicate names a file it may not name: one sent for its office from another office's folder (代报), or put
# in a shared one. Nor are that file's corrections named to it (retell._force_note).
UNNAMED = ("与此前已接收的一份提交", f"{SAME_RUN}另一份文件")


def duplicate_reason(number: int | None, name: str, same_folder: bool, status: str | None) -> str:
    """Say what a duplicate repeats (submission `number`, or a file of the same run) and, if that file is out of
    force (`status`), where that left its data. `same_folder`: sent from a folder of the office that sent it."""
    if not same_folder:
        reason = f"{UNNAMED[0]}内容完全相同，未重复入库。" if number else f"{UNNAMED[1]}内容完全相同。"
    elif number:
        reason = f"与第{number}号提交“{name}”内容完全相同，未重复入库。"
    else:
        reason = f"{SAME_RUN}“{name}”内容完全相同。"
    # "Not stored again" reads as "the data is in": say where a copy out of force left it.
    return with_force_note(reason, status)


def outcome_of(candidate: Candidate, offices: Offices) -> Outcome:
    """Say what became of a parsed file; a duplicate names its office, year and templates, but no problem."""
    parsed = candidate.parsed
    # Read as any file is, so its folder (in a shared folder, its 填报单位 line) names the office that resent it.
    # A file returned for rows of two years (year_span) has no one year: told 2023年度 it read as if its 2022 rows
    # were the mistake, where a ledger whose dates span two is 年度未知. Sheets of a workbook each stating its own
    # year are the file's largest (ops.submissions.year), each sheet's rows in its own year's slice.
    spans = any(p.rule == "year_span" for p in parsed.errors)
    said = {
        "unit": parsed.unit,
        "year": max(parsed.years) if parsed.years and not spans else None,
        "templates": parsed.templates,
    }
    if candidate.duplicate_of:
        number, name, folder, status = candidate.duplicate_of
        reason = duplicate_reason(number, name, one_office(folder, parsed.sending_folder, offices), status)
        return Outcome(candidate.inbox_path, candidate.sha256, "duplicate", reason=reason, **said)
    problems = worded_for_file(parsed)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    return Outcome(
        candidate.inbox_path,
        candidate.sha256,
        "rejected" if errors else "accepted",
        **said,
        rows=sum(len(s.records) for s in parsed.sheets) if not errors else 0,
        problems=problems,
        reason=errors[0].message_zh if errors else None,
    )


def parse_candidate(
    inbox_path: str,
    content: bytes,
    entry: InboxEntry | None,
    registry: Registry,
    limits: Limits | None = None,
    raw: bytes | None = None,
    read_on: ReadOn | None = None,
) -> Candidate:
    """Fingerprint and parse one file's bytes; bad data becomes problems on the result, never an exception.

    `raw`: the path's bytes as the inbox listed them, where no `entry` says so (a file read back from the archive).
    `read_on`: the day its night reads it by (`read_day`); today where none is given.
    """
    written = written_path(inbox_path, entry.raw if entry is not None else raw)
    return Candidate(
        inbox_path,
        content,
        sha256_of(content),
        entry,
        parse_file(content, written, registry, limits, read_on),
    )


def parsed_read(read: InboxRead, registry: Registry, limits: Limits) -> Candidate:
    """Parse what reading an inbox file found, or say why it is not taken in; never raises for the file's own sake."""
    path, entry = read.inbox_path, read.entry
    if read.skipped is not None:
        return Candidate(path, b"", None, skipped=read.skipped)
    if read.archived is not None:
        archive_path, sha256, max_file_bytes = read.archived
        limits = replace(limits, max_file_bytes=max_file_bytes)  # the limit it was refused by
        refused = too_large_file(written_path(path, entry.raw), entry.size, limits, registry.offices)
        return Candidate(path, b"", sha256, entry, refused, archive_path=archive_path)
    if read.unreadable is not None:
        refused = unreadable_file(written_path(path, entry.raw), read.unreadable, registry.offices)
        return Candidate(path, b"", None, entry, refused)
    return parse_candidate(path, read.content, entry, registry, limits, read_on=read.read_on)


def read_candidate(
    storage: Storage,
    registry: Registry,
    inbox_path: str,
    limits: Limits,
    read_on: ReadOn | None = None,
) -> Candidate:
    """Read and parse one inbox file, or say why it is not taken in; never raises for the file's own sake."""
    return parsed_read(read_inbox_file(storage, inbox_path, limits, read_on), registry, limits)
