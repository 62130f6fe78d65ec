"""Outbound capacity: messages/s through Limber's dispatcher with its limits off, next to bare sends.

Run by hand:  .venv/bin/python bench/sends.py [--messages 5000] [--runs 3] [--chats 1000]
                                              [--concurrency 256] [--quick] [--quiet-wait 30]

The fast fake Bot API (``bench/fakeapi.py``, with no updates to hand out) runs in its own
process, so it never shares this process's event loop or core. Four paths, each on a fresh
``telegram.Bot`` per run (``async with``: getMe first, not timed):

- ``dispatcher``: what every send of Limber goes through, built as ``bot/app.py`` builds it but
  with ``Dispatcher(0)`` (every limit of ours off): ``TelegramMessenger.post`` queues N messages
  spread round-robin over ``--chats`` private chats, all at once, and the clock stops when the
  dispatcher is idle (every message answered by the server).
- ``bare gather``: the same ``Bot.send_message`` call (HTML parse mode, no link preview, as the
  messenger makes it) from C concurrent senders under ``asyncio.gather``, C = ``--concurrency``
  (default: the dispatcher's own ``max_in_flight``): the transport alone, so the difference is
  the dispatcher's own overhead.

each on ``AiohttpRequest`` (Limber's transport; pool of 256 as in ``bot/app.py``) and on PTB's
``HTTPXRequest`` (same pool size). Every run first sends a warm-up of 300 messages through the
same path (connections opened, code paths warm), then the measured N. Paths take turns, R runs
each, each run after waiting (up to ``--quiet-wait`` seconds) for the machine to be nearly idle.
The table gives messages/s (min, median, max over the runs), this process's CPU time per
message, the fake server's CPU as a share of one core (near 100% means the server, not the
client, was the limit), and the CPU everything else on the machine used (noise).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import itertools
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.request import BaseRequest, HTTPXRequest

from bench.fakeapi import TOKEN, FakeApiProcess
from bench.updates import CpuSnapshot, unwind_on_signal, wait_for_quiet
from bot.telegram.dispatcher import Dispatcher
from bot.telegram.messenger import TelegramMessenger
from bot.telegram.transport import AiohttpRequest

TEXT = "🧘 <b>Lunge, right side</b>: 45 s. Back knee down, hips forward, chest tall."
FIRST_CHAT = 20_000_001
WARM_UP = 300
#: As ``bot/app.py`` builds the application's request.
POOL_SIZE = 256
#: The dispatcher's own bound on requests in flight: the bare path's default concurrency.
DISPATCHER_IN_FLIGHT: int = inspect.signature(Dispatcher).parameters["max_in_flight"].default

TRANSPORTS: dict[str, Callable[[], BaseRequest]] = {
    "AiohttpRequest": lambda: AiohttpRequest(connection_pool_size=POOL_SIZE, read_timeout=10.0, pool_timeout=10.0),
    "HTTPXRequest": lambda: HTTPXRequest(connection_pool_size=POOL_SIZE, read_timeout=10.0, pool_timeout=10.0),
}
PATHS = ("dispatcher", "bare gather")


@dataclass
class Run:
    path: str
    transport: str
    messages: int
    seconds: float
    delivered: int  # as the sender counted it
    arrived: int  # as the fake server counted it
    client_cpu: float  # this process's CPU seconds over the measured window
    server_share: float | None  # the fake server's CPU, share of one core
    other_share: float | None  # everything else on the machine, share of one core

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def complete(self) -> bool:
        return self.delivered == self.messages == self.arrived


# -- the two ways of sending -------------------------------------------------------------------------


def _chat(number: int, chats: int) -> int:
    return FIRST_CHAT + number % chats


async def through_dispatcher(bot: Bot, messages: int, chats: int) -> int:
    """Queue ``messages`` posts at once through Limber's messenger and dispatcher (limits off);
    wait until the dispatcher is idle. Returns how many were delivered."""
    dispatcher = Dispatcher(0)
    # The bot's own request object, as bot/app.py hands it to the messenger.
    messenger = TelegramMessenger(bot, dispatcher, bot.request)
    dispatcher.start()
    try:
        for number in range(messages):
            messenger.post(_chat(number, chats), TEXT)
        await dispatcher.idle()
        stats = dispatcher.stats
        return stats.sent
    finally:
        await dispatcher.stop()


async def bare_gather(bot: Bot, messages: int, chats: int, concurrency: int) -> int:
    """``Bot.send_message`` from ``concurrency`` senders under ``asyncio.gather``; returns how
    many were delivered."""
    numbers = itertools.count()
    preview = LinkPreviewOptions(is_disabled=True)
    delivered = 0

    async def sender() -> None:
        nonlocal delivered
        while (number := next(numbers)) < messages:
            await bot.send_message(
                _chat(number, chats), TEXT, parse_mode=ParseMode.HTML, link_preview_options=preview
            )
            delivered += 1

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return delivered


async def measure(
    api: FakeApiProcess, path: str, transport: str, messages: int, chats: int, concurrency: int
) -> Run:
    send: Callable[[Bot, int], Awaitable[int]]
    if path == "dispatcher":
        send = lambda bot, count: through_dispatcher(bot, count, chats)  # noqa: E731
    else:
        send = lambda bot, count: bare_gather(bot, count, chats, concurrency)  # noqa: E731
    async with Bot(TOKEN, base_url=api.base_url, request=TRANSPORTS[transport]()) as bot:
        await send(bot, WARM_UP)
        arrived_before = api.stats()["messages_sent"]
        first = CpuSnapshot.take(os.getpid(), api.pid)
        cpu, started = time.process_time(), time.perf_counter()
        delivered = await send(bot, messages)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        last = CpuSnapshot.take(os.getpid(), api.pid)
        arrived = api.stats()["messages_sent"] - arrived_before
    server_share = other_share = None
    if first is not None and last is not None and last.at > first.at:
        wall = last.at - first.at
        server_share = (last.server - first.server) / wall
        other = last.machine - first.machine - (last.bot - first.bot) - (last.server - first.server)
        other_share = max(0.0, other) / wall
    return Run(path, transport, messages, seconds, delivered, arrived, cpu, server_share, other_share)


# -- the report ------------------------------------------------------------------------------------


def describe_machine() -> str:
    versions = []
    for package in ("python-telegram-bot", "aiohttp", "httpx", "httpcore"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return (
        f"os.cpu_count() = {os.cpu_count()}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {', '.join(versions)}"
    )


COLUMNS = (
    ("path", 18), ("transport", 15), ("runs", 5), ("msg/s min", 9), ("median", 7), ("max", 7),
    ("client CPU/msg", 14), ("fake API CPU", 12), ("other CPU", 9),
)


def print_table(runs: list[Run], concurrency: int) -> None:
    print(_row([title for title, _ in COLUMNS]))
    print("-" * (sum(width for _, width in COLUMNS) + len(COLUMNS) - 1))
    for path in PATHS:
        for transport in TRANSPORTS:
            mine = [run for run in runs if run.path == path and run.transport == transport]
            if not mine:
                continue
            good = [run for run in mine if run.complete]
            label = path if path == "dispatcher" else f"{path} x{concurrency}"
            cells = [label, transport, f"{len(good)}/{len(mine)}"]
            if good:
                rates = [run.rate for run in good]
                cells += [
                    f"{min(rates):,.0f}",
                    f"{statistics.median(rates):,.0f}",
                    f"{max(rates):,.0f}",
                    f"{statistics.median(run.client_cpu / run.messages * 1e6 for run in good):,.0f} µs",
                    _share(run.server_share for run in good),
                    _share(run.other_share for run in good),
                ]
            cells += ["-"] * (len(COLUMNS) - len(cells))
            print(_row(cells))


def _share(values: object) -> str:
    known = [value for value in values if value is not None]  # type: ignore[attr-defined]
    return f"{statistics.median(known):.0%}" if known else "?"


def _row(cells: list[str]) -> str:
    widths = [width for _, width in COLUMNS]
    (first, first_width), (second, second_width), *rest = zip(cells, widths, strict=True)
    return " ".join([f"{first:<{first_width}}", f"{second:<{second_width}}", *(f"{c:>{w}}" for c, w in rest)])


# -- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages per run (default 5000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per path and transport, taking turns (default 3)")
    parser.add_argument("--chats", type=int, default=1000, help="private chats the messages go to (default 1000)")
    parser.add_argument(
        "--concurrency", type=int, default=DISPATCHER_IN_FLIGHT,
        help=f"concurrent senders of the bare path (default {DISPATCHER_IN_FLIGHT}, the dispatcher's max_in_flight)",
    )
    parser.add_argument("--quick", action="store_true", help="1,000 messages, 1 run, no waiting for quiet")
    parser.add_argument(
        "--quiet-wait", type=float, default=30.0,
        help="before each run, wait up to this many seconds for the machine to be quiet (default 30; 0: never)",
    )
    parser.add_argument("--only-transport", choices=tuple(TRANSPORTS), help="measure one transport only")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.runs, args.quiet_wait = 1000, 1, 0.0
    transports = [name for name in TRANSPORTS if args.only_transport in (None, name)]

    signal.signal(signal.SIGINT, unwind_on_signal)
    signal.signal(signal.SIGTERM, unwind_on_signal)
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # as bot/app.py: no deprecation warning on a 429
    print(describe_machine())
    print(
        f"{args.messages:,} messages per run over {args.chats:,} private chats (+{WARM_UP} warm-up), "
        f"{args.runs} run(s) per row; Dispatcher(0) = Limber's limits off (max_in_flight {DISPATCHER_IN_FLIGHT}); "
        f"pool {POOL_SIZE} connections"
    )
    print()
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sends-") as folder, FakeApiProcess(
            0, 1, 1, Path(folder) / "fakeapi.log"
        ) as api:
            for number in range(1, args.runs + 1):
                for path in PATHS:
                    for transport in transports:
                        if args.quiet_wait > 0 and not wait_for_quiet(args.quiet_wait):
                            print(f"  (the machine stayed busy for {args.quiet_wait:.0f} s; running anyway)")
                        run = asyncio.run(
                            measure(api, path, transport, args.messages, args.chats, args.concurrency)
                        )
                        runs.append(run)
                        _print_run(number, args.runs, run)
    except KeyboardInterrupt:
        print("\ninterrupted; the runs so far:")
    print()
    print_table(runs, args.concurrency)
    best = [run.rate for run in runs if run.path == "dispatcher" and run.transport == "AiohttpRequest" and run.complete]
    if best:
        median = statistics.median(best)
        verdict = "meets" if median >= 1000 else "misses"
        print(f"\ndispatcher on AiohttpRequest: median {median:,.0f} messages/s, {verdict} the goal of 1,000/s")
    return 0 if runs and all(run.complete for run in runs) else 1


def _print_run(number: int, runs: int, run: Run) -> None:
    problem = "" if run.complete else f"  INCOMPLETE: {run.delivered} delivered, {run.arrived} arrived"
    shares = f"fake API CPU {run.server_share:.0%}" if run.server_share is not None else ""
    print(
        f"  run {number}/{runs} {run.path:<12} {run.transport:<15} {run.rate:7,.0f} msg/s in {run.seconds:5.2f} s, "
        f"{run.client_cpu / run.messages * 1e6:5,.0f} µs client CPU/msg, {shares}{problem}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
