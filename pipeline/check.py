"""Dry run: say what ingesting some files would do, without writing anything anywhere."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.file_names import decode_name, numbered_name, written_path
from pipeline.inbox_entries import SKIP_ZH, InboxEntry, InboxUnusable, NotTakenIn, Unreadable
from pipeline.inbox_storage import Storage, same_object, storage_for
from pipeline.inbox_walk import walk
from pipeline.intake import Outcome, prepare
from pipeline.intake.candidates import SAME_RUN
from pipeline.intake.retell import told_as_stored
from pipeline.intake.scan import sent_again, taken_in
from pipeline.limits import LimitExceeded, Limits, check_file_size
from pipeline.local_read import open_regular, read_whole
from pipeline.locations import is_url, split_url
from pipeline.read_day import ReadOn, next_night
from pipeline.receipt_facts import ReceiptFacts, ReceiptIssue
from pipeline.registry import Registry
from pipeline.settings import TIMEZONE, Settings
from pipeline.warehouse import checking_reader, current_version


@dataclass(frozen=True, slots=True)
class NotChecked:
    """A file named to check that was not read (no regular file, closed to us, too large), and why."""

    path: str
    reason_zh: str
    # Past the size limit: not read, yet the night returns it with a receipt (too_large), not skipped as a FIFO is.
    returned: bool = False


# A file named to check: a local path, or the URL of an object in an `s3://` inbox.
Named = Path | str


def _object_path(url: str, settings: Settings) -> str | None:
    """Return an object's path in an `s3://` inbox, as the night lists it; None for a URL outside the inbox."""
    if not is_url(settings.inbox):
        return None
    (bucket, key), (inbox_bucket, prefix) = split_url(url), split_url(str(settings.inbox))
    if bucket != inbox_bucket or (prefix and key != prefix and not key.startswith(f"{prefix}/")):
        return None
    return key[len(prefix) :].lstrip("/") if prefix else key


def in_inbox(path: Named, settings: Settings) -> bool:
    """Say whether a file named to check lies in the inbox, where the night will read it."""
    if isinstance(path, str):
        return _object_path(path, settings) is not None
    return not is_url(settings.inbox) and path.resolve().is_relative_to(settings.inbox)


def _identity(path: bytes) -> tuple[int, int] | None:
    """Return a local file's device and inode, which tell it under any of its names; None if it is gone."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def judged_folder(
    path: Named, settings: Settings, registry: Registry, folder: str | None = None
) -> str | None:
    """Return the inbox folder a file outside the inbox is checked as sent in: `folder` if given, else its own
    folder's name where that names one listed office or a shared folder (`某处/枣林街道/清单.xlsx`); None for a file
    in the inbox, which its place there judges, or one checked as at the inbox root.

    Checked as at the root, a file an office would send from its folder with no `填报单位：` line was judged as
    naming no office, which is not what the night does with it.
    """
    if isinstance(path, str) or in_inbox(path, settings):
        return None
    if folder:
        return folder
    parent = decode_name(os.fsencode(path.resolve().parent.name))
    offices = registry.offices
    # An unlisted folder is, in the inbox, an office of its name; here it is as likely `下载` or `tmp`.
    meant = offices.named(parent) if parent else ()
    listed = len(meant) == 1 and meant[0] in offices.offices
    return parent if parent and (offices.is_shared(parent) or listed) else None


def _inbox_relative(path: Named, settings: Settings, folder: str | None = None) -> str:
    """Name a file as the inbox would, so its folder can tell the sending office; one outside the inbox as in
    `folder` (see `judged_folder`), or at the root."""
    if isinstance(path, str):  # an inbox object: its key is Unicode, named as the night lists it
        return _object_path(path, settings) or ""
    resolved = path.resolve()
    if in_inbox(path, settings):
        relative = os.fsencode(resolved.relative_to(settings.inbox).as_posix())
        # A GBK folder or file name is named as the night names its sender: decoded, never its raw bytes.
        return written_path(os.fsdecode(relative), relative)
    # Outside the inbox, as in the folder judged; with none, at the inbox root, where the 填报单位 line decides.
    name = decode_name(os.fsencode(resolved.name))
    return f"{folder}/{name}" if folder else name


def files_under(paths: list[Named], settings: Settings | None = None) -> list[Named | NotChecked]:
    """Return the files named, and every file under the folders named, walked as the night walks the inbox: hidden
    folders passed over, hidden and lock files and every entry that is no regular file `NotChecked` with its
    reason. A URL names an object in the settings' `s3://` inbox, or every object under such a prefix."""
    found: list[Named | NotChecked] = []
    for path in paths:
        if isinstance(path, str):
            found += objects_under(path, settings)
            continue
        try:
            is_folder = path.is_dir()
        except PermissionError:  # in a folder closed to us: reading it says so (`read_named`)
            is_folder = False
        if not is_folder:
            found.append(path)
            continue
        folder = os.fsencode(path)
        try:
            listing = walk(folder)
        except PermissionError:
            # Said of this folder as the night says it of one below the inbox; the other paths are still checked.
            found.append(NotChecked(str(path), SKIP_ZH["folder_closed"]))
            continue
        within: list[tuple[str, Path | NotChecked]] = [
            (e.path, Path(os.fsdecode(os.path.join(folder, e.raw or os.fsencode(e.path)))))
            for e in listing.files
        ]
        within += [(skip.path, NotChecked(str(path / skip.path), skip.reason_zh)) for skip in listing.skipped]
        found += [item for _, item in sorted(within, key=lambda pair: pair[0])]
    return found


