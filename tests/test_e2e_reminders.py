"""End to end: daily reminders and nudges, driven by the manual clock against the fake server.

The manual clock starts on Monday 2026-01-05 at 09:00 UTC. Reminders go out when the clock
passes their time; nothing waits for real minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import running
from bot.domain.clock import ManualClock
from bot.domain.routines import load_routines
from bot.presentation.texts import duration
from tests.conftest import POLL_TIMEOUT, TEST_ROUTINES
from tests.fake_telegram import FakeTelegram, FakeUser, Message

# The session and reminder stories, on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def at(clock, day: int, hour: int, minute: int = 0) -> None:
    """Move the clock to 2026-01-<day> hour:minute UTC."""
    clock.set(datetime(2026, 1, day, hour, minute, tzinfo=UTC))


async def test_set_a_reminder_receive_it_and_start_the_routine(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/remind 12:30")
    confirmation = await user.next_message()
    assert "Daily reminder set: 12:30, Mon-Fri." in confirmation.text
    assert "Next: today 12:30" in confirmation.text
    assert "I'm using UTC time for you" in confirmation.text

    at(clock, 5, 12, 29)
    await user.send("/reminders")
    overview = await user.next_message()
    assert "Daily reminder: 12:30, Mon-Fri (next: today 12:30)" in overview.text
    assert "Time zone: UTC (default; change with /timezone)" in overview.text

    at(clock, 5, 12, 30)
    reminder = await user.next_message("Time to stretch")
    assert "late" not in reminder.text
    assert reminder.buttons == ["▶️ Start", "💤 15 min", "💤 1 h", "Skip today"]

    await user.press(reminder, "Start")
    pose = await user.next_message("1/3 · Reach up")
    assert pose.buttons == ["⏸ Pause", "⏭ Skip", "⏹ Stop"]
    await telegram.wait_until(lambda: reminder.buttons == [], what="reminder buttons removed after Start")

    # A second /remind adds a reminder beside the first, and says so: nothing is replaced.
    await user.send("/remind 15:00")
    added = await user.next_message("Daily reminder added: 15:00")
    assert "Next: today 15:00" in added.text
    assert "You now have 2 daily reminders: 12:30, 15:00." in added.text
    assert "routine you last finished" not in added.text  # said with the first one already


async def test_several_daily_reminders_are_listed_and_removed_one_by_one(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    for command in ("/remind 10:30", "/remind 15:00 every day", "/remind 17:30"):
        await user.send(command)
        await user.next_message("Daily reminder")
    # The same time again changes that reminder's days; it adds nothing.
    await user.send("/remind 15:00 mon-fri")
    changed = await user.next_message("Daily reminder changed")
    assert "15:00, Mon-Fri" in changed.text and "You now have 3 daily reminders: 10:30, 15:00, 17:30." in changed.text

    at(clock, 5, 9, 0)
    await user.send("/reminders")
    listing = await user.next_message("Your reminders")
    for line in ("10:30, Mon-Fri (next: today 10:30)", "15:00, Mon-Fri (next: today 15:00)", "17:30, Mon-Fri"):
        assert line in listing.text
    assert listing.buttons == ["🗑 10:30", "🗑 15:00", "🗑 17:30"]
    assert await user.toast(await user.press(listing, "17:30")) == "Removed the 17:30 reminder."
    await telegram.wait_until(lambda: listing.buttons == ["🗑 10:30", "🗑 15:00"], what="the list redrawn")
    assert "17:30" not in listing.text
    # A second tap on a button of the old list removes nothing more.
    assert await user.toast(await user.press_data(listing, "del:1730")) == "Already removed."

    # Each reminder comes at its time. The routine started from the 10:30 one does not answer
    # the 15:00 one...
    at(clock, 5, 10, 30)
    morning = await user.next_message("Time to stretch")
    await user.press(morning, "Start")
    for step, seconds in (("1/3", 2), ("2/3", 1), ("3/3", 20)):
        await user.next_message(step)
        clock.advance(seconds)
    await user.next_message("done!")
    at(clock, 5, 15, 0)
    await user.next_message("Time to stretch")
    # ... but a routine done on one's own shortly before it does; and a removed one never comes.
    at(clock, 6, 10, 30)
    await user.next_message("Time to stretch")
    at(clock, 6, 14, 0)
    await finish_quick_routine(user, clock)
    at(clock, 6, 15, 0)
    await bot.observe()
    at(clock, 6, 17, 30)
    await bot.observe()
    assert len([m for m in user.messages if "Time to stretch" in m.text]) == 3


async def test_a_seventh_daily_reminder_is_refused_and_nothing_changes(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    for hour in range(9, 15):
        await user.send(f"/remind {hour}:00")
        await user.next_message("Daily reminder")
    await user.send("/remind 16:00")
    refused = await user.next_message("You already have")
    assert "6 daily reminders (09:00, 10:00, 11:00, 12:00, 13:00, 14:00)" in refused.text
    await user.send("/reminders")
    full = await user.next_message("Your reminders")
    assert "16:00" not in full.text and "/remind adds another" not in full.text
    # At the limit, one of the six can still be changed.
    await user.send("/remind 9:00 every day")
    assert "Daily reminder changed: 09:00, every day." in (await user.next_message()).text
    # /remind off turns every one of them off, and says how many.
    await user.send("/remind off")
    assert "All 6 daily reminders off." in (await user.next_message()).text


async def finish_quick_routine(user: FakeUser, clock: ManualClock) -> None:
    """Run the quick test routine to its end, holding each pose its whole time."""
    await user.send("/stretch quick")
    for step, seconds in (("1/3", 2), ("2/3", 1), ("3/3", 20)):
        await user.next_message(step)
        clock.advance(seconds)
    await user.next_message("done!")


async def test_each_reminder_snoozes_on_its_own_and_removing_one_drops_its_snooze(
    bot, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    for command in ("/remind 10:30", "/remind 10:45"):
        await user.send(command)
        await user.next_message()
    at(clock, 5, 10, 30)
    first = await user.next_message("Time to stretch")
    assert await user.toast(await user.press(first, "1 h")) == "Snoozed until today 11:30"
    at(clock, 5, 10, 45)
    second = await user.next_message("Time to stretch")
    assert await user.toast(await user.press(second, "15 min")) == "Snoozed until today 11:00"
    at(clock, 5, 11, 0)
    await user.next_message("Snoozed reminder")  # the second one is back; the first still snoozed
    await user.send("/nudges 12-17 every 60")
    await user.next_message("Stand-up nudges")
    await user.send("/reminders")
    listing = await user.next_message("Your reminders")
    assert "💤 The 10:30 reminder, snoozed until today 11:30" in listing.text
    assert listing.buttons == ["🗑 10:30", "🗑 10:45", "🗑 Nudges"]
    # Removing the 10:30 reminder takes its snooze with it; removing the nudges stops them.
    assert await user.toast(await user.press(listing, "10:30")) == "Removed the 10:30 reminder."
    assert await user.toast(await user.press(listing, "Nudges")) == "Stand-up nudges off."
    await telegram.wait_until(lambda: listing.buttons == ["🗑 10:45"], what="the list redrawn")
    assert "Snoozed" not in listing.text and "Nudges" not in listing.text
    at(clock, 5, 11, 31)
    await bot.observe()
    at(clock, 5, 13, 0)
    await bot.observe()
    assert len([m for m in user.messages if "Snoozed reminder" in m.text]) == 1
    assert not [m for m in user.messages if "sitting a while" in m.text]


async def test_turning_reminders_or_nudges_off_drops_their_own_snooze_only(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    for command in ("/remind 10:00", "/nudges 9-17 every 60"):
        await user.send(command)
        await user.next_message()
    at(clock, 5, 10, 0)
    daily = await user.next_message("Time to stretch")
    nudge = await user.next_message("sitting a while")
    await user.toast(await user.press(daily, "1 h"))
    await user.toast(await user.press(nudge, "15 min"))
    await user.send("/reminders")
    listing = (await user.next_message("Your reminders")).text
    assert "The 10:00 reminder, snoozed until today 11:00" in listing and "Nudge snoozed until today 10:15" in listing
    await user.send("/nudges off")
    await user.next_message("Stand-up nudges off")
    at(clock, 5, 10, 16)
    await bot.observe()
    assert not [m for m in user.messages if "Snoozed nudge" in m.text]  # the nudge's snooze went with it
    await user.send("/reminders")
    assert "The 10:00 reminder, snoozed" in (await user.next_message("Your reminders")).text  # not this one
    await user.send("/remind off")
    await user.next_message("Daily reminder off")
    at(clock, 5, 11, 1)
    await bot.observe()
    assert not [m for m in user.messages if "Snoozed reminder" in m.text]


async def first_reminder(user: FakeUser, clock: ManualClock, command: str = "/remind 12:30") -> Message:
    """Set a 12:30 reminder and let Monday 12:30 come: the reminder as it arrives."""
    await user.send(command)
    await user.next_message()
    at(clock, 5, 12, 30)
    return await user.next_message("Time to stretch")


async def test_snooze_brings_the_reminder_back_later(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    reminder = await first_reminder(user, clock)

    assert await user.toast(await user.press(reminder, "15 min")) == "Snoozed until today 12:45"
    # The reminder itself says when it comes back, and keeps a row of buttons.
    await telegram.wait_until(lambda: "💤 Snoozed until today 12:45." in reminder.text, what="the snooze noted")
    assert reminder.buttons == ["▶️ Start", "Skip today"]
    at(clock, 5, 12, 44)
    await user.send("/reminders")
    assert "The 12:30 reminder, snoozed until today 12:45" in (await user.next_message()).text
    at(clock, 5, 12, 45)
    again = await user.next_message("Snoozed reminder: time to stretch!")
    assert again.buttons[0] == "▶️ Start"
    # Tomorrow's regular reminder still comes.
    at(clock, 6, 12, 30)
    assert "Time to stretch" in (await user.next_message("Time to stretch")).text


async def test_skip_today_silences_the_rest_of_the_day_only(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/nudges 9-17 every 60")
    assert "Next: today 10:00" in (await user.next_message()).text
    at(clock, 5, 10, 0)
    nudge = await user.next_message("You've been sitting a while")
    assert nudge.buttons == ["▶️ Quick test", "✅ I already moved", "💤 15 min", "Skip today"]
    assert await user.toast(await user.press(nudge, "Skip today")) == "OK, no more reminders or nudges today."
    for hour in range(11, 17):
        at(clock, 5, hour, 0)
        await user.send("/reminders")
        assert "next: " in (await user.next_message()).text
    assert [m for m in user.messages if "sitting a while" in m.text] == [nudge]
    at(clock, 6, 10, 0)
    await user.next_message("You've been sitting a while")


async def test_a_snoozed_nudge_comes_back_as_a_nudge(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/nudges 9-17 every 60")
    await user.next_message()
    at(clock, 5, 10, 0)
    nudge = await user.next_message("sitting a while")
    assert await user.toast(await user.press(nudge, "15 min")) == "Snoozed until today 10:15"
    # A time zone change recomputes every schedule; the snooze must stay a snoozed nudge.
    await user.send("/timezone London")
    assert "Time zone set to Europe/London" in (await user.next_message()).text
    at(clock, 5, 10, 15)
    again = await user.next_message("Snoozed nudge: time to stand up!")
    assert again.buttons[0] == "▶️ Quick test"
    await user.press(again, "Quick test")
    assert "1/3 · Reach up" in (await user.next_message("1/3")).text


def nudges(user) -> list:
    return [m for m in user.messages if "sitting a while" in m.text]


async def test_i_already_moved_skips_the_next_nudge(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/nudges 9-12 every 30")
    await user.next_message()
    at(clock, 5, 9, 30)
    first = await user.next_message("sitting a while")
    at(clock, 5, 9, 40)
    await user.toast(await user.press(first, "I already moved"))
    at(clock, 5, 10, 0)  # 20 min after moving: skipped
    await bot.observe()
    assert nudges(user) == [first]
    at(clock, 5, 10, 30)  # 50 min after: sent
    second = await user.next_message("sitting a while")
    assert nudges(user) == [first, second]


async def test_no_daily_reminder_after_finishing_a_routine_that_day(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/remind 12:30")
    await user.next_message()
    at(clock, 5, 10, 0)
    await finish_quick_routine(user, clock)
    at(clock, 5, 12, 31)
    await bot.observe()
    assert not [m for m in user.messages if "Time to stretch" in m.text]
    at(clock, 6, 12, 30)
    await user.next_message("Time to stretch")


async def test_pause_silences_reminders_and_ends_by_itself(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/nudges 9-17 every 60")
    await user.next_message()
    at(clock, 5, 9, 50)
    await user.send("/pause 2h")
    assert "paused until today 11:50" in (await user.next_message()).text
    for hour in (10, 11):  # both nudges fall inside the pause
        at(clock, 5, hour, 0)
        await bot.observe()
        assert nudges(user) == []
    await user.send("/reminders")
    assert "Paused until today 11:50" in (await user.next_message()).text
    at(clock, 5, 12, 0)
    first = await user.next_message("sitting a while")
    assert "12:00" not in first.text  # no late note: it is on time
    assert nudges(user) == [first]

    await user.send("/pause until 15:30")
    assert "until today 15:30" in (await user.next_message()).text
    await user.send("/pause off")
    assert "back on" in (await user.next_message()).text
    at(clock, 5, 13, 0)
    await user.next_message("sitting a while")


async def test_a_restart_between_setting_and_due_time_sends_exactly_one(
    make_settings, telegram: FakeTelegram, clock
) -> None:
    settings = make_settings()
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/remind 12:30 daily")
        await user.next_message("Daily reminder set")
    at(clock, 5, 12, 30)
    for _ in range(2):  # two restarts at the due time, each sweeping many times
        async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
            await user.send("/help")
            await user.next_message("What I can do")
            await telegram.wait_until(lambda: any("Time to stretch" in m.text for m in user.messages))
    assert len([m for m in user.messages if "Time to stretch" in m.text]) == 1


async def test_a_reminder_missed_while_down_is_sent_late_if_under_thirty_minutes(
    make_settings, telegram: FakeTelegram, clock
) -> None:
    settings = make_settings()
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/remind 12:30")
        await user.next_message()
    at(clock, 5, 12, 42)
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        late = await user.next_message("Time to stretch")
        assert "This comes 12 min late: I was offline for a while." in late.text
    at(clock, 6, 13, 5)  # down through Tuesday's 12:30, back 35 minutes late
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/reminders")
        assert "next: tomorrow 12:30" in (await user.next_message()).text
    assert len([m for m in user.messages if "Time to stretch" in m.text]) == 1


async def test_a_user_who_blocks_the_bot_gets_nothing_until_they_unblock(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/remind 12:30")
    await user.next_message()
    await user.block_bot()
    # The bot has heard of it before the reminder falls due (else it would rightly try, and meet a 403).
    await telegram.wait_until(lambda: bot.reminders.marked_blocked(user.id), what="the block noted")
    at(clock, 5, 12, 30)
    at(clock, 6, 12, 30)
    await telegram.wait_until(lambda: len(telegram.calls_to("getUpdates")) > 3)
    assert not [c for c in telegram.calls if c.method == "sendMessage" and c.status == 403]
    assert not [m for m in user.messages if "Time to stretch" in m.text]

    await user.unblock_bot()
    at(clock, 6, 13, 0)
    await user.send("/reminders")
    assert "next: tomorrow 12:30" in (await user.next_message()).text  # nothing replayed
    at(clock, 7, 12, 30)
    await user.next_message("Time to stretch")


async def test_a_403_on_send_stops_further_reminders(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/nudges 9-17 every 60")
    await user.next_message()
    telegram.blocked.add(user.id)  # blocked, but the bot was not told
    at(clock, 5, 10, 0)
    await telegram.wait_until(lambda: [c for c in telegram.calls if c.status == 403], what="a 403")
    for hour in (11, 12, 13):
        at(clock, 5, hour, 0)
    await telegram.wait_until(lambda: len(telegram.calls_to("getUpdates")) > 5)
    assert len([c for c in telegram.calls if c.status == 403]) == 1

    # The user writes again (Telegram's unblock notice never came): their nudges resume.
    telegram.blocked.discard(user.id)
    await user.send("/help")
    await user.next_message("What I can do")
    at(clock, 6, 10, 0)
    await user.next_message("sitting a while")


async def test_a_429_is_honoured_and_the_reminder_still_goes_out(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/remind 12:30")
    await user.next_message()
    telegram.refuse_next_sends = 1
    at(clock, 5, 12, 30)
    await user.next_message("Time to stretch")
    assert telegram.rejected_429 == 1
    assert len([m for m in user.messages if "Time to stretch" in m.text]) == 1


async def test_time_zones_by_name_city_and_location(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/timezone Berlinn")
    reply = await user.next_message()
    assert "don't know a time zone or city called “Berlinn”" in reply.text
    assert "Europe/Berlin" in reply.text

    await user.send("/remind 12:30")
    assert "Next: today 12:30" in (await user.next_message()).text  # 09:00 UTC now
    await user.send("/timezone new york")
    assert "Time zone set to America/New_York (it's 04:00 there now)" in (await user.next_message()).text
    await user.send("/reminders")
    overview = await user.next_message()
    assert "next: today 12:30" in overview.text and "Time zone: America/New_York" in overview.text
    at(clock, 5, 12, 30)  # 07:30 in New York: nothing
    at(clock, 5, 17, 30)  # 12:30 in New York
    await user.next_message("Time to stretch")

    await user.send("/timezone")
    prompt = await user.next_message()
    assert "share your location" in prompt.text
    await user.share_location(52.52, 13.405)
    assert "Time zone set to Europe/Berlin" in (await user.next_message()).text


async def test_bad_reminder_input_gets_examples_and_changes_nothing(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/remind 12:30")
    await user.next_message()
    for command, problem in [
        ("/remind 25:99", "“25:99” isn't a time of day"),
        ("/remind noon-ish", "“noon-ish” isn't a time I can read"),
        ("/remind", "tell me a time"),
        ("/remind 9:00 someday", "isn't a list of days"),
        ("/nudges 9-17 every 5", "every 30 to 180 minutes"),
        ("/pause forever", "isn't a length of time"),
        ("/remind " + "9" * 3000, "isn't a time I can read"),
    ]:
        await user.send(command)
        reply = await user.next_message()
        assert problem in reply.text, command
        assert "For example" in reply.text and len(reply.text) < 400
    await user.send("/reminders")
    assert "Daily reminder: 12:30, Mon-Fri" in (await user.next_message()).text


async def test_onboarding_sets_a_reminder_in_two_taps(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/start")
    await user.next_message()
    # The zone comes first: no reminder time is offered before the bot knows it.
    assert "First, where are you?" in (await user.next_message()).text
    await user.send("/timezone Berlin")
    assert "Europe/Berlin" in (await user.next_message("Time zone set")).text
    offer = await user.next_message("Want a daily reminder")
    assert "Europe/Berlin time" in offer.text
    await user.press(offer, "12:30")
    assert "Daily reminder set: 12:30, Mon-Fri." in (await user.next_message()).text
    # One tap, one reminder: the suggested times go, so a second tap cannot add another.
    await telegram.wait_until(lambda: offer.buttons == ["🌍 Change my time zone"], what="the times removed")
    await user.press(offer, "Change my time zone")
    assert "share your location" in (await user.next_message()).text
    # With a reminder set, a new zone is just confirmed: no second offer.
    await user.send("/timezone Paris")
    await user.next_message("Time zone set")
    await bot.observe()
    assert user.unseen() == []


async def test_forged_reminder_buttons_change_nothing(bot, telegram: FakeTelegram, clock) -> None:
    alex, sam = telegram.user(1001), telegram.user(2002)
    await alex.send("/remind 12:30")
    await alex.next_message()
    at(clock, 5, 12, 30)
    reminder = await alex.next_message("Time to stretch")
    assert await sam.toast(await sam.press(reminder, "15 min")) == "That button belongs to someone else."
    assert await alex.toast(await alex.press_data(reminder, "rem:99999:z15")) == "That button has expired."
    at(clock, 6, 9, 0)  # next morning: yesterday's reminder cannot be snoozed any more
    assert await alex.toast(await alex.press(reminder, "15 min")) == "That button has expired."


async def test_starting_from_a_snoozed_reminder_means_it_does_not_come_back(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    reminder = await first_reminder(user, clock)
    await user.toast(await user.press(reminder, "15 min"))
    await telegram.wait_until(lambda: reminder.buttons == ["▶️ Start", "Skip today"], what="the snoozed row")
    await user.press(reminder, "Start")
    await user.next_message("1/")
    at(clock, 5, 12, 46)
    await bot.observe()  # the sweep that would have sent the snoozed reminder has run
    assert not [m for m in user.messages if "Snoozed reminder" in m.text]


# -- which routine a daily reminder offers ---------------------------------------------------------


def first_card(routine_id: str, routines_dir: Path | None = None) -> str:
    """The start of the first pose card of a routine: "1/<poses> · <first pose>"."""
    routine = load_routines(routines_dir)[routine_id]
    return f"1/{routine.required_steps} · {routine.steps[0].name}"


async def test_a_reminder_set_for_a_routine_offers_it_and_its_snooze_too(
    make_settings, shipped_routines, telegram: FakeTelegram, clock
) -> None:
    desk_break = load_routines(shipped_routines)["desk-break"]
    async with running(make_settings(routines_dir=shipped_routines), clock, poll_timeout=POLL_TIMEOUT):
        user = telegram.user()
        await user.send("/remind 12:30 mon-fri desk-break")
        confirmation = await user.next_message("Daily reminder set")
        assert "Daily reminder set: 12:30, Mon-Fri." in confirmation.text
        length = duration(desk_break.total_seconds)  # the shipped file may change; the rule may not
        assert f"I'll offer Desk break ({length})." in confirmation.text
        await user.send("/reminders")
        assert "Daily reminder: 12:30, Mon-Fri (next: today 12:30), Desk break" in (await user.next_message()).text

        at(clock, 5, 12, 30)
        reminder = await user.next_message("Time to stretch")
        assert f"Desk break takes {length}" in reminder.text
        # Snoozed, it comes back offering the same routine, and Start starts it.
        await user.toast(await user.press(reminder, "15 min"))
        at(clock, 5, 12, 45)
        again = await user.next_message("Snoozed reminder: time to stretch!")
        assert f"Desk break takes {length}" in again.text
        await user.press(again, "Start")
        card = await user.next_message("1/")
        assert first_card("desk-break", shipped_routines) in card.text
        assert desk_break.title in card.text


async def test_without_a_chosen_routine_the_reminder_offers_the_last_one_finished(
    make_settings, tmp_path: Path, telegram: FakeTelegram, clock
) -> None:
    """Two routines: "Quick test" is the default (first by title), "Second quick" is finished
    last on Monday; Tuesday's reminder offers the second one."""
    folder = tmp_path / "routines"
    folder.mkdir()
    quick = (TEST_ROUTINES / "quick.toml").read_text(encoding="utf-8")
    (folder / "quick.toml").write_text(quick, encoding="utf-8")
    second = quick.replace('id = "quick"', 'id = "second"').replace('title = "Quick test"', 'title = "Second quick"')
    (folder / "second.toml").write_text(second, encoding="utf-8")
    assert load_routines(folder).default.id == "quick"

    async with running(make_settings(routines_dir=folder), clock, poll_timeout=POLL_TIMEOUT):
        user = telegram.user()
        await user.send("/remind 12:30")
        confirmation = await user.next_message("Daily reminder set")
        offer = "I'll offer the routine you last finished (Quick test, 23 s, if you haven't finished one yet)"
        assert offer in confirmation.text
        await user.send("/reminders")
        assert "(next: today 12:30), your last finished routine" in (await user.next_message()).text
        for minute, routine_id in ((0, "quick"), (5, "second")):  # the last one finished counts
            at(clock, 5, 10, minute)
            await user.send(f"/stretch {routine_id}")
            for step, seconds in (("1/3", 2), ("2/3", 1), ("3/3", 20)):
                await user.next_message(step)
                clock.advance(seconds)
            await user.next_message("done!")

        at(clock, 6, 12, 30)
        reminder = await user.next_message("Time to stretch")
        assert "Second quick takes" in reminder.text
        await user.press(reminder, "Start")
        assert "Second quick" in (await user.next_message("1/3 · Reach up")).text


