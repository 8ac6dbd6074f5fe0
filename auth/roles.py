"""Roles granted by HSA-ID. Every authenticated person reads; roles add rights."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text

from auth.certs import is_valid_hsa_id
from auth.db import AuthDB
from auth.models import RoleGrant

ROLES = {
    "admin": "Administratör: ser Admin-sidan (roller, inläsningshistorik, granskningslogg).",
}


class RoleError(ValueError):
    """A grant or revoke that cannot be done; the message is Swedish."""


@dataclass(frozen=True)
class Grant:
    hsa_id: str
    role: str
    granted_by: str
    granted_at: datetime


def _check(hsa_id: str, role: str) -> None:
    if not is_valid_hsa_id(hsa_id):
        raise RoleError(
            f"{hsa_id!r} är inget giltigt HSA-id (format: SE + 10 siffror + '-' + 1–20 bokstäver/siffror, "
            "t.ex. SE2321000016-ABC1)."
        )
    if role not in ROLES:
        raise RoleError(f"Okänd roll {role!r}. Kända roller: {', '.join(sorted(ROLES))}.")


# The per-request look-up of auth's user loader: one indexed statement through
# the engine's pool (SQLAlchemy Core, no ORM session), read fresh on every
# request so that a grant or a revoke takes effect at the next request.
_ACCESS_SQL = text(
    "SELECT 'role', role FROM role_grants WHERE hsa_id = :h "
    "UNION ALL SELECT 'dev', username FROM dev_users WHERE hsa_id = :h"
)


def access_for(db: AuthDB, hsa_id: str) -> tuple[frozenset[str], bool]:
    """(roles granted to the HSA-ID, whether a dev account has that HSA-ID), in one query."""
    with db.engine.connect() as connection:
        rows = connection.execute(_ACCESS_SQL, {"h": hsa_id}).fetchall()
    return frozenset(value for kind, value in rows if kind == "role"), any(kind == "dev" for kind, _ in rows)


def roles_for(db: AuthDB, hsa_id: str) -> frozenset[str]:
    with db.session() as s:
        return frozenset(s.scalars(select(RoleGrant.role).where(RoleGrant.hsa_id == hsa_id)))


def grant(db: AuthDB, hsa_id: str, role: str, by: str) -> bool:
    """Grant a role; False if it was already granted."""
    _check(hsa_id, role)
    with db.session() as s:
        exists = s.scalar(select(RoleGrant.id).where(RoleGrant.hsa_id == hsa_id, RoleGrant.role == role))
        if exists is not None:
            return False
        s.add(RoleGrant(hsa_id=hsa_id, role=role, granted_by=by))
    return True


def revoke(db: AuthDB, hsa_id: str, role: str) -> bool:
    """Revoke a role; False if it was not granted."""
    _check(hsa_id, role)
    with db.session() as s:
        result = s.execute(delete(RoleGrant).where(RoleGrant.hsa_id == hsa_id, RoleGrant.role == role))
        return result.rowcount > 0


def list_grants(db: AuthDB) -> list[Grant]:
    with db.session() as s:
        rows = s.scalars(select(RoleGrant).order_by(RoleGrant.hsa_id, RoleGrant.role)).all()
        return [Grant(r.hsa_id, r.role, r.granted_by, r.granted_at) for r in rows]
