"""A fake Telegram Bot API that enforces Telegram's send limits, run in its own process.

Start it as ``python -m bench.limitedapi``: it binds a random port on 127.0.0.1, prints one JSON
line ``{"port": ...}`` on stdout, and serves until SIGTERM or SIGINT (or until the process that
started it dies, on Linux). From Python, :class:`LimitedApiProcess` does that and talks to it.
It is the server for ``bench/burst.py``; ``bench/fakeapi.py`` is the one for ``bench/updates.py``
(no limits, a backlog of updates),
and the base this one is built on (the server skeleton, responses, limits and process handle).

Limits, as Telegram applies them to one bot (429 "Too Many Requests: retry after N" beyond):

* at most ``--overall`` (30) messages in any 1-second window, all chats together; edits count
  here too (the bot's dispatcher paces them in the same budget), callback answers do not;
* at most 1 message in any 1-second window into one private chat;
* at most 20 messages in any 60-second window into one group (negative chat id).

A refused request is not carried out. Instants are taken when a request's parameters have been
read, i.e. when it "arrives": ``time.monotonic()`` for the windows and ``time.time()`` (the wall
clock the bot's ``SystemClock`` also reads) for the log.

Updates: the driver posts a plan (``POST /_plan``, ``{"updates": [[wall_time, update], ...]}``)
and each update becomes visible to ``getUpdates`` at its wall-clock instant, with update ids in
that order; a long poll returns as soon as one is released.

Control endpoints, for the driver only:

- ``GET /_stats?lo=A&hi=B``: counts so far, and how many chats with ids in ``[A, B)`` received a
  message, and how many messages they received (cheap enough to poll a few times a second).
- ``GET /_log``: every message delivered ``[chat_id, wall_time, method, text]``, every refusal
  ``[chat_id, wall_time, method, reason]``, every edit ``[chat_id, wall_time, method]`` and when
  each planned update was released and first handed out.
- ``POST /_release``: ends the long polls in flight and makes later ones return at once.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.fakeapi import EDIT_METHODS, TOKEN, ApiProcess, BotApiServer, ControlRoute, Limits, _error, _int, serve


class LimitedBotApi(BotApiServer):
    """Planned updates released at their wall-clock instants; sends limited and logged."""

    def __init__(self, limits: Limits, token: str = TOKEN) -> None:
        super().__init__(token, limits)
        self.messages: list[tuple[int, float, str, str]] = []
        self.refusals: list[tuple[int, float, str, str]] = []
        self.edits: list[tuple[int, float, str]] = []
        self.per_chat: Counter[int] = Counter()
        self._release_at: list[float] = []  # planned updates' instants, in release order
        self._handed_out_at: dict[int, float] = {}
        self._cpu_at_start = time.process_time()

    def control_routes(self) -> list[ControlRoute]:
        return [
            *super().control_routes(),
            ("GET", "/_stats", self._stats),
            ("GET", "/_log", self._log),
            ("POST", "/_plan", self._plan),
        ]

    # -- hooks ---------------------------------------------------------------------------------------

    def _available(self) -> int:
        return bisect.bisect_right(self._release_at, time.time())

    def _next_release_in(self) -> float | None:
        released = self._available()
        return self._release_at[released] - time.time() if released < len(self._release_at) else None

    def _handing_out(self, start: int, end: int) -> None:
        wall = time.time()
        for position in range(start, end):
            self._handed_out_at.setdefault(position + 1, wall)

    def _arrived(self, method: str, chat_id: int, text: str, now: float, refused: tuple[str, int] | None) -> None:
        wall = time.time()
        if refused is not None:
            self.refusals.append((chat_id, wall, method, refused[0]))
        elif method in EDIT_METHODS:
            self.edits.append((chat_id, wall, method))
        else:
            self.messages.append((chat_id, wall, method, text))
            self.per_chat[chat_id] += 1

    # -- control -----------------------------------------------------------------------------------

    async def _plan(self, request: web.Request) -> web.Response:
        planned = sorted(((float(at), update) for at, update in (await request.json())["updates"]), key=lambda p: p[0])
        if self._release_at and planned and planned[0][0] < self._release_at[-1]:
            return _error(400, "a plan must come after the updates already planned")
        for at, update in planned:
            update["update_id"] = len(self._encoded) + 1
            self._release_at.append(at)
            self._encoded.append(json.dumps(update, separators=(",", ":")).encode())
        self._announce()
        return web.json_response({"planned": len(planned)})

    async def _stats(self, request: web.Request) -> web.Response:
        lo = _int(request.query.get("lo"), 0)
        hi = _int(request.query.get("hi"), 0)
        in_range = [count for chat_id, count in self.per_chat.items() if lo <= chat_id < hi]
        reasons = Counter(reason for _, _, _, reason in self.refusals)
        return web.json_response(
            {
                "messages": len(self.messages),
                "edits": len(self.edits),
                "refused": len(self.refusals),
                "refused_by_reason": dict(reasons),
                "chats_in_range": len(in_range),
                "messages_in_range": sum(in_range),
                "updates_planned": len(self._encoded),
                "updates_handed_out": len(self._handed_out_at),
                "responses": dict(self.responses),
                "cpu_seconds": time.process_time() - self._cpu_at_start,
                "now": time.time(),
            }
        )

    async def _log(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "messages": self.messages,
                "refusals": self.refusals,
                "edits": self.edits,
                "released_at": {str(i + 1): at for i, at in enumerate(self._release_at)},
                "handed_out_at": {str(k): v for k, v in self._handed_out_at.items()},
                "cpu_seconds": time.process_time() - self._cpu_at_start,
            }
        )


class LimitedApiProcess(ApiProcess):
    """The server in a child process. Use as a context manager; it is stopped on the way out."""

    module = "bench.limitedapi"

    def __init__(
        self, log_path: Path, *, overall: float = 30, per_chat: float = 1, edits_in_overall: bool = True
    ) -> None:
        args = ["--overall", str(overall), "--per-chat", str(per_chat)]
        super().__init__([*args, "--edits-free"] if not edits_in_overall else args, log_path)

    def log(self) -> dict[str, Any]:
        return self._call("/_log", timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overall", type=float, default=30, help="messages in any 1 s window, all chats")
    parser.add_argument("--per-chat", type=float, default=1, help="messages in any 1 s window, one private chat")
    parser.add_argument("--per-group-minute", type=float, default=20, help="messages in any 60 s window, one group")
    parser.add_argument("--edits-free", action="store_true", help="edits do not count in the overall window")
    parser.add_argument("--token", default=TOKEN)
    args = parser.parse_args()
    limits = Limits(args.overall, args.per_chat, args.per_group_minute, edits_in_overall=not args.edits_free)
    asyncio.run(serve(LimitedBotApi(limits, args.token)))


if __name__ == "__main__":
    main()
