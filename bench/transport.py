"""Bot.send_message throughput: PTB's HTTPXRequest vs our AiohttpRequest.

Run by hand:  .venv/bin/python bench/transport.py [--messages 3000] [--reps 3] [--concurrency 1 16 64 256]

A minimal fake Bot API (aiohttp, 127.0.0.1) runs in a separate process, so the server does not
share the client's event loop or CPU; it answers every sendMessage with the same valid Message.
For each concurrency C, a fresh ``telegram.Bot`` on each transport (connection pool of C) sends
the given number of messages from C concurrent senders, after a short warm-up. Repetitions are
interleaved so that both transports see the same machine conditions. Prints messages/s (median,
and the range over repetitions) and the client's CPU time per message, which other load on the
machine disturbs less than it disturbs throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from aiohttp import web
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram.transport import AiohttpRequest

TOKEN = "123456789:AAFakeTokenForBenchmarksOnly_abcdefgh"
CHAT_ID = 1001
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Limber", "username": "limber_bench_bot"}
TEXT = "Lunge, right side: 45 s. Back knee down, hips forward."
WARM_UP = 200

TRANSPORTS: dict[str, Callable[[int], BaseRequest]] = {
    "HTTPXRequest": lambda pool: HTTPXRequest(connection_pool_size=pool),
    "AiohttpRequest": lambda pool: AiohttpRequest(connection_pool_size=pool),
}


# -- the fake Bot API, in its own process -----------------------------------------------------


def serve(ready: Connection) -> None:
    asyncio.run(_serve(ready))


async def _serve(ready: Connection) -> None:
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": CHAT_ID, "type": "private"},
        "from": BOT_USER,
        "text": TEXT,
    }
    answers = {
        "getMe": json.dumps({"ok": True, "result": BOT_USER}).encode(),
        "sendMessage": json.dumps({"ok": True, "result": message}).encode(),
    }

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        body = answers.get(request.match_info["method"])
        if body is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    ready.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    await asyncio.Event().wait()  # until terminated


# -- the client ----------------------------------------------------------------------------------


async def measure(base_url: str, transport: str, concurrency: int, messages: int) -> tuple[float, float]:
    """Messages/s and client CPU microseconds per message for one run."""
    request = TRANSPORTS[transport](concurrency)
    async with Bot(TOKEN, base_url=base_url, request=request) as bot:
        async def sender(numbers: itertools.count[int], total: int) -> None:
            while next(numbers) < total:
                await bot.send_message(CHAT_ID, TEXT)

        async def send(total: int) -> None:
            numbers = itertools.count()
            await asyncio.gather(*(sender(numbers, total) for _ in range(concurrency)))

        await send(max(WARM_UP, concurrency))
        cpu, started = time.process_time(), time.perf_counter()
        await send(messages)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return messages / elapsed, cpu / messages * 1e6


async def run(base_url: str, levels: list[int], messages: int, reps: int) -> None:
    rates: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    for rep in range(1, reps + 1):
        for concurrency in levels:
            for transport in TRANSPORTS:
                rate, micros = await measure(base_url, transport, concurrency, messages)
                rates.setdefault((transport, concurrency), []).append(rate)
                cpu.setdefault((transport, concurrency), []).append(micros)
                print(
                    f"  rep {rep}  C={concurrency:<4} {transport:<15} {rate:8,.0f} msg/s  {micros:6,.0f} µs CPU/msg",
                    file=sys.stderr,
                )

    print()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"{os.cpu_count()} cores (load average at the end {load}), Python {platform.python_version()}, "
        f"python-telegram-bot {version('python-telegram-bot')}, "
        f"httpx {version('httpx')}, httpcore {version('httpcore')}, aiohttp {version('aiohttp')}; "
        f"{messages:,} messages per run, {reps} runs per cell"
    )
    print()
    print("| concurrency | HTTPXRequest msg/s | AiohttpRequest msg/s | ratio | client CPU µs/msg (httpx / aiohttp) |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for concurrency in levels:
        cells = []
        for transport in TRANSPORTS:
            values = rates[(transport, concurrency)]
            cells.append(f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})")
        aiohttp_rate = statistics.median(rates[("AiohttpRequest", concurrency)])
        ratio = aiohttp_rate / statistics.median(rates[("HTTPXRequest", concurrency)])
        cpu_cells = " / ".join(f"{statistics.median(cpu[(t, concurrency)]):,.0f}" for t in TRANSPORTS)
        print(f"| {concurrency} | {cells[0]} | {cells[1]} | {ratio:.1f}x | {cpu_cells} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64, 256])
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    server = context.Process(target=serve, args=(send,), daemon=True)
    server.start()
    try:
        port = receive.recv()
        asyncio.run(run(f"http://127.0.0.1:{port}/bot", args.concurrency, args.messages, args.reps))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
