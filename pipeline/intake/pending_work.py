"""Choose the work files a load takes in: new or changed inbox files, and returned ones saved again."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.inbox_storage import Storage, same_object
from pipeline.intake.scan import sent_again
from pipeline.intake.work_format import WorkFile

# What `scan.taken_in` holds of an inbox file taken in: size, mtime_ns, SHA-256, change marker, whether returned.
Seen = tuple[int, int, str | None, str | None, bool]


def pending_work(storage: Storage, work_files: Iterable[WorkFile], known: dict[str, Seen]) -> list[WorkFile]:
    """Return the work files to take in, in load order, `known` holding the inbox files taken in already."""
    # A retried load finds files it already stored: those are taken in, not duplicates of themselves.
    return sorted(
        (
            w
            for w in work_files
            if w.inbox_path not in known
            or (known[w.inbox_path][2] != w.sha256 and not _overtaken(storage, w, known[w.inbox_path]))
            or _sent_again(storage, w, known[w.inbox_path])
        ),
        key=lambda w: w.load_order,
    )


def _overtaken(storage: Storage, work_file: WorkFile, seen: Seen) -> bool:
    """Whether another writer took in the inbox file as it is now after this version of it was parsed."""
    # A `pipeline ingest` run between a DAG's shards and its load took in a correction sent meanwhile; stored after
    # it, the version the shard read stood in force over it, and the correction, sent again, was a duplicate.
    if seen[2] is None:  # recorded unreadable: the version read now is the first, whatever its stat
        return False
    try:
        entry = storage.lstat_entry(work_file.inbox_path)
    except OSError:  # its folder closed or gone meanwhile: the file's own outcome, judged as parsed
        return False
    return entry is not None and same_object(entry, seen[0], seen[1], seen[3])


def _sent_again(storage: Storage, work_file: WorkFile, seen: Seen) -> bool:
    """Whether a returned file was saved again, its bytes unchanged, since it was recorded (a retried load finds a
    file it took in as it is now)."""
    if not seen[4] or seen[2] != work_file.sha256:
        return False
    try:
        entry = storage.lstat_entry(work_file.inbox_path)
    except OSError:  # its folder closed or gone meanwhile: nothing sent again to take in
        return False
    return entry is not None and sent_again(entry, seen)
