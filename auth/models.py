"""Tables of the app database (never statistics): dev users, role grants, audit log, sessions.

The schema is created and changed only by the Alembic migrations in
auth/migrations; these classes must match them (a test compares them).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Date, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class DevUser(Base):
    """A local username/password account, only used when LAGESBILD_AUTH_MODE=dev.

    Each dev user has a pseudo HSA-ID so roles and the audit log work exactly
    as for SITHS users.
    """

    __tablename__ = "dev_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    hsa_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class RoleGrant(Base):
    """A role granted to a person, identified by HSA-ID."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("hsa_id", "role", name="uq_role_grants_hsa_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hsa_id: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    granted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class AuditEntry(Base):
    """One audited event: who did what, when, from where, with which parameters."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        Index("ix_audit_log_remote_at", "remote_addr", "at"),
        Index("ix_audit_log_subject_at", "subject", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # The authenticated person (HSA-ID) or None when nobody is logged in.
    actor: Mapped[str | None] = mapped_column(String(40))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    # login, login_failed, login_throttled, logout, api, export, access_denied,
    # role_granted, role_revoked, dev_user_created, ...
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    # The identity claimed or acted upon (attempted username, certificate HSA-ID, grantee).
    subject: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str | None] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(String(500))
    params: Mapped[str | None] = mapped_column(Text)  # JSON
    format: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class StaffSession(Base):
    """A logged-in session, kept on the server: the signed cookie only names it
    (``sid``), so logout and an admin's revoke end it at once on every server,
    and a copied cookie dies with it."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, 256 bits
    hsa_id: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # logout | revoked | expired | replaced
    end_reason: Mapped[str | None] = mapped_column(String(40))
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class UnitGrant(Base):
    """A role for one unit: ``annonsor`` may post that unit's capacity notices."""

    __tablename__ = "unit_grants"
    __table_args__ = (UniqueConstraint("hsa_id", "role", "enhet", name="uq_unit_grants_hsa_role_enhet"),
                      Index("ix_unit_grants_hsa_id", "hsa_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hsa_id: Mapped[str] = mapped_column(String(40), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    enhet: Mapped[str] = mapped_column(String(40), nullable=False)
    granted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class CapacityNotice(Base):
    """A short-lived notice in which a unit offers (erbjuder) or asks for (efterfragar) capacity."""

    __tablename__ = "capacity_notices"
    __table_args__ = (Index("ix_capacity_notices_giltig", "giltig_till"),
                      Index("ix_capacity_notices_enhet", "enhet"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enhet: Mapped[str] = mapped_column(String(40), nullable=False)
    namn: Mapped[str] = mapped_column(String(200), nullable=False)
    region_kod: Mapped[str] = mapped_column(String(2), nullable=False)
    kva: Mapped[str] = mapped_column(String(200), nullable=False)      # comma-separated KVÅ groups
    typ: Mapped[str] = mapped_column(String(12), nullable=False)
    antal: Mapped[int] = mapped_column(Integer, nullable=False)
    fran: Mapped[date] = mapped_column(Date, nullable=False)
    till: Mapped[date] = mapped_column(Date, nullable=False)
    asa_max: Mapped[int | None] = mapped_column(Integer)
    villkor: Mapped[str | None] = mapped_column(Text)
    kontakt: Mapped[str] = mapped_column(String(200), nullable=False)
    giltig_till: Mapped[date] = mapped_column(Date, nullable=False)
    skapad: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    skapad_av: Mapped[str] = mapped_column(String(40), nullable=False)
    tillbakadragen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tillbakadragen_av: Mapped[str | None] = mapped_column(String(40))
