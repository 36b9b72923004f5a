"""Dry run: say what ingesting some files would do, without writing anything anywhere."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from pipeline.intake import Outcome, prepare
from pipeline.receipts import ReceiptFacts, ReceiptIssue
from pipeline.registry import Registry
from pipeline.settings import TIMEZONE, Settings
from pipeline.warehouse import current_version, published_reader


def _inbox_relative(path: Path, settings: Settings) -> str:
    """Name a file as the inbox would, so its folder can tell the sending office."""
    resolved = path.resolve()
    if resolved.is_relative_to(settings.inbox):
        return resolved.relative_to(settings.inbox).as_posix()
    # Outside the inbox no folder says who sent it: checked as at the inbox root, where the 填报单位 line decides.
    return resolved.name


def files_under(paths: list[Path]) -> list[Path]:
    """Return the files named, and every file under the folders named, in name order; hidden and lock files not."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                # As the nightly run: regular files only, never a link to somewhere else.
                if p.is_file()
                and not p.is_symlink()
                and not any(part.startswith((".", "~$")) for part in p.relative_to(path).parts)
            )
        else:
            found.append(path)
    return found


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


def check_files(paths: list[Path], settings: Settings, registry: Registry) -> list[ReceiptFacts]:
    """Prepare the files exactly as ingest would, consulting the warehouse read-only if there is one."""
    return check_contents([(_inbox_relative(p, settings), p.read_bytes()) for p in paths], settings, registry)


def check_contents(
    files: list[tuple[str, bytes]], settings: Settings, registry: Registry
) -> list[ReceiptFacts]:
    """Prepare files given as (inbox path, bytes) exactly as ingest would; the path's folder names the sender.

    Files given under one name (two folders' a.xlsx, one upload of two a.xlsx) are each checked as the one file of
    that name in the inbox, in a round of their own, so each gets its own receipt under the name it was given.
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
    with published_reader(settings.warehouse) if published else contextlib.nullcontext() as con:
        for taken in rounds:
            entries = [(path, files[index][1], None) for path, index in taken.items()]
            candidates, _ = prepare(con, registry, entries, limits=settings.limits)
            for candidate in candidates:
                facts[taken[candidate.inbox_path]] = receipt_facts(candidate.outcome, now)
    return facts  # type: ignore[return-value]  # every place filled: each file is in exactly one round
