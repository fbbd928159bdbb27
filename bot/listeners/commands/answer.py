"""Answer a command in its acknowledgement when the work is quick, by response_url when not."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from slack_bolt import Ack

from bot.services import Services
from bot.slack.payloads import ephemeral, without_images
from bot.usecases.banned_list import Outcome


def answer_in_time(
    ack: Ack, command: dict, services: Services, work: Callable[[], Outcome]
) -> Future[Outcome]:
    """Run `work` on the job pool and answer in the acknowledgement if it is done within
    ACK_BUDGET; otherwise acknowledge and deliver it to the command's response_url when done.
    Returns the job, for work that must follow the answer.

    The history too: its database is usually a millisecond away, but an SQLite writer holding
    the lock, or a PostgreSQL connection being re-established, can take longer than Slack's
    3 seconds, and a late answer is better than Slack's "operation timed out".
    """
    future = services.responder.submit(work)
    try:
        # An answer that is ready in time travels in the acknowledgement itself.
        outcome: Outcome = future.result(timeout=services.settings.ack_budget)
    except FutureTimeout:
        # Slack gives up after 3 s: acknowledge now, deliver the answer when it is ready.
        ack()
        services.responder.post_when_done(
            future, command["response_url"], lambda done: ephemeral(done.message)
        )
        return future
    # No avatars in an acknowledgement: if Slack cannot fetch one image it refuses the whole
    # answer, and an ack cannot be sent again without it (pages sent to response_url can be).
    ack(**without_images(ephemeral(outcome.message)))
    return future
