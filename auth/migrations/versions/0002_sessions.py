"""Server-side session records: logout and revoke end a session on every server.

Revision ID: 0002_sessions
Revises: 0001_initial
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_sessions"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("hsa_id", sa.String(40), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.String(40)),
        sa.Column("remote_addr", sa.String(64)),
    )
    op.create_index("ix_staff_sessions_hsa_id", "staff_sessions", ["hsa_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_sessions_hsa_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
