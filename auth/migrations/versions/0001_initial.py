"""Initial app database: dev users, role grants, audit log.

Revision ID: 0001_initial
Revises:
Create Date: 2025-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dev_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("hsa_id", sa.String(40), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hsa_id", sa.String(40), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("granted_by", sa.String(200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("hsa_id", "role", name="uq_role_grants_hsa_role"),
    )
    op.create_index("ix_role_grants_hsa_id", "role_grants", ["hsa_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(40)),
        sa.Column("actor_name", sa.String(200)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("method", sa.String(10)),
        sa.Column("path", sa.String(500)),
        sa.Column("params", sa.Text()),
        sa.Column("format", sa.String(10)),
        sa.Column("status", sa.Integer()),
        sa.Column("detail", sa.Text()),
        sa.Column("remote_addr", sa.String(64)),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.create_index("ix_audit_log_remote_at", "audit_log", ["remote_addr", "at"])
    op.create_index("ix_audit_log_subject_at", "audit_log", ["subject", "at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_role_grants_hsa_id", table_name="role_grants")
    op.drop_table("role_grants")
    op.drop_table("dev_users")
