"""Load benchmark: the real web process against a plain Bolt bot, side by side.

    python bench/load.py [--quick] [--database sqlite|postgresql|both]        (or `make bench`)

Starts the web process exactly as the Procfile does (gunicorn, gunicorn.conf.py), with CometChat and
Slack faked on loopback in their own processes (bench/fakes.py), drives it with signed requests
from an asyncio load generator (bench/wire.py), then does the same for bench/naive.py. Figures:

- latency: command sent -> page delivered (in the acknowledgement, or POSTed to response_url),
  one command at a time, CometChat answering at once; p50 and p95;
- throughput: commands answered per second with 16 concurrent clients; the median of three runs
  (one with --quick), with the lowest and highest, since a shared 2-core VM is noisy;
- concurrency: 300 commands at once (each on a new connection) with CometChat taking 2 s per
  request: % acknowledged within 3 s (Slack's limit), % answered within the wait;
- clicks: Next click sent -> replacement page delivered to response_url; p50;
- memory: the largest process's resident set, and the whole tree's proportional set (shared
  pages counted once, as a dyno's memory limit counts them) after the load; then, on PostgreSQL
  (SQLite allows one worker), a web process of its own with WEB_CONCURRENCY=2 (a Basic dyno's)
  while it exports 20,000 banned users (CometChat 50 ms away) and draws the Home tab's chart:
  the peaks, sampled from /proc every 20 ms, of the largest worker's RSS and the whole tree's PSS
  (the chart's drawing process included);
- start-up: launch -> first 200 from /healthz, and port first accepting -> that 200 (what
  Heroku's router sees: it routes once the port is bound); medians of several launches.

The bot runs with its history on SQLite and on PostgreSQL (`--database`, default both: a database
of its own on the machine's server, migrated and seeded as deployed), the baseline once.

Everything runs on one machine, so the figures include the load generator's and the fakes' share
of the CPU; expect noise when other work is running.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fakes import BANNED, BIG_GROUPS, GROUP  # noqa: E402
from bench.naive import baseline_command  # noqa: E402
from bench.wire import Client  # noqa: E402
from bot.domain.button_values import PageCursor  # noqa: E402
from bot.slack.banned_page import ACTION_NEXT  # noqa: E402
from bot.slack.list_tools import ACTION_EXPORT  # noqa: E402
from tests.support.fakes.cometchat import API_KEY  # noqa: E402
from tests.support.fakes.slack import BOT_TOKEN, SIGNING_SECRET, action_body, command_body, sign  # noqa: E402
from tests.support.web_process import procfile_command  # noqa: E402


def seed_history(url: str) -> int:
    """Every banned user of the benchmark group gets a recorded ban with a reason and an end,
    so each page the bot serves runs the history lookup and renders its line (the worst case)."""
    from datetime import UTC, datetime, timedelta

    from bot.domain.moderation import EventSource, ModerationAction, ModerationEvent
    from bot.store import ModerationStore, build_engine
    from bot.store.migrate import upgrade

    engine = build_engine(url)
    upgrade(engine)
    store, now = ModerationStore(engine), datetime.now(UTC)
    for i in range(1, BANNED + 1):
        store.record(
            ModerationEvent(
                guid=GROUP,
                uid=f"user-{i:03d}",
                action=ModerationAction.BAN,
                source=EventSource.COMMAND,
                at=now - timedelta(days=3),
                actor="U0BENCH",
                reason="spamming links",
                ends_at=now + timedelta(days=30),
            )
        )
    engine.dispose()
    return BANNED


HOST = "127.0.0.1"
SLACK_ACK_LIMIT = 3.0
CLIENTS = 16
AT_ONCE = 300
SLOW_COMETCHAT = 2.0
KINDS = {"sqlite": ("sqlite",), "postgresql": ("postgresql",), "both": ("sqlite", "postgresql")}
# The memory phase: a Basic dyno's workers, the largest list the bench's CometChat holds, read
# at network distance so the export is still running while the chart is drawn.
MEMORY_WORKERS = 2
MEMORY_EXPORT_GROUP = max(BIG_GROUPS, key=BIG_GROUPS.__getitem__)
MEMORY_LATENCY = 0.05
MEMORY_SAMPLE_EVERY = 0.02


@dataclass(frozen=True)
class Sizes:
    warmup: int
    latency: int
    clicks: int
    throughput: int
    throughput_runs: int
    startups: int
    answer_wait: float


FULL = Sizes(
    warmup=100,
    latency=500,
    clicks=300,
    throughput=4000,
    throughput_runs=3,
    startups=3,
    answer_wait=30.0,
)
QUICK = Sizes(
    warmup=50,
    latency=150,
    clicks=80,
    throughput=1200,
    throughput_runs=1,
    startups=1,
    answer_wait=15.0,
)


@dataclass
class MemoryPeaks:
    worker_rss_mb: float = 0.0  # the largest gunicorn worker's RSS, at its highest
    tree_pss_mb: float = 0.0  # master + workers + the chart's drawing process, at its highest
    other_rss_mb: float = 0.0  # the largest process below a worker (the chart's drawing)
    samples: int = 0
    seconds: float = 0.0  # click to file shared
    rows_note: str = ""  # what went wrong, if anything


@dataclass
class Figures:
    latency_ms: list[float] = field(default_factory=list)
    in_ack: int = 0
    click_ms: list[float] = field(default_factory=list)
    throughput: float = 0.0  # median of the runs
    throughputs: list[float] = field(default_factory=list)
    tp_answered: int = 0
    tp_sent: int = 0
    acked_in_time: int = 0
    answered: int = 0
    last_answer_s: float = 0.0
    rss_mb: float = 0.0  # the whole process tree (PSS: shared pages counted once)
    worker_rss_mb: float = 0.0  # its largest process
    # Peaks during the export and the chart with MEMORY_WORKERS (None: not measured).
    peak: MemoryPeaks | None = None
    cpu_ms: float = 0.0  # web process CPU per command during the throughput runs (median)
    cpu_runs: list[float] = field(default_factory=list)
    speed_ms: list[float] = field(default_factory=list)  # speed_check() before each run
    # CometChat connections opened, and requests sent, during the throughput runs.
    cc_connections: int = 0
    cc_requests: int = 0
    startup_s: list[float] = field(default_factory=list)
    first_answer_s: list[float] = field(default_factory=list)  # from the port opening
    errors: list[str] = field(default_factory=list)


# -- processes ---------------------------------------------------------------------------------


def start_fake(kind: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.fakes", kind], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("port "):
        raise RuntimeError(f"fake {kind} did not start: {line!r}")
    return proc, int(line.split()[1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def child_pids() -> dict[int, list[int]]:
    """Every process's children, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """`pid` and every descendant (gunicorn's master and its workers), from /proc (Linux)."""
    children = child_pids() if children is None else children
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: a page shared by n processes counts 1/n in each. Summed over a
    tree it is the memory the tree holds, as a dyno's limit counts it (the workers share the
    master's preloaded modules until they write to them)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemorySampler:
    """Samples a gunicorn tree's memory from /proc in a thread until stopped; keeps the peaks:
    the largest worker's RSS (the master's children), the whole tree's PSS, and the largest
    process below a worker (the chart's drawing process, while it runs)."""

    def __init__(self, master: int, every: float = MEMORY_SAMPLE_EVERY):
        self.master, self.every = master, every
        self.peaks = MemoryPeaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def __enter__(self) -> MemoryPeaks:
        self._thread.start()
        return self.peaks

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.every):
                self.sample()  # once more after the end
                return

    def sample(self) -> None:
        children = child_pids()
        workers = children.get(self.master, [])
        below = [p for w in workers for p in process_tree(w, children) if p != w]
        peaks = self.peaks
        peaks.worker_rss_mb = max(peaks.worker_rss_mb, *map(rss_mb, workers), 0.0)
        peaks.other_rss_mb = max(peaks.other_rss_mb, *map(rss_mb, below), 0.0)
        tree = process_tree(self.master, children)
        peaks.tree_pss_mb = max(peaks.tree_pss_mb, sum(map(pss_mb, tree)))
        peaks.samples += 1


