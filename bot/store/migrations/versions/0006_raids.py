"""Raids: a previewed mass ban, its users and what became of each; lockdowns

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mass_actions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("guid", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mass_actions")),
    )
    with op.batch_alter_table("mass_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mass_actions_created_at"), ["created_at"], unique=False
        )
    op.create_table(
        "mass_action_users",
        sa.Column("mass_id", _ID, nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("ban_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["mass_id"],
            ["mass_actions.id"],
            name=op.f("fk_mass_action_users_mass_id_mass_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("mass_id", "uid", name=op.f("pk_mass_action_users")),
    )
    with op.batch_alter_table("mass_action_users", schema=None) as batch_op:
        batch_op.create_index("ix_mass_action_users_uid", ["uid"], unique=False)

    op.create_table(
        "lockdowns",
        sa.Column("guid", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("previous", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_lockdowns")),
    )
    with op.batch_alter_table("lockdowns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lockdowns_ends_at"), ["ends_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lockdowns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lockdowns_ends_at"))
    op.drop_table("lockdowns")
    with op.batch_alter_table("mass_action_users", schema=None) as batch_op:
        batch_op.drop_index("ix_mass_action_users_uid")
    op.drop_table("mass_action_users")
    with op.batch_alter_table("mass_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mass_actions_created_at"))
    op.drop_table("mass_actions")
