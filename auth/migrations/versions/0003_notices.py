"""Capacity notices (Kapacitetsannonser) and the units a person may post for.

Revision ID: 0003_notices
Revises: 0002_sessions
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_notices"
down_revision = "0002_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("hsa_id", sa.String(40), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("enhet", sa.String(40), nullable=False),
        sa.Column("granted_by", sa.String(200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("hsa_id", "role", "enhet", name="uq_unit_grants_hsa_role_enhet"),
    )
    op.create_index("ix_unit_grants_hsa_id", "unit_grants", ["hsa_id"])
    op.create_table(
        "capacity_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enhet", sa.String(40), nullable=False),
        sa.Column("namn", sa.String(200), nullable=False),
        sa.Column("region_kod", sa.String(2), nullable=False),
        sa.Column("kva", sa.String(200), nullable=False),
        sa.Column("typ", sa.String(12), nullable=False),
        sa.Column("antal", sa.Integer, nullable=False),
        sa.Column("fran", sa.Date, nullable=False),
        sa.Column("till", sa.Date, nullable=False),
        sa.Column("asa_max", sa.Integer),
        sa.Column("villkor", sa.Text),
        sa.Column("kontakt", sa.String(200), nullable=False),
        sa.Column("giltig_till", sa.Date, nullable=False),
        sa.Column("skapad", sa.DateTime(timezone=True), nullable=False),
        sa.Column("skapad_av", sa.String(40), nullable=False),
        sa.Column("tillbakadragen", sa.DateTime(timezone=True)),
        sa.Column("tillbakadragen_av", sa.String(40)),
    )
    op.create_index("ix_capacity_notices_giltig", "capacity_notices", ["giltig_till"])
    op.create_index("ix_capacity_notices_enhet", "capacity_notices", ["enhet"])


def downgrade() -> None:
    op.drop_index("ix_capacity_notices_enhet", table_name="capacity_notices")
    op.drop_index("ix_capacity_notices_giltig", table_name="capacity_notices")
    op.drop_table("capacity_notices")
    op.drop_index("ix_unit_grants_hsa_id", table_name="unit_grants")
    op.drop_table("unit_grants")
