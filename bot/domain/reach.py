"""Reach measurements: reading an answer, and turning a history into honest progress.

The convention (stored with every value as ``CONVENTION``): the standing fingertip-to-floor
distance in centimetres, knees straight, no bouncing. Positive is a gap above the floor, 0 is
touching, negative is past the floor (standing on a step, or knuckles or palms down). Smaller is
further. Inches are converted (1 in = 2.54 cm).

Without a ruler, users can answer with a landmark. Landmarks form an ordinal scale; they are
compared with each other by level, never mixed into centimetre arithmetic.

Noise: the minimal detectable change of a reach test is about 4 cm (J Sports Sci Med 2009), so a
smaller difference between two measurements is reported as within noise, not as progress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from statistics import fmean, median
from zoneinfo import ZoneInfo

from bot.domain.wording import N_, Problem

CONVENTION = "ftf-cm"  # fingertip-to-floor, cm, + above the floor, 0 touching, - past it
MIN_CM, MAX_CM = -40.0, 120.0
MDC_CM = 4.0
CM_PER_INCH = 2.54
#: A new value this far (cm) from the user's recent ones is asked about before it counts.
DOUBT_CM = 20.0
#: How many recent numeric values "recent" means.
RECENT_VALUES = 5


class Landmark(Enum):
    """Where the fingertips reach, from least to most flexible. Values are stable codes."""

    KNEES = "knees"
    MID_SHIN = "shin"
    ANKLES = "ankles"
    FLOOR = "floor"
    KNUCKLES = "knuckles"
    PALMS = "palms"

    @property
    def level(self) -> int:
        return list(Landmark).index(self)

    @property
    def exact_cm(self) -> float | None:
        """Only 'fingertips touch the floor' is a known distance (0 cm)."""
        return 0.0 if self is Landmark.FLOOR else None


_LANDMARK_WORDS = {
    "knee": Landmark.KNEES, "knees": Landmark.KNEES,
    "shin": Landmark.MID_SHIN, "shins": Landmark.MID_SHIN, "mid-shin": Landmark.MID_SHIN,
    "midshin": Landmark.MID_SHIN, "mid shin": Landmark.MID_SHIN,
    "ankle": Landmark.ANKLES, "ankles": Landmark.ANKLES,
    "floor": Landmark.FLOOR, "toes": Landmark.FLOOR, "touch": Landmark.FLOOR,
    "fingertips": Landmark.FLOOR, "touch the floor": Landmark.FLOOR,
    "knuckles": Landmark.KNUCKLES, "knuckle": Landmark.KNUCKLES,
    "palms": Landmark.PALMS, "palm": Landmark.PALMS, "palms flat": Landmark.PALMS, "flat": Landmark.PALMS,
}
#: The landmarks in the other shipped languages (as the buttons and the texts name them).
_LANDMARK_WORDS |= {
    word: landmark
    for landmark, words in {
        Landmark.KNEES: ("knie", "rodilla", "rodillas", "joelho", "joelhos", "колено", "колени", "до колен"),
        Landmark.MID_SHIN: (
            "schienbein", "schienbeine", "schienbeinmitte", "espinilla", "espinillas", "media espinilla",
            "canela", "canelas", "meio da canela", "голень", "голени", "середина голени", "до середины голени",
        ),
        Landmark.ANKLES: ("knöchel", "tobillo", "tobillos", "tornozelo", "tornozelos", "лодыжки", "до лодыжек"),
        Landmark.FLOOR: ("boden", "suelo", "chão", "chao", "пол", "до пола"),
        Landmark.KNUCKLES: ("fingerknöchel", "nudillos", "nós dos dedos", "костяшки"),
        Landmark.PALMS: ("handflächen", "handfläche", "palmas", "ладони", "ладонями"),
    }.items()
    for word in words
}

_NUMBER = re.compile(
    r"(?P<sign>[+\-−–])?\s*(?P<number>\d{1,3}(?:[.,]\d{1,2})?)\s*"
    r"(?P<unit>cm|centimet(?:er|re)s?|см|(?P<inch>in|inch|inches|\"|”|″|zoll|pulgadas?|polegadas?|дюйм(?:а|ов)?))?"
)
#: "About" before a number, in each shipped language ("about 12", "~12 cm", "ca. 12", "etwa 12",
#: "unos 12", "cerca de 12", "около 12"). Only words and "~"/"≈": a sign after them is kept.
_ABOUT_BEFORE = re.compile(
    r"(?:[~≈]|(?:about|approximately|approx\.?|around|roughly|circa|ca\.?|etwa|ungef(?:ä|ae|a)hr|rund|"
    r"unos|unas|cerca de|aproximadamente|aprox\.?|alrededor de|más o menos|mas o menos|"
    r"uns|umas|por volta de|mais ou menos|около|примерно|приблизительно|где-то|где то)(?=[\s\d.+\-−–]|$))\s*"
)
#: ... and after it ("12-ish", "12 cm ish", "12 or so").
_ABOUT_AFTER = re.compile(r"\s*(?:-?\s*ish|or so|oder so|más o menos|mas o menos|или около того)$")


class ReachError(Problem):
    """An answer that is not a usable reach; the message says why, briefly."""


@dataclass(frozen=True, slots=True)
class Reach:
    """One answer: a distance in cm, or a landmark (fingertips-touch carries both)."""

    cm: float | None = None
    landmark: Landmark | None = None


def parse_reach(text: str) -> Reach:
    """Read an answer: "12", "12 cm", "12.5cm", "5 in", '4"', "-3", "ankles", "palms flat";
    an approximate one means the same number: "about 12", "~12 cm", "12-ish", "etwa 12", "около 12"."""
    cleaned = " ".join(text.strip().lower().split())
    if not cleaned:
        raise ReachError(N_("that was empty"))
    if len(cleaned) > 40:
        raise ReachError(N_("that's too long to be a measurement"))
    cleaned = _without_about(cleaned)
    if cleaned in _LANDMARK_WORDS:
        landmark = _LANDMARK_WORDS[cleaned]
        return Reach(cm=landmark.exact_cm, landmark=landmark)
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        raise ReachError(N_("I couldn't read a distance there"))
    value = float(match["number"].replace(",", "."))
    if match["sign"] and match["sign"] != "+":
        value = -value
    if match["inch"]:
        value *= CM_PER_INCH
    value = round(value, 1)
    if not MIN_CM <= value <= MAX_CM:
        raise ReachError(
            N_("{value} cm is outside what a standing reach can be ({low} to +{high} cm)"),
            value=value, low=MIN_CM, high=MAX_CM,
        )
    return Reach(cm=value, landmark=Landmark.FLOOR if value == 0 else None)


def _without_about(cleaned: str) -> str:
    """"about 12" -> "12", "~ -3 cm" -> "-3 cm", "12-ish" -> "12" (one word each side at most)."""
    before = _ABOUT_BEFORE.match(cleaned)
    if before is not None and before.end() < len(cleaned):
        cleaned = cleaned[before.end():]
    after = _ABOUT_AFTER.search(cleaned)
    if after is not None and after.start() > 0:
        cleaned = cleaned[:after.start()]
    return cleaned


# -- comparing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """Before -> after. ``further`` is positive when the later reach went further."""

    before: Reach
    after: Reach
    further_cm: float | None = None
    further_levels: int | None = None

    @property
    def comparable(self) -> bool:
        return self.further_cm is not None or self.further_levels is not None

    @property
    def within_noise(self) -> bool:
        if self.further_cm is not None:
            return abs(self.further_cm) < MDC_CM
        return self.further_levels == 0


def compare(before: Reach, after: Reach) -> Change:
    if before.cm is not None and after.cm is not None:
        return Change(before, after, further_cm=round(before.cm - after.cm, 1))
    if before.landmark is not None and after.landmark is not None:
        return Change(before, after, further_levels=after.landmark.level - before.landmark.level)
    return Change(before, after)


# -- a history ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measurement:
    taken_at: datetime
    reach: Reach
    phase: str  # "before", "after" or "single"
    session_id: int | None = None
    #: False while a value far from the user's recent ones waits for "did you mean...?".
    confirmed: bool = True
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Doubt:
    """A new value far from the user's recent ones: their usual value, and what they may
    have meant (a slipped sign, decimal point or unit), if one of those fits."""

    usual_cm: float
    suggestion_cm: float | None


def doubt(cm: float, recent: list[float]) -> Doubt | None:
    """Whether ``cm`` is more than :data:`DOUBT_CM` from the median of ``recent`` values (the
    latest few numeric ones); None when it is not, or there is nothing to compare with."""
    if not recent:
        return None
    usual = median(recent[-RECENT_VALUES:])
    if abs(cm - usual) <= DOUBT_CM:
        return None
    slips = [-cm, cm / 10, cm * CM_PER_INCH]  # a sign, a decimal point, inches without the unit
    fitting = [round(s, 1) for s in slips if MIN_CM <= s <= MAX_CM and abs(s - usual) <= MDC_CM * 2]
    suggestion = min(fitting, key=lambda s: abs(s - usual)) if fitting else None
    return Doubt(usual, suggestion)


@dataclass(frozen=True, slots=True)
class WeekMean:
    week_start: date
    mean_cm: float
    count: int


@dataclass(frozen=True, slots=True)
class Progress:
    first: Measurement | None
    best: Measurement | None
    latest: Measurement | None
    weekly_before: list[WeekMean]
    #: First week's mean minus latest week's mean of "before" values (positive = further).
    trend_cm: float | None
    sessions_this_week: int
    streak_days: int
    landmark_only: int

    @property
    def trend_within_noise(self) -> bool:
        return self.trend_cm is not None and abs(self.trend_cm) < MDC_CM


def progress(
    measurements: list[Measurement], finished_sessions: list[datetime], now: datetime, zone: ZoneInfo
) -> Progress:
    """Summarise a user's history. The best value and the trend compare like with like: cold
    values only ("before" a routine, or measured on their own); a warmed-up "after" reach is
    not comparable with a cold one."""
    ordered = sorted(measurements, key=lambda m: m.taken_at)
    numeric = [m for m in ordered if m.reach.cm is not None and m.confirmed]
    cold = [m for m in numeric if m.phase in {"before", "single"}]
    best = min(cold, key=lambda m: (m.reach.cm, m.taken_at)) if cold else None
    weeks: dict[date, list[float]] = {}
    for m in cold:
        weeks.setdefault(_week_start(m.taken_at, zone), []).append(m.reach.cm)  # type: ignore[arg-type]
    weekly = [WeekMean(start, round(fmean(values), 1), len(values)) for start, values in sorted(weeks.items())]
    trend = round(weekly[0].mean_cm - weekly[-1].mean_cm, 1) if len(weekly) >= 2 else None
    return Progress(
        first=ordered[0] if ordered else None,
        best=best,
        latest=ordered[-1] if ordered else None,
        weekly_before=weekly,
        trend_cm=trend,
        sessions_this_week=sum(1 for t in finished_sessions if _week_start(t, zone) == _week_start(now, zone)),
        streak_days=streak(finished_sessions, now, zone),
        landmark_only=sum(1 for m in ordered if m.reach.cm is None),
    )


def streak(finished_sessions: list[datetime], now: datetime, zone: ZoneInfo) -> int:
    """Consecutive local days with a finished routine, ending today (or yesterday, if today
    has none yet: the streak is not lost until the day is over)."""
    days = {t.astimezone(zone).date() for t in finished_sessions}
    day = now.astimezone(zone).date()
    if day not in days:
        day -= timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def _week_start(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
