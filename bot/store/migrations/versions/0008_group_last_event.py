"""A group's last event in one index probe (the freshness mark of a page read ahead)

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("moderation_events", schema=None) as batch_op:
        batch_op.create_index("ix_moderation_events_guid_id", ["guid", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("moderation_events", schema=None) as batch_op:
        batch_op.drop_index("ix_moderation_events_guid_id")
