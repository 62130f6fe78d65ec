"""Button layouts as plain data: rows of (label, callback data). The messenger draws them."""

from __future__ import annotations

from datetime import datetime

from bot.domain.actions import (
    AskTimezone,
    CheckIn,
    ChooseLanguage,
    ConfirmTimezone,
    Feeling,
    Forget,
    QuickReminder,
    ReachAnswer,
    ReminderAction,
    ReminderVerb,
    RemoveReminder,
    SessionAction,
    SettleDoubt,
    ShowRoutines,
    StartOver,
    StartRoutine,
    Verb,
    encode,
)
from bot.domain.reach import Reach
from bot.domain.routines import Routine, RoutineBook
from bot.domain.session import Session
from bot.domain.timezones import ZoneChoice
from bot.presentation import texts
from bot.presentation.i18n import SHIPPED, Words, native_name
from bot.presentation.texts import ENGLISH
from bot.services.notices import Overview

Button = tuple[str, str]
Keyboard = list[list[Button]]


def routine_picker(book: RoutineBook, _: Words = ENGLISH) -> Keyboard:
    return [
        [(texts.routine_button(book.in_language(r, _.language), _), encode(StartRoutine(r.id)))] for r in book.values()
    ]


def pose_controls(session: Session, _: Words = ENGLISH) -> Keyboard:
    assert session.id is not None
    def act(verb: Verb) -> str:
        return encode(SessionAction(session.id, session.step_index, verb))  # type: ignore[arg-type]

    stop = ("⏹ " + _("Stop"), act(Verb.STOP))
    if session.awaiting_answer:  # the reach buttons move things on; only Stop stays useful
        return [[stop]]
    first = ("▶️ " + _("Resume"), act(Verb.RESUME)) if session.paused else ("⏸ " + _("Pause"), act(Verb.PAUSE))
    return [[first, ("⏭ " + _("Skip"), act(Verb.SKIP)), stop]]


def reach_controls(session: Session, _: Words = ENGLISH) -> Keyboard:
    """An assessment pose: two rows, the measuring one (landmarks, "not now") and the usual
    controls."""
    assert session.id is not None
    def answer(code: str | None) -> str:
        return encode(ReachAnswer(session.id, session.step_index, code))  # type: ignore[arg-type]

    measuring = [(label, answer(code)) for code, label in texts.landmark_buttons(_).items()]
    return [[*measuring, (_("Not now"), answer(None))], *pose_controls(session, _)]


def optional_offer(session: Session, _: Words = ENGLISH) -> Keyboard:
    """Under the offer of an optional step: run it, or finish here."""
    assert session.id is not None
    return [
        [
            ("➕ " + _("Add it"), encode(SessionAction(session.id, session.step_index, Verb.ADD))),
            ("✅ " + _("Finish here"), encode(SessionAction(session.id, session.step_index, Verb.FINISH))),
        ]
    ]


def check_in(session: Session, routine: Routine, _: Words = ENGLISH) -> Keyboard:
    """Under the summary: how did it feel (three answers), then the usual way on."""
    assert session.id is not None
    feelings = {Feeling.FINE: "🙂 " + _("Fine"), Feeling.TIGHT: "😬 " + _("Tight"), Feeling.PAIN: "🤕 " + _("Pain")}
    return [
        [(feelings[f], encode(CheckIn(session.id, f))) for f in Feeling],
        *after_session(routine, _),
    ]


def languages() -> Keyboard:
    """Every shipped language, by its own name, two to a row."""
    buttons = [(native_name(code), encode(ChooseLanguage(code))) for code in SHIPPED]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def did_you_mean(measurement_id: int, typed: Reach, meant: float | None, _: Words = ENGLISH) -> Keyboard:
    """Under "did you mean ...?": the value meant (if a slip explains it), or keep it as typed."""
    row = []
    if meant is not None:
        meant_text = texts.upper_first(texts.cm_text(meant, _))
        row.append(("✏️ " + meant_text, encode(SettleDoubt(measurement_id, round(meant * 10)))))
    row.append((texts.button_keep(typed, _), encode(SettleDoubt(measurement_id, None))))
    return [row]


def gentler(routine: Routine) -> Keyboard:
    return [[(f"▶️ {routine.title}", encode(StartRoutine(routine.id)))]]


