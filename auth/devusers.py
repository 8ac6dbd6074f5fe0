"""Local username/password accounts for LAGESBILD_AUTH_MODE=dev only.

Passwords are hashed with scrypt (werkzeug.security, a standard KDF with a
random salt). Each account gets a pseudo HSA-ID under DEV_HSA_PREFIX, so roles
and the audit log work exactly as for SITHS users.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from auth.db import AuthDB
from auth.models import DevUser

# An organisation number that is never issued, plus "DEV": never a real person.
DEV_HSA_PREFIX = "SE0000000000-DEV"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
# A hash to compare with when the username does not exist, so a wrong username
# takes as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH = None


class DevUserError(ValueError):
    """The message is Swedish."""


@dataclass(frozen=True)
class DevAccount:
    username: str
    hsa_id: str
    display_name: str


def pseudo_hsa_id(username: str) -> str:
    suffix = re.sub(r"[^A-Za-z0-9]", "", username).upper()[: 20 - 3]
    return DEV_HSA_PREFIX + suffix


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def create_or_update(db: AuthDB, username: str, password: str, display_name: str | None = None,
                     password_hash: str | None = None) -> DevAccount:
    """Create the account, or set its password if it exists."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise DevUserError(
            f"Ogiltigt användarnamn {username!r}: 2–32 tecken a–z, 0–9, punkt, bindestreck eller understreck."
        )
    if password_hash is None:
        if len(password) < MIN_PASSWORD:
            raise DevUserError(f"Lösenordet måste ha minst {MIN_PASSWORD} tecken.")
        password_hash = hash_password(password)
    hsa_id = pseudo_hsa_id(username)
    with db.session() as s:
        user = s.scalar(select(DevUser).where(DevUser.username == username))
        if user is None:
            clash = s.scalar(select(DevUser).where(DevUser.hsa_id == hsa_id))
            if clash is not None:
                raise DevUserError(
                    f"Användarnamnet {username!r} ger samma pseudo-HSA-id som {clash.username!r}; välj ett annat."
                )
            user = DevUser(username=username, hsa_id=hsa_id, display_name=display_name or username,
                           password_hash=password_hash)
            s.add(user)
        else:
            user.password_hash = password_hash
            if display_name:
                user.display_name = display_name
        return DevAccount(user.username, user.hsa_id, user.display_name)


def verify(db: AuthDB, username: str, password: str) -> DevAccount | None:
    """The account if the password is right, else None (same cost either way)."""
    global _DUMMY_HASH
    username = (username or "").strip().lower()
    with db.session() as s:
        user = s.scalar(select(DevUser).where(DevUser.username == username))
        if user is None:
            if _DUMMY_HASH is None:
                _DUMMY_HASH = hash_password("no such user, constant work")
            check_password_hash(_DUMMY_HASH, password or "")
            return None
        if not check_password_hash(user.password_hash, password or ""):
            return None
        return DevAccount(user.username, user.hsa_id, user.display_name)


def by_hsa_id(db: AuthDB, hsa_id: str) -> DevAccount | None:
    with db.session() as s:
        user = s.scalar(select(DevUser).where(DevUser.hsa_id == hsa_id))
        return DevAccount(user.username, user.hsa_id, user.display_name) if user else None


def list_accounts(db: AuthDB) -> list[DevAccount]:
    with db.session() as s:
        return [DevAccount(u.username, u.hsa_id, u.display_name)
                for u in s.scalars(select(DevUser).order_by(DevUser.username))]
