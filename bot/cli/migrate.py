"""`python -m bot migrate`: bring DATABASE_URL's schema up to date (Heroku's release phase runs
it before each new release starts; `make run` before serving). Needs only DATABASE_URL."""

from __future__ import annotations

import sys

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import DatabaseSettings
from bot.store import build_engine
from bot.store.migrate import current_revision, upgrade


def main(load: type[DatabaseSettings] = DatabaseSettings) -> int:
    try:
        settings = load()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"DATABASE_URL: {error.get('msg', 'invalid')}", file=sys.stderr)
        return 2
    raw = settings.database_url.get_secret_value()
    where = settings.database_url_for_log
    engine = build_engine(raw)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    except SQLAlchemyError as exc:
        # The driver's message may quote the URL: name the class and the host only.
        print(f"Cannot migrate {where}: {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if before == after:
        print(f"{where}: already at revision {after}")
    else:
        print(f"{where}: migrated from {before or 'an empty database'} to {after}")
    return 0
