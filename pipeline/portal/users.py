"""Portal accounts: one per registered office, plus bureau administrators; passwords hashed with argon2id."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.offices import Offices, office_key
from pipeline.portal.store import portal_db
from pipeline.settings import TIMEZONE, Settings

HASHER = PasswordHasher()  # argon2id with the library's current recommended costs


@functools.cache
def _nobody() -> str:
    """Return the hash checked against when no such account exists, so a wrong name costs as a wrong password.

    Made on first use: hashing at import cost every `pipeline` command 0.2 s, the portal's parser being built.
    """
    return HASHER.hash(secrets.token_urlsafe(16))


MIN_PASSWORD = 10


class AccountError(ValueError):
    """An account command that cannot be done, with the reason in Chinese."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    office: str | None  # the office's full name; None for an administrator
    role: str
    disabled: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _now() -> str:
    return dt.datetime.now(TIMEZONE).isoformat(timespec="seconds")


def new_password() -> str:
    """Return a random password a clerk can type: 16 characters without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _checked(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少需要{MIN_PASSWORD}个字符")
    return password


def office_of(name: str, offices: Offices) -> str:
    """Return the full name of the registered office `name` names exactly (full name or alias)."""
    # Exactly, never as an abbreviation: an account is given on purpose, not guessed.
    found = [o for o in offices.offices if office_key(name) in {office_key(n) for n in (o.name, *o.aliases)}]
    if len(found) != 1:
        listed = "、".join(o.name for o in offices.offices)
        raise AccountError(
            f"“{name}”不是 registry/offices.yaml 中登记的单位（请写全称或别名）。已登记的单位：{listed}；"
            "管理员账号请加 --admin"
        )
    return found[0].name


def add_account(
    settings: Settings, offices: Offices, name: str, password: str, admin: bool = False
) -> Account:
    """Create an account: an office's (named by its full name or alias, stored under the full name) or an admin's."""
    office = None if admin else office_of(name, offices)
    name = name.strip() if admin else office
    if not name:
        raise AccountError("账号名称不能为空")
    with portal_db(settings) as db:
        if db.execute("select 1 from accounts where name = ?", [name]).fetchone():
            raise AccountError(f"账号“{name}”已存在；重设密码请用 pipeline users reset")
        db.execute(
            "insert into accounts values (?, ?, ?, ?, 0, ?, ?)",
            [name, office, "admin" if admin else "office", HASHER.hash(_checked(password)), _now(), _now()],
        )
    return Account(name, office, "admin" if admin else "office", False)


def _existing(db, name: str) -> str:
    row = db.execute("select name from accounts where name = ?", [name]).fetchone()
    if row is None:
        raise AccountError(f"没有账号“{name}”；新建请用 pipeline users add")
    return row[0]


def account_name(settings: Settings, offices: Offices, text: str) -> str:
    """Return the account `text` names: an account's own name, else the office it names as full name or alias."""
    text = text.strip()
    with portal_db(settings) as db:
        if db.execute("select 1 from accounts where name = ?", [text]).fetchone():
            return text
    try:
        return office_of(text, offices)
    except AccountError:
        return text


def reset_password(settings: Settings, name: str, password: str) -> None:
    """Set a new password, enable the account again and end its sessions."""
    with portal_db(settings) as db:
        name = _existing(db, name)
        db.execute(
            "update accounts set password_hash = ?, disabled = 0, changed_at = ? where name = ?",
            [HASHER.hash(_checked(password)), _now(), name],
        )
        db.execute("delete from sessions where account = ?", [name])
        db.execute("delete from login_failures where key = ?", [f"account:{name}"])


def disable_account(settings: Settings, name: str) -> None:
    """Refuse the account from now on, and end its sessions at once."""
    with portal_db(settings) as db:
        name = _existing(db, name)
        db.execute("update accounts set disabled = 1, changed_at = ? where name = ?", [_now(), name])
        db.execute("delete from sessions where account = ?", [name])


def load_account(db, name: str) -> Account | None:
    row = db.execute("select name, office, role, disabled from accounts where name = ?", [name]).fetchone()
    return Account(row[0], row[1], row[2], bool(row[3])) if row else None


def verify_password(settings: Settings, name: str, password: str) -> Account | None:
    """Return the enabled account if the password is its own; None otherwise, taking as long either way."""
    with portal_db(settings) as db:
        row = db.execute(
            "select password_hash from accounts where name = ? and disabled = 0", [name]
        ).fetchone()
        stored = row[0] if row else _nobody()
        try:
            HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if HASHER.check_needs_rehash(stored):  # the library's costs went up since it was set
            db.execute("update accounts set password_hash = ? where name = ?", [HASHER.hash(password), name])
        return load_account(db, name)
