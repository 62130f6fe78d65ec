"""Reading what users type for reminders: clock times, weekdays, pauses and nudge windows.

Each parser returns a value or raises :class:`InputError` whose message says, in a few words,
what was wrong; the handlers add examples. Nothing here touches storage or Telegram.

The grammar is small and table-driven (no date-parsing library): the words are split on spaces
and commas, folded (lower case, accents dropped, so "mié" is "mie" and "täglich" is "taglich"),
and read left to right, longest phrase first, from word tables for each shipped language
(English, German, Spanish, Brazilian Portuguese, Russian):

* a clock time: "9", "9am", "9 am", "9:30 pm", "21h", "21h30", "9.30", "9 Uhr", "noon", with an
  optional time-of-day word after it ("de la tarde", "вечера", "abends"). A bare hour is on the
  24-hour clock: "9" is 09:00, "21" is 21:00. "12am" is midnight, "12pm" is noon;
* days: names and abbreviations ("mon", "Mo", "mié", "seg", "пн", "понедельникам"), ranges
  ("mon-fri", "Mo-Fr", "de lunes a viernes", "с понедельника по пятницу") and sets ("daily",
  "every day", "täglich", "todos los días", "dias úteis", "по будням", "weekends");
* filler words that carry no meaning here: "at", "um", "a las", "às", "в", "every", "jeden"...

A pause "until" a day starts at 00:00 local time on that day: "/pause tomorrow" (or "until
tomorrow") lasts until tomorrow 00:00, "until monday" until the next Monday's 00:00 (a week
ahead when today is Monday); "until monday 9:00" until 09:00 on the next Monday that is still
ahead. "until 15:30" is the next 15:30, today or tomorrow.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.schedule import NudgeWindow, Weekdays, local_instant
from bot.domain.wording import N_, Problem

MAX_PAUSE = timedelta(days=14)
NUDGE_MINUTES = (30, 180)
_MAX_INPUT = 80  # anything longer is not a time, and is not echoed back whole
_ALL_DAYS = 0b1111111


class InputError(Problem):
    """The user's input cannot be used; the message is safe and short to show them."""


def shown(text: str) -> str:
    """User input trimmed to a safe length for echoing back."""
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:23] + "…"