class WebProcess:
    def __init__(self, argv: list[str], env: dict[str, str], port: int, log: Path):
        self.argv, self.env, self.port, self.log = argv, env, port, log
        self.proc: subprocess.Popen | None = None
        self.after_open = float("nan")

    def start(self) -> float:
        """Launch; return seconds until /healthz first answers 200. `self.after_open` is the
        part of it from the moment the port first accepted a connection (what Heroku's router
        sees: it routes as soon as the port is bound)."""
        started = time.monotonic()
        opened: float | None = None
        with self.log.open("ab") as out:
            # Run outside the checkout so a developer's .env cannot change what is measured.
            self.proc = subprocess.Popen(
                self.argv, cwd=self.log.parent, env=self.env, stdout=out, stderr=out
            )
        while time.monotonic() - started < 30:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv} exited {self.proc.returncode}; see {self.log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=30) as sock:
                    opened = opened or time.monotonic()
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        self.after_open = time.monotonic() - opened
                        return time.monotonic() - started
            except OSError:
                time.sleep(0.005)  # not listening yet; poll again
        raise RuntimeError(f"{self.argv} not healthy after 30 s; see {self.log}")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


# -- load --------------------------------------------------------------------------------------


def speed_check(seconds: float = 0.5) -> float:
    """How fast this machine's CPU is right now: median ms of CPU for a fixed pure-Python loop.

    On a shared VM the same work can take 50 % longer from one minute to the next (measured
    here: 29.0 ms at p10, 47.5 ms at p90 over 40 s, nothing else running); the CPU cost per
    command of both designs moves with it. Printed beside the throughput so runs can be compared.
    """
    samples: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline or len(samples) < 5:
        started = time.process_time()
        total, table = 0, {}
        for i in range(30_000):
            total += i * i % 7
            if i % 6 == 0:
                table[str(i)] = i
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples)


