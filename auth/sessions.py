"""Server-side session records (the app database's ``staff_sessions``).

The signed session cookie names its record (``sid``, 256 random bits); the
guard looks the record up on every request (one primary-key read). So

- logout ends the session at once on every server: a cookie copied before
  logout is refused afterwards;
- an admin (``flask users revoke-sessions HSA-ID``) ends every session of a
  person at once;
- idle expiry is decided from the record's ``last_seen`` (refreshed at most
  every SEEN_RESOLUTION seconds), and answered with the "utgången" notice and
  an audit entry, because the cookie itself lives longer than the idle time.

Records are kept for the audit trail and removed with the audit retention.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, delete, select, update

from auth.db import AuthDB
from auth.models import StaffSession

TOUCH_SECONDS = 30  # last_seen is written at most this often per session
# Built once (the guard runs it on every request): SQLAlchemy's compiled cache does the rest.
_CHECK = select(StaffSession.hsa_id, StaffSession.last_seen, StaffSession.ended_at,
                StaffSession.end_reason).where(StaffSession.id == bindparam("sid"))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None = None  # None | unknown | logout | revoked | expired | replaced


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def open_session(db: AuthDB, hsa_id: str, method: str, remote_addr: str | None) -> str:
    sid = secrets.token_urlsafe(32)
    now = _now()
    with db.engine.begin() as c:
        c.execute(StaffSession.__table__.insert().values(id=sid, hsa_id=hsa_id, method=method, created_at=now,
                                                         last_seen=now, remote_addr=(remote_addr or "")[:64]))
    return sid


def check(db: AuthDB, sid, hsa_id: str, idle: timedelta) -> Verdict:
    """Is the session named by the cookie still open, the same person's and
    not idle too long? An idle one is ended here (reason ``expired``)."""
    if not isinstance(sid, str) or not sid or len(sid) > 64:
        return Verdict(False, "unknown")
    with db.engine.connect() as c:
        row = c.execute(_CHECK, {"sid": sid}).first()
    if row is None or row.hsa_id != hsa_id:
        return Verdict(False, "unknown")
    if row.ended_at is not None:
        return Verdict(False, row.end_reason or "logout")
    now = _now()
    if now - _aware(row.last_seen) > idle:
        end(db, sid, "expired")
        return Verdict(False, "expired")
    if (now - _aware(row.last_seen)).total_seconds() >= TOUCH_SECONDS:
        with db.engine.begin() as c:
            c.execute(update(StaffSession).where(StaffSession.id == sid, StaffSession.ended_at.is_(None))
                      .values(last_seen=now))
    return Verdict(True)


def end(db: AuthDB, sid, reason: str) -> None:
    if not isinstance(sid, str) or not sid:
        return
    with db.engine.begin() as c:
        c.execute(update(StaffSession).where(StaffSession.id == sid, StaffSession.ended_at.is_(None))
                  .values(ended_at=_now(), end_reason=reason))


def revoke_person(db: AuthDB, hsa_id: str) -> int:
    """End every open session of a person. Returns how many."""
    with db.engine.begin() as c:
        result = c.execute(update(StaffSession).where(StaffSession.hsa_id == hsa_id,
                                                      StaffSession.ended_at.is_(None))
                           .values(ended_at=_now(), end_reason="revoked"))
    return int(result.rowcount or 0)


def open_sessions(db: AuthDB, hsa_id: str) -> int:
    with db.engine.connect() as c:
        return len(c.execute(select(StaffSession.id).where(StaffSession.hsa_id == hsa_id,
                                                           StaffSession.ended_at.is_(None))).all())


def purge_older_than(db: AuthDB, days: int) -> int:
    cutoff = _now() - timedelta(days=days)
    with db.engine.begin() as c:
        return int(c.execute(delete(StaffSession).where(StaffSession.last_seen < cutoff)).rowcount or 0)
