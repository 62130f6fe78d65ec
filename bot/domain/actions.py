"""What a button press means, encoded in Telegram callback data (at most 64 bytes).

Callback data comes back from the client and can be forged, so :func:`decode` accepts only the
exact shapes :func:`encode` makes and returns None for anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from bot.domain.routines import ROUTINE_ID_PATTERN

_ROUTINE_ID = ROUTINE_ID_PATTERN.strip("^$")
_ID = r"[1-9][0-9]{0,17}"


class Verb(StrEnum):
    PAUSE = "p"
    RESUME = "r"
    SKIP = "s"
    STOP = "x"
    CONTINUE = "c"
    #: An optional step on offer: run it, or finish the routine here.
    ADD = "a"
    FINISH = "f"


@dataclass(frozen=True, slots=True)
class StartRoutine:
    routine_id: str
    #: Start it even though it hurt last time (the gentler version was offered instead).
    anyway: bool = False


@dataclass(frozen=True, slots=True)
class SessionAction:
    session_id: int
    step_index: int
    verb: Verb


@dataclass(frozen=True, slots=True)
class StartOver:
    """Stop ``session_id`` and start ``routine_id`` from the top."""

    session_id: int
    routine_id: str


@dataclass(frozen=True, slots=True)
class ShowRoutines:
    pass


class ReminderVerb(StrEnum):
    START = "go"
    SNOOZE_15 = "z15"
    SNOOZE_60 = "z60"
    SKIP_TODAY = "skip"
    MOVED = "moved"

    @property
    def snooze_minutes(self) -> int | None:
        return int(self.value[1:]) if self.value.startswith("z") else None


@dataclass(frozen=True, slots=True)
class ReminderAction:
    """A button under a reminder; ``delivery_id`` names the reminder that was sent."""

    delivery_id: int
    verb: ReminderVerb


@dataclass(frozen=True, slots=True)
class QuickReminder:
    """Onboarding: a daily reminder at ``hour``:``minute`` on workdays, in one tap."""

    hour: int
    minute: int


@dataclass(frozen=True, slots=True)
class RemoveReminder:
    """A remove button under /reminders: the daily reminder set for ``at``, or (None) the nudges."""

    at: time | None


@dataclass(frozen=True, slots=True)
class AskTimezone:
    pass


@dataclass(frozen=True, slots=True)
class ConfirmTimezone:
    """"Use this zone": an IANA name offered after /timezone (checked again when pressed)."""

    zone: str


@dataclass(frozen=True, slots=True)
class ReachAnswer:
    """A landmark tapped at an assessment step, or ``landmark`` None for "skip measuring"."""

    session_id: int
    step_index: int
    landmark: str | None


class Feeling(StrEnum):
    """The end-of-routine check-in: how did that feel?"""

    FINE = "fine"
    TIGHT = "tight"
    PAIN = "pain"


@dataclass(frozen=True, slots=True)
class CheckIn:
    session_id: int
    feeling: Feeling


@dataclass(frozen=True, slots=True)
class SettleDoubt:
    """"Did you mean ...?": keep the value as typed (``tenths`` None) or take the one meant,
    in tenths of a centimetre."""

    measurement_id: int
    tenths: int | None


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    """A /language button: ``language`` as a locale identifier ("de", "pt_BR")."""

    language: str


@dataclass(frozen=True, slots=True)
class Forget:
    """/forget's confirmation: ``confirmed`` False is the "keep my data" button."""

    confirmed: bool


Action = (
    StartRoutine | SessionAction | StartOver | ShowRoutines | ReminderAction | QuickReminder
    | AskTimezone | ConfirmTimezone | ReachAnswer | Forget | CheckIn | SettleDoubt | ChooseLanguage
    | RemoveReminder
)

