"""Moderation events, pending expiries of temporary bans, webhook deliveries seen

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderation_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("guid", sa.String(length=100), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_events")),
    )
    with op.batch_alter_table("moderation_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_moderation_events_guid_uid_id", ["guid", "uid", "id"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_seen_at"), ["seen_at"], unique=False
        )

    op.create_table(
        "pending_expiries",
        sa.Column("guid", sa.String(length=100), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ban_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["ban_id"],
            ["moderation_events.id"],
            name=op.f("fk_pending_expiries_ban_id_moderation_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("guid", "uid", name=op.f("pk_pending_expiries")),
    )
    with op.batch_alter_table("pending_expiries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_expiries_due_at"), ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_expiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_expiries_due_at"))

    op.drop_table("pending_expiries")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_seen_at"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("moderation_events", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_events_guid_uid_id")

    op.drop_table("moderation_events")
