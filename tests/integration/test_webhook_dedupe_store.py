"""The feed's de-duplication lives in the database: a delivery retried on another process (its
own engine) or after a restart is posted once; a database failure posts rather than drops."""

from __future__ import annotations

from concurrent.futures import Future

from sqlalchemy import create_engine

from bot.domain.member_events import parse_event
from bot.store import ModerationStore
from bot.webhooks.dedupe import StoredSeenEvents
from bot.webhooks.feed import Accepted, Feed
from tests.support.webhook_payloads import encode, example


class Jobs:
    def __init__(self) -> None:
        self.work: list = []

    def submit(self, work) -> Future:
        self.work.append(work)
        return Future()


def feed_on(engine, jobs: Jobs) -> Feed:
    return Feed(
        channel_id="C0FEED",
        client=None,  # type: ignore[arg-type]  # jobs are recorded, never run
        submit=jobs.submit,
        seen=StoredSeenEvents(ModerationStore(engine)),
    )


def test_one_delivery_reaching_two_processes_is_posted_once(engines):
    banned = parse_event(encode(example("group_member_banned")))
    first_jobs, second_jobs = Jobs(), Jobs()
    first, second = feed_on(engines(), first_jobs), feed_on(engines(), second_jobs)

    assert first.accept(banned, 0) is Accepted.QUEUED
    assert second.accept(banned, 0) is Accepted.DUPLICATE  # CometChat's retry, another dyno
    assert feed_on(engines(), Jobs()).accept(banned, 0) is Accepted.DUPLICATE  # after a restart
    assert (len(first_jobs.work), len(second_jobs.work)) == (1, 0)


def test_a_delivery_that_could_not_be_queued_is_new_to_every_process(engines):
    banned = parse_event(encode(example("group_member_banned")))
    seen = StoredSeenEvents(ModerationStore(engines()))
    assert seen.first_sighting(banned.dedupe_key())
    seen.forget(banned.dedupe_key())
    assert StoredSeenEvents(ModerationStore(engines())).first_sighting(banned.dedupe_key())


def test_without_its_database_the_feed_posts_once_per_process_instead_of_dropping(tmp_path):
    # A database with no tables: every query fails as it would on an outage.
    broken = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    seen = StoredSeenEvents(ModerationStore(broken))
    assert seen.first_sighting("k") is True
    assert seen.first_sighting("k") is False  # the in-memory fallback still de-duplicates
    broken.dispose()