def whatever_their_age(settings: Settings) -> Storage:
    """Return the inbox's storage reading files modified just now too: the night reads them once settled."""
    # An object put a minute ago was told 文件仍在写入或刚刚修改 when named to check, while a local file named so, and
    # the same object waiting beside an upload, were read: an object is whole once listed (docs/deploying.md).
    return storage_for(dataclasses.replace(settings, settle_seconds=0))


def objects_under(url: str, settings: Settings) -> list[str | NotChecked]:
    """Return the inbox objects a URL names (itself, or all under it as a prefix), listed as the night lists them."""
    relative = _object_path(url, settings)
    if relative is None:  # not in the inbox: nothing the night reads
        return []
    below = f"{relative.rstrip('/')}/" if relative else ""
    listing = whatever_their_age(settings).scan()
    inbox = str(settings.inbox)
    within: list[tuple[str, str | NotChecked]] = [
        (e.path, f"{inbox}/{e.path}") for e in listing.files if e.path == relative or e.path.startswith(below)
    ]
    within += [
        (skip.path, NotChecked(f"{inbox}/{skip.path}", skip.reason_zh))
        for skip in listing.skipped
        if skip.path == relative or skip.path.startswith(below)
    ]
    return [item for _, item in sorted(within, key=lambda pair: pair[0])]


def receipt_facts(outcome: Outcome, received_at: dt.datetime) -> ReceiptFacts:
    """Describe an outcome the way its receipt would, before anything is stored."""
    return ReceiptFacts(
        submission_id=outcome.submission_id or 0,
        original_name=outcome.inbox_path.rsplit("/", 1)[-1],
        unit=outcome.unit,
        received_at=received_at.strftime("%Y-%m-%d %H:%M:%S%z"),
        sha256=outcome.sha256,
        status=outcome.status,
        templates=outcome.templates,
        year=outcome.year,
        reason=outcome.reason,
        issues=sorted((ReceiptIssue.of(p) for p in outcome.problems), key=ReceiptIssue.order),
    )


def read_object(url: str, settings: Settings) -> bytes | NotChecked:
    """Read an inbox object named to check as ingest reads it: the version listed, never past the size limit."""
    try:
        content, entry = whatever_their_age(settings).read_inbox(
            _inbox_relative(url, settings), settings.limits.max_file_bytes
        )
        if content is None:
            check_file_size(entry.size, settings.limits)
        return content
    except NotTakenIn as exc:
        return NotChecked(url, exc.skipped.reason_zh)
    except LimitExceeded as exc:
        return NotChecked(url, str(exc), returned=True)
    except Unreadable as exc:
        return NotChecked(url, str(exc))


def read_named(path: Path, limits: Limits) -> bytes | NotChecked:
    """Read a file named to check as ingest reads the inbox: never a link, a FIFO or a device, nor past the size
    limit; say why when it is not read."""
    try:
        with open_regular(os.fsencode(path), str(path)) as (handle, status):
            # Refused from its size alone, as ingest refuses it: a file past the limit is never read into memory.
            check_file_size(status.st_size, limits)
            return read_whole(handle, status, str(path))
    except NotTakenIn as exc:
        return NotChecked(str(path), exc.skipped.reason_zh)
    except LimitExceeded as exc:
        return NotChecked(str(path), str(exc), returned=True)
    except Unreadable as exc:
        return NotChecked(str(path), str(exc))