def signed(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {"content-type": "application/x-www-form-urlencoded", **sign(body)}


def has_page(payload: bytes) -> bool:
    return b'"blocks"' in payload and b"Bench Group" in payload


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (the workers), from /proc."""
    total = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Driver:
    def __init__(self, port: int, slack_port: int, cometchat_port: int, sizes: Sizes, pid: int):
        self.port, self.slack_port, self.cc_port = port, slack_port, cometchat_port
        self.pid = pid
        self.sizes = sizes
        self.response_base = f"http://{HOST}:{slack_port}/response/"
        self.control = Client(HOST, slack_port)

    async def arrivals(self, phase: str, n: int, timeout: float) -> dict[str, list]:
        path = f"/_bench/wait?phase={phase}&n={n}&timeout={timeout}"
        status, payload = await self.control.request("GET", path)
        return json.loads(payload) if status == 200 else {}

    async def cometchat_stats(self) -> tuple[int, int]:
        """(connections accepted, requests answered) by the fake CometChat so far."""
        control = Client(HOST, self.cc_port)
        _status, payload = await control.request("GET", "/_bench/stats")
        await control.close()
        stats = json.loads(payload)
        return stats["connections"], stats["requests"]

    async def set_delay(self, seconds: float) -> None:
        control = Client(HOST, self.cc_port)
        await control.request("POST", f"/_bench/delay?s={seconds}")
        await control.close()

    def command(self, rid: str) -> tuple[bytes, dict[str, str]]:
        return signed(command_body(GROUP, self.response_base + rid))

    def click(self, rid: str) -> tuple[bytes, dict[str, str]]:
        value = PageCursor(guid=GROUP, page=2, per_page=10).encode()
        return signed(action_body(ACTION_NEXT, value, self.response_base + rid))

    async def one_at_a_time(self, phase: str, requests: list, figures: Figures) -> list[float]:
        client, timings = Client(HOST, self.port), []
        for i, (body, headers) in enumerate(requests):
            sent = time.monotonic()
            status, payload = await client.request("POST", "/slack/events", body, headers)
            acked = time.monotonic()
            if status != 200:
                figures.errors.append(f"{phase}: HTTP {status}")
                continue
            if has_page(payload):
                figures.in_ack += phase == "lat"
                timings.append((acked - sent) * 1000)
                continue
            got = (await self.arrivals(phase, 1, 10)).get(f"{phase}.{i}")
            if got is None or not got[2]:
                figures.errors.append(f"{phase}: no page delivered for {phase}.{i}")
                continue
            if phase == "click" and not got[1]:
                figures.errors.append("click: the page did not replace the clicked message")
            timings.append((got[0] - sent) * 1000)
        await client.close()
        return timings

    async def throughput(self, figures: Figures, run: int = 0) -> None:
        total = self.sizes.throughput
        phase = f"tp{run}"
        requests = [self.command(f"{phase}.{i}") for i in range(total)]
        delivered: list[float] = []
        waiting = 0
        next_index = 0

        async def worker() -> None:
            nonlocal next_index, waiting
            client = Client(HOST, self.port)
            while next_index < total:
                body, headers = requests[next_index]
                next_index += 1
                status, payload = await client.request("POST", "/slack/events", body, headers)
                if status != 200:
                    figures.errors.append(f"throughput: HTTP {status}")
                elif has_page(payload):
                    delivered.append(time.monotonic())
                else:
                    waiting += 1
            await client.close()

        opened_before, asked_before = await self.cometchat_stats()
        started, cpu_before = time.monotonic(), cpu_seconds(self.pid)
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        later = await self.arrivals(phase, waiting, self.sizes.answer_wait) if waiting else {}
        figures.cpu_runs.append((cpu_seconds(self.pid) - cpu_before) * 1000 / total)
        opened, asked = await self.cometchat_stats()
        figures.cc_connections += opened - opened_before
        figures.cc_requests += asked - asked_before
        delivered.extend(t for t, _replaced, page in later.values() if page)
        figures.tp_sent += total
        figures.tp_answered += len(delivered)
        figures.throughputs.append(
            len(delivered) / (max(delivered) - started) if delivered else 0.0
        )
        figures.throughput = statistics.median(figures.throughputs)
        figures.cpu_ms = statistics.median(figures.cpu_runs)

    async def at_once(self, figures: Figures) -> None:
        await self.set_delay(SLOW_COMETCHAT)
        requests = [self.command(f"conc.{i}") for i in range(AT_ONCE)]
        ack_times: list[float | None] = [None] * AT_ONCE
        answers: list[float] = []

        async def one(i: int) -> None:
            body, headers = requests[i]
            client = Client(HOST, self.port)
            try:
                status, payload = await asyncio.wait_for(
                    client.request("POST", "/slack/events", body, headers), 60
                )
            except (OSError, TimeoutError) as exc:
                figures.errors.append(f"at once: {type(exc).__name__}")
                return
            finally:
                await client.close()
            if status == 200:
                ack_times[i] = time.monotonic()
                if has_page(payload):
                    answers.append(ack_times[i])

        started = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(AT_ONCE)))
        later = await self.arrivals("conc", AT_ONCE - len(answers), self.sizes.answer_wait)
        answers.extend(t for t, _replaced, page in later.values() if page)
        figures.acked_in_time = sum(
            1 for t in ack_times if t is not None and t - started <= SLACK_ACK_LIMIT
        )
        figures.answered = len(answers)
        figures.last_answer_s = (max(answers) - started) if answers else 0.0
        await self.set_delay(0)

    async def export_and_chart(self, master: int) -> MemoryPeaks:
        """Export MEMORY_EXPORT_GROUP (click to file shared in the fake Slack) while the Home
        tab's chart is drawn, sampling the tree's memory throughout."""
        from bot.charts.token import ChartToken, chart_key

        await self.set_delay(MEMORY_LATENCY)
        value = PageCursor(guid=MEMORY_EXPORT_GROUP).encode()
        click = signed(action_body(ACTION_EXPORT, value, self.response_base + "mem.0"))
        token = ChartToken(datetime.date.today(), 30, int(time.time()) + 3600)
        chart_path = f"/charts/{token.sign(chart_key(SIGNING_SECRET))}.png"
        web, chart = Client(HOST, self.port), Client(HOST, self.port)
        problems = []
        started = time.monotonic()
        try:
            with MemorySampler(master) as peaks:
                status, _ = await web.request("POST", "/slack/events", *click)
                if status != 200:
                    problems.append(f"export click: HTTP {status}")
                status, png = await chart.request("GET", chart_path)
                if status != 200 or not png.startswith(b"\x89PNG"):
                    problems.append(f"chart: HTTP {status}")
                shared = await self.arrivals("upload", 1, 120)
                if not shared:
                    problems.append("export: no file shared within 120 s")
            peaks.seconds = time.monotonic() - started
        finally:
            await web.close()
            await chart.close()
            await self.set_delay(0)
        peaks.rows_note = "; ".join(problems)
        return peaks

    async def run(self, figures: Figures) -> None:
        warm = [self.command(f"warm.{i}") for i in range(self.sizes.warmup)]
        warm += [self.click(f"warm.c{i}") for i in range(self.sizes.warmup // 4)]
        await self.one_at_a_time("warm", warm, Figures())
        await self.arrivals("warm", 10**6, 0.5)  # forget anything the warm-up left behind
        figures.latency_ms = await self.one_at_a_time(
            "lat", [self.command(f"lat.{i}") for i in range(self.sizes.latency)], figures
        )
        figures.click_ms = await self.one_at_a_time(
            "click", [self.click(f"click.{i}") for i in range(self.sizes.clicks)], figures
        )
        for run in range(self.sizes.throughput_runs):
            figures.speed_ms.append(speed_check())
            await self.throughput(figures, run)
        await self.at_once(figures)


def memory_phase(
    argv: list[str], env: dict[str, str], ports: dict[str, int], sizes: Sizes, log
) -> MemoryPeaks:
    """A web process of its own with MEMORY_WORKERS workers, warmed up with commands and
    clicks, then `Driver.export_and_chart` on it."""
    port = free_port()
    process = WebProcess(
        argv, {**env, "PORT": str(port), "WEB_CONCURRENCY": str(MEMORY_WORKERS)}, port, log
    )
    process.start()
    assert process.proc is not None
    try:
        driver = Driver(port, ports["slack"], ports["cometchat"], sizes, process.proc.pid)

        async def phase() -> MemoryPeaks:
            warm = [driver.command(f"memwarm.{i}") for i in range(sizes.warmup)]
            warm += [driver.click(f"memwarm.c{i}") for i in range(sizes.warmup // 4)]
            await driver.one_at_a_time("memwarm", warm, Figures())
            await driver.arrivals("memwarm", 10**6, 0.5)
            return await driver.export_and_chart(process.proc.pid)

        return asyncio.run(phase())
    finally:
        process.stop()


def run_design(
    argv: list[str],
    env: dict[str, str],
    ports: dict[str, int],
    sizes: Sizes,
    log,
    *,
    memory: bool = False,
):
    """`memory`: also the export-and-chart memory phase (needs a database two workers share)."""
    figures = Figures()
    port = free_port()
    web_env = {**env, "PORT": str(port)}
    for _ in range(sizes.startups - 1):
        process = WebProcess(argv, web_env, port, log)
        figures.startup_s.append(process.start())
        figures.first_answer_s.append(process.after_open)
        process.stop()
    process = WebProcess(argv, web_env, port, log)
    figures.startup_s.append(process.start())
    figures.first_answer_s.append(process.after_open)
    assert process.proc is not None
    try:
        driver = Driver(port, ports["slack"], ports["cometchat"], sizes, process.proc.pid)
        asyncio.run(driver.run(figures))
        tree = process_tree(process.proc.pid)
        figures.rss_mb = sum(map(pss_mb, tree))
        # The largest process of the tree, a gunicorn worker (RSS: its shared pages included).
        figures.worker_rss_mb = max(map(rss_mb, tree))
    finally:
        process.stop()
    if memory:
        figures.peak = memory_phase(argv, env, ports, sizes, log)
    return figures


# -- report ------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rows(fig: Figures, sizes: Sizes) -> list[str]:
    return [
        f"{pct(fig.latency_ms, 50):.2f} / {pct(fig.latency_ms, 95):.2f}",
        f"{fig.throughput:,.0f}"
        + (
            f" ({min(fig.throughputs):,.0f}–{max(fig.throughputs):,.0f})"
            if len(fig.throughputs) > 1
            else ""
        )
        + (
            "" if fig.tp_answered == fig.tp_sent else f" ({fig.tp_answered}/{fig.tp_sent} answered)"
        ),
        f"{fig.cc_connections} for {fig.cc_requests:,}"
        + (f" (1 per {fig.cc_requests / fig.cc_connections:,.0f})" if fig.cc_connections else ""),
        f"{100 * fig.acked_in_time / AT_ONCE:.0f} %",
        f"{100 * fig.answered / AT_ONCE:.0f} %"
        + (f" (last at {fig.last_answer_s:.1f} s)" if fig.answered else ""),
        f"{pct(fig.click_ms, 50):.2f}",
        f"{fig.worker_rss_mb:.0f} / {fig.rss_mb:.0f}",
        "—"
        if fig.peak is None
        else f"{fig.peak.worker_rss_mb:.0f} / {fig.peak.tree_pss_mb:.0f}"
        + (f" ({fig.peak.rows_note})" if fig.peak.rows_note else ""),
        f"{statistics.median(fig.startup_s):.2f}",
        f"{statistics.median(fig.first_answer_s):.2f}",
    ]


def report(designs: dict[str, Figures], sizes: Sizes) -> None:
    """One column per design; the baseline (the plain Bolt bot) last. Ratios are against it."""
    labels = [
        ("command latency p50 / p95, ms", "p50 ≤ 0.5 × Bolt"),
        (f"throughput, {CLIENTS} clients, commands/s (median, range)", "≥ 1.3 × Bolt"),
        ("CometChat connections opened for its requests, same runs", "≤ 1 per 50"),
        (f"{AT_ONCE} at once, 2 s CometChat: acked ≤ 3 s", "100 %"),
        (f"  answered (within {sizes.answer_wait:.0f} s)", "100 %"),
        ("click latency p50, ms", "≈ command"),
        ("memory after load, MB: largest RSS / whole tree PSS", "≤ 85 / ≤ 300"),
        (
            f"memory, {MEMORY_WORKERS} workers, export of {BIG_GROUPS[MEMORY_EXPORT_GROUP]:,} "
            "+ chart, MB: peak worker RSS / tree PSS",
            "≤ 85 / ≤ 300",
        ),
        ("start-up to first healthy /healthz, s", "—"),
        ("port open to first answer, s", "≤ 1.0"),
    ]
    columns = {name: rows(fig, sizes) for name, fig in designs.items()}
    head = ["figure", "target", *columns]
    widths = [max(len(x[0]) for x in labels), max(len(x[1]) for x in labels)]
    widths += [max(len(name), *map(len, values)) for name, values in columns.items()]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for i, (label, target) in enumerate(labels):
        cells = (label, target, *(values[i] for values in columns.values()))
        print("  ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True)))
    print()
    *ours, baseline = designs.items()
    base = baseline[1]
    for name, fig in ours:
        if base.throughput:
            print(
                f"throughput ratio, {name} / {baseline[0]}: {fig.throughput / base.throughput:.2f}"
            )
        if base.latency_ms:
            ratio = pct(fig.latency_ms, 50) / pct(base.latency_ms, 50)
            print(f"latency p50 ratio, {name} / {baseline[0]}: {ratio:.2f}")
    for name, fig in designs.items():
        print(
            f"{name}: answered in the acknowledgement {fig.in_ack}/{len(fig.latency_ms)}; "
            f"web process CPU per command (throughput runs, median) {fig.cpu_ms:.2f} ms; "
            "machine speed check before each throughput run (ms, lower is faster) "
            f"{', '.join(f'{v:.2f}' for v in fig.speed_ms)}"
        )
    print(f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for name, fig in designs.items():
        if fig.peak is not None:
            print(
                f"{name}: memory phase, {fig.peak.samples} samples over {fig.peak.seconds:.1f} s "
                f"(click to file shared); the chart's drawing process at most "
                f"{fig.peak.other_rss_mb:.0f} MB RSS"
            )
    for name, fig in designs.items():
        if fig.errors:
            shown = sorted(set(fig.errors))[:5]
            print(f"{name}: {len(fig.errors)} errors, e.g. {shown}")


@contextmanager
def bench_database(kind: str, tmp: str) -> Iterator[str]:
    """A database as deployed, with the benchmark group's history seeded: an SQLite file, or a
    PostgreSQL database of its own on the machine's server (BENCH_DATABASE_URL, else
    TEST_DATABASE_URL, else the local server), migrated as the release phase does, and dropped
    afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/history.sqlite3"
        return
    from tests.support.databases import own_postgres_database

    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )
    with ExitStack() as stack:
        try:
            url = stack.enter_context(own_postgres_database(server, prefix="banned_bench"))
        except Exception as exc:
            raise SystemExit(
                f"PostgreSQL is not usable at {server.rpartition('@')[2]} "
                f"({type(exc).__name__}): set BENCH_DATABASE_URL, or run with --database sqlite"
            ) from None
        yield url


