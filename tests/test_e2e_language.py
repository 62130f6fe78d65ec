"""End to end: the bot speaks the user's language from the first message, and /language
changes it."""

from __future__ import annotations

import pytest

from bot.presentation import texts
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.both_engines


async def test_a_german_app_gets_german_and_localized_command_names(bot, telegram: FakeTelegram) -> None:
    user = telegram.user(language_code="de-AT")
    await user.send("/start")
    welcome = await user.next_message()
    assert welcome.text.startswith("Hallo Alex!")
    await user.send("/hilfe")  # the German alias of /help
    help_text = (await user.next_message("Was ich kann")).text
    assert help_text.startswith("Was ich kann")  # the help itself, not "I don't know /hilfe"
    assert "/remind" in help_text and "Tägliche Erinnerung" in help_text
    await user.send("/tanzen")
    assert "/tanzen" in (await user.next_message()).text


async def test_language_is_kept_and_changed_with_language(bot, telegram: FakeTelegram) -> None:
    user = telegram.user(language_code="pt-BR")
    await user.send("/help")
    assert "O que eu sei fazer" in (await user.next_message()).text  # pt-BR from the app's language
    await user.send("/remind 12:30")  # a profile: the language found at first contact is stored with it
    await user.next_message("12:30")
    await bot.observe()  # every update handled to the end
    languages = bot.application.bot_data["services"].languages
    stored = await languages._users.get_user(user.id)  # the stored row, not the cache
    assert stored is not None and stored.language == "pt_BR"
    await user.send("/language")
    menu = await user.next_message()
    assert menu.buttons == ["English", "Deutsch", "Español", "Português (Brasil)", "Русский"]
    await user.press(menu, "Español")
    done = await user.next_message()
    assert "español" in done.text
    await telegram.wait_until(lambda: menu.buttons == [], what="the language buttons removed")

    await user.send("/language ru")
    assert "по-русски" in (await user.next_message()).text
    await user.send("/language klingon")
    unknown = await user.next_message()
    assert "klingon" in unknown.text and "Deutsch" in unknown.buttons
    await user.send("/language english")
    assert "English" in (await user.next_message()).text


async def test_the_command_menu_is_registered_in_every_language(bot, telegram: FakeTelegram) -> None:
    registered = telegram.commands_by_language
    assert {language for language, scope in registered} == {"", "en", "de", "es", "pt", "ru"}
    german = {command["command"]: command["description"] for command in registered[("de", "default")]}
    english = {command["command"]: command["description"] for command in registered[("", "default")]}
    assert set(german) == set(english) and "language" in german
    assert german["help"] != english["help"]


