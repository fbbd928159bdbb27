"""The bot's memory: moderation history, pending expiries of temporary bans, and the webhook
deliveries already seen, in PostgreSQL (DATABASE_URL) or an SQLite file. No Slack in here."""

from bot.store.engine import PoolSize, build_engine, database_url, is_sqlite, pool_for_workers
from bot.store.repository import (
    CLAIM_LEASE,
    DELIVERY_TTL,
    MemberChange,
    ModerationStore,
    utc_now,
)

__all__ = [
    "CLAIM_LEASE",
    "DELIVERY_TTL",
    "MemberChange",
    "ModerationStore",
    "PoolSize",
    "build_engine",
    "database_url",
    "is_sqlite",
    "pool_for_workers",
    "utc_now",
]
