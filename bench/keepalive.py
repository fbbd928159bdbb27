"""How many idle CometChat connections to keep: CPU per request against connections opened,
under gevent as the web worker runs, 16 requests at once (the throughput phase of
bench/load.py). A measurement, run alone.

    python bench/keepalive.py [--tls] [--rounds 3] [--requests 3000]

httpcore asks each idle connection of the pool whether it is readable, around every request
(encode/httpcore#928); under gevent each ask is a `select.poll` through the hub. Keeping more
idle connections opens fewer, and costs more per request. Each round runs every candidate once,
interleaved, so the machine's drift touches them alike; the figures are the process's CPU per
request and the connections the fake accepted. `--tls` serves the fake over TLS (the tests'
localhost certificate), where each new connection also costs a handshake.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from gevent.pool import Pool  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fakes import GROUP, TLS_CA  # noqa: E402
from bot.cometchat.client import new_http_client  # noqa: E402

CANDIDATES = (8, 16, 24)
AT_ONCE = 16


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    argv = [sys.executable, "-m", "bench.fakes", "cometchat", *(["--tls"] if args.tls else [])]
    fake = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert fake.stdout is not None
    port = int(fake.stdout.readline().split()[1])
    scheme, host = ("https", "localhost") if args.tls else ("http", "127.0.0.1")
    base = f"{scheme}://{host}:{port}"
    page = f"{base}/v3/groups/{GROUP}/bannedusers?page=1&perPage=10"
    verify = ssl.create_default_context(cafile=TLS_CA) if args.tls else None
    # One connection per ask, closed after: the fake leaves its control calls out of the count.
    control = new_http_client(5.0, 1, verify=verify, headers={"connection": "close"})

    def accepted() -> int:
        return json.loads(control.get(f"{base}/_bench/stats").content)["connections"]

    print(f"{AT_ONCE} requests at once, {args.requests} per run, {'TLS' if args.tls else 'HTTP'}")
    try:
        for round_no in range(1, args.rounds + 1):
            for keep in CANDIDATES:
                http = new_http_client(5.0, 100, keepalive=keep, verify=verify)
                for _ in range(50):
                    http.get(page)  # warm: connections open, caches filled
                pool = Pool(AT_ONCE)
                opened, cpu, wall = accepted(), cpu_seconds(), time.perf_counter()
                for _ in range(args.requests):
                    pool.spawn(http.get, page)
                pool.join()
                cpu_ms = (cpu_seconds() - cpu) * 1000 / args.requests
                wall_s = time.perf_counter() - wall
                new = accepted() - opened
                print(
                    f"round {round_no}  keepalive {keep:2d}: {cpu_ms:.3f} ms CPU per request, "
                    f"{new} connections opened ({wall_s:.1f} s)",
                    flush=True,
                )
                http.close()
    finally:
        fake.terminate()
        fake.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
