"""The fake Bot API itself: injected faults, getUpdates bookkeeping, groups, edits, raw updates.

Each fault is checked from both sides: what a real client sees (python-telegram-bot's ``Bot``
with its default HTTPXRequest, or a raw aiohttp client) and what the user sees in the chat.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut

from tests.fake_telegram import (
    BOT_USER,
    TOKEN,
    Delay,
    Drop,
    DropAfter,
    FakeTelegram,
    Message,
    RateLimits,
    Status,
)


@pytest.fixture(autouse=True)
def timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the bot does (bot/app.py): without it RetryAfter warns, and warnings are errors."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def client(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    """python-telegram-bot's real Bot on its default transport, pointed at the fake."""
    async with Bot(TOKEN, base_url=telegram.base_url) as bot:
        yield bot


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(session: aiohttp.ClientSession, api: FakeTelegram, method: str, **params: Any) -> tuple[int, Any]:
    """A raw Bot API request (JSON body); returns the HTTP status and the decoded body."""
    async with session.post(f"{api.base_url}{TOKEN}/{method}", json=params) as response:
        return response.status, await response.json()


def texts(messages: list[Message]) -> list[str]:
    return [message.text for message in messages]


# -- faults ------------------------------------------------------------------------------------


async def test_status_faults_are_served_in_order_and_not_carried_out(telegram: FakeTelegram, client: Bot) -> None:
    user = telegram.user()
    telegram.inject("sendMessage", Status(429, retry_after=2), Status(502), Status(401), Status(409), Status(500))

    with pytest.raises(RetryAfter) as too_many:
        await client.send_message(user.id, "one")
    assert too_many.value.retry_after == dtm.timedelta(seconds=2)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await client.send_message(user.id, "two")
    with pytest.raises(InvalidToken):
        await client.send_message(user.id, "three")
    with pytest.raises(Conflict, match="only one bot instance"):
        await client.send_message(user.id, "four")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await client.send_message(user.id, "five")
    await client.send_message(user.id, "six")

    assert texts(user.messages) == ["six"]
    assert [call.status for call in telegram.calls_to("sendMessage")] == [429, 502, 401, 409, 500, 200]
    assert [fault for _, fault in telegram.faults_served] == [
        Status(429, retry_after=2), Status(502), Status(401), Status(409), Status(500),
    ]


async def test_a_status_answers_with_a_telegram_shaped_body(
    telegram: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    telegram.inject("sendMessage", Status(429, retry_after=3), Status(429), Status(400, "Bad Request: chat not found"))

    assert await post(session, telegram, "sendMessage", chat_id=1, text="x") == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    _status, body = await post(session, telegram, "sendMessage", chat_id=1, text="x")
    assert body["parameters"] == {"retry_after": 1}, "Telegram's 429s always say when to retry"
    assert await post(session, telegram, "sendMessage", chat_id=1, text="x") == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )


