"""Roles granted by HSA-ID. Every authenticated person reads; roles add rights."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

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
