"""Tables of the app database (never statistics): dev users, role grants, audit log, sessions.

The schema is created and changed only by the Alembic migrations in
auth/migrations; these classes must match them (a test compares them).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
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
