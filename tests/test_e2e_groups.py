"""End to end: the bot in a group. It speaks when spoken to, keeps personal things private, and
what happens in a group never changes anyone's private chat."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fake_telegram import FakeTelegram


async def test_chatter_and_other_bots_commands_get_nothing(bot, telegram: FakeTelegram) -> None:
    group = telegram.group()
    alex = telegram.user()
    await alex.send("good morning everyone", chat=group)
    await alex.send("/stretch@OtherBot", chat=group)
    await alex.send("/weather", chat=group)  # not ours, not addressed to us: maybe another bot's
    await alex.send("/help@limber_test_bot", chat=group)
    intro = await group.next_message()
    assert "stretching coach" in intro.text
    await bot.observe()
    # The group's updates are handled in order, so everything before /help was seen and ignored.
    assert group.messages == [intro]
    assert alex.messages == []


async def test_personal_commands_in_a_group_point_to_the_private_chat_and_change_nothing(
    bot, telegram: FakeTelegram
) -> None:
    group = telegram.group()
    alex = telegram.user()
    for command in ("/reach 12", "/remind 9:00", "/progress", "/export", "/forget", "/stretch"):
        await alex.send(command, chat=group)
        pointer = await group.next_message()
        assert "private chat" in pointer.text and "Nothing here was changed" in pointer.text
        button = pointer.keyboard[0][0]
        assert button["url"] == "https://t.me/limber_test_bot?start=group"
    await alex.send("/history")
    assert "No measurements yet" in (await alex.next_message()).text
    await alex.send("/reminders")
    assert "Daily reminder" not in (await alex.next_message()).text


async def test_using_the_bot_in_a_group_keeps_reminders_in_the_private_chat(bot, telegram: FakeTelegram, clock) -> None:
    group = telegram.group()
    alex = telegram.user()
    await alex.send("/remind 12:30")
    await alex.next_message("Daily reminder set")
    await alex.send("/help", chat=group)
    await group.next_message()
    clock.set(datetime(2026, 1, 5, 12, 30, tzinfo=UTC))
    await alex.next_message("Time to stretch")
    await bot.observe()
    assert not [m for m in group.messages if "Time to stretch" in m.text]


async def test_a_member_removing_the_bot_from_a_group_blocks_nobody(bot, telegram: FakeTelegram, clock) -> None:
    group = telegram.group()
    alex, sam = telegram.user(1001, "Alex"), telegram.user(1002, "Sam")
    await sam.send("/remind 12:30")
    await sam.next_message("Daily reminder set")
    await sam.send("/help", chat=group)
    await group.next_message()
    await alex.send("/stretch quick")
    first = await alex.next_message("1/3")

    await group.remove_bot(by=alex)
    await bot.observe()
    clock.advance(2)  # Alex's private routine goes on
    await alex.next_message("2/3")
    await telegram.wait_until(lambda: first.buttons == [], what="the old pose's buttons taken away")
    clock.set(datetime(2026, 1, 5, 12, 30, tzinfo=UTC))  # and Sam's reminder still comes
    await sam.next_message("Time to stretch")


async def test_a_button_pressed_in_a_group_only_gets_a_toast(bot, telegram: FakeTelegram) -> None:
    group = telegram.group()
    alex = telegram.user()
    await alex.send("/start", chat=group)
    intro = await group.next_message()
    # A forged button under the group message, as a modified client could send.
    await alex.press_data(intro, "s:quick")
    await bot.observe()
    toasts = [c.params.get("text") for c in telegram.calls_to("answerCallbackQuery")]
    assert toasts == ["Routines run in a private chat with me."]
    assert alex.messages == [] and group.messages == [intro]