def gentler_or_usual(usual: Routine, gentler_routine: Routine, _: Words = ENGLISH) -> Keyboard:
    """It hurt last time: the gentler routine, or the usual one anyway."""
    return [
        [
            (f"▶️ {gentler_routine.title}", encode(StartRoutine(gentler_routine.id))),
            (texts.button_usual(usual, _), encode(StartRoutine(usual.id, anyway=True))),
        ]
    ]


def continue_or_start_over(session: Session, requested: Routine, _: Words = ENGLISH) -> Keyboard:
    assert session.id is not None
    return [
        [
            ("▶️ " + _("Continue"), encode(SessionAction(session.id, session.step_index, Verb.CONTINUE))),
            ("🔄 " + _("Start over"), encode(StartOver(session.id, requested.id))),
        ]
    ]


def after_session(routine: Routine, _: Words = ENGLISH) -> Keyboard:
    return [
        [
            ("🔁 " + _("Go again"), encode(StartRoutine(routine.id))),
            ("📋 " + _("Routines"), encode(ShowRoutines())),
        ]
    ]


def reminder_buttons(delivery_id: int, snooze_choices: tuple[int, ...], _: Words = ENGLISH) -> Keyboard:
    snoozes = {15: ReminderVerb.SNOOZE_15, 60: ReminderVerb.SNOOZE_60}
    return [
        [("▶️ " + _("Start"), encode(ReminderAction(delivery_id, ReminderVerb.START)))]
        + [(texts.button_snooze(m, _), encode(ReminderAction(delivery_id, snoozes[m]))) for m in snooze_choices],
        [(_("Skip today"), encode(ReminderAction(delivery_id, ReminderVerb.SKIP_TODAY)))],
    ]


def snoozed_buttons(delivery_id: int, _: Words = ENGLISH) -> Keyboard:
    """A snoozed reminder keeps one row: start now after all, or let today go."""
    return [
        [
            ("▶️ " + _("Start"), encode(ReminderAction(delivery_id, ReminderVerb.START))),
            (_("Skip today"), encode(ReminderAction(delivery_id, ReminderVerb.SKIP_TODAY))),
        ]
    ]


def nudge_buttons(delivery_id: int, routine: Routine, _: Words = ENGLISH) -> Keyboard:
    return [
        [(f"▶️ {routine.title}", encode(ReminderAction(delivery_id, ReminderVerb.START)))],
        [
            ("✅ " + _("I already moved"), encode(ReminderAction(delivery_id, ReminderVerb.MOVED))),
            (texts.button_snooze(15, _), encode(ReminderAction(delivery_id, ReminderVerb.SNOOZE_15))),
            (_("Skip today"), encode(ReminderAction(delivery_id, ReminderVerb.SKIP_TODAY))),
        ],
    ]


#: Suggested daily reminder times offered at /start.
QUICK_TIMES = ((9, 30), (12, 30), (15, 0), (17, 30))


def onboarding(_: Words = ENGLISH) -> Keyboard:
    """The suggested reminder times (the zone is known by then), and a way to change it."""
    return [[(f"{h:02d}:{m:02d}", encode(QuickReminder(h, m))) for h, m in QUICK_TIMES], *change_zone(_)]


def change_zone(_: Words = ENGLISH) -> Keyboard:
    return [[("🌍 " + _("Change my time zone"), encode(AskTimezone()))]]


def timezone_choices(choices: tuple[ZoneChoice, ...], now: datetime, _: Words = ENGLISH) -> Keyboard:
    """One button per zone offered after /timezone; pressing it sets that zone."""
    only = len(choices) == 1
    return [[(texts.timezone_choice_button(c, now, only, _), encode(ConfirmTimezone(c.zone)))] for c in choices]


def reminder_removal(view: Overview, _: Words = ENGLISH) -> Keyboard | None:
    """Under /reminders: one 🗑 button per daily reminder (three to a row), and one for the nudges."""
    buttons = [("🗑 " + _.time(daily.at), encode(RemoveReminder(daily.at))) for daily in view.dailies]
    if view.nudges is not None:
        buttons.append(("🗑 " + _("Nudges"), encode(RemoveReminder(None))))
    return [buttons[start:start + 3] for start in range(0, len(buttons), 3)] or None


def forget_confirmation(_: Words = ENGLISH) -> Keyboard:
    return [[
        ("🗑 " + _("Yes, delete everything"), encode(Forget(True))),
        (_("Keep my data"), encode(Forget(False))),
    ]]
