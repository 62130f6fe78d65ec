"""Updates in: fetched, recorded durably, then handled per chat in order and across chats at once.

Exactly-once intake, as far as a client can have it:

* :class:`Poller` long-polls ``getUpdates`` itself (python-telegram-bot's ``Updater`` confirms a
  batch with its next request, before the updates are handled, so a crash lost them). Every
  update is written to the ``inbox`` table first; only then does the next request confirm it.
  An update already in the inbox (Telegram delivered it again) is not handled again.
* Each update is parsed on its own: one that cannot be read is logged once with its id, marked
  'unreadable' and skipped, and the updates around it are handled.
* An update is marked done after its handlers ran. At start-up, recorded updates not yet done
  (the process died first) are handled before anything new. A crash in the middle of a
  handler means that update is handled again after the restart.

:class:`ChatOrderedProcessor` is the ``BaseUpdateProcessor``: updates of one chat are handled
one after another in the order Telegram sent them, different chats concurrently (bounded), and
a user sending faster than :class:`FloodGuard` allows gets one polite warning while the excess
is dropped instead of queued for minutes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol

from telegram import Update
from telegram.error import Conflict, EndPointNotFound, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram.retrying import backoff, retry_after_seconds

log = logging.getLogger(__name__)

#: The update types the handlers use; Telegram sends nothing else.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
BATCH_LIMIT = 100
TOKEN_REJECTED = "Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN (from @BotFather)."


class Verdict(Enum):
    ADMIT = "admit"
    #: The first update over the limit: drop it and tell the user once.
    WARN = "warn"
    DROP = "drop"


@dataclass
class _Window:
    seen: deque[float] = field(default_factory=deque)
    warned: bool = False


class FloodGuard:
    """At most ``limit`` updates per user in any ``period`` seconds; the rest are dropped, and
    the user hears about it once per flood.

    Time is when the user sent a message (Telegram's ``date``), or when an update without one
    arrived: messages that queued up while the bot was down were sent minutes apart and are no
    flood, however fast they now arrive."""

    def __init__(self, limit: int = 20, period: float = 10.0) -> None:
        self._limit = limit
        self.period = period
        self._users: dict[int, _Window] = {}

    def admit(self, user_id: int, sent_at: float | None = None) -> Verdict:
        """``sent_at``: epoch seconds the user sent it, if known."""
        now = sent_at if sent_at is not None else time.time()
        if len(self._users) > 50_000 and user_id not in self._users:
            self._forget_quiet_users(now)
        window = self._users.setdefault(user_id, _Window())
        while window.seen and window.seen[0] <= now - self.period:
            window.seen.popleft()
        if len(window.seen) < self._limit:
            window.seen.append(max(now, window.seen[-1]) if window.seen else now)
            window.warned = False
            return Verdict.ADMIT
        if window.warned:
            return Verdict.DROP
        window.warned = True
        return Verdict.WARN

    def _forget_quiet_users(self, now: float) -> None:
        self._users = {
            user_id: window
            for user_id, window in self._users.items()
            if window.seen and window.seen[-1] > now - self.period
        }


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Per-chat order, cross-chat concurrency, flood control, and "done" bookkeeping."""

    def __init__(
        self,
        *,
        concurrency: int = 64,
        flood: FloodGuard | None = None,
        on_flood: Callable[[Update], Awaitable[None]] | None = None,
        on_done: Callable[[object], None] | None = None,
        max_waiting_per_chat: int = 10,
    ) -> None:
        # python-telegram-bot's own semaphore is taken before the chat's turn comes; if it were
        # the bound, one flooding chat would hold every slot while waiting for its turn. So it
        # is effectively unbounded, and ``concurrency`` bounds handlers that actually run.
        super().__init__(max_concurrent_updates=1 << 20)
        self._running = asyncio.Semaphore(concurrency)
        self._flood = flood or FloodGuard()
        self._on_flood = on_flood
        #: Told of every update whose handling is over (handled, or dropped on purpose).
        self.on_done = on_done
        self._turns: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._handling: set[asyncio.Task[Any]] = set()
        self._max_waiting = max_waiting_per_chat

    def cut_off(self) -> int:
        """At shutdown: stop every update still being handled or waiting for its turn. They
        are not marked done, so the next start handles them. Returns how many."""
        tasks = list(self._handling)
        for task in tasks:
            task.cancel()
        return len(tasks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        finished = False
        try:
            key = _chat_key(update)
            verdict = self._verdict(update, key)
            if verdict is not Verdict.ADMIT:
                _discard(coroutine)
                finished = True  # dropped on purpose: done, whatever becomes of the warning
                if verdict is Verdict.WARN and self._on_flood is not None and isinstance(update, Update):
                    await self._warn(update)
                return
            if key is None:
                async with self._running:
                    await coroutine
            else:
                await self._in_turn(key, coroutine)
            finished = True
        finally:
            if task is not None:
                self._handling.discard(task)
            if finished and self.on_done is not None:
                self.on_done(update)

    async def _warn(self, update: Update) -> None:
        assert self._on_flood is not None
        try:
            await self._on_flood(update)
        except Exception:
            who = update.effective_user.id if update.effective_user else "?"
            log.warning("Could not tell user %s to slow down", who)

    def _verdict(self, update: object, key: int | None) -> Verdict:
        if not isinstance(update, Update) or update.my_chat_member is not None:
            return Verdict.ADMIT
        user = update.effective_user
        if user is None:
            return Verdict.ADMIT
        message = update.effective_message
        sent_at = message.date.timestamp() if message is not None and update.callback_query is None else None
        verdict = self._flood.admit(user.id, sent_at)
        if verdict is Verdict.WARN:
            log.info("User %s is sending too fast; dropping the excess", user.id)
            return verdict
        fresh = sent_at is None or sent_at > time.time() - self._flood.period
        if verdict is Verdict.ADMIT and fresh and key is not None and self._waiting.get(key, 0) >= self._max_waiting:
            # Live traffic faster than the chat can be answered (a private chat gets about one
            # message a second; a group is shared): drop rather than queue for minutes. A
            # backlog from while the bot was away (old dates) is not live traffic.
            log.info("Chat %s has %d updates waiting; dropping one", key, self._waiting[key])
            return Verdict.DROP
        return verdict

    async def _in_turn(self, key: int, coroutine: Awaitable[Any]) -> None:
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with turn, self._running:
                await coroutine
        except asyncio.CancelledError:
            _discard(coroutine)  # cut off before its turn came: never started, never awaited
            raise
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._turns[key]


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


def _discard(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()  # never awaited on purpose: no "coroutine was never awaited" warning


class Inbox(Protocol):
    """Where updates are recorded before they are confirmed (``bot.storage.inbox``)."""

    async def record_updates(self, updates: list[tuple[int, int | None, str]], now: datetime) -> list[int]: ...
    async def unhandled_updates(self, received_before: datetime | None = None) -> list[tuple[int, str]]: ...
    async def finish_updates(self, update_ids: list[int], status: str = "done") -> None: ...


class Poller:
    """Fetches updates with ``getUpdates``, records them in the inbox, and queues them for the
    application. Ends the process (through ``on_fatal``) when Telegram rejects the token."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        inbox: Inbox,
        request: BaseRequest,
        *,
        poll_timeout: float,
        on_fatal: Callable[[str], None],
        polling: bool = True,
    ) -> None:
        self._application = application
        #: False in webhook mode: updates arrive through :meth:`accept` instead.
        self._polling = polling
        self._inbox = inbox
        # getUpdates goes through its own connection and is read raw: python-telegram-bot's
        # get_updates parses the whole batch at once, and one malformed update fails it all.
        self._request = request
        self._poll_timeout = poll_timeout
        self._on_fatal = on_fatal
        self._task: asyncio.Task[None] | None = None
        self._finished: list[int] = []
        #: Updates this process queued and has not finished: never queued a second time.
        self._in_hand: set[int] = set()
        self._flush_wanted = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start recording handled updates as done."""
        self._flusher = asyncio.create_task(self._flush_forever(), name="inbox-flush")

    async def resume_leftovers(self, received_before: datetime | None = None) -> int:
        """Handle updates recorded but never finished (by a process that stopped), only those
        received before ``received_before`` if given (younger ones may be in another replica's
        hands still)."""
        leftovers = [
            (update_id, payload)
            for update_id, payload in await self._inbox.unhandled_updates(received_before)
            if update_id not in self._in_hand
        ]
        if leftovers:
            log.info("Handling %d update(s) received before a restart", len(leftovers))
        for update_id, payload in leftovers:
            await self._queue(update_id, json.loads(payload))
        return len(leftovers)

    def start_polling(self) -> None:
        if self._polling and self._task is None:
            self._task = asyncio.create_task(self._poll_forever(), name="poller")

    async def stop_polling(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def accept(self, payload: Any) -> None:
        """Record one update that arrived by webhook and queue it if it is new. Returns once it
        is recorded: only then may Telegram be told it arrived."""
        await self._take([payload], None)

    async def close(self) -> None:
        """After the application stopped: record the last handled updates as done."""
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        await self._flush()

    def handled(self, update: object) -> None:
        """Called once an update's handlers ran (or it was dropped on purpose)."""
        if isinstance(update, Update):
            self._in_hand.discard(update.update_id)
            self._finished.append(update.update_id)
            self._flush_wanted.set()

    # -- polling ---------------------------------------------------------------------------------

    async def _poll_forever(self) -> None:
        offset: int | None = None
        failures = 0
        conflict_reported = False
        url = f"{self._application.bot.base_url}/getUpdates"
        timeout = self._poll_timeout
        while True:
            try:
                asked = {
                    "offset": offset,
                    "timeout": int(timeout) if timeout >= 1 else timeout,
                    "limit": BATCH_LIMIT,
                    "allowed_updates": ALLOWED_UPDATES,
                }
                raw = await self._request.post(
                    url,
                    RequestData([RequestParameter.from_input(k, v) for k, v in asked.items() if v is not None]),
                    read_timeout=timeout + 10.0,
                )
                offset = await self._take(raw, offset)
            except (InvalidToken, EndPointNotFound):
                self._on_fatal(TOKEN_REJECTED)
                return
            except Conflict:
                if not conflict_reported:
                    log.error(
                        "Another process is polling Telegram with this bot token; "
                        "waiting for it to stop (run one instance per token)."
                    )
                    conflict_reported = True
                failures += 1
                await asyncio.sleep(_backoff(failures))
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
            except TimedOut:
                continue  # a long poll that outlived its read timeout: just ask again
            except NetworkError as exc:
                failures += 1
                delay = _backoff(failures)
                log.warning("Cannot reach Telegram (%s); trying again in %.0f s", exc, delay)
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("Fetching updates failed; trying again shortly")
                await asyncio.sleep(_backoff(failures))
            else:
                if conflict_reported:
                    log.info("The other process stopped polling; this one takes over")
                failures, conflict_reported = 0, False

    async def _take(self, raw: Any, offset: int | None) -> int | None:
        """Record a fetched batch and queue its new updates; returns the next offset."""
        if not isinstance(raw, list) or not raw:
            return offset
        rows: list[tuple[int, int | None, str]] = []
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("update_id"), int):
                rows.append((item["update_id"], _user_id(item), json.dumps(item, ensure_ascii=False)))
        if not rows:
            return offset
        fresh = set(await self._inbox.record_updates(rows, datetime.now(UTC)))
        for item in raw:
            if isinstance(item, dict) and item.get("update_id") in fresh:
                await self._queue(item["update_id"], item)
        return max(update_id for update_id, _, _ in rows) + 1

    async def _queue(self, update_id: int, payload: dict[str, Any]) -> None:
        try:
            update = Update.de_json(payload, self._application.bot)
        except Exception as exc:
            log.error("Skipping update %s: it cannot be read (%s)", update_id, type(exc).__name__)
            await self._inbox.finish_updates([update_id], "unreadable")
            return
        self._in_hand.add(update_id)
        await self._application.update_queue.put(update)

    # -- done bookkeeping ------------------------------------------------------------------------

    async def _flush_forever(self) -> None:
        while True:
            await self._flush_wanted.wait()
            self._flush_wanted.clear()
            try:
                await self._flush()
            except Exception:
                log.exception("Recording handled updates failed; trying again")
                await asyncio.sleep(1.0)
                self._flush_wanted.set()

    async def _flush(self) -> None:
        done, self._finished = self._finished, []
        if not done:
            return
        try:
            await self._inbox.finish_updates(done)
        except BaseException:
            self._finished[:0] = done
            raise


def _user_id(payload: dict[str, Any]) -> int | None:
    """Whose update this is, read from the raw JSON (for /forget), without trusting its shape."""
    for kind in ALLOWED_UPDATES:
        body = payload.get(kind)
        if isinstance(body, dict):
            sender = body.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return None


def _backoff(failures: int) -> float:
    """After ``failures`` failed polls in a row: 1 s, 2 s, 4 s ... up to 30 s (jittered)."""
    return backoff(failures + 1, first=0.5, ceiling=30.0)
