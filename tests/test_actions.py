"""Callback data: everything encoded decodes back; anything else is refused."""

from __future__ import annotations

from datetime import time

import pytest

from bot.domain.actions import (
    AskTimezone,
    CheckIn,
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
    decode,
    encode,
)


@pytest.mark.parametrize(
    "action",
    [
        StartRoutine("hamstrings"),
        StartRoutine("desk-break"),
        SessionAction(42, 3, Verb.PAUSE),
        SessionAction(987654321012345678, 59, Verb.CONTINUE),
        StartOver(5, "desk-break"),
        ShowRoutines(),
        ReminderAction(77, ReminderVerb.SNOOZE_15),
        ReminderAction(77, ReminderVerb.MOVED),
        QuickReminder(9, 30),
        QuickReminder(0, 5),
        AskTimezone(),
        ReachAnswer(12, 0, "shin"),
        ReachAnswer(12, 9, None),
        Forget(True),
        Forget(False),
        StartRoutine("hamstrings", anyway=True),
        SessionAction(42, 10, Verb.ADD),
        SessionAction(42, 10, Verb.FINISH),
        CheckIn(987654321012345678, Feeling.PAIN),
        SettleDoubt(5, None),
        SettleDoubt(5, -120),
        SettleDoubt(987654321012345678, 1200),
        RemoveReminder(time(10, 30)),
        RemoveReminder(time(0, 5)),
        RemoveReminder(None),
    ],
)
def test_round_trip(action) -> None:
    data = encode(action)
    assert len(data.encode()) <= 64
    assert decode(data) == action


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "garbage",
        "go:",
        "go:Not-Allowed",
        "go:../../etc",
        "ses:1:2",
        "ses:1:2:z",
        "ses:0:1:p",
        "ses:-1:1:p",
        "ses:1:1:p:extra",
        "ses:abc:1:p",
        "new:1:",
        "menu:everything",
        "x" * 65,
        "go:hamstrings\n",
        "rem:1:z30",
        "feel:1:ok",
        "feel:0:fine",
        "dm:1:12345",
        "dm:1:",
        "go!!:hamstrings",
        "rem:0:go",
        "quick:2460",
        "quick:930",
        "tz:set",
        "rch:1:0:elbows",
        "rch:1:0:",
        "forget:maybe",
        "del:2400",
        "del:930",
        "del:",
        "del:snooze",
    ],
)
def test_forged_or_malformed_data_is_refused(data) -> None:
    assert decode(data) is None
