"""Cases: each correction of a recorded event (its reason, a ban's end), who made it and when

Revision ID: 0005
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_edits",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", _BIG_ID, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("before", sa.String(length=500), nullable=False),
        sa.Column("after", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["moderation_events.id"],
            name=op.f("fk_case_edits_event_id_moderation_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_edits")),
    )
    with op.batch_alter_table("case_edits", schema=None) as batch_op:
        batch_op.create_index("ix_case_edits_event_id", ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_case_edits_event_id")
    op.drop_table("case_edits")
