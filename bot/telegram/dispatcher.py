"""One outbound dispatcher for every message the bot sends or edits.

Telegram lets a bot send about 30 messages a second in all, about one a second into one private
chat and 20 a minute into one group, and answers 429 "retry after N" beyond that. Every send and
edit is queued here with a priority and a deadline, and one loop hands them out:

* one request per chat at a time, in order: a chat's next message waits until the one before it
  was delivered or given up (so "saved" never overtakes the pose card, nor a retried card the
  next one); among a chat's waiting messages the more urgent goes first;
* across chats, highest priority first (:class:`Priority`): answers and pose cards, then
  reminders, then cosmetic edits; within a priority, first come first served;
* evenly paced under the overall rate (a few per cent below it, so network jitter never
  pushes Telegram's one-second window over), each chat within its own window, and a chat that
  got a 429 waits out its ``retry_after`` (the whole bot waits when several chats get one at
  once, which means the bot-wide limit was hit);
* transient faults (5xx, a connection refused, 429) are retried with exponential backoff and
  jitter until the message's deadline, then given up: the sender is told, so it can be honest;
* a request that may have reached Telegram without an answer (a timeout after sending) is never
  sent again (:attr:`~bot.services.messenger.Status.UNSURE`): a duplicate is the worse failure when
  Telegram is merely slow. A connection dropped after sending is the same doubt; it is retried
  only for messages whose sender prefers a rare duplicate to a loss (``resend_if_dropped``);
* cosmetic edits are dropped, never queued for long, when the queue is busy.

Callback-query answers do not go through here: Telegram does not count them, and they must never
wait behind messages. ``rate_per_second=0`` switches every limit of ours off (benchmarks against
a local server); 429s are still honoured.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from telegram import Message
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.services.messenger import BeforeAttempt, Outcome, Status, Ticket
from bot.telegram.retrying import backoff, retry_after_seconds
from bot.telegram.transport import MaybeSent

log = logging.getLogger(__name__)

#: Telegram's bot-wide limit for ordinary sends; above it, sends are paid broadcasts.
FREE_RATE = 30.0
#: Pace this much below the configured rate: requests leave evenly spaced but arrive with
#: jitter, and Telegram counts arrivals.
RATE_MARGIN = 0.04
#: Per chat, windows a little longer than Telegram's, for the same reason.
PRIVATE_WINDOW = (1, 1.1)  # one message per second in a private chat
GROUP_WINDOW = (20, 63.0)  # twenty a minute in a group
#: 429s from this many different chats within a second mean the bot-wide limit was hit.
GLOBAL_429_CHATS = 2
BACKOFF_FIRST = 0.5
#: Longest wait between two attempts: short for what is due now (a pose card's hold is short),
#: longer for reminders, which stay useful for half an hour.
BACKOFF_MAX = {0: 2.0, 1: 15.0, 2: 2.0}
#: Cosmetic edits are dropped at once when this many messages are already waiting: about three
#: seconds of sending at Telegram's rate, more than the reminders the courier keeps queued.
COSMETIC_BACKLOG = 100
SHUTTING_DOWN = "shutting down"
NOT_OURS = "withdrawn by its sender"


class Priority(IntEnum):
    URGENT = 0
    SCHEDULED = 1
    COSMETIC = 2


Call = Callable[[], Awaitable[Any]]


@dataclass(eq=False)
class _Job:
    chat_id: int
    call: Call
    priority: Priority
    deadline: float
    seq: int
    future: asyncio.Future[Outcome]
    before_attempt: BeforeAttempt | None
    #: New messages count against the chat's window; edits only against the overall rate.
    counts_in_chat: bool
    #: Whether a connection dropped after sending may be retried (a rare duplicate is better
    #: than a loss for this message).
    resend_if_dropped: bool
    attempts: int = 0
    state: str = "queued"  # queued -> sending -> done
    #: Which entry in the scheduling heaps is this job's live one (older entries are skipped).
    token: int = 0

    def key(self) -> tuple[int, int]:
        return (self.priority, self.seq)


@dataclass
class _Chat:
    sent: deque[float] = field(default_factory=deque)
    hold_until: float = 0.0
    #: The chat's one job in the scheduling heaps or in flight; the rest wait in ``later``.
    current: _Job | None = None
    later: list[tuple[tuple[int, int], _Job]] = field(default_factory=list)


@dataclass
class DispatcherStats:
    """Running totals since start-up."""

    sent: int = 0
    retries: int = 0
    rate_limited: int = 0
    unsure: int = 0
    gave_up: int = 0
    dropped: int = 0
    blocked: int = 0
    rejected: int = 0


class Dispatcher:
    def __init__(
        self,
        rate_per_second: float = FREE_RATE,
        *,
        on_blocked: Callable[[int], Awaitable[None]] | None = None,
        on_fatal: Callable[[str], None] | None = None,
        max_in_flight: int = 192,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate_per_second
        self._interval = (1.0 + RATE_MARGIN) / rate_per_second if rate_per_second > 0 else 0.0
        self._on_blocked = on_blocked
        self._on_fatal = on_fatal
        self._now = monotonic
        self._ready: list[tuple[tuple[int, int], int, _Job]] = []
        self._waiting: list[tuple[float, int, int, _Job]] = []
        self._tokens = itertools.count(1)
        self._seq = itertools.count()
        self._chats: dict[int, _Chat] = {}
        self._next_slot = 0.0
        self._global_hold = 0.0
        self._recent_429: deque[tuple[float, int]] = deque()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._max_in_flight = max_in_flight
        self._unfinished = 0
        self._stopping = False
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.stats = DispatcherStats()

    @property
    def limits_on(self) -> bool:
        return self._rate > 0

    @property
    def paid_broadcast(self) -> bool:
        """Sending faster than Telegram's free limit needs ``allow_paid_broadcast``."""
        return self._rate > FREE_RATE

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dispatcher")

    async def stop(self, timeout: float = 10.0) -> None:
        """Send what is due within ``timeout`` seconds; the rest is withdrawn unsent
        (:attr:`~bot.services.messenger.Status.CANCELLED`, "shutting down"), so its sender can send it
        after the restart."""
        try:
            await asyncio.wait_for(self.idle(), timeout)
        except TimeoutError:
            log.warning("Stopping with %d message(s) unsent", self.backlog())
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        for job in self._queued_jobs():
            self._finish(job, Outcome(Status.CANCELLED, detail=SHUTTING_DOWN))
        self._ready.clear()
        self._waiting.clear()

    async def idle(self) -> None:
        """Wait until nothing is queued or in flight (tests, shutdown)."""
        while True:
            await self._idle.wait()
            # One more turn of the loop: a job finishing may have queued another.
            await asyncio.sleep(0)
            if self._idle.is_set():
                return

    def backlog(self) -> int:
        """Messages waiting to be sent (not counting those in flight)."""
        return self._unfinished - len(self._in_flight)

    # -- queueing --------------------------------------------------------------------------------

    def submit(
        self,
        chat_id: int,
        call: Call,
        *,
        priority: Priority,
        ttl: float,
        before_attempt: BeforeAttempt | None = None,
        counts_in_chat: bool = True,
        resend_if_dropped: bool = False,
    ) -> Ticket:
        """Queue ``call`` (one Bot API request to ``chat_id``); it stays worth sending for
        ``ttl`` seconds."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        if self._stopping:
            future.set_result(Outcome(Status.CANCELLED, detail=SHUTTING_DOWN))
            return Ticket(future)
        if priority is Priority.COSMETIC and self.limits_on and self.backlog() >= COSMETIC_BACKLOG:
            self.stats.dropped += 1
            future.set_result(Outcome(Status.DROPPED, detail="busy"))
            return Ticket(future)
        job = _Job(
            chat_id=chat_id,
            call=call,
            priority=priority,
            deadline=self._now() + max(0.0, ttl),
            seq=next(self._seq),
            future=future,
            before_attempt=before_attempt,
            counts_in_chat=counts_in_chat,
            resend_if_dropped=resend_if_dropped,
        )
        self._unfinished += 1
        self._idle.clear()
        chat = self._chats.setdefault(chat_id, _Chat())
        if chat.current is None:
            chat.current = job
            self._push_ready(job)
        elif chat.current.state == "queued" and job.key() < chat.current.key():
            # More urgent than the chat's job that has not gone yet: it goes first, and the
            # other's place in the scheduling heaps is void until its turn comes again.
            chat.current.token = 0
            heapq.heappush(chat.later, (chat.current.key(), chat.current))
            chat.current = job
            self._push_ready(job)
        else:
            heapq.heappush(chat.later, (job.key(), job))
        return Ticket(future, lambda: self._withdraw(job))

    def _push_ready(self, job: _Job) -> None:
        job.token = next(self._tokens)
        heapq.heappush(self._ready, (job.key(), job.token, job))
        self._wake.set()

    def _push_waiting(self, job: _Job, not_before: float) -> None:
        job.token = next(self._tokens)
        heapq.heappush(self._waiting, (not_before, job.seq, job.token, job))

    def _withdraw(self, job: _Job) -> bool:
        if job.state != "queued":
            return False
        self._finish(job, Outcome(Status.CANCELLED))
        return True

    # -- the loop --------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = self._step()
            except Exception:  # never let one bad job stop every message of the bot
                log.exception("The dispatcher stumbled; carrying on")
                delay = 0.1
            if delay is None:
                await asyncio.sleep(0)  # let the requests just started make progress
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    def _step(self) -> float | None:
        """Hand out one job if one may go now. Returns None to be called again at once, or how
        long to wait for the next chance (a new job wakes the loop earlier)."""
        if len(self._in_flight) >= self._max_in_flight:
            return 3600.0  # a finishing request wakes the loop
        now = self._now()
        while self._waiting and self._waiting[0][0] <= now:
            _, _, token, job = heapq.heappop(self._waiting)
            if token == job.token and job.state == "queued":
                self._push_ready(job)
        next_waiting = self._waiting[0][0] - now if self._waiting else 3600.0
        if not self._ready:
            return next_waiting
        slot = max(self._next_slot, self._global_hold)
        if slot > now:
            return min(slot - now, next_waiting)
        _, token, job = heapq.heappop(self._ready)
        if token != job.token or job.state != "queued":
            return None
        if job.deadline < now:
            self._expire(job)
            return None
        chat_free = self._chat_free_at(job, now)
        if chat_free > now:
            self._push_waiting(job, chat_free)
            return None
        self._dispatch(job, now)
        return None

    def _chat_free_at(self, job: _Job, now: float) -> float:
        chat = self._chats.get(job.chat_id)
        if chat is None:
            return now
        free = chat.hold_until
        if self.limits_on and job.counts_in_chat:
            limit, period = GROUP_WINDOW if job.chat_id < 0 else PRIVATE_WINDOW
            while chat.sent and chat.sent[0] <= now - period:
                chat.sent.popleft()
            if len(chat.sent) >= limit:
                free = max(free, chat.sent[0] + period)
        return free

    def _dispatch(self, job: _Job, now: float) -> None:
        job.state = "sending"
        if self.limits_on:
            # Slots follow each other at the interval; a loop that woke a little late does not
            # lose that time for good (only a pause longer than a slot starts afresh).
            late = now - self._next_slot
            self._next_slot = (self._next_slot if 0 <= late < self._interval else now) + self._interval
            if job.counts_in_chat:
                self._chats.setdefault(job.chat_id, _Chat()).sent.append(now)
        if len(self._chats) > 20_000:
            self._forget_idle_chats(now)
        task = asyncio.create_task(self._attempt(job), name=f"send-{job.seq}")
        self._in_flight.add(task)

    async def _attempt(self, job: _Job) -> None:
        try:
            job.attempts += 1
            try:
                if job.before_attempt is not None and await job.before_attempt() is False:
                    # The sender withdrew it at the last moment (another replica owns it now).
                    self._finish(job, Outcome(Status.CANCELLED, detail=NOT_OURS))
                    return
                result = await job.call()
            except asyncio.CancelledError:
                self._finish(job, Outcome(Status.CANCELLED, detail=SHUTTING_DOWN))
                raise
            except RetryAfter as exc:
                self._rate_limited(job, retry_after_seconds(exc))
            except TimedOut:
                self.stats.unsure += 1
                log.warning("No answer from Telegram for a message to chat %s; not sending it again", job.chat_id)
                self._finish(job, Outcome(Status.UNSURE))
            except InvalidToken:
                self._finish(job, Outcome(Status.REJECTED, detail="token rejected"))
                if self._on_fatal is not None:
                    self._on_fatal("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN (from @BotFather).")
            except Forbidden as exc:
                self.stats.blocked += 1
                self._finish(job, Outcome(Status.BLOCKED, detail=exc.message))
                if self._on_blocked is not None:
                    try:
                        await self._on_blocked(job.chat_id)
                    except Exception:
                        log.exception("Recording that chat %s blocked the bot failed", job.chat_id)
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    self._finish(job, Outcome(Status.DELIVERED))  # it already looks like that
                else:
                    self.stats.rejected += 1
                    log.info("Telegram refused a request for chat %s: %s", job.chat_id, exc.message)
                    self._finish(job, Outcome(Status.REJECTED, detail=exc.message))
            except MaybeSent as exc:
                if job.resend_if_dropped:
                    self._retry_later(job, str(exc))
                else:
                    self.stats.unsure += 1
                    log.warning(
                        "Connection to Telegram dropped after a message to chat %s; not sending it again", job.chat_id
                    )
                    self._finish(job, Outcome(Status.UNSURE, detail=str(exc)))
            except NetworkError as exc:  # 5xx, or the request never left (RequestNotSent)
                self._retry_later(job, str(exc))
            except Exception:
                log.exception("Sending to chat %s failed unexpectedly", job.chat_id)
                self._finish(job, Outcome(Status.REJECTED, detail="unexpected error"))
            else:
                self.stats.sent += 1
                if isinstance(result, Message):
                    message_id: int | None = result.message_id
                else:
                    message_id = result if isinstance(result, int) and not isinstance(result, bool) else None
                self._finish(job, Outcome(Status.DELIVERED, message_id=message_id))
        finally:
            # Before waking the loop, so that it sees the room this request leaves.
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.discard(task)
            self._wake.set()

    def _rate_limited(self, job: _Job, retry_after: float) -> None:
        self.stats.rate_limited += 1
        now = self._now()
        until = now + retry_after
        chat = self._chats.setdefault(job.chat_id, _Chat())
        chat.hold_until = max(chat.hold_until, until)
        self._recent_429.append((now, job.chat_id))
        while self._recent_429 and self._recent_429[0][0] < now - 1.0:
            self._recent_429.popleft()
        if len({chat_id for _, chat_id in self._recent_429}) >= GLOBAL_429_CHATS:
            self._global_hold = max(self._global_hold, until)
        log.warning("Telegram asks to wait %.0f s (chat %s)", retry_after, job.chat_id)
        self._requeue(job, until, f"rate limited for {retry_after:.0f} s")

    def _retry_later(self, job: _Job, reason: str) -> None:
        ceiling = BACKOFF_MAX[job.priority]
        delay = backoff(job.attempts, first=BACKOFF_FIRST, ceiling=ceiling)
        log.info("Sending to chat %s failed (%s); retrying in %.1f s", job.chat_id, reason, delay)
        self._requeue(job, self._now() + delay, reason)

    def _requeue(self, job: _Job, not_before: float, reason: str) -> None:
        if not_before >= job.deadline:
            self._expire(job, reason)
            return
        self.stats.retries += 1
        job.state = "queued"
        self._push_waiting(job, not_before)

    def _expire(self, job: _Job, reason: str = "") -> None:
        if job.priority is Priority.COSMETIC:
            self.stats.dropped += 1
            self._finish(job, Outcome(Status.DROPPED, detail="too late"))
            return
        self.stats.gave_up += 1
        log.warning(
            "Gave up a message to chat %s after %d attempt(s)%s", job.chat_id, job.attempts,
            f": {reason}" if reason else "",
        )
        self._finish(job, Outcome(Status.GAVE_UP, detail=reason))

    def _finish(self, job: _Job, outcome: Outcome) -> None:
        if job.state != "done":
            job.state = "done"
            self._unfinished -= 1
            chat = self._chats.get(job.chat_id)
            if chat is not None and chat.current is job:
                chat.current = None
                self._next_in_chat(chat)
            if self._unfinished == 0:
                self._idle.set()
        if not job.future.done():
            job.future.set_result(outcome)

    def _next_in_chat(self, chat: _Chat) -> None:
        while chat.later:
            _, job = heapq.heappop(chat.later)
            if job.state == "queued":
                chat.current = job
                self._push_ready(job)
                return

    def _queued_jobs(self) -> list[_Job]:
        jobs = {job for _, _, job in self._ready} | {job for _, _, _, job in self._waiting}
        for chat in self._chats.values():
            jobs.update(job for _, job in chat.later)
        return [job for job in jobs if job.state == "queued"]

    def _forget_idle_chats(self, now: float) -> None:
        horizon = now - GROUP_WINDOW[1]
        self._chats = {
            chat_id: chat
            for chat_id, chat in self._chats.items()
            if chat.current is not None or chat.later or chat.hold_until > now
            or (chat.sent and chat.sent[-1] > horizon)
        }

