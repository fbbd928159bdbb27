"""Webhook benchmark: how fast the real web process answers CometChat, and what it posts.

    python bench/webhooks.py [--quick]

Starts `python -m bot serve` as the Procfile does, with CometChat and Slack faked on loopback
(bench/fakes.py; the Slack fake answers chat.postMessage with ok), then POSTs signed-in webhook
deliveries to /cometchat/webhooks. Figures:

- answer: delivery sent -> 200 received, one at a time (CometChat wants it within 2 s); p50, p95;
- throughput: deliveries answered per second with 16 concurrent senders;
- posts: each unique event posted once, each redelivery (sent 3 times in all) not again, counted
  from the process log's `event=feed_post outcome=posted` lines after a graceful stop;
- in-process cost of one event: parse + dedupe key + render, in microseconds.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import HOST, WebProcess, free_port, procfile_command, start_fake  # noqa: E402
from bot.domain.member_events import parse_event  # noqa: E402
from bot.slack.feed_blocks import render_feed_event  # noqa: E402
from tests.support.fakes.cometchat import API_KEY  # noqa: E402
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET  # noqa: E402
from tests.support.webhook_payloads import event, user  # noqa: E402

USER, PASSWORD = "cometchat", "benchPassw0rd"
SENDERS = 16


def body(i: int) -> bytes:
    return json.dumps(
        event(members=[user(f"u-{i:05d}", f"User {i}")], updated_at=1_764_000_000 + i)
    ).encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    latency_n, throughput_n, dupes_n = (200, 1000, 50) if args.quick else (500, 3000, 100)

    cc_proc, cc_port = start_fake("cometchat")
    slack_proc, slack_port = start_fake("slack")
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "web.log"
    env = {
        **os.environ,
        "PORT": str(port),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://{HOST}:{slack_port}/api/",
        "COMETCHAT_API_KEY": API_KEY,
        "COMETCHAT_BASE_URL": f"http://{HOST}:{cc_port}/v3",
        "COMETCHAT_WEBHOOK_USER": USER,
        "COMETCHAT_WEBHOOK_PASSWORD": PASSWORD,
        "FEED_CHANNEL_ID": "C0FEED",
        "MODERATOR_USER_IDS": "U0MOD",
        "LOG_LEVEL": "INFO",
    }
    web = WebProcess(procfile_command(), env, port, log)
    headers = {
        "content-type": "Application/json",
        "authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
    }
    url = f"http://{HOST}:{port}/cometchat/webhooks"
    errors: list[str] = []
    try:
        web.start()
        with httpx.Client(timeout=10) as client:
            timings = []
            for i in range(latency_n):
                sent = time.perf_counter()
                response = client.post(url, content=body(i), headers=headers)
                timings.append((time.perf_counter() - sent) * 1000)
                if response.text != "queued\n":
                    errors.append(f"latency {i}: {response.status_code} {response.text!r}")

        # One pooled client for all senders: a new httpx.Client per request costs ~100 ms of
        # the sender's own CPU (TLS context set-up) and would measure the load generator.
        shared = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=SENDERS))

        def send(i: int) -> str:
            return shared.post(url, content=body(i), headers=headers).text

        offset = latency_n
        started = time.perf_counter()
        with ThreadPoolExecutor(SENDERS) as pool:
            answers = list(pool.map(send, range(offset, offset + throughput_n)))
        elapsed = time.perf_counter() - started
        errors += [f"throughput: {a!r}" for a in answers if a != "queued\n"][:5]

        offset += throughput_n
        dupes = [send(i) for i in range(offset, offset + dupes_n) for _ in range(3)]
        errors += [f"dupes: {a!r}" for a in dupes[0::3] if a != "queued\n"][:5]
        errors += [f"dupes: {a!r}" for j, a in enumerate(dupes) if j % 3 and a != "duplicate\n"][:5]
        shared.close()
    finally:
        web.stop()  # SIGTERM: drains the background posts before exiting
        for proc in (cc_proc, slack_proc):
            proc.terminate()
            proc.wait()

    lines = log.read_text().splitlines()
    posted = sum("event=feed_post" in line and "outcome=posted" in line for line in lines)
    expected = latency_n + throughput_n + dupes_n

    parsed = parse_event(body(1))
    runs = 2000
    started = time.perf_counter()
    for i in range(runs):
        parsed = parse_event(body(i))
        parsed.dedupe_key()
        render_feed_event(parsed, at=1_764_000_000, can_unban=True).to_dict()
    per_event_us = (time.perf_counter() - started) / runs * 1e6

    quantiles = statistics.quantiles(timings, n=20)
    print(
        f"answer (one at a time, n={latency_n}): p50 {statistics.median(timings):.1f} ms, "
        f"p95 {quantiles[18]:.1f} ms, max {max(timings):.1f} ms"
    )
    print(
        f"throughput ({SENDERS} senders, n={throughput_n}): "
        f"{throughput_n / elapsed:.0f} deliveries/s"
    )
    print(f"posts: {posted} for {expected} unique events ({dupes_n} of them delivered 3 times)")
    print(f"in-process parse + key + render: {per_event_us:.0f} µs per event")
    for error in errors[:10]:
        print("ERROR", error)
    return 0 if not errors and posted == expected else 1


if __name__ == "__main__":
    sys.exit(main())
