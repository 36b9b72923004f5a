"""Withdraw a wrongly accepted submission: its slices fall back to the file before it, and its receipt says so."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass

from pipeline.intake.store import retell_duplicates
from pipeline.receipts import STATUS_ZH, write_receipts
from pipeline.registry import Registry
from pipeline.runlock import run_lock
from pipeline.settings import TIMEZONE, Settings
from pipeline.warehouse import ensure_schema, writer

# A rejected or duplicate file never reached the data; only these can be taken back out of it.
WITHDRAWABLE = ("accepted", "superseded")


class WithdrawError(ValueError):
    """The submission cannot be withdrawn; the message says why, in Chinese."""

    def __init__(self, message: str, already_withdrawn: bool = False):
        super().__init__(message)
        self.already_withdrawn = already_withdrawn  # withdrawn before: what is left is to publish it


@dataclass(frozen=True, slots=True)
class Withdrawal:
    submission_id: int
    original_name: str
    unit: str | None
    status_before: str
    restored: list[tuple[int, str]]  # earlier files in force again: (submission, file name)


def operator() -> str:
    """Return who is withdrawing: the login name, else the numeric user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return f"uid {os.getuid()}"


def withdraw(settings: Settings, registry: Registry, submission_id: int, reason: str) -> Withdrawal:
    """Mark a submission withdrawn, keep who, when and why in ops.withdrawals, restore what it superseded.

    The change is left in the writer's copy, unpublished: the marts rebuilt without the file publish it with them
    (`pipeline withdraw`), so no version shows the file withdrawn beside marts that still count it.
    """
    if not reason.strip():
        raise WithdrawError("请用 --reason 写明撤回原因，它会记入 ops.withdrawals 并写进回执。")
    with run_lock(settings, purpose="withdraw"), writer(settings.warehouse, publish_it=False) as con:
        ensure_schema(con, registry)
        found = con.execute(
            "select status, original_name, unit from ops.submissions where submission_id = ?", [submission_id]
        ).fetchone()
        if found is None:
            raise WithdrawError(f"没有第{submission_id}号提交（见 ops.submissions 或 pipeline status）。")
        status, name, unit = found
        if status not in WITHDRAWABLE:
            raise WithdrawError(
                f"第{submission_id}号提交“{name}”的状态是“{STATUS_ZH[status]}”，其数据从未入库或已撤回；"
                f"只有“{STATUS_ZH['accepted']}”或“{STATUS_ZH['superseded']}”的提交可以撤回。",
                already_withdrawn=status == "withdrawn",
            )
        con.execute("begin")
        try:
            con.execute(
                "insert into ops.withdrawals values (?, ?, ?, ?, ?)",
                [submission_id, dt.datetime.now(TIMEZONE), operator(), reason.strip(), status],
            )
            con.execute(
                "update ops.submissions set status = 'withdrawn' where submission_id = ?", [submission_id]
            )
            # The files its slices fall back to are in force again: superseded no more.
            restored = con.execute(
                """
                update ops.submissions set status = 'accepted'
                where status = 'superseded' and submission_id in (
                    select c.submission_id from ops.current_slices c
                    where c.slice_key in (select slice_key from ops.slices where submission_id = ?)
                )
                returning submission_id, original_name
                """,
                [submission_id],
            ).fetchall()
            retell_duplicates(con)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        write_receipts(con, settings)
    return Withdrawal(submission_id, name, unit, status, sorted(restored))