# The web processes run on what Heroku installs (requirements.txt alone), not on the development
# environment: there httpx also loads its command line's click, rich and pygments, 5-9 MB more a
# worker. Built once, again when the lock changes.
DEPLOY_VENV = ROOT / "var" / "bench-venv"


def deploy_python() -> str:
    """This interpreter's version with requirements.txt installed, as on a dyno."""
    lock = ROOT / "requirements.txt"
    python = DEPLOY_VENV / "bin" / "python"
    stamp = DEPLOY_VENV / ".installed"
    if not stamp.exists() or stamp.read_text() != lock.read_text():
        print(f"building {DEPLOY_VENV} from requirements.txt (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(DEPLOY_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "-r", str(lock)],
            check=True,
        )
        stamp.write_text(lock.read_text())
    return str(python)


def deployed(argv: list[str], python: str) -> list[str]:
    """`argv` run by the deployed interpreter instead of this one."""
    return [python if a == sys.executable else a for a in argv]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, about a minute")
    parser.add_argument(
        "--database",
        choices=sorted(KINDS),
        default="both",
        help="the bot's history on SQLite, on PostgreSQL (the machine's server), or both",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    python = deploy_python()

    fakes = {kind: start_fake(kind) for kind in ("cometchat", "slack")}
    ports = {kind: port for kind, (_proc, port) in fakes.items()}
    # Nothing of the caller's environment but the basics: only these settings are measured.
    env = {
        **{k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "SLACK_APP_TOKEN": "",  # HTTP, as on the dyno, not Socket Mode
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "COMETCHAT_API_KEY": API_KEY,
        "COMETCHAT_BASE_URL": f"http://{HOST}:{ports['cometchat']}/v3",
        "SLACK_API_URL": f"http://{HOST}:{ports['slack']}/api/",
        "LOG_LEVEL": "INFO",
    }
    started = time.monotonic()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    designs: dict[str, Figures] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            for kind in KINDS[args.database]:
                with bench_database(kind, tmp) as url:
                    seeded = seed_history(url)
                    print(f"history: {seeded} recorded bans for {GROUP} ({kind})", flush=True)
                    web_env = {**env, "DATABASE_URL": url}
                    web_argv = deployed(procfile_command(), python)
                    print(f"web process: {shlex.join(web_argv)} (logs in {tmp})")
                    designs[f"bot, {kind}"] = run_design(
                        web_argv,
                        web_env,
                        ports,
                        sizes,
                        Path(tmp, f"bot-{kind}.log"),
                        # SQLite lets one worker in: the two-worker phase needs PostgreSQL.
                        memory=kind == "postgresql",
                    )
            # A plain Bolt bot on gunicorn's threaded worker (bench/naive.py).
            naive_argv = deployed(baseline_command(), python)
            print(f"baseline: {shlex.join(naive_argv)}", flush=True)
            designs["plain Bolt"] = run_design(
                naive_argv, env, ports, sizes, Path(tmp, "naive.log")
            )
    finally:
        for proc, _port in fakes.values():
            proc.terminate()
            proc.wait()
    report(designs, sizes)
    print(f"run took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
