"""Server-side sessions with a CSRF token each, and login throttling after repeated failures."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from pipeline.portal.config import PortalConfig
from pipeline.portal.store import portal_db
from pipeline.portal.users import Account, load_account
from pipeline.settings import Settings


@dataclass(frozen=True, slots=True)
class Session:
    account: Account
    csrf: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(settings: Settings, config: PortalConfig, account: Account) -> str:
    """Open a session for the account and return the cookie's value (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with portal_db(settings) as db:
        db.execute("delete from sessions where expires_at < ?", [now])
        db.execute(
            "insert into sessions values (?, ?, ?, ?, ?)",
            [_digest(token), account.name, secrets.token_urlsafe(32), now, now + config.session_hours * 3600],
        )
    return token


def find_session(settings: Settings, token: str | None) -> Session | None:
    """Return the live session the cookie names, with its enabled account; None for anything else."""
    if not token or len(token) > 100:
        return None
    with portal_db(settings) as db:
        row = db.execute(
            "select account, csrf from sessions where token_hash = ? and expires_at > ?",
            [_digest(token), time.time()],
        ).fetchone()
        account = load_account(db, row[0]) if row else None
    if account is None or account.disabled:
        return None
    return Session(account, row[1])


def end_session(settings: Settings, token: str | None) -> None:
    if token:
        with portal_db(settings) as db:
            db.execute("delete from sessions where token_hash = ?", [_digest(token)])


def same_token(expected: str | None, given: str | None) -> bool:
    """Compare a CSRF token in constant time; a missing one never matches."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def _keys(name: str, address: str | None) -> list[str]:
    # By account, so guessing one office's password from many addresses is stopped; by address, so one
    # machine trying many accounts is stopped too.
    return [f"account:{name}", *([f"address:{address}"] if address else [])]


def throttled_for(settings: Settings, config: PortalConfig, name: str, address: str | None) -> int:
    """Return how many seconds this login must wait (0: it may try), after too many recent failures."""
    window = config.lockout_minutes * 60
    now = time.time()
    wait = 0.0
    with portal_db(settings) as db:
        db.execute("delete from login_failures where failed_at < ?", [now - window])
        for key in _keys(name, address):
            # An address may fail across several accounts a few times more than one account may.
            allowed = config.login_failures * (1 if key.startswith("account:") else 4)
            times = [
                t
                for (t,) in db.execute(
                    "select failed_at from login_failures where key = ? order by failed_at desc limit ?",
                    [key, allowed],
                ).fetchall()
            ]
            if len(times) >= allowed:
                wait = max(wait, times[0] + window - now)
    return int(wait) + (wait > 0)


def record_failure(settings: Settings, name: str, address: str | None) -> None:
    now = time.time()
    with portal_db(settings) as db:
        db.executemany(
            "insert into login_failures values (?, ?)", [[key, now] for key in _keys(name, address)]
        )


def clear_failures(settings: Settings, name: str) -> None:
    """Forget an account's failures after it logs in; its address keeps its count."""
    with portal_db(settings) as db:
        db.execute("delete from login_failures where key = ?", [f"account:{name}"])