def check_files(
    paths: list[Named | NotChecked],
    settings: Settings,
    registry: Registry,
    read_on: ReadOn | None = None,
    folder: str | None = None,
) -> list[ReceiptFacts | NotChecked]:
    """Prepare the files exactly as ingest would, consulting the warehouse read-only if there is one; a file that
    cannot be read safely is `NotChecked`, in its place. `read_on`: the day they are read by, the next night's if
    not given; `folder`: the inbox folder files outside the inbox are sent in (`judged_folder`)."""
    read = [
        p
        if isinstance(p, NotChecked)
        else read_object(p, settings)
        if isinstance(p, str)
        else read_named(p, settings.limits)
        for p in paths
    ]
    named = [(p, r) for p, r in zip(paths, read, strict=True) if isinstance(r, bytes)]
    files = [
        (_inbox_relative(p, settings, judged_folder(p, settings, registry, folder)), r) for p, r in named
    ]
    # Read as the night will read them, beside the files waiting in the inbox; one checked where it lies there is
    # one of those, not beside itself (an inbox object is told by its path, a local file by its inode).
    in_place = frozenset(
        filter(
            None,
            (
                _inbox_relative(p, settings) if isinstance(p, str) else _identity(os.fsencode(p))
                for p, _ in named
                if in_inbox(p, settings)
            ),
        )
    )
    found = (
        check_contents(files, settings, registry, True, in_place, read_on or next_night()) if files else []
    )
    # Each under the name it was given: `清单（2）.xlsx`, beside a waiting 清单.xlsx, is where the portal places it.
    facts = iter(
        dataclasses.replace(f, original_name=path.rpartition("/")[2])
        for f, (path, _) in zip(found, files, strict=True)
    )
    return [r if isinstance(r, NotChecked) else next(facts) for r in read]


def _entry_identity(entry: InboxEntry, settings: Settings) -> tuple[int, int] | str | None:
    """Return what tells an inbox entry checked in place: an object's path, a local file's device and inode."""
    if is_url(settings.inbox):
        return entry.path
    return _identity(os.path.join(os.fsencode(settings.inbox), entry.raw or os.fsencode(entry.path)))


# The most files waiting in the inbox a check reads beside its own (the newest). Each is parsed and validated
# again for every check: 100 waiting files took a check from 0.3 s to about 3 s (seed-777 files, a busy 2-core
# machine), and by day the inbox holds the few files sent since the night.
WAITING_MAX = 200


def waiting_files(
    con,
    settings: Settings,
    checked: frozenset[tuple[int, int] | str] = frozenset(),
    checked_entries: dict[str, InboxEntry] | None = None,
) -> list[tuple[str, bytes, InboxEntry]]:
    """Return the inbox files the published warehouse has not taken in, oldest first, as the night will read them
    beside a file placed now: a register among them names its projects, a copy makes the new file a duplicate.

    `checked`: the identities (`_entry_identity`) of files checked where they lie in the inbox, not beside themselves;
    their entries go to `checked_entries`, by inbox path.
    """
    # Whatever their age: the night reads them once settled, and a file placed a minute ago (an upload) counts.
    storage = whatever_their_age(settings)
    known = taken_in(con)
    try:
        listing = storage.scan()
    except InboxUnusable:  # no inbox yet (the first upload makes its folder): nothing waits in it
        return []
    entries = []
    for entry in listing.files:
        if checked and _entry_identity(entry, settings) in checked:
            if checked_entries is not None:
                checked_entries[entry.path] = entry
        elif (
            (seen := known.get(entry.path)) is None
            or not same_object(entry, seen[0], seen[1], seen[3])
            or sent_again(entry, seen)  # a returned file saved again, its bytes maybe unchanged
        ):
            entries.append(entry)
    entries.sort(key=lambda entry: (entry.mtime_ns, entry.path))
    waiting = []
    for entry in entries[-WAITING_MAX:]:
        try:
            content, read = storage.read_inbox(entry.path, settings.limits.max_file_bytes)
        except (NotTakenIn, Unreadable, OSError):
            continue  # the night gives it its own outcome; it tells nothing about the file checked now
        if content is not None:
            waiting.append((entry.path, content, read))
    return waiting


# A file waiting in the inbox is no file sent with this one, to the clerk checking it.
_WAITING = "与收件箱中等待今晚接收的"


def _repeats_waiting(candidate, placed: dict[str, str], waiting: set[str]) -> bool:
    """Say whether a duplicate repeats a file waiting in the inbox, not another of the files checked with it."""
    original = candidate.duplicate_of
    # None, or one the warehouse holds, named by its number (0: a file of the run).
    if original is None or original[0]:
        return False
    name = original[1]
    return not any(path.rpartition("/")[2] == name for path in placed) and any(
        path.rpartition("/")[2] == name for path in waiting
    )


def _placed(path: str, waiting: set[str]) -> str:
    """Return the inbox path a file is placed at beside these waiting files: its own, or numbered (`清单（2）.xlsx`)."""
    if path not in waiting:
        return path
    folder, _, name = path.rpartition("/")
    prefix = f"{folder}/" if folder else ""
    return prefix + numbered_name(name, lambda found: f"{prefix}{found}" in waiting)


