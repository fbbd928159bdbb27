"""The raid alert: joins per group (counted by every process) and each group's alert

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_joins",
        sa.Column("guid", sa.String(length=100), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("guid", "uid", name=op.f("pk_group_joins")),
    )
    with op.batch_alter_table("group_joins", schema=None) as batch_op:
        batch_op.create_index("ix_group_joins_guid_joined_at", ["guid", "joined_at"], unique=False)
        batch_op.create_index("ix_group_joins_joined_at", ["joined_at"], unique=False)
    op.create_table(
        "raid_alerts",
        sa.Column("guid", sa.String(length=100), nullable=False),
        sa.Column("raid", sa.String(length=36), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_raid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_join_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=True),
        sa.Column("ts", sa.String(length=40), nullable=True),
        sa.Column("posting_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(length=100), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("calmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_raid_alerts")),
    )
    with op.batch_alter_table("raid_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_raid_alerts_calmed_at"), ["calmed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("raid_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raid_alerts_calmed_at"))
    op.drop_table("raid_alerts")
    with op.batch_alter_table("group_joins", schema=None) as batch_op:
        batch_op.drop_index("ix_group_joins_joined_at")
        batch_op.drop_index("ix_group_joins_guid_joined_at")
    op.drop_table("group_joins")
