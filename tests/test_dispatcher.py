"""The outbound dispatcher on its own: which message goes first, what is retried, what is
never sent twice, and what is dropped. Requests are plain coroutines here; the end-to-end
tests cover the same rules against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.services.messenger import Status
from bot.telegram.dispatcher import COSMETIC_BACKLOG, Dispatcher, Priority
from bot.telegram.transport import MaybeSent, RequestNotSent


class Wire:
    """Records every request in the order the dispatcher made it; ``fail`` scripts faults."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.attempts: dict[str, int] = {}
        self.fail: dict[str, list[Exception]] = {}

    def request(self, name: str) -> Callable[[], Awaitable[Any]]:
        async def call() -> bool:
            self.attempts[name] = self.attempts.get(name, 0) + 1
            faults = self.fail.get(name)
            if faults:
                raise faults.pop(0)
            self.sent.append(name)
            return True

        return call


async def run(dispatcher: Dispatcher) -> None:
    dispatcher.start()
    await asyncio.wait_for(dispatcher.idle(), 10)
    await dispatcher.stop()


async def test_answers_go_before_reminders_and_cosmetic_edits_last() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    dispatcher.submit(1, wire.request("tidy"), priority=Priority.COSMETIC, ttl=10)
    for n in range(3):
        dispatcher.submit(10 + n, wire.request(f"reminder{n}"), priority=Priority.SCHEDULED, ttl=60)
    dispatcher.submit(2, wire.request("answer"), priority=Priority.URGENT, ttl=60)
    await run(dispatcher)
    assert wire.sent == ["answer", "reminder0", "reminder1", "reminder2", "tidy"]


async def test_one_chats_messages_keep_their_order() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    for n in range(5):
        dispatcher.submit(1, wire.request(f"m{n}"), priority=Priority.URGENT, ttl=60)
    await run(dispatcher)
    assert wire.sent == [f"m{n}" for n in range(5)]


async def test_a_message_being_retried_is_not_overtaken_by_the_next_one_in_its_chat() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    wire.fail["card"] = [NetworkError("Bad Gateway"), NetworkError("Bad Gateway"), RequestNotSent("refused")]
    dispatcher.submit(1, wire.request("card"), priority=Priority.URGENT, ttl=30)
    dispatcher.submit(1, wire.request("halfway cue"), priority=Priority.URGENT, ttl=30)
    dispatcher.submit(2, wire.request("other chat"), priority=Priority.URGENT, ttl=30)
    await run(dispatcher)
    assert wire.sent.index("card") < wire.sent.index("halfway cue")
    assert wire.sent[0] == "other chat"  # another chat does not wait for it


async def test_an_answer_goes_before_a_reminder_still_waiting_in_the_same_chat() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    dispatcher.submit(1, wire.request("reminder"), priority=Priority.SCHEDULED, ttl=60)
    dispatcher.submit(1, wire.request("answer"), priority=Priority.URGENT, ttl=60)
    await run(dispatcher)
    assert wire.sent == ["answer", "reminder"]


async def test_a_connection_dropped_after_sending_resends_only_what_prefers_a_duplicate() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    wire.fail["reminder"] = [MaybeSent("disconnected")]
    wire.fail["card"] = [MaybeSent("disconnected")]
    reminder = dispatcher.submit(1, wire.request("reminder"), priority=Priority.SCHEDULED, ttl=60)
    card = dispatcher.submit(2, wire.request("card"), priority=Priority.URGENT, ttl=60, resend_if_dropped=True)
    await run(dispatcher)
    assert (await reminder).status is Status.UNSURE and wire.attempts["reminder"] == 1
    assert (await card).status is Status.DELIVERED and wire.attempts["card"] == 2


async def test_transient_faults_are_retried_until_delivered() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    wire.fail["card"] = [NetworkError("Bad Gateway"), RetryAfter(timedelta(seconds=0)), NetworkError("disconnected")]
    ticket = dispatcher.submit(1, wire.request("card"), priority=Priority.URGENT, ttl=30)
    await run(dispatcher)
    assert (await ticket).status is Status.DELIVERED
    assert wire.attempts["card"] == 4


async def test_a_request_that_timed_out_is_never_sent_again() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    wire.fail["reminder"] = [TimedOut()]
    ticket = dispatcher.submit(1, wire.request("reminder"), priority=Priority.SCHEDULED, ttl=1800)
    await run(dispatcher)
    assert (await ticket).status is Status.UNSURE
    assert wire.attempts["reminder"] == 1


async def test_faults_past_the_deadline_give_up() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    wire.fail["card"] = [NetworkError("Bad Gateway")] * 100
    # A deadline long enough for a first attempt even on a busy machine.
    ticket = dispatcher.submit(1, wire.request("card"), priority=Priority.URGENT, ttl=2.0)
    await run(dispatcher)
    outcome = await ticket
    assert outcome.status is Status.GAVE_UP and "Bad Gateway" in outcome.detail
    assert wire.sent == []


