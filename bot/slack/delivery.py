"""Background jobs and delivery of their messages to Slack's `response_url`.

Acknowledgements never wait behind upstream work: slow work runs here, on a pool sized by the
`WORKERS` setting (green threads in production), and its message is POSTed to `response_url` over
one pooled HTTP client. `drain()` lets a shutting-down process finish what it has accepted.

The queue is bounded: once `workers + backlog` jobs are pending, `submit` raises `JobQueueFull`
(worded for the user in `bot.slack.messages`) instead of letting a burst grow memory and latency
without limit. Deliveries of work already accepted (`post_when_done`) are never refused.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from bot.domain.errors import JobQueueFull
from bot.logs import kv, request_id
from bot.slack.messages import explain, operator_hint
from bot.slack.payloads import new_ephemeral, without_images

log = logging.getLogger("bot.delivery")


# Slack's answers when it will not show a message's blocks; an image it could not download is
# one cause ("downloading image failed" in the details).
BLOCK_REFUSALS = frozenset({"invalid_blocks", "invalid_blocks_format"})


def block_refusal(response: httpx.Response) -> str | None:
    """The error code if Slack refused the message's blocks, else None.

    A response_url answers like an incoming webhook (400, `invalid_blocks` as plain text); the
    Web API answers `{"ok": false, "error": "invalid_blocks", "errors": [...]}`. Both are read.
    """
    if b"invalid_blocks" not in response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        body = response.text.strip()
    code = body.get("error") if isinstance(body, dict) else body
    return code if code in BLOCK_REFUSALS else None


class ShuttingDown(RuntimeError):
    """New work was offered after `drain()` began."""


class Responder:
    def __init__(self, http: httpx.Client, *, workers: int, backlog: int):
        """`workers` jobs run at once; up to `backlog` more wait for one of them."""
        self._http = http
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._limit = workers + backlog
        self._idle = threading.Condition()
        self._pending = 0  # jobs plus deliveries of jobs: what drain() waits for
        self._deliveries = 0  # of which deliveries (post_when_done): never refused, not counted
        self._closing = False

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def limit(self) -> int:
        return self._limit

    def submit(self, work: Callable[[], Any]) -> Future:
        """Queue `work`. Raises ShuttingDown after `drain()`, JobQueueFull at the bound."""
        with self._idle:
            if self._closing:
                raise ShuttingDown()
            if self._pending - self._deliveries >= self._limit:
                raise JobQueueFull(self._limit)
            self._pending += 1
        # The job's log lines carry the request's id and user, as if it ran in the request.
        future = self._pool.submit(contextvars.copy_context().run, work)
        future.add_done_callback(self._done)
        return future

    def run_then_post(self, work: Callable[[], dict[str, Any]], response_url: str) -> Future:
        """Run `work` in the background and POST the payload it returns to `response_url`."""

        def run() -> bool:
            try:
                payload = work()
            except Exception as exc:
                payload = self._backstop(exc)
            return self.post(response_url, payload)

        return self.submit(run)

    def _backstop(self, exc: Exception) -> dict[str, Any]:
        """Work is expected to turn its own failures into messages; this is the backstop, so
        that a bug still ends in words for the person, never in silence."""
        log.error(
            kv(event="job_failed", outcome=type(exc).__name__, hint=operator_hint(exc)),
            exc_info=exc,
        )
        return new_ephemeral(explain(exc, ref=request_id()))

    def post_when_done(
        self, future: Future, response_url: str, to_payload: Callable[[Any], dict[str, Any]]
    ) -> None:
        """Deliver a job already running. Counted as pending until the POST has been made."""
        with self._idle:
            self._pending += 1
            self._deliveries += 1

        def deliver(done: Future) -> None:
            try:
                try:
                    payload = to_payload(done.result())
                except Exception as exc:
                    payload = self._backstop(exc)
                self.post(response_url, payload)
            finally:
                with self._idle:
                    self._deliveries -= 1
                self._done(done)

        # Hand the POST to the pool so the worker that finished the job is not held by it.
        context = contextvars.copy_context()
        future.add_done_callback(lambda done: self._pool.submit(context.run, deliver, done))

    def post(self, response_url: str, payload: dict[str, Any]) -> bool:
        """POST a message to a `response_url`; one retry on a transport error. Never raises.

        If Slack refuses the blocks (it could not download an image: an avatar is a URL anyone
        may choose), the message goes once more without its images.
        """
        started = time.perf_counter()
        outcome, attempts = self._send(response_url, payload)
        if outcome in BLOCK_REFUSALS:
            plain = without_images(payload)
            if plain != payload:
                log.warning(
                    kv(
                        event="response_url_images_dropped",
                        refused=outcome,
                    )
                )
                outcome, more = self._send(response_url, plain)
                attempts += more
        if outcome is None:
            return True
        log.warning(
            kv(
                event="response_url_failed",
                outcome=outcome,
                attempts=attempts,
                ms=(time.perf_counter() - started) * 1000,
            )
        )
        return False

    def _send(self, response_url: str, payload: dict[str, Any]) -> tuple[str | None, int]:
        """(None, attempts) when Slack took the message, else (what went wrong, attempts)."""
        outcome = ""
        for attempts in (1, 2):
            try:
                response = self._http.post(response_url, json=payload)
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
                continue
            refused = block_refusal(response)
            if refused is not None:
                return refused, attempts
            if response.status_code < 300:
                return None, attempts
            # 404 expired_url / used_url etc.: the link is spent; retrying will not help.
            return f"http_{response.status_code}", attempts
        return outcome, 2

    def _done(self, _future: Future | None = None) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Refuse new work, wait up to `timeout` s for accepted work; True if all finished."""
        deadline = time.monotonic() + timeout
        with self._idle:
            self._closing = True
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        self._pool.shutdown(wait=False)
        return True
