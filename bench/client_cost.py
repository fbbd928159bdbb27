"""CPU per CometChat read: this tree's client beside a baseline revision's, in the same run.

    .venv/bin/python -m bench.client_cost                      # 2,000 reads a side
    .venv/bin/python -m bench.client_cost 5000 --baseline REV

Times `CometChatClient.list_banned_users` (10 of 57 banned users, the page a command shows)
against the benchmark's fake CometChat (bench/fakes.py), which runs in its own process on
loopback so that its CPU is not counted. Each side runs in a fresh interpreter on this venv: this
tree, and the baseline's `bot/` exported with `git archive`. CPU is `time.thread_time()` of the
calling thread; the sides alternate over three rounds and each side's median round is shown.

The default baseline, ca8264c, is the last revision whose client sent through the home-made
HTTP/1.1 transport (bot/transport.py) that httpx.Client replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.fakes import GROUP
from bench.load import ROOT, start_fake
from tests.support.fakes.cometchat import API_KEY

BASELINE = "ca8264c"
ROUNDS = 3
WARM_UP = 200

MEASURE = r"""
import json, sys, time
from pydantic import SecretStr
import bot
from bot.cometchat import CometChatClient

base, key, group = sys.argv[1:4]
calls, warm_up = int(sys.argv[4]), int(sys.argv[5])
client = CometChatClient(base, SecretStr(key))
for _ in range(warm_up):  # the connection opened, the caches filled
    client.list_banned_users(group)
cpu, wall = time.thread_time(), time.perf_counter()
for _ in range(calls):
    client.list_banned_users(group)
cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
client.close()
print(json.dumps({"bot": bot.__file__, "cpu": cpu / calls, "wall": wall / calls}))
"""


def export_baseline(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", rev, "bot"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def measure(tree: Path, base: str, calls: int) -> dict:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(tree)
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, base, API_KEY, GROUP, str(calls), str(WARM_UP)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out)
    # The editable install must not shadow the exported tree.
    if not Path(result["bot"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"measured {result['bot']}, not {tree}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("calls", nargs="?", type=int, default=2000)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    args = parser.parse_args()

    fake, port = start_fake("cometchat")
    base = f"http://127.0.0.1:{port}/v3"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sides = {"this tree": ROOT, args.baseline: export_baseline(args.baseline, Path(tmp))}
            rounds: dict[str, list[dict]] = {name: [] for name in sides}
            for _ in range(ROUNDS):
                for name, tree in sides.items():
                    rounds[name].append(measure(tree, base, args.calls))
    finally:
        fake.terminate()
        fake.wait()

    cpu = {name: statistics.median(r["cpu"] for r in runs) * 1000 for name, runs in rounds.items()}
    wall = {
        name: statistics.median(r["wall"] for r in runs) * 1000 for name, runs in rounds.items()
    }
    now, then = sides
    print(
        f"CometChat GET (list_banned_users), {args.calls:,} calls a round, "
        f"median of {ROUNDS} rounds"
    )
    print(f"{'':18}{now:>14}{then:>14}")
    print(f"{'CPU per call':18}{cpu[now]:>11.3f} ms{cpu[then]:>11.3f} ms")
    print(f"{'wall per call':18}{wall[now]:>11.3f} ms{wall[then]:>11.3f} ms")
    print(f"CPU ratio, {now} / {then}: {cpu[now] / cpu[then]:.2f}")
    for name, runs in rounds.items():
        print(f"  {name} CPU per round: " + ", ".join(f"{r['cpu'] * 1000:.3f}" for r in runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
