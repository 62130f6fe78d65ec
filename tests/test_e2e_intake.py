"""End to end: how updates come in. Edits, floods, unreadable updates, updates Telegram sends
twice, and updates recorded before a crash."""

from __future__ import annotations

import logging

from bot.app import running
from tests.conftest import POLL_TIMEOUT
from tests.fake_telegram import FakeTelegram


def measured(user) -> list[str]:
    """The lines of the latest /history answer that list a measurement."""
    history = [m for m in user.messages if m.text.startswith("Last ") or "No measurements" in m.text][-1]
    return [line for line in history.text.splitlines() if ":" in line and "cm" in line]


async def test_an_edited_measurement_is_neither_stored_again_nor_answered_twice(bot, telegram: FakeTelegram) -> None:
    user = telegram.user()
    sent = await user.send("/reach 12")
    assert "12 cm" in (await user.next_message()).text
    await user.edit(sent, "/reach 21")
    assert "only read new messages" in (await user.next_message()).text
    await user.send("/history")
    await user.next_message("measurement")
    lines = measured(user)
    assert len(lines) == 1 and "12 cm" in lines[0]


async def test_an_edited_reminder_command_changes_nothing(bot, telegram: FakeTelegram) -> None:
    user = telegram.user()
    sent = await user.send("/remind 12:30")
    await user.next_message("Daily reminder set")
    await user.edit(sent, "/remind 8:00")
    await user.next_message("only read new messages")
    await user.send("/reminders")
    overview = (await user.next_message("Daily reminder")).text
    assert "12:30" in overview and "08:00" not in overview and "8:00" not in overview


async def test_a_plain_edit_is_ignored(bot, telegram: FakeTelegram) -> None:
    user = telegram.user()
    sent = await user.send("hello")
    await user.next_message()
    await user.edit(sent, "hello there")
    await user.send("/help")
    await user.next_message("What I can do")
    assert not [m for m in user.messages if "edits" in m.text]


async def test_a_flood_is_cut_short_with_one_warning_and_others_are_served(bot, telegram: FakeTelegram) -> None:
    flooder, other = telegram.user(1001, "Flo"), telegram.user(1002, "Olli")
    for _ in range(35):
        await flooder.send("/help")
    await other.send("/help")
    await other.next_message("What I can do")
    await bot.observe()
    # The warning is answered in the flooder's own order, after the admitted twenty.
    answers = [m.text for m in flooder.messages]
    assert len([a for a in answers if "What I can do" in a]) == 20
    assert len([a for a in answers if "that's a lot of messages" in a]) == 1


async def test_an_unreadable_update_is_skipped_once_and_the_rest_are_handled(
    bot, telegram: FakeTelegram, caplog
) -> None:
    blocker, other = telegram.user(1001), telegram.user(1002)
    with caplog.at_level(logging.ERROR, logger="bot.telegram.intake"):
        await telegram.push_kicked_without_until_date(blocker)
        await other.send("/help")
        await other.next_message("What I can do")
        await bot.observe()
    skipped = [r for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(skipped) == 1
    # It was confirmed too: Telegram is not asked for it again and again.
    assert len([c for c in telegram.calls_to("getUpdates")]) < 50


def reach_update(user, update_id: int, text: str) -> dict:
    """A /reach message from ``user`` as Telegram would send it, with a fixed update_id."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 9000 + update_id,
            "from": user.json,
            "chat": user.chat_json,
            "date": 1767600000,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_an_update_telegram_sends_again_after_a_restart_is_handled_once(
    make_settings, telegram: FakeTelegram, clock
) -> None:
    settings = make_settings()
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await telegram.push_raw_update(reach_update(user, 500, "/reach 12"))
        await user.next_message("12 cm")
    # As if the confirmation never reached Telegram: the same update comes again, twice.
    await telegram.push_raw_update(reach_update(user, 500, "/reach 12"))
    await telegram.push_raw_update(reach_update(user, 500, "/reach 12"))
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT) as bot:
        await user.send("/history")
        await user.next_message("measurement")
        await bot.observe()
    assert len(measured(user)) == 1
    assert len([m for m in user.messages if "12 cm" in m.text and "history" not in m.text.lower()]) == 2


async def test_messages_that_queued_up_while_the_bot_was_down_are_no_flood(bot, telegram: FakeTelegram) -> None:
    """Thirty messages sent a minute apart arrive in one burst (the bot was away): all count."""
    user = telegram.user()
    for n in range(30):
        update = reach_update(user, 700 + n, f"/reach {n + 1}")
        update["message"]["date"] = 1767600000 + 60 * n
        await telegram.push_raw_update(update)
    # The bot asks past the last one only after it recorded and queued them all.
    await telegram.wait_until(lambda: telegram.confirmed_offset >= 730, what="every update taken in")
    await bot.observe()
    assert len([m for m in user.messages if "saved" in m.text.lower() or "cm" in m.text]) == 30
    assert not [m for m in user.messages if "a lot of messages" in m.text]