async def test_drop_closes_the_connection_without_a_response_and_sends_nothing(
    telegram: FakeTelegram, client: Bot, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    user = telegram.user()
    telegram.inject("sendMessage", Drop(), Drop())

    with pytest.raises(NetworkError, match="Server disconnected without sending a response") as dropped:
        await client.send_message(user.id, "via httpx")
    assert not isinstance(dropped.value, TimedOut)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(session, telegram, "sendMessage", chat_id=user.id, text="via aiohttp")

    assert user.messages == []
    assert [(call.status, call.answered_at) for call in telegram.calls_to("sendMessage")] == [(0, None), (0, None)]
    await client.send_message(user.id, "the server carries on")
    assert texts(user.messages) == ["the server carries on"]
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


async def test_drop_after_delivers_the_message_then_closes_the_connection(
    telegram: FakeTelegram, client: Bot, session: aiohttp.ClientSession
) -> None:
    user = telegram.user()
    telegram.inject("sendMessage", DropAfter(), DropAfter())

    with pytest.raises(NetworkError, match="Server disconnected") as dropped:
        await client.send_message(user.id, "via httpx")
    assert not isinstance(dropped.value, TimedOut)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(session, telegram, "sendMessage", chat_id=user.id, text="via aiohttp")

    assert texts(user.messages) == ["via httpx", "via aiohttp"]
    assert [(call.status, call.answered_at) for call in telegram.calls_to("sendMessage")] == [(200, None), (200, None)]


async def test_delay_delivers_at_once_and_a_short_read_timeout_times_out(telegram: FakeTelegram, client: Bot) -> None:
    user = telegram.user()
    telegram.inject("sendMessage", Delay(60))

    with pytest.raises(TimedOut):
        await client.send_message(user.id, "delivered anyway", read_timeout=0.2)
    assert texts(user.messages) == ["delivered anyway"]
    [call] = telegram.calls_to("sendMessage")
    assert call.status == 200 and call.answered_at is None  # still holding the response back


async def test_delay_answers_after_the_delay(telegram: FakeTelegram, session: aiohttp.ClientSession) -> None:
    stored_at: list[float] = []
    telegram.on_message(lambda message: stored_at.append(time.monotonic()))
    telegram.inject("sendMessage", Delay(0.2))

    status, body = await post(session, telegram, "sendMessage", chat_id=1, text="late")

    assert status == 200 and body["result"]["text"] == "late"
    [call] = telegram.calls_to("sendMessage")
    [stored] = stored_at
    assert call.answered_at is not None and call.received_at <= stored and call.answered_at - stored >= 0.2


async def test_delay_does_not_hold_up_other_chats_and_ends_when_the_server_stops() -> None:
    api = FakeTelegram()
    await api.start()
    api.inject("sendMessage", Delay(600))
    async with aiohttp.ClientSession() as session:
        slow = asyncio.create_task(post(session, api, "sendMessage", chat_id=1, text="slow"))
        await api.wait_until(lambda: api.find(1, 1), what="the delayed message stored")

        status, body = await post(session, api, "sendMessage", chat_id=2, text="fast")
        assert (status, body["result"]["text"]) == (200, "fast")
        assert not slow.done()

        await asyncio.wait_for(api.stop(), 10)  # a safety net: the delay must not hold up stopping
        status, _ = await asyncio.wait_for(slow, 10)
    assert status == 200
    assert api.faults_served == [("sendMessage", Delay(600))]


async def test_inject_always_serves_after_the_queued_faults_until_cleared(telegram: FakeTelegram, client: Bot) -> None:
    user = telegram.user()
    telegram.inject_always("sendMessage", Status(500))
    telegram.inject("sendMessage", Status(502))

    for expected in ("Bad Gateway", "Internal Server Error", "Internal Server Error"):
        with pytest.raises(NetworkError, match=expected):
            await client.send_message(user.id, "no")
    await client.send_chat_action(user.id, "typing")  # other methods are untouched
    telegram.clear_faults()
    await client.send_message(user.id, "yes")

    assert texts(user.messages) == ["yes"]
    assert [fault for _, fault in telegram.faults_served] == [Status(502), Status(500), Status(500)]


async def test_clear_faults_for_one_method_keeps_the_others(telegram: FakeTelegram, client: Bot) -> None:
    telegram.inject("sendMessage", Status(502))
    telegram.inject_always("getUpdates", Status(502))
    telegram.clear_faults("getUpdates")

    assert await client.get_updates() == ()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await client.send_message(1, "no")


# -- getUpdates ----------------------------------------------------------------------------------


async def test_get_updates_honours_offset_and_limit_and_counts_handouts(telegram: FakeTelegram, client: Bot) -> None:
    user = telegram.user()
    for text in ("one", "two", "three"):
        await user.send(text)

    first = await client.get_updates(limit=2)
    assert [update.message.text for update in first] == ["one", "two"]  # type: ignore[union-attr]
    again = await client.get_updates(offset=2)
    assert [update.update_id for update in again] == [2, 3]
    assert telegram.confirmed_offset == 2
    assert telegram.handed_out[1].times == 1
    assert telegram.handed_out[2].times == 2
    assert telegram.handed_out[2].first_at <= telegram.handed_out[3].first_at

    assert await client.get_updates(offset=4) == ()
    assert telegram.confirmed_offset == 4
    await client.get_updates(offset=1)  # a lower offset confirms nothing new
    assert telegram.confirmed_offset == 4


async def test_get_updates_with_a_negative_offset_keeps_only_the_latest(telegram: FakeTelegram, client: Bot) -> None:
    user = telegram.user()
    for text in ("one", "two", "three"):
        await user.send(text)

    assert [update.message.text for update in await client.get_updates(offset=-1)] == ["three"]  # type: ignore[union-attr]
    assert [update.update_id for update in await client.get_updates()] == [3]


async def test_get_updates_long_polls_until_an_update_or_the_timeout(
    telegram: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    assert await post(session, telegram, "getUpdates", timeout=0.1) == (200, {"ok": True, "result": []})

    poll = asyncio.create_task(post(session, telegram, "getUpdates", timeout=30))
    await telegram.user().send("hello")
    _status, body = await asyncio.wait_for(poll, 10)
    assert [update["message"]["text"] for update in body["result"]] == ["hello"]


async def test_get_updates_faults_and_redelivery_after_a_lost_response(telegram: FakeTelegram, client: Bot) -> None:
    await telegram.user().send("hello")
    telegram.inject("getUpdates", Status(409), Status(401), Status(502), DropAfter())

    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await client.get_updates()
    with pytest.raises(InvalidToken):
        await client.get_updates()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await client.get_updates()
    assert telegram.handed_out == {}, "a refused request hands nothing out"
    with pytest.raises(NetworkError, match="Server disconnected"):
        await client.get_updates()
    assert telegram.handed_out[1].times == 1, "handed out, but the answer was lost"

    [update] = await client.get_updates()
    assert update.message.text == "hello"  # type: ignore[union-attr]
    assert telegram.handed_out[1].times == 2


async def test_a_webhook_blocks_get_updates_until_deleted(telegram: FakeTelegram, client: Bot) -> None:
    await telegram.user().send("pending")
    await client.set_webhook("https://example.com/hook")
    info = await client.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://example.com/hook", 1)
    with pytest.raises(Conflict, match="webhook is active"):
        await client.get_updates()

    await client.delete_webhook(drop_pending_updates=True)
    assert (await client.get_webhook_info()).url == ""
    assert await client.get_updates() == ()


async def test_set_my_commands_records_each_language_and_scope(telegram: FakeTelegram, client: Bot) -> None:
    await client.set_my_commands([BotCommand("stretch", "Start a routine")])
    await client.set_my_commands([BotCommand("stretch", "Eine Routine starten")], language_code="de")
    await client.set_my_commands([BotCommand("stop", "Stop")], scope=BotCommandScopeChat(-1001234))

    assert [c["command"] for c in telegram.commands] == ["stretch"]
    assert set(telegram.commands_by_language) == {("", "default"), ("de", "default"), ("", "chat:-1001234")}
    assert telegram.commands_by_language[("de", "default")][0]["description"] == "Eine Routine starten"
    assert [c.command for c in await client.get_my_commands(scope=BotCommandScopeChat(-1001234))] == ["stop"]

    await client.delete_my_commands(language_code="de")
    assert ("de", "default") not in telegram.commands_by_language
    assert [c["command"] for c in telegram.commands] == ["stretch"]


# -- raw updates ---------------------------------------------------------------------------------


async def test_push_raw_update_keeps_the_payload_and_its_update_id(
    telegram: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    await telegram.push_raw_update({"update_id": 50, "unknown_kind": {"x": 1}})
    await telegram.push_raw_update({"message": {"no": "fields"}})
    await telegram.user().send("after")

    _status, body = await post(session, telegram, "getUpdates")
    assert body["result"][:2] == [
        {"update_id": 50, "unknown_kind": {"x": 1}},
        {"update_id": 51, "message": {"no": "fields"}},
    ]
    assert body["result"][2]["update_id"] == 52


async def test_kicked_without_until_date_is_a_block_python_telegram_bot_cannot_parse(
    telegram: FakeTelegram, client: Bot, session: aiohttp.ClientSession
) -> None:
    user = telegram.user()
    await telegram.push_kicked_without_until_date(user)

    _status, body = await post(session, telegram, "getUpdates")
    change = body["result"][0]["my_chat_member"]
    assert change["old_chat_member"]["status"] == "member"
    assert change["new_chat_member"] == {"status": "kicked", "user": BOT_USER}
    with pytest.raises(TypeError, match="until_date"):  # python-telegram-bot 22.8
        await client.get_updates()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await client.send_message(user.id, "anyone there?")


# -- groups --------------------------------------------------------------------------------------


async def test_a_command_in_a_group_reaches_the_bot_with_the_group_as_chat(telegram: FakeTelegram, client: Bot) -> None:
    group = telegram.group(chat_id=-1001234, title="Office")
    user = telegram.user()
    assert client.username == "limber_test_bot"

    await user.send("/stretch@limber_test_bot quick", chat=group)
    await user.send("/help", chat=telegram.group(chat_id=-4321, title="Team"))

    first, second = await client.get_updates()
    assert first.message is not None and second.message is not None
    assert (first.message.chat.id, first.message.chat.type, first.message.chat.title) == (
        -1001234, "supergroup", "Office"
    )
    assert first.message.from_user is not None and first.message.from_user.id == user.id
    assert first.message.entities[0].length == len("/stretch@limber_test_bot")
    assert (second.message.chat.type, second.message.entities[0].length) == ("group", len("/help"))


async def test_the_bots_group_messages_and_a_button_press_on_them(telegram: FakeTelegram, client: Bot) -> None:
    group = telegram.group()
    user = telegram.user()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Join", callback_data="join")]])
    await client.send_message(group.id, "Stretch break in 5!", reply_markup=keyboard)

    message = await group.next_message()
    assert message.text == "Stretch break in 5!" and group.unseen() == []
    assert texts(group.messages) == ["Stretch break in 5!"] and user.messages == []

    await user.press(message, "Join")
    [update] = await client.get_updates()
    query = update.callback_query
    assert query is not None and query.message is not None and query.from_user.id == user.id
    assert (query.message.chat.id, query.message.chat.type, query.data) == (group.id, "supergroup", "join")


async def test_removing_and_adding_the_bot_to_a_group(telegram: FakeTelegram, client: Bot) -> None:
    group = telegram.group()
    admin = telegram.user(2002, "Kim")

    await group.remove_bot(by=admin)
    with pytest.raises(Forbidden, match="not a member of the supergroup chat"):
        await client.send_message(group.id, "hello?")
    await group.add_bot(by=admin)
    await client.send_message(group.id, "back")

    removed, added = await client.get_updates()
    for update, old, new in ((removed, "member", "left"), (added, "left", "member")):
        change = update.my_chat_member
        assert change is not None and change.chat.id == group.id and change.from_user.id == admin.id
        assert (change.old_chat_member.status, change.new_chat_member.status) == (old, new)
        assert change.new_chat_member.user.username == "limber_test_bot"
    assert texts(group.messages) == ["back"]


async def test_groups_get_20_messages_a_minute(telegram: FakeTelegram, client: Bot) -> None:
    telegram.rate_limits = RateLimits(overall_per_second=1000, per_chat_per_second=1000)
    group = telegram.group()
    for index in range(20):
        await client.send_message(group.id, f"#{index}")

    with pytest.raises(RetryAfter) as too_many:
        await client.send_message(group.id, "#20")
    wait = too_many.value.retry_after
    assert isinstance(wait, dtm.timedelta) and dtm.timedelta(seconds=50) < wait <= dtm.timedelta(seconds=60)
    for index in range(25):  # private chats have no per-minute limit
        await client.send_message(1001, f"#{index}")
    assert len(group.messages) == 20 and telegram.rejected_429 == 1


def test_group_chat_ids_are_negative(telegram: FakeTelegram) -> None:
    with pytest.raises(ValueError):
        telegram.group(chat_id=42)
    assert telegram.group(-1001234) is telegram.group(-1001234)


# -- edits, hooks, records -----------------------------------------------------------------------


async def test_a_user_edits_a_message_by_id_or_by_text(telegram: FakeTelegram, client: Bot) -> None:
    user = telegram.user()
    group = telegram.group()
    plain = await user.send("12 cm")
    await user.send("/reach 3", chat=group)
    await client.get_updates()
    telegram.handed_out.clear()

    await user.edit(plain, "14 cm")
    await user.edit("/reach 3", "/reach 5", chat=group)
    first, second = await client.get_updates(offset=3)

    assert first.message is None and first.edited_message is not None
    assert (first.edited_message.message_id, first.edited_message.text) == (plain, "14 cm")
    assert first.edited_message.edit_date is not None and first.edited_message.entities == ()
    assert second.edited_message is not None and second.edited_message.chat.id == group.id
    assert (second.edited_message.text, second.edited_message.entities[0].length) == ("/reach 5", len("/reach"))
    with pytest.raises(AssertionError, match="sent no message"):
        await user.edit("never said", "anything")
    with pytest.raises(AssertionError, match="sent no message"):
        await user.edit("/reach 5", "not in the private chat")


async def test_on_message_hook_sees_each_new_message_and_calls_are_timed(telegram: FakeTelegram, client: Bot) -> None:
    seen: list[Message] = []
    telegram.on_message(seen.append)
    sent = await client.send_message(1001, "one")
    await client.edit_message_text("one, edited", chat_id=1001, message_id=sent.message_id)
    await client.send_message(1001, "two")

    assert [message.message_id for message in seen] == [1, 2]
    assert seen[0].text == "one, edited"  # the hook gets the live message
    for call in telegram.calls:
        assert call.answered_at is not None and call.received_at <= call.answered_at
