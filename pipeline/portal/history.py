"""Read an office's submissions, receipts and the runs from the published warehouse, read-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pipeline.offices import Offices
from pipeline.portal.users import Account
from pipeline.receipt_facts import ReceiptFacts, _facts_from_warehouse
from pipeline.settings import Settings
from pipeline.settle_unit import folder_office
from pipeline.warehouse import current_version, published_reader


@dataclass(slots=True)
class Submission:
    submission_id: int
    original_name: str
    unit: str | None
    sending_folder: str | None
    received_at: str
    status: str
    error_count: int
    warning_count: int
    reason: str | None
    templates: list[str]
    year: int | None
    duplicate_of: int | None
    superseded_by: list[int] = field(default_factory=list)
    supersedes: list[int] = field(default_factory=list)


@contextmanager
def _published(settings: Settings) -> Iterator[object | None]:
    """Open the published warehouse read-only, or give None before the first run has published one."""
    if current_version(settings.warehouse) is None:
        yield None
        return
    with published_reader(settings.warehouse) as con:
        yield con


def own_folders(con, offices: Offices, office: str) -> list[str]:
    """Return the inbox folders whose files are this office's: the folders the night takes as its own."""
    folders = con.execute(
        "select distinct sending_folder from ops.submissions where sending_folder is not null"
    ).fetchall()
    return [f for (f,) in folders if [o.name for o in folder_office(f, offices)] == [office]]


def _visible(con, account: Account, offices: Offices) -> list[str] | None:
    """Return the folders this account may see; None for an administrator, who sees every one."""
    return None if account.is_admin else own_folders(con, offices, account.office)


def submissions(settings: Settings, account: Account, offices: Offices, limit: int = 500) -> list[Submission]:
    """Return the submissions this account may see, newest first, with which file superseded which."""
    with _published(settings) as con:
        if con is None:
            return []
        folders = _visible(con, account, offices)
        # An office's files are those of its folders, and those the night took as its own from a shared folder
        # (the inbox root, 公共收件: the `填报单位：` line decides), whose receipts go to its folder too.
        rows = con.execute(
            "select submission_id, original_name, unit, sending_folder, strftime(received_at, '%Y-%m-%d %H:%M'), "
            # The file a duplicate repeats is named only to the office whose folder sent it (as its receipt names
            # it: candidates.duplicate_reason): not another office's, nor one put in a shared folder.
            "status, error_count, warning_count, reason, templates, year, (select o.submission_id from "
            "ops.submissions o where o.submission_id = s.duplicate_of and (? or o.sending_folder is not distinct "
            "from s.sending_folder or (o.sending_folder in (select unnest(?::varchar[])) and s.sending_folder in "
            "(select unnest(?::varchar[]))))) from ops.submissions s "
            "where ? or sending_folder in (select unnest(?::varchar[])) or unit = ? "
            "order by submission_id desc limit ?",
            [
                folders is None,
                folders or [],
                folders or [],
                folders is None,
                folders or [],
                account.office,
                limit,
            ],
        ).fetchall()
        found = {row[0]: Submission(*row[:9], list(row[9] or []), *row[10:]) for row in rows}
        # A slice's current file replaced each earlier file holding that slice, but one withdrawn: no file replaced
        # it, its status and receipt say 已撤回.
        for old, new in con.execute(
            "select distinct s.submission_id, c.submission_id from ops.slices s join ops.current_slices c "
            "using (slice_key) join ops.submissions o on o.submission_id = s.submission_id "
            "where c.submission_id > s.submission_id and o.status <> 'withdrawn' "
            "and (s.submission_id in (select unnest(?::integer[])) or c.submission_id in (select unnest(?::integer[]))) "
            "order by all",
            [list(found), list(found)],
        ).fetchall():
            if old in found:
                found[old].superseded_by.append(new)
            if new in found:
                found[new].supersedes.append(old)
    return list(found.values())


def receipt(
    settings: Settings, account: Account, offices: Offices, submission_id: int
) -> ReceiptFacts | None:
    """Return a submission's receipt if this account may see it; None alike for another office's and for none."""
    with _published(settings) as con:
        if con is None:
            return None
        row = con.execute(
            "select sending_folder, unit from ops.submissions where submission_id = ?", [submission_id]
        ).fetchone()
        if row is None:
            return None
        folders = _visible(con, account, offices)
        if folders is not None and row[0] not in folders and row[1] != account.office:
            return None
        [facts] = _facts_from_warehouse(con, [submission_id])
    return facts