def _fold(text: str) -> str:
    """Lower case without accents: "Mié" -> "mie", "täglich" -> "taglich", "каждый" -> "каждыи"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _keys(*phrases: str) -> list[tuple[str, ...]]:
    return [tuple(_fold(phrase).split()) for phrase in phrases]


# -- word tables (written naturally; folded when the module loads) -------------------------------

_DAY_NAMES: tuple[tuple[str, ...], ...] = (
    # English, German, Spanish, Portuguese, Russian (Russian full names are matched by stem below)
    ("mon", "monday", "mondays", "mo", "montag", "montags", "lun", "lunes",
     "seg", "segunda", "segundas", "пн"),
    ("tue", "tues", "tuesday", "tuesdays", "di", "dienstag", "dienstags", "mar", "martes",
     "ter", "terça", "terças", "вт"),
    ("wed", "weds", "wednesday", "wednesdays", "mi", "mittwoch", "mittwochs", "mié", "miér",
     "miércoles", "qua", "quarta", "quartas", "ср"),
    ("thu", "thur", "thurs", "thursday", "thursdays", "do", "donnerstag", "donnerstags", "jue",
     "jueves", "qui", "quinta", "quintas", "чт"),
    ("fri", "friday", "fridays", "fr", "freitag", "freitags", "vie", "viernes",
     "sex", "sexta", "sextas", "пт"),
    ("sat", "saturday", "saturdays", "sa", "samstag", "samstags", "sonnabend", "sáb", "sábado",
     "sábados", "сб"),
    ("sun", "sunday", "sundays", "so", "sonntag", "sonntags", "dom", "domingo", "domingos", "вс"),
)
_DAY_WORDS = {_fold(word): day for day, words in enumerate(_DAY_NAMES) for word in words}
#: Russian day names decline ("пятница", "пятницу", "до пятницы", "по пятницам"): match a stem.
_DAY_STEMS = {_fold(stem): day for day, stem in enumerate(
    ("понедельник", "вторник", "сред", "четверг", "пятниц", "суббот", "воскресен"))}

_EVERY_DAY = _keys(
    "daily", "everyday", "every day", "each day", "all days",
    "täglich", "taeglich", "jeden tag", "alle tage",
    "diario", "diariamente", "todos los días", "cada día",
    "todo dia", "todos os dias", "cada dia",
    "каждый день", "ежедневно", "все дни",
)
_WORKDAYS = _keys(
    "weekdays", "weekday", "workdays", "work days", "week days",
    "werktags", "wochentags", "an werktagen", "unter der woche",
    "entre semana", "días laborables", "laborables", "días hábiles", "días de semana",
    "dias úteis", "dia útil", "durante a semana", "durante la semana",
    "по будням", "будни", "в будни", "будние дни", "по будним дням", "в будние дни",
)
_WEEKEND = _keys(
    "weekend", "weekends", "wochenende", "wochenendes",
    "fin de semana", "fines de semana", "fim de semana", "fins de semana",
    "выходные", "по выходным", "в выходные", "выходные дни",
)
#: Words that say nothing here ("at 9", "um 9", "a las 9", "às 9", "в 9", "every monday").
_FILLERS = _keys(
    "at", "on", "every", "each", "and", "the", "from", "next", "&",
    "um", "am", "an", "jeden", "jede", "jedem", "und", "von", "ab", "immer", "zum", "zur",
    "nächsten", "nächster", "nächste",
    "cada", "todos", "todas", "los", "las", "el", "la", "al", "y", "de", "desde", "en", "próximo",
    "próxima",
    "todo", "toda", "os", "as", "às", "o", "a", "à", "e", "da", "em", "no", "nos", "na", "nas",
    "feira",
    "в", "во", "по", "и", "с", "со", "каждый", "каждую", "каждое", "каждые", "следующего",
    "следующей", "следующий",
)
#: Between two days, these make a range ("mon to fri", "lunes a viernes", "пн по пт").
_CONNECTORS = {word for (word,) in _keys(
    "to", "till", "until", "thru", "through", "bis", "a", "al", "hasta", "até", "ate", "до", "по")}
_MORNING = _keys(
    "in the morning", "morning", "morgens", "früh", "vormittags",
    "de la mañana", "por la mañana", "da manhã", "de manhã", "pela manhã", "утра",
)
_AFTERNOON = _keys(
    "in the afternoon", "in the evening", "afternoon", "evening",
    "nachmittags", "abends", "de la tarde", "por la tarde", "da tarde", "à tarde", "de tarde",
    "pela tarde", "вечера", "дня",
)
_NIGHT = _keys(
    "at night", "nachts", "de la noche", "por la noche", "da noite", "à noite", "de noite", "ночи",
)
_TOMORROW = _keys("tomorrow", "tmrw", "morgen", "mañana", "amanhã", "завтра")
_NOON = {word for (word,) in _keys("noon", "midday", "mittag", "mittags", "mediodía", "meio-dia", "полдень")}
_MIDNIGHT = {word for (word,) in _keys("midnight", "mitternacht", "medianoche", "meia-noite", "полночь")}

_UNTIL = {word for (word,) in _keys("until", "till", "til", "'til", "bis", "hasta", "até", "до")}
_FOR = {word for (word,) in _keys("for", "für", "por", "durante", "на", "in")}
_REMIND_OFF = {word for (word,) in _keys(
    "off", "stop", "none", "aus", "stopp", "desactivar", "apagar", "desligar", "parar", "выкл", "стоп")}
_PAUSE_OFF = {word for (word,) in _keys(
    "off", "stop", "end", "resume", "aus", "stopp", "weiter", "fortsetzen", "reanudar", "retomar",
    "continuar", "выкл", "стоп", "продолжить")}

#: Written right after a number, these belong to it: "9 am", "9 Uhr", "21 h", "9 часов".
_CLOCK_SUFFIX = re.compile(r"(?:[ap]\.?m\.?|uhr|h|hs|o[’']?clock|ч|час|часа|часов)", re.IGNORECASE)
_CLOCK = re.compile(
    r"(?P<hour>\d{1,2})(?:(?:[:.h]|ч)(?P<minute>\d{2}))?"
    r"(?:uhr|h|hs|o[’']?clock|ч|час|часа|часов)?(?P<ampm>[ap]\.?m\.?)?",
    re.IGNORECASE,
)

_MORNING_CODE, _AFTERNOON_CODE, _NIGHT_CODE = 1, 2, 3
_PHRASES: dict[tuple[str, ...], tuple[str, int]] = {
    **{key: ("fill", 0) for key in _FILLERS},
    **{key: ("days", _ALL_DAYS) for key in _EVERY_DAY},
    **{key: ("days", Weekdays.WORKDAYS_MASK) for key in _WORKDAYS},
    **{key: ("days", 0b1100000) for key in _WEEKEND},
    **{key: ("mer", _MORNING_CODE) for key in _MORNING},
    **{key: ("mer", _AFTERNOON_CODE) for key in _AFTERNOON},
    **{key: ("mer", _NIGHT_CODE) for key in _NIGHT},
}
_TOMORROW_PHRASES = {key: ("tomorrow", 1) for key in _TOMORROW}
_LONGEST = max(len(key) for key in _PHRASES)


@dataclass(slots=True)
class _Item:
    kind: str  # time, badtime, day, days, fill, mer, tomorrow, routine, unknown
    text: str  # as typed
    word: str = ""  # folded
    value: int = 0  # a weekday, a day mask, or a time-of-day code
    at: time | None = None
    ampm: bool = False
    problem: InputError | None = None


def _pieces(args: Iterable[str], commas: bool = True) -> list[str]:
    """The words typed; commas separate too, except in a pause ("1,5 h")."""
    text = " ".join(args)
    for dash in "–—−":
        text = text.replace(dash, "-")
    return [piece for piece in re.split(r"[\s,]+" if commas else r"\s+", text) if piece]


def _leading_number(word: str) -> int:
    digits = re.match(r"\d+", word)
    return int(digits[0]) if digits else 0


def _glued(pieces: list[str]) -> list[tuple[str, str]]:
    """(typed, folded) words, a number joined with the suffix after it: "9 am", "9 Uhr", "21 h"."""
    words: list[tuple[str, str]] = []
    for piece in pieces:
        folded = _fold(piece)
        if words and words[-1][1][:1].isdigit() and _CLOCK_SUFFIX.fullmatch(folded):
            typed, before = words[-1]
            # "21 am Montag" is German ("21 on Monday"), not 21 a.m.
            if not (folded == "am" and _leading_number(before) > 12):
                words[-1] = (f"{typed} {piece}", before + folded)
                continue
        words.append((piece, folded))
    return words


def _day(word: str) -> int | None:
    word = word.rstrip(".").replace("-feira", "")
    if word in _DAY_WORDS:
        return _DAY_WORDS[word]
    for stem, day in _DAY_STEMS.items():
        if word.startswith(stem) and len(word) - len(stem) <= 4:
            return day
    return None


def _range(word: str) -> int | None:
    """"mon-fri", "Mo-Fr", "пн-пт", "fri-mon" -> a day mask (wrapping past Sunday)."""
    first, dash, last = word.replace("-feira", "").partition("-")
    start, end = _day(first), _day(last)
    if not dash or start is None or end is None:
        return None
    return sum(1 << ((start + offset) % 7) for offset in range((end - start) % 7 + 1))


def _clock_item(typed: str, word: str) -> _Item:
    try:
        at, ampm = _read_clock(typed, word)
    except InputError as problem:
        return _Item("badtime", typed, word, problem=problem)
    return _Item("time", typed, word, at=at, ampm=ampm)


def _read(
    pieces: list[str],
    routines: dict[str, str] | None = None,
    extra: dict[tuple[str, ...], tuple[str, int]] | None = None,
) -> list[_Item]:
    """Classify the words, longest phrase first; day ranges joined into one item."""
    words = _glued(pieces)
    phrases = {**_PHRASES, **(extra or {})}
    items: list[_Item] = []
    index = 0
    while index < len(words):
        typed, word = words[index]
        if routines and typed.lower() in routines:
            items.append(_Item("routine", routines[typed.lower()], word))
            index += 1
            continue
        for size in range(min(_LONGEST, len(words) - index), 0, -1):
            key = tuple(folded for _, folded in words[index:index + size])
            if key in phrases:
                kind, value = phrases[key]
                items.append(_Item(kind, " ".join(t for t, _ in words[index:index + size]), word, value))
                index += size
                break
        else:
            index += 1
            day, days = _day(word), _range(word)
            if word[:1].isdigit() or word in _NOON or word in _MIDNIGHT:
                items.append(_clock_item(typed, word))
            elif day is not None:
                items.append(_Item("day", typed, word, day))
            elif days is not None:
                items.append(_Item("days", typed, word, days))
            else:
                items.append(_Item("unknown", typed, word))
    return _join_ranges(items)


def _join_ranges(items: list[_Item]) -> list[_Item]:
    """day, connector, day -> one range: "mon to fri", "de lunes a viernes", "с пн по пт"."""
    joined: list[_Item] = []
    index = 0
    while index < len(items):
        item = items[index]
        if (
            item.kind == "day" and index + 2 < len(items) and items[index + 1].word in _CONNECTORS
            and items[index + 2].kind == "day"
        ):
            start, end = item.value, items[index + 2].value
            mask = sum(1 << ((start + offset) % 7) for offset in range((end - start) % 7 + 1))
            typed = " ".join(i.text for i in items[index:index + 3])
            joined.append(_Item("days", typed, item.word, mask))
            index += 3
            continue
        if item.kind == "unknown" and item.word in _CONNECTORS:
            item.kind = "fill"
        joined.append(item)
        index += 1
    return joined


def _days_of(items: list[_Item]) -> int:
    mask = 0
    for item in items:
        if item.kind == "day":
            mask |= 1 << item.value
        elif item.kind == "days":
            mask |= item.value
    return mask


def _meridiem(items: list[_Item], at: time, typed: str) -> time:
    """Apply a time-of-day word ("de la tarde", "вечера", "morgens") to a bare clock time."""
    codes = {item.value for item in items if item.kind == "mer"}
    if not codes:
        return at
    if len(codes) > 1:
        raise InputError(N_("morning or evening? One of them, please"))
    (code,) = codes
    hour = at.hour
    if code == _NIGHT_CODE:
        code = _MORNING_CODE if hour < 6 or hour == 12 else _AFTERNOON_CODE
    if hour > 12 or hour == 0:
        if code == _MORNING_CODE:
            raise InputError(N_("“{typed}” isn't a morning time"), typed=shown(typed))
        return at
    if code == _MORNING_CODE:
        return at.replace(hour=hour % 12)
    return at.replace(hour=hour % 12 + 12)


def _read_clock(typed: str, word: str) -> tuple[time, bool]:
    """A folded clock word -> (time, whether it said am/pm)."""
    if word in _NOON:
        return time(12, 0), False
    if word in _MIDNIGHT:
        return time(0, 0), False
    cleaned = "".join(word.split())
    match = _CLOCK.fullmatch(cleaned) if len(cleaned) <= 12 else None
    if match is None:
        raise InputError(N_("“{typed}” isn't a time I can read"), typed=shown(typed))
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    ampm = (match["ampm"] or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise InputError(N_("“{typed}”: with am/pm the hour goes from 1 to 12"), typed=shown(typed))
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InputError(N_("“{typed}” isn't a time of day (00:00 to 23:59)"), typed=shown(typed))
    return time(hour, minute), bool(ampm)


def parse_clock(text: str) -> time:
    """"12:30", "8:05", "12.30", "9", "21h", "21h30", "9 Uhr", "12:30pm", "7 am", "noon",
    "midnight" -> a local time. A bare hour is on the 24-hour clock: "9" is 09:00."""
    stripped = text.strip()
    return _read_clock(text, _fold(stripped) if len(stripped) <= 40 else stripped)[0]


def parse_days(text: str) -> Weekdays:
    """"mon-fri", "mon,wed,fri", "weekdays", "weekends", "daily", "fri-mon", "Mo-Fr",
    "todos los días", "по будням" -> weekdays."""
    items = _read(_pieces([text]))
    if any(item.kind not in {"day", "days", "fill"} for item in items):
        raise InputError(N_("“{typed}” isn't a list of days like mon-fri or mon,wed,fri"), typed=shown(text))
    mask = _days_of(items)
    if not mask:
        raise InputError(N_("no days given"))
    return Weekdays(mask)


@dataclass(frozen=True, slots=True)
class RemindAt:
    at: time
    days: Weekdays
    #: The routine the reminder offers, as typed (a known id); None: the user's last one.
    routine_id: str | None = None


@dataclass(frozen=True, slots=True)
class TurnOff:
    pass


class UnknownRoutine(InputError):
    """A word after the time that is neither days nor a routine id we know."""

    def __init__(self, word: str, routine_ids: Sequence[str]) -> None:
        self.word = word
        if routine_ids:
            super().__init__(
                N_("“{typed}” isn't a list of days or a routine I know. My routines: {ids} (/routines describes them)"),
                typed=shown(word), ids=", ".join(routine_ids),
            )
        else:
            super().__init__(N_("“{typed}” isn't a list of days or a routine I know"), typed=shown(word))


_ID_LIKE = re.compile(r"[a-z0-9][a-z0-9-]*")


def parse_remind(args: list[str], routine_ids: Sequence[str] = ()) -> RemindAt | TurnOff:
    """`/remind` arguments, in any order: one time, days (default Monday to Friday), and a
    routine id from ``routine_ids``: "12:30", "9am weekdays", "mon wed fri 8", "every day at 9",
    "7:15 am mon,wed", "Mo-Fr um 9 Uhr", "todos los días a las 9", "по будням в 9",
    "12:30 desk-break", "off".

    A word that is neither days nor a known routine raises :class:`UnknownRoutine` when it
    could be a routine id (the user probably meant one), else the usual days problem."""
    if not args:
        raise InputError(N_("tell me a time"))
    pieces = _pieces(args)
    if len(pieces) == 1 and _fold(pieces[0]) in _REMIND_OFF:
        return TurnOff()
    known = {routine_id.lower(): routine_id for routine_id in routine_ids}
    items = _read(pieces, known)
    chosen = [item.text for item in items if item.kind == "routine"]
    if len(chosen) > 1:
        raise InputError(N_("one routine per reminder, please"))
    times = [item for item in items if item.kind == "time"]
    if not times:
        failed = next((item.problem for item in items if item.problem is not None), None)
        if failed is not None:
            raise failed
        if _days_of(items) and all(item.kind in {"day", "days", "fill", "mer"} for item in items):
            raise InputError(N_("tell me a time as well as the days"))
        raise InputError(N_("“{typed}” isn't a time I can read"), typed=shown(' '.join(args)))
    if len(times) > 1:
        raise InputError(N_("one time per reminder, please"))
    stray = [item for item in items if item.kind in {"unknown", "badtime"}]
    if stray:
        word = stray[0].text
        if not chosen and _ID_LIKE.fullmatch(word.lower()):
            raise UnknownRoutine(word, routine_ids)
        rest = " ".join(item.text for item in items if item.kind not in {"time", "routine"})
        raise InputError(N_("“{typed}” isn't a list of days like mon-fri or mon,wed,fri"), typed=shown(rest))
    (clock,) = times
    assert clock.at is not None
    at = clock.at if clock.ampm else _meridiem(items, clock.at, clock.text)
    mask = _days_of(items)
    return RemindAt(at, Weekdays(mask) if mask else Weekdays.workdays(), chosen[0] if chosen else None)


_HOURS = r"(?:h|hr|hrs|hour|hours|std|stunde|stunden|hora|horas|ч|час|часа|часов)"
_MINUTES = r"(?:m|min|mins|minute|minutes|minuten|minuto|minutos|мин|минута|минуту|минуты|минут)"
_DURATION = re.compile(rf"(?:(?P<h>\d{{1,3}}(?:[.,]\d{{1,2}})?){_HOURS})?(?:(?P<m>\d{{1,4}}){_MINUTES}?)?")
_DURATION_WORDS = {
    " ".join(key): minutes
    for minutes, phrases in (
        (30, ("half an hour", "halbe stunde", "eine halbe stunde", "media hora", "meia hora", "полчаса")),
        (60, ("an hour", "one hour", "eine stunde", "una hora", "uma hora", "час")),
    )
    for key in _keys(*phrases)
}
_AND = {word for (word,) in _keys("and", "und", "y", "e", "и")}


def parse_duration(text: str) -> timedelta:
    """"2h", "90m", "1h30", "1h30m", "45 min", "2 hours", "1,5 Stunden", "2 часа", "полчаса"
    -> a duration."""
    cleaned = re.sub(r"\.(?!\d)", "", _fold(text.strip()[:_MAX_INPUT]))
    words = [word for word in cleaned.split() if word not in _AND]
    if " ".join(words) in _DURATION_WORDS:
        return timedelta(minutes=_DURATION_WORDS[" ".join(words)])
    joined = "".join(words)
    match = _DURATION.fullmatch(joined) if len(text) <= _MAX_INPUT else None
    if not joined or match is None or (match["h"] is None and match["m"] is None):
        raise InputError(N_("“{typed}” isn't a length of time like 2h or 45m"), typed=shown(text))
    hours = float(match["h"].replace(",", ".")) if match["h"] else 0.0
    return timedelta(minutes=round(hours * 60) + int(match["m"] or 0))


@dataclass(frozen=True, slots=True)
class PauseUntil:
    until: datetime


def parse_pause(args: list[str], now: datetime, zone: ZoneInfo) -> PauseUntil | TurnOff:
    """`/pause` arguments: "2h", "45m", "1h30", "2 hours", "until 15:30", "until monday",
    "tomorrow", "off", and the same in the shipped languages ("bis Montag", "hasta mañana",
    "até 15h", "на 2 часа"). A day means its start, 00:00 local (see the module notes)."""
    pieces = _pieces(args, commas=False)
    if not pieces:
        raise InputError(N_("tell me for how long"))
    first = _fold(pieces[0])
    if len(pieces) == 1 and first in _PAUSE_OFF:
        return TurnOff()
    if first in _UNTIL:
        return PauseUntil(_until(pieces[1:], now, zone))
    if (first,) in _TOMORROW_PHRASES:
        return PauseUntil(_until(pieces, now, zone))
    if first in _FOR and len(pieces) > 1:
        pieces = pieces[1:]
    length = parse_duration(" ".join(pieces))
    if length <= timedelta(0):
        raise InputError(N_("a pause has to last at least a minute"))
    if length > MAX_PAUSE:
        raise InputError(N_("pauses go up to 14 days"))
    return PauseUntil(now + length)


def _until(pieces: list[str], now: datetime, zone: ZoneInfo) -> datetime:
    """"15:30", "monday", "tomorrow", "monday 9:00" -> the next such local instant."""
    items = _read(pieces, extra=_TOMORROW_PHRASES)
    for item in items:
        if item.problem is not None:
            raise item.problem
        if item.kind not in {"time", "day", "tomorrow", "fill", "mer"}:
            raise InputError(N_("“{typed}” isn't a time or a day I can read"), typed=shown(item.text))
    times = [item for item in items if item.kind == "time"]
    days = [item for item in items if item.kind in {"day", "tomorrow"}]
    if not times and not days:
        raise InputError(N_("tell me until when, like until 15:30 or until monday"))
    if len(times) > 1 or len(days) > 1:
        raise InputError(N_("one day and one time, please"))
    at = time(0, 0)
    if times:
        assert times[0].at is not None
        at = times[0].at if times[0].ampm else _meridiem(items, times[0].at, times[0].text)
    today = now.astimezone(zone).date()
    candidates: list[date]
    if not days:
        candidates = [today, today + timedelta(days=1)]
    elif days[0].kind == "tomorrow":
        candidates = [today + timedelta(days=1)]
    else:
        ahead = (days[0].value - today.weekday()) % 7
        candidates = [today + timedelta(days=ahead), today + timedelta(days=ahead + 7)]
    for day in candidates:
        until = local_instant(day, at, zone)
        if until > now:
            return until
    raise InputError(N_("that time has already passed"))  # only "tomorrow" across a huge DST jump


@dataclass(frozen=True, slots=True)
class NudgesOn:
    window: NudgeWindow
    days: Weekdays


#: "every" before a nudge's minutes, in each shipped language (folded: no accents).
_NUDGE_EVERY = {"every", "alle", "cada", "каждые", "каждыи"}
_MINUTE_WORDS = {"min", "mins", "minutes", "minuten", "minutos", "мин", "минут", "минуты"}


def parse_nudges(args: list[str]) -> NudgesOn | TurnOff:
    """`/nudges` arguments: "9-17 every 60", "9:30-17:30 every 45 mon-thu", "9-17 alle 45",
    "9-17 cada 45", "9-17 a cada 45", "9-17 каждые 45", "off"."""
    if not args:
        raise InputError(N_("tell me your work hours"))
    if len(args) == 1 and _fold(args[0]) in _REMIND_OFF:
        return TurnOff()
    hours, rest = args[0], [a.lower() for a in args[1:]]
    first, dash, last = hours.partition("-")
    if not dash:
        raise InputError(N_("“{typed}” isn't a range of hours like 9-17"), typed=shown(hours))
    start, end = _hour_or_clock(first), _hour_or_clock(last)
    if end <= start:
        raise InputError(N_("work hours must end after they start, on the same day"))
    every = 60
    if rest[:2] in (["a", "cada"], ["раз", "в"]):  # "a cada 45", "раз в 45 минут"
        rest = ["every", *rest[2:]]
    if rest and _fold(rest[0]) in _NUDGE_EVERY:
        if len(rest) < 2 or not re.fullmatch(r"\d{1,4}(m|min|mins|minutes|minuten|minutos|мин)?", rest[1]):
            raise InputError(N_("say how many minutes, like: every 60"))
        every = int(re.match(r"\d+", rest[1])[0])  # type: ignore[index]
        rest = rest[2:]
        if rest and rest[0] in _MINUTE_WORDS:
            rest = rest[1:]
    low, high = NUDGE_MINUTES
    if not low <= every <= high:
        raise InputError(N_("nudges can come every {low} to {high} minutes"), low=low, high=high)
    days = parse_days(" ".join(rest)) if rest else Weekdays.workdays()
    window = NudgeWindow(start, end, every)
    if not window.times():
        raise InputError(N_("those hours are too short for a nudge every {every} minutes"), every=every)
    return NudgesOn(window, days)


def _hour_or_clock(text: str) -> time:
    return time(int(text), 0) if re.fullmatch(r"\d{1,2}", text) and int(text) <= 23 else parse_clock(text)


def format_clock(at: time) -> str:
    return at.strftime("%H:%M")
