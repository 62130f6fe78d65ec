"""A fake Telegram Bot API that plays a timeline of updates live and enforces Telegram's limits.

For latency benchmarks (``bench/latency.py``), run in its own process:
``python -m bench.liveapi --timeline FILE`` binds a random port on 127.0.0.1, prints one JSON
line ``{"port": ...}`` on stdout, and serves until SIGTERM or SIGINT. From Python,
:class:`LiveApiProcess` does that.

The timeline (a JSON list, made by the driver) says which message arrives when: each entry has
``at`` (seconds after ``POST /_start``), ``chat`` and ``from`` (Bot API objects) and ``text``.
On ``/_start`` the server turns each entry into a message update at its time (``update_id``,
``message_id``, ``date`` and command entities filled in then), and a ``getUpdates`` long poll
in flight returns at once with it. For every update it records when it was created and when it
was first handed out in a ``getUpdates`` answer.

Sends are limited as Telegram limits them (sliding windows over accepted requests): 30 a second
overall (messages and edits), one a second into one private chat, 20 a minute into one group.
Beyond that the answer is 429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``
(when the window frees, rounded up, at least 1 s); a refused request counts against nothing.
Every ``sendMessage`` (photo, document, edit) is recorded with its chat, the first characters of
its text, its arrival time and whether it was accepted.

Control endpoints, for the driver only:

- ``POST /_start``: start playing the timeline (once).
- ``GET /_stats``: small counters (updates created and handed out, sends, 429s, the time of the
  last accepted send, ``getUpdates`` calls so far).
- ``GET /_report``: everything recorded: updates and sends, with ``time.monotonic()`` instants.
- ``POST /_release``: ends the long polls in flight and makes later ones return at once, so a
  bot shuts down quickly.

The server skeleton, the responses, the limits and the process handle are ``bench/fakeapi.py``'s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.fakeapi import TOKEN, ApiProcess, BotApiServer, ControlRoute, Limits, serve

TEXT_KEPT = 60


@dataclass
class UpdateRecord:
    update_id: int
    chat_id: int
    user_id: int
    text: str
    date: int
    created: float
    handed_out: float | None = None


@dataclass
class SendRecord:
    method: str
    chat_id: int
    text: str
    at: float
    status: int  # 200 or 429
    retry_after: int | None = None


class LiveBotApi(BotApiServer):
    """A timeline of messages played live after ``/_start``; sends limited and recorded."""

    poll_wait_when_released = 0.1  # a bot being stopped: short polls, but no busy loop

    def __init__(self, timeline: list[dict[str, Any]], token: str = TOKEN) -> None:
        super().__init__(token, Limits())
        self.timeline = sorted(timeline, key=lambda entry: entry["at"])
        self.updates: list[UpdateRecord] = []
        self.sends: list[SendRecord] = []
        self.started_at: float | None = None
        self.played = False
        self.last_accepted: float | None = None
        self._message_ids: dict[int, int] = {}
        self._player: asyncio.Task[None] | None = None

    def control_routes(self) -> list[ControlRoute]:
        return [
            *super().control_routes(),
            ("POST", "/_start", self._start),
            ("GET", "/_stats", self._stats),
            ("GET", "/_report", self._report),
        ]

    # -- playing the timeline -----------------------------------------------------------------

    async def _play(self) -> None:
        assert self.started_at is not None
        for entry in self.timeline:
            delay = self.started_at + entry["at"] - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._add(entry)
        self.played = True

    def _add(self, entry: dict[str, Any]) -> None:
        chat, sender, text = entry["chat"], entry["from"], entry["text"]
        update_id = len(self.updates) + 1
        message_id = self._message_ids[chat["id"]] = self._message_ids.get(chat["id"], 0) + 1
        now_epoch = int(time.time())
        message: dict[str, Any] = {
            "message_id": message_id, "from": sender, "chat": chat, "date": now_epoch, "text": text
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        update = {"update_id": update_id, "message": message}
        self._encoded.append(json.dumps(update, separators=(",", ":")).encode())
        self.updates.append(UpdateRecord(update_id, chat["id"], sender["id"], text, now_epoch, time.monotonic()))
        self._announce()

    # -- hooks ----------------------------------------------------------------------------------

    def _handing_out(self, start: int, end: int) -> None:
        now = time.monotonic()
        for record in self.updates[start:end]:
            if record.handed_out is None:
                record.handed_out = now

    def _arrived(self, method: str, chat_id: int, text: str, now: float, refused: tuple[str, int] | None) -> None:
        if refused is not None:
            self.sends.append(SendRecord(method, chat_id, text[:TEXT_KEPT], now, 429, refused[1]))
            return
        self.sends.append(SendRecord(method, chat_id, text[:TEXT_KEPT], now, 200))
        self.last_accepted = now

    # -- control ------------------------------------------------------------------------------

    async def _start(self, request: web.Request) -> web.Response:
        if self._player is None:
            self.started_at = time.monotonic()
            self._player = asyncio.create_task(self._play())
        return web.json_response({"started_at": self.started_at})

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "timeline": len(self.timeline),
                "created": len(self.updates),
                "handed_out": sum(1 for record in self.updates if record.handed_out is not None),
                "played": self.played,
                "sends": sum(1 for send in self.sends if send.status == 200),
                "rate_limited": sum(1 for send in self.sends if send.status == 429),
                "last_accepted": self.last_accepted,
                "get_updates_calls": self.responses["getUpdates"],
                "now": time.monotonic(),
            }
        )

    async def _report(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "started_at": self.started_at,
                "updates": [asdict(record) for record in self.updates],
                "sends": [asdict(send) for send in self.sends],
                "calls": dict(self.responses),
                "now": time.monotonic(),
            }
        )


class LiveApiProcess(ApiProcess):
    """The live fake server in a child process; a context manager. :attr:`base_url` goes to the bot."""

    module = "bench.liveapi"

    def __init__(self, timeline_path: Path, log_path: Path) -> None:
        super().__init__(["--timeline", str(timeline_path)], log_path)

    def start_timeline(self) -> dict[str, Any]:
        return self._call("/_start", "POST")

    def report(self) -> dict[str, Any]:
        return self._call("/_report")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeline", type=Path, required=True, help="JSON list of timeline entries")
    parser.add_argument("--token", default=TOKEN)
    args = parser.parse_args()
    timeline = json.loads(args.timeline.read_text())
    asyncio.run(serve(LiveBotApi(timeline, args.token)))


if __name__ == "__main__":
    main()