def check_contents(
    files: list[tuple[str, bytes]],
    settings: Settings,
    registry: Registry,
    beside_waiting: bool = False,
    in_place: frozenset[tuple[int, int] | str] = frozenset(),
    read_on: ReadOn | None = None,
) -> list[ReceiptFacts]:
    """Prepare files given as (inbox path, bytes) exactly as ingest would; the path's folder names the sender.

    Files given under one name (two folders' a.xlsx, one upload of two a.xlsx) are each checked as the one file of
    that name in the inbox, in a round of their own, so each gets its own receipt under the name it was given.
    `beside_waiting`: as files about to be placed in the inbox, read with the files already waiting there, and a
    later one of a name beside the earlier ones of that name, placed before it (a copy of one is the duplicate).
    `in_place`: the identities of files checked where they lie in the inbox, themselves among those waiting.
    `read_on`: the day the night that takes them in will read them by (`read_day.next_night`); today if not given.
    """
    rounds: list[dict[str, int]] = []  # each round: inbox path → where the file stands in `files`
    for index, (path, _) in enumerate(files):
        free = next((r for r in rounds if path not in r), None)
        if free is None:
            rounds.append(free := {})
        free[path] = index
    now = dt.datetime.now(TIMEZONE)
    facts: list[ReceiptFacts | None] = [None] * len(files)
    # The published warehouse, never the writer's copy: a dry run works while a run holds the lock.
    published = current_version(settings.warehouse) is not None
    with checking_reader(settings.warehouse, registry) if published else contextlib.nullcontext() as con:
        own: dict[str, InboxEntry] = {}
        beside = waiting_files(con, settings, in_place, own) if beside_waiting else []
        waiting = {w[0] for w in beside}
        # The earlier files of a name given again that would be accepted, by the inbox path each is placed at:
        # waiting when a later one of that name is placed (the portal places what would be accepted and holds the
        # rest for 仍然提交). Two copies of a.csv in one upload were both told 将被接收, the second placed as
        # a（2）.csv, and the night recorded it a duplicate.
        earlier: dict[str, tuple[str, bytes]] = {}
        for taken in rounds:
            # A later round is read beside the files of the other names checked with it (the first round holds
            # one of each), as the night reads them all: a register among them names the projects of every round.
            together = {path: index for path, index in rounds[0].items() if path not in taken} | taken
            # A file placed beside a waiting one of its name never replaces it (portal.uploads.place_in_inbox): it
            # is checked under the name it will be given, `清单（2）.xlsx`, beside that file, as the night reads both.
            before = {name: content for name, (path, content) in earlier.items() if path in taken}
            placed = {
                _placed(path, waiting | before.keys()): path
                for path in sorted(together, key=together.__getitem__)
            }
            entries = [(name, files[together[path]][1], own.get(name)) for name, path in placed.items()]
            # Older than the files checked: the night reads them first, and a copy of one is the duplicate.
            entries = (
                [w for w in beside if w[0] not in placed]
                + [(name, content, None) for name, content in before.items()]
                + entries
            )
            # But for a file checked where it lies in the inbox: the night reads it among the others, as received
            # (a copy of it waiting since later is the duplicate, not it); a new file stays last, as given.
            entries.sort(key=lambda e: (0, e[2].mtime_ns, e[0]) if e[2] else (1, 0, ""))
            candidates, _ = prepare(con, registry, entries, limits=settings.limits, read_on=read_on)
            for candidate in candidates:
                if placed.get(candidate.inbox_path) in taken:
                    found = receipt_facts(candidate.outcome, now)
                    if candidate.duplicate_of and candidate.duplicate_of[0] and found.reason:
                        # Worded as the night's receipt will word it once stored: a correction named, say.
                        [told] = told_as_stored(con, [(candidate.duplicate_of[0], found.reason)])
                        found = dataclasses.replace(found, reason=told)
                    if _repeats_waiting(candidate, placed, waiting):
                        # Not one of this upload: a file placed earlier, in the inbox until tonight.
                        found = dataclasses.replace(
                            found,
                            reason=found.reason.replace(SAME_RUN, _WAITING, 1) if found.reason else None,
                        )
                    facts[taken[placed[candidate.inbox_path]]] = found
            if beside_waiting:
                earlier |= {
                    name: (path, files[index][1])
                    for name, path in placed.items()
                    # One checked where it lies in the inbox is not placed: it is there already, among the waiting.
                    if (index := taken.get(path)) is not None
                    and facts[index].status == "accepted"
                    and name not in own
                }
    return facts  # type: ignore[return-value]  # every place filled: each file is in exactly one round