async def test_a_reminder_whose_routine_file_is_gone_offers_the_default(
    make_settings, tmp_path: Path, telegram: FakeTelegram, clock
) -> None:
    folder = tmp_path / "routines"
    folder.mkdir()
    quick = (TEST_ROUTINES / "quick.toml").read_text(encoding="utf-8")
    (folder / "quick.toml").write_text(quick, encoding="utf-8")
    (folder / "second.toml").write_text(
        quick.replace('id = "quick"', 'id = "second"').replace('title = "Quick test"', 'title = "Second quick"'),
        encoding="utf-8",
    )
    user = telegram.user()
    async with running(make_settings(routines_dir=folder), clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/remind 12:30 second")
        assert "I'll offer Second quick" in (await user.next_message("Daily reminder set")).text
    (folder / "second.toml").unlink()  # the operator removed it; the schedule still names it
    async with running(make_settings(routines_dir=folder), clock, poll_timeout=POLL_TIMEOUT):
        at(clock, 5, 12, 30)
        reminder = await user.next_message("Time to stretch")
        assert "Quick test takes" in reminder.text
        await user.press(reminder, "Start")
        await user.next_message("1/3 · Reach up")


async def test_an_unknown_routine_word_lists_the_routines_and_changes_nothing(
    make_settings, shipped_routines, telegram: FakeTelegram, clock
) -> None:
    async with running(make_settings(routines_dir=shipped_routines), clock, poll_timeout=POLL_TIMEOUT):
        user = telegram.user()
        await user.send("/remind 12:30 wrists")
        assert "I'll offer Wrists & forearms" in (await user.next_message("Daily reminder set")).text
        await user.send("/remind 8:05 mon,wed,fri yoga")
        answer = await user.next_message()
        assert "“yoga” isn't a list of days or a routine I know" in answer.text
        for routine_id in load_routines(shipped_routines):
            assert routine_id in answer.text
        assert "/routines" in answer.text and "For example" in answer.text
        await user.send("/reminders")
        overview = await user.next_message()
        assert "Daily reminder: 12:30, Mon-Fri (next: today 12:30), Wrists & forearms" in overview.text
        at(clock, 5, 12, 30)
        assert "Wrists & forearms takes" in (await user.next_message("Time to stretch")).text


async def test_timezone_takes_a_city_with_its_state(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/timezone Paris, Texas")
    reply = await user.next_message()
    assert "Time zone set to America/Chicago (it's 03:00 there now)" in reply.text  # 09:00 UTC
    assert "Paris, Texas, United States" in reply.text
    await user.send("/reminders")
    assert "Time zone: America/Chicago" in (await user.next_message("Time zone:")).text


async def test_timezone_abbreviation_asks_and_the_button_sets_the_real_zone(
    bot, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    await user.send("/timezone EST")
    question = await user.next_message()
    assert question.text == "🌍 EST → New York, United States (America/New_York), now 04:00. Use it?"
    await user.send("/reminders")
    assert "Time zone: UTC (default" in (await user.next_message()).text  # asking changed nothing

    await user.press(question, "Yes")
    assert "Time zone set to America/New_York (it's 04:00 there now)" in (await user.next_message()).text
    await telegram.wait_until(lambda: question.buttons == [], what="zone buttons removed after the choice")
    await user.send("/reminders")
    assert "Time zone: America/New_York" in (await user.next_message("Time zone:")).text
    # A forged zone sets nothing.
    await user.press_data(question, "tz:=Mars/Olympus_Mons")
    assert "expired" in (await user.next_message("expired")).text
    await user.send("/reminders")
    assert "Time zone: America/New_York" in (await user.next_message("Time zone:")).text


async def test_timezone_offset_sets_a_fixed_zone_and_warns(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/timezone UTC+2")
    reply = await user.next_message()
    assert "Time zone set to Etc/GMT-2 (it's 11:00 there now)" in reply.text
    assert "UTC+02:00 is a fixed offset" in reply.text and "won't follow daylight saving" in reply.text


async def test_timezone_nonsense_suggests_and_changes_nothing(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user()
    await user.send("/timezone Paris, France")
    assert "Time zone set to Europe/Paris" in (await user.next_message()).text
    await user.send("/timezone Paris, Frence")
    reply = await user.next_message("Paris, Frence")
    assert "don't know a time zone or city called “Paris, Frence”" in reply.text
    assert "Paris, Texas, United States (America/Chicago)" in reply.text and "For example" in reply.text
    await user.send("/reminders")
    assert "Time zone: Europe/Paris" in (await user.next_message("Time zone:")).text
    await user.press(reply, "Paris · ")  # a suggestion is a button too
    assert "Time zone set to Europe/Paris" in (await user.next_message()).text