async def test_a_blocked_chat_is_reported_and_a_refused_edit_is_not_retried() -> None:
    blocked: list[int] = []

    async def on_blocked(chat_id: int) -> None:
        blocked.append(chat_id)

    wire, dispatcher = Wire(), Dispatcher(0, on_blocked=on_blocked)
    wire.fail["hello"] = [Forbidden("Forbidden: bot was blocked by the user")]
    wire.fail["edit"] = [BadRequest("Message to edit not found")]
    wire.fail["same"] = [BadRequest("Message is not modified: specified new message content...")]
    hello = dispatcher.submit(7, wire.request("hello"), priority=Priority.URGENT, ttl=30)
    edit = dispatcher.submit(8, wire.request("edit"), priority=Priority.URGENT, ttl=30)
    same = dispatcher.submit(8, wire.request("same"), priority=Priority.URGENT, ttl=30)
    await run(dispatcher)
    assert (await hello).status is Status.BLOCKED and blocked == [7]
    assert (await edit).status is Status.REJECTED and wire.attempts["edit"] == 1
    assert (await same).status is Status.DELIVERED  # it already shows what we wanted


async def test_a_withdrawn_message_is_not_sent() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    stale = dispatcher.submit(1, wire.request("stale card"), priority=Priority.URGENT, ttl=30)
    dispatcher.submit(1, wire.request("next card"), priority=Priority.URGENT, ttl=30)
    assert stale.cancel()
    await run(dispatcher)
    assert (await stale).status is Status.CANCELLED
    assert wire.sent == ["next card"]
    assert not stale.cancel()  # too late now


async def test_cosmetic_edits_are_dropped_when_the_queue_is_busy() -> None:
    wire, dispatcher = Wire(), Dispatcher(30)
    for n in range(COSMETIC_BACKLOG):
        dispatcher.submit(100 + n, wire.request(f"r{n}"), priority=Priority.SCHEDULED, ttl=60)
    tidy = dispatcher.submit(1, wire.request("tidy"), priority=Priority.COSMETIC, ttl=10)
    assert tidy.done() and (await tidy).status is Status.DROPPED  # at once, not queued
    await dispatcher.stop(timeout=0)


async def test_429s_from_two_chats_at_once_hold_every_chat() -> None:
    wire, dispatcher = Wire(), Dispatcher(30)
    wire.fail["a"] = [RetryAfter(timedelta(seconds=1))]
    wire.fail["b"] = [RetryAfter(timedelta(seconds=1))]
    dispatcher.submit(1, wire.request("a"), priority=Priority.URGENT, ttl=30)
    dispatcher.submit(2, wire.request("b"), priority=Priority.URGENT, ttl=30)
    dispatcher.start()
    await asyncio.wait_for(_until(lambda: dispatcher.stats.rate_limited == 2), 10)
    # A third chat has no 429 of its own, but the bot-wide limit was hit: it waits too.
    dispatcher.submit(3, wire.request("c"), priority=Priority.URGENT, ttl=30)
    await asyncio.sleep(0.2)
    assert "c" not in wire.sent
    await asyncio.wait_for(dispatcher.idle(), 10)
    assert sorted(wire.sent) == ["a", "b", "c"]
    await dispatcher.stop()


async def test_a_429_in_one_chat_does_not_hold_the_others() -> None:
    wire, dispatcher = Wire(), Dispatcher(30)
    wire.fail["group"] = [RetryAfter(timedelta(seconds=30))]
    group = dispatcher.submit(-100, wire.request("group"), priority=Priority.URGENT, ttl=60)
    dispatcher.start()
    await asyncio.wait_for(_until(lambda: dispatcher.stats.rate_limited == 1), 10)
    private = dispatcher.submit(1, wire.request("private"), priority=Priority.URGENT, ttl=60)
    assert (await asyncio.wait_for(private, 5)).status is Status.DELIVERED
    assert not group.done()
    await dispatcher.stop(timeout=0)
    outcome = await group
    assert outcome.status is Status.CANCELLED and outcome.detail == "shutting down"


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():  # noqa: ASYNC110 - a test helper polling state it does not own
        await asyncio.sleep(0.01)


async def test_a_message_overtaken_in_its_chat_is_still_sent_exactly_once() -> None:
    wire, dispatcher = Wire(), Dispatcher(0)
    wire.fail["answer"] = [NetworkError("Bad Gateway")]
    reminder = dispatcher.submit(1, wire.request("reminder"), priority=Priority.SCHEDULED, ttl=60)
    answer = dispatcher.submit(1, wire.request("answer"), priority=Priority.URGENT, ttl=60)
    await run(dispatcher)
    # The reminder waits while the answer that overtook it is retried, then goes once.
    assert wire.sent == ["answer", "reminder"]
    assert wire.attempts == {"answer": 2, "reminder": 1}
    assert (await reminder).delivered and (await answer).delivered
