"""When a raid joiner's account age was looked up in CometChat (found or not): each is asked once

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("group_joins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("looked_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("group_joins", schema=None) as batch_op:
        batch_op.drop_column("looked_up_at")