async def test_a_german_user_is_coached_through_a_routine_in_german(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user(language_code="de")
    await user.send("/stretch quick")
    note = await user.next_message()
    assert note.text.startswith("🛟 Bevor du anfängst")
    card = await user.next_message("1/3")
    assert "⏱ Noch 0:02 · halten" in card.text and "Als Nächstes: Side bend (rechts)" in card.text
    assert card.buttons == ["⏸ Pause", "⏭ Überspringen", "⏹ Stopp"]
    assert await user.toast(await user.press(card, "Pause")) == "Pausiert"  # the toast too
    await telegram.wait_until(lambda: "Pausiert" in card.text, what="the card paused, in German")
    await user.press(card, "Stopp")
    summary = await user.next_message("gestoppt")
    assert summary.buttons == ["🔁 Nochmal", "📋 Routinen"]


async def test_a_german_reminder_arrives_in_german_with_its_routine_in_german(
    bot, telegram: FakeTelegram, clock
) -> None:
    from datetime import UTC, datetime

    user = telegram.user(language_code="de")
    await user.send("/remind 12:30")
    await user.next_message()
    clock.set(datetime(2026, 1, 5, 12, 30, tzinfo=UTC))
    reminder = await user.next_message("Zeit zum Dehnen!")
    assert reminder.buttons == ["▶️ Starten", "💤 15 Min.", "💤 1 Std.", "Heute überspringen"]
    await user.press(reminder, "Starten")
    assert "⏱ Noch 0:02 · halten" in (await user.next_message("1/3")).text


async def test_a_routine_comes_in_the_users_language_from_its_translation(
    make_settings, shipped_routines, telegram: FakeTelegram, clock
) -> None:
    from bot.app import running
    from bot.domain.routines import load_routines
    from tests.conftest import POLL_TIMEOUT

    german = load_routines().in_language(load_routines()["hamstrings"], "de")
    async with running(make_settings(routines_dir=shipped_routines), clock, poll_timeout=POLL_TIMEOUT):
        user = telegram.user(language_code="de")
        await user.send("/stretch")
        note = await user.next_message("Bevor du anfängst")
        assert german.safety is not None and german.safety in note.text
        card = await user.next_message("1/10")
        assert f"<b>{german.title}</b>" in card.html.replace("&amp;", "&")
        assert german.steps[0].name in card.text and german.steps[0].cues[0] in card.text


async def test_a_german_user_goes_from_start_to_a_reminder_set_in_german(bot, telegram: FakeTelegram, clock) -> None:
    user = telegram.user(language_code="de")
    await user.send("/start")
    assert (await user.next_message()).text.startswith("Hallo Alex!")
    await user.send("/remind werktags 12:30")
    confirmation = await user.next_message("12:30")
    assert confirmation.text.startswith("⏰ Tägliche Erinnerung")
    assert "Mo-Fr" in confirmation.text and "heute um 12:30" in confirmation.text


async def test_a_german_user_manages_reminders_and_reads_progress_in_german(bot, telegram: FakeTelegram) -> None:
    """The replies of /remind, /reminders and its remove buttons, /reach, /progress and a
    typing mistake, all in German: no English sentence on the way."""
    user = telegram.user(language_code="de")
    for command in ("/remind 10:30", "/remind 15:00 Mo,Mi,Fr"):
        await user.send(command)
        await user.next_message("Tägliche Erinnerung")
    await user.send("/remind 25:99")
    assert (await user.next_message()).text.startswith("Hmm, ")
    await user.send("/reminders")
    listing = await user.next_message("Deine Erinnerungen")
    assert "Tägliche Erinnerung: 10:30" in listing.text and "15:00, Mo, Mi, Fr" in listing.text
    assert listing.buttons == ["🗑 10:30", "🗑 15:00"]
    assert await user.toast(await user.press(listing, "10:30")) == "Erinnerung um 10:30 gelöscht."
    await telegram.wait_until(lambda: listing.buttons == ["🗑 15:00"], what="the list redrawn in German")
    assert listing.text.startswith("Deine Erinnerungen")

    await user.send("/reach 12,5")
    assert "12,5 cm über dem Boden" in (await user.next_message()).text
    await user.send("/progress")
    progress = await user.next_message("Dein Fortschritt")
    assert "12,5 cm über dem Boden" in progress.text
    chart = await telegram.wait_until(lambda: next((m for m in user.messages if m.kind == "photo"), None),
                                      what="the chart")
    assert chart.text and "Reach" not in chart.text and chart.text != texts.chart_caption()


async def test_in_a_group_the_bot_answers_in_the_language_the_user_chose(bot, telegram: FakeTelegram) -> None:
    """Group notes are said without a database lookup: the language this process knows for the
    user (chosen with /language), else their app's."""
    alex, sam = telegram.user(1001, language_code="en"), telegram.user(2002, language_code="es")
    await alex.send("/language de")
    await alex.next_message()
    group = telegram.group()
    await alex.send("/progress@limber_test_bot", chat=group)
    assert "privaten Chat" in (await group.next_message()).text  # chosen: German, app: English
    await sam.send("/progress@limber_test_bot", chat=group)
    assert "/progress" in (await group.next_message()).text
    assert group.messages[-1].text != texts.group_pointer("progress")  # Spanish, from the app
