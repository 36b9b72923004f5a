"""The portal's own small database in the data root: accounts, sessions and failed logins (SQLite)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from pipeline.portal.config import portal_home
from pipeline.settings import Settings

SCHEMA = """
create table if not exists accounts (
    name          text primary key,  -- what the clerk types to log in
    office        text,              -- the office's full name (registry/offices.yaml); null for an administrator
    role          text not null check (role in ('office', 'admin')),
    password_hash text not null,     -- argon2id
    disabled      integer not null default 0,
    created_at    text not null,
    changed_at    text not null
);
create table if not exists sessions (
    token_hash    text primary key,  -- sha-256 of the cookie's value: a copy of this file logs no one in
    account       text not null references accounts(name) on delete cascade,
    csrf          text not null,
    created_at    real not null,
    expires_at    real not null
);
create table if not exists login_failures (
    key           text not null,     -- 'account:<name>' or 'address:<ip>'
    failed_at     real not null
);
create index if not exists login_failures_key on login_failures(key, failed_at);
"""


def database_path(settings: Settings) -> Path:
    return portal_home(settings) / "portal.sqlite3"


@contextmanager
def portal_db(settings: Settings) -> Iterator[sqlite3.Connection]:
    """Open the portal database (made on first use, readable by its owner only) and commit when the block ends."""
    path = database_path(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        # Created owner-only before SQLite writes a byte: password hashes and session digests live here.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    with closing(sqlite3.connect(path, timeout=10, isolation_level=None)) as con:
        con.execute("pragma journal_mode=wal")
        con.execute("pragma foreign_keys=on")
        con.executescript(SCHEMA)
        con.execute("begin immediate")
        try:
            yield con
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")
