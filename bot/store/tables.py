"""Every table the bot keeps, in one `MetaData`. Alembic's revisions (bot/store/migrations) build
the same schema; tests/integration/test_store_migrations.py proves the two agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from bot.domain.ids import MAX_GUID_LENGTH
from bot.domain.moderation import MAX_REASON_LENGTH

# Constraint names spelt out, so a revision can drop what it created on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID_LENGTH = MAX_GUID_LENGTH  # CometChat uids and guids share a shape and a limit
NAME_LENGTH = 200
SCOPE_LENGTH = 40
# 64-bit on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, whichever backend: SQLite keeps no zone and hands back
    naive values, which would not compare with aware ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are stored in UTC, with their zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


moderation_events = Table(
    "moderation_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("guid", String(ID_LENGTH), nullable=False),
    Column("uid", String(ID_LENGTH), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False, default=""),
    Column("action", String(20), nullable=False),
    # A Slack user id, or a CometChat uid for events heard of by webhook; empty for an expiry.
    Column("actor", String(ID_LENGTH), nullable=False, default=""),
    Column("source", String(20), nullable=False),
    Column("reason", String(MAX_REASON_LENGTH), nullable=False, default=""),
    Column("scope", String(SCOPE_LENGTH), nullable=False, default=""),
    Column("at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=True),
    # A user's history and their latest ban: newest first within (group, user).
    Index("ix_moderation_events_guid_uid_id", "guid", "uid", "id"),
    # Where a user is banned, across groups (`/banned user`, the Home tab's find-a-user).
    Index("ix_moderation_events_uid_id", "uid", "id"),
    # The Home tab's counts per day, and the retention purge: a range of times.
    Index("ix_moderation_events_at", "at"),
    # A group's last event: the freshness mark of a page read ahead (one index probe).
    Index("ix_moderation_events_guid_id", "guid", "id"),
)

pending_expiries = Table(
    "pending_expiries",
    metadata,
    # One per (group, user): a new ban replaces it, an unban removes it.
    Column("guid", String(ID_LENGTH), primary_key=True),
    Column("uid", String(ID_LENGTH), primary_key=True),
    # The Home tab's "ending in the next 24 hours" is a range of these.
    Column("ends_at", UtcDateTime(), nullable=False, index=True),
    # When the next attempt is due: ends_at, then later after each failure (back-off).
    Column("due_at", UtcDateTime(), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    # Who holds it and until when: a process that dies mid-attempt frees it when the lease ends.
    Column("claim", String(36), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column(
        "ban_id",
        BigId,
        ForeignKey("moderation_events.id", ondelete="SET NULL"),
        nullable=True,
    ),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    # sha256 of the delivery's de-duplication key (hex): fixed length whatever CometChat sends.
    Column("key", String(64), primary_key=True),
    Column("seen_at", UtcDateTime(), nullable=False, index=True),
    # sha256 of who the delivery is about (webhook, group, members): a newer delivery about them
    # ends the earlier one's window for retries.
    Column("subject", String(64), nullable=True, index=True),
)

# What every process must agree on, kept here rather than in one process's memory: gunicorn's
# workers and Heroku's dynos each run their own copy of the app.

work_leases = Table(
    "work_leases",
    metadata,
    # Long work a person starts ("export", "scan"): at most `limit` slots of a kind, numbered
    # 0..limit-1, so the primary key itself bounds them, and one per person by the unique key.
    Column("kind", String(20), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("person", String(ID_LENGTH), nullable=False),
    Column("holder", String(36), nullable=False),
    # A worker that dies holding a slot frees it when this passes.
    Column("expires_at", UtcDateTime(), nullable=False),
    UniqueConstraint("kind", "person", name="uq_work_leases_kind_person"),
)

home_viewers = Table(
    "home_viewers",
    metadata,
    # A Slack user who opened the Home tab: refreshed on new events for an hour after.
    Column("person", String(ID_LENGTH), primary_key=True),
    Column("opened_at", UtcDateTime(), nullable=False, index=True),
    Column("published_at", UtcDateTime(), nullable=True),
    # When the event came that a refresh is deferred for (at most one per person).
    Column("deferred_at", UtcDateTime(), nullable=True),
)

recent_scans = Table(
    "recent_scans",
    metadata,
    # A uid scanned to the end and recorded: a lookup soon after answers from the history.
    Column("uid", String(ID_LENGTH), primary_key=True),
    Column("scanned_at", UtcDateTime(), nullable=False, index=True),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("guid", String(ID_LENGTH), nullable=False),
    Column("uid", String(ID_LENGTH), nullable=False),
    Column("taken_at", UtcDateTime(), nullable=False),
    # The user card as JSON (profile, messages, what was missing): a snapshot, so it outlives
    # messages deleted in the chat app afterwards.
    Column("body", Text, nullable=False),
    Index("ix_evidence_guid_uid_taken_at", "guid", "uid", "taken_at"),
)

# A mass action (a mass ban): drafted when its preview is drawn, run once when confirmed. Its
# case is a moderation event of its own (`case_id`); each user's ban is another (`ban_id`).
mass_actions = Table(
    "mass_actions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("guid", String(ID_LENGTH), nullable=False),
    Column("action", String(20), nullable=False),
    Column("actor", String(ID_LENGTH), nullable=False),
    Column("reason", String(MAX_REASON_LENGTH), nullable=False, default=""),
    Column("minutes", Integer, nullable=True),  # None: permanent
    # "previewed", "running" (taken by one confirm, in every process), "done"; "undoing",
    # "undone" (taken by one undo).
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
    Column("case_id", BigInteger().with_variant(Integer(), "sqlite"), nullable=True),
)

mass_action_users = Table(
    "mass_action_users",
    metadata,
    Column(
        "mass_id",
        BigId,
        ForeignKey("mass_actions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("uid", String(ID_LENGTH), primary_key=True),
    Column("position", Integer, nullable=False),  # the preview's order
    Column("name", String(NAME_LENGTH), nullable=False, default=""),
    Column("joined_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=True),
    # What became of them: "" until sent, then banned / already_banned / failed; undone.
    Column("outcome", String(20), nullable=False, default=""),
    Column("detail", String(300), nullable=False, default=""),
    Column("ban_id", BigInteger().with_variant(Integer(), "sqlite"), nullable=True),
    Index("ix_mass_action_users_uid", "uid"),
)

# A group locked down: what its participants' permissions were before, to put back exactly when
# it ends (by itself, claimed like an expiry so one process does it, or lifted by a moderator).
lockdowns = Table(
    "lockdowns",
    metadata,
    Column("guid", String(ID_LENGTH), primary_key=True),
    Column("scope", String(SCOPE_LENGTH), nullable=False),
    Column("previous", Text, nullable=False),  # JSON: permission id -> value before
    Column("actor", String(ID_LENGTH), nullable=False),
    Column("reason", String(MAX_REASON_LENGTH), nullable=False, default=""),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ends_at", UtcDateTime(), nullable=False, index=True),
    Column("claim", String(36), nullable=True),
    Column("claimed_until", UtcDateTime(), nullable=True),
)

case_edits = Table(
    "case_edits",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # The case (event) corrected: its edits go with it when the retention period lets it go.
    Column(
        "event_id",
        BigId,
        ForeignKey("moderation_events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("actor", String(ID_LENGTH), nullable=False),  # the moderator's Slack user id
    Column("at", UtcDateTime(), nullable=False),
    Column("field", String(20), nullable=False),
    # A reason, or a ban's end as ISO 8601 UTC; "" for none (no reason, a permanent ban).
    Column("before", String(MAX_REASON_LENGTH), nullable=False, default=""),
    Column("after", String(MAX_REASON_LENGTH), nullable=False, default=""),
)

# Joins into groups, from CometChat's join webhooks, for the raid alert: every process counts the
# same rows. One per (group, user): a delivery heard twice, or a user joining twice, counts once.
# Kept a few minutes (longer while the group has an alert open, for its total).
group_joins = Table(
    "group_joins",
    metadata,
    Column("guid", String(ID_LENGTH), primary_key=True),
    Column("uid", String(ID_LENGTH), primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False, default=""),
    Column("joined_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=True),  # the account's, when known
    # When CometChat was asked for the account's age (found or not): nobody is asked twice.
    Column("looked_up_at", UtcDateTime(), nullable=True),
    Index("ix_group_joins_guid_joined_at", "guid", "joined_at"),
    Index("ix_group_joins_joined_at", "joined_at"),
)

# A group's raid alert, the last one: the primary key makes "one alert per raid" a key conflict
# (one insert wins, in every process), and a calmed alert is taken over by the next raid with a
# conditional UPDATE.
raid_alerts = Table(
    "raid_alerts",
    metadata,
    Column("guid", String(ID_LENGTH), primary_key=True),
    Column("raid", String(36), nullable=False),  # this raid's id: a button names it
    Column("group_name", String(NAME_LENGTH), nullable=False, default=""),
    Column("started_at", UtcDateTime(), nullable=False),  # the first join of the raid's minute
    Column("last_raid_at", UtcDateTime(), nullable=False),  # the last join at a raid's rate
    Column("last_join_at", UtcDateTime(), nullable=False),  # the last join heard at all
    Column("channel", String(30), nullable=True),
    Column("ts", String(40), nullable=True),  # the alert's message, once posted
    # Who posts it and until when: a process that dies before posting frees it.
    Column("posting_until", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=True),  # its last chat.update (the throttle)
    Column("dismissed_by", String(ID_LENGTH), nullable=True),
    Column("dismissed_at", UtcDateTime(), nullable=True),
    Column("calmed_at", UtcDateTime(), nullable=True, index=True),
    Column("total", Integer, nullable=True),  # joins in all, kept when it calmed down
)