# Whole-string patterns, applied with fullmatch.
_PATTERNS: list[tuple[re.Pattern[str], type]] = [
    (re.compile(rf"go(?P<anyway>!?):(?P<routine_id>{_ROUTINE_ID})"), StartRoutine),
    (
        re.compile(rf"ses:(?P<session_id>{_ID}):(?P<step_index>[0-9]{{1,3}}):(?P<verb>[prsxcaf])"),
        SessionAction,
    ),
    (re.compile(rf"new:(?P<session_id>{_ID}):(?P<routine_id>{_ROUTINE_ID})"), StartOver),
    (re.compile(r"menu:routines"), ShowRoutines),
    (re.compile(rf"rem:(?P<delivery_id>{_ID}):(?P<verb>go|z15|z60|skip|moved)"), ReminderAction),
    (re.compile(r"quick:(?P<hour>[01][0-9]|2[0-3])(?P<minute>[0-5][0-9])"), QuickReminder),
    (re.compile(r"del:(?:(?P<hour>[01][0-9]|2[0-3])(?P<minute>[0-5][0-9])|nudges)"), RemoveReminder),
    (re.compile(r"tz:ask"), AskTimezone),
    (re.compile(r"tz:=(?P<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2})"), ConfirmTimezone),
    (
        re.compile(
            rf"rch:(?P<session_id>{_ID}):(?P<step_index>[0-9]{{1,3}}):"
            r"(?P<landmark>knees|shin|ankles|floor|knuckles|palms|skip)"
        ),
        ReachAnswer,
    ),
    (re.compile(r"forget:(?P<answer>yes|no)"), Forget),
    (re.compile(rf"feel:(?P<session_id>{_ID}):(?P<feeling>fine|tight|pain)"), CheckIn),
    (re.compile(r"lang:(?P<language>[a-z]{2}(?:_[A-Z]{2})?)"), ChooseLanguage),
    (re.compile(rf"dm:(?P<measurement_id>{_ID}):(?P<tenths>keep|-?[0-9]{{1,4}})"), SettleDoubt),
]


def encode(action: Action) -> str:
    match action:
        case StartRoutine(routine_id, anyway):
            data = f"go{'!' if anyway else ''}:{routine_id}"
        case SessionAction(session_id, step_index, verb):
            data = f"ses:{session_id}:{step_index}:{verb.value}"
        case StartOver(session_id, routine_id):
            data = f"new:{session_id}:{routine_id}"
        case ShowRoutines():
            data = "menu:routines"
        case ReminderAction(delivery_id, verb):
            data = f"rem:{delivery_id}:{verb.value}"
        case QuickReminder(hour, minute):
            data = f"quick:{hour:02d}{minute:02d}"
        case RemoveReminder(at):
            data = f"del:{at.hour:02d}{at.minute:02d}" if at is not None else "del:nudges"
        case AskTimezone():
            data = "tz:ask"
        case ConfirmTimezone(zone):
            data = f"tz:={zone}"
        case ReachAnswer(session_id, step_index, landmark):
            data = f"rch:{session_id}:{step_index}:{landmark or 'skip'}"
        case Forget(confirmed):
            data = f"forget:{'yes' if confirmed else 'no'}"
        case CheckIn(session_id, feeling):
            data = f"feel:{session_id}:{feeling.value}"
        case ChooseLanguage(language):
            data = f"lang:{language}"
        case SettleDoubt(measurement_id, tenths):
            data = f"dm:{measurement_id}:{'keep' if tenths is None else tenths}"
    assert len(data.encode()) <= 64, data
    return data


def decode(data: str | None) -> Action | None:
    if not data or len(data) > 64:
        return None
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(data)  # fullmatch: '$' would accept a trailing newline
        if match is None:
            continue
        fields = match.groupdict()
        if kind is StartRoutine:
            return StartRoutine(fields["routine_id"], anyway=fields["anyway"] == "!")
        if kind is SessionAction:
            return SessionAction(
                int(fields["session_id"]), int(fields["step_index"]), Verb(fields["verb"])
            )
        if kind is StartOver:
            return StartOver(int(fields["session_id"]), fields["routine_id"])
        if kind is ReminderAction:
            return ReminderAction(int(fields["delivery_id"]), ReminderVerb(fields["verb"]))
        if kind is QuickReminder:
            return QuickReminder(int(fields["hour"]), int(fields["minute"]))
        if kind is RemoveReminder:
            hour = fields["hour"]
            return RemoveReminder(time(int(hour), int(fields["minute"])) if hour is not None else None)
        if kind is ReachAnswer:
            landmark = None if fields["landmark"] == "skip" else fields["landmark"]
            return ReachAnswer(int(fields["session_id"]), int(fields["step_index"]), landmark)
        if kind is Forget:
            return Forget(fields["answer"] == "yes")
        if kind is CheckIn:
            return CheckIn(int(fields["session_id"]), Feeling(fields["feeling"]))
        if kind is ChooseLanguage:
            return ChooseLanguage(fields["language"])
        if kind is ConfirmTimezone:
            return ConfirmTimezone(fields["zone"])
        if kind is SettleDoubt:
            tenths = None if fields["tenths"] == "keep" else int(fields["tenths"])
            return SettleDoubt(int(fields["measurement_id"]), tenths)
        bare: Action = kind()  # the remaining kinds take no fields
        return bare
    return None
