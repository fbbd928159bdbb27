"""State every process shares (work leases, Home tab viewers, recent scans); indexes for the
lookups across groups and by time

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_leases",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=36), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "slot", name=op.f("pk_work_leases")),
        sa.UniqueConstraint("kind", "person", name="uq_work_leases_kind_person"),
    )
    op.create_table(
        "home_viewers",
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deferred_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("person", name=op.f("pk_home_viewers")),
    )
    with op.batch_alter_table("home_viewers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_home_viewers_opened_at"), ["opened_at"], unique=False)
    op.create_table(
        "recent_scans",
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_recent_scans")),
    )
    with op.batch_alter_table("recent_scans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recent_scans_scanned_at"), ["scanned_at"], unique=False
        )
    with op.batch_alter_table("moderation_events", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_events_uid_id", ["uid", "id"], unique=False)
        batch_op.create_index("ix_moderation_events_at", ["at"], unique=False)
    with op.batch_alter_table("pending_expiries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_expiries_ends_at"), ["ends_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_expiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_expiries_ends_at"))
    with op.batch_alter_table("moderation_events", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_events_at")
        batch_op.drop_index("ix_moderation_events_uid_id")
    with op.batch_alter_table("recent_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recent_scans_scanned_at"))
    op.drop_table("recent_scans")
    with op.batch_alter_table("home_viewers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_viewers_opened_at"))
    op.drop_table("home_viewers")
    op.drop_table("work_leases")
