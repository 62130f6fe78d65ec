"""Finding a user's time zone from what they type or a location they share. Offline only.

:func:`resolve_zone` reads, in this order: an IANA name ("Europe/Berlin", "america/new_york"); a
UTC offset ("UTC+2", "GMT-3", "+05:30"), which becomes a zone that keeps that offset all year; an
abbreviation ("EST", "IST"), which is only ever a question, because abbreviations name a standard
or a summer offset and several places (IST: India, Ireland, Israel); a city of the world, with
its country or US state if given ("Paris, Texas"); a country. A shared location is looked up
with timezonefinder's bundled boundary data.

The city index takes about half a second to build on first use (see :mod:`bot.domain.places`):
on an event loop, call :func:`resolve_zone` in a worker thread.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.domain import places
from bot.domain.wording import N_, Problem


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """A zone offered to the user, with the place it is named for ("Kolkata, India")."""

    zone: str
    place: str


@dataclass(frozen=True, slots=True)
class ZoneFound:
    zone: str
    #: How the text was read: "Paris, Texas, United States" (None for an IANA name).
    place: str | None = None
    #: The offset typed ("UTC+02:00") when the zone is a fixed one: no daylight saving.
    fixed_offset: str | None = None


@dataclass(frozen=True, slots=True)
class ZoneQuestion:
    """Not sure: ask which of ``choices`` (one or more) the user means by ``typed``."""

    typed: str
    choices: tuple[ZoneChoice, ...]


@dataclass(frozen=True, slots=True)
class ZoneUnknown:
    suggestions: tuple[ZoneChoice, ...] = ()
    #: Why, when it is more than "never heard of it".
    reason: Problem | None = None


Resolution = ZoneFound | ZoneQuestion | ZoneUnknown

# -- abbreviations --------------------------------------------------------------------------------

_NEW_YORK, _CHICAGO, _DENVER, _LA = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
_BERLIN, _SYDNEY = "Europe/Berlin", "Australia/Sydney"
#: Abbreviation -> the zones it may mean, the likeliest first. All follow their place's daylight
#: saving, whichever half of the year the abbreviation names (EST and EDT both mean New York).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "EST": (_NEW_YORK,), "EDT": (_NEW_YORK,), "ET": (_NEW_YORK,),
    "CST": (_CHICAGO, "Asia/Shanghai"), "CDT": (_CHICAGO,), "CT": (_CHICAGO,),
    "MST": (_DENVER, "America/Phoenix"), "MDT": (_DENVER,), "MT": (_DENVER,),
    "PST": (_LA, "Asia/Manila"), "PDT": (_LA,), "PT": (_LA,),
    "AKST": ("America/Anchorage",), "AKDT": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",), "AST": ("America/Halifax", "Asia/Riyadh"), "ADT": ("America/Halifax",),
    "NST": ("America/St_Johns",), "NDT": ("America/St_Johns",),
    "GMT": ("Europe/London", "UTC"), "BST": ("Europe/London", "Asia/Dhaka"),
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"), "IDT": ("Asia/Jerusalem",),
    "WET": ("Europe/Lisbon",), "WEST": ("Europe/Lisbon",),
    "CET": (_BERLIN,), "CEST": (_BERLIN,), "MET": (_BERLIN,), "MEST": (_BERLIN,),
    "MEZ": (_BERLIN,), "MESZ": (_BERLIN,),
    "EET": ("Europe/Athens", "Africa/Cairo"), "EEST": ("Europe/Athens", "Africa/Cairo"),
    "MSK": ("Europe/Moscow",), "TRT": ("Europe/Istanbul",), "GST": ("Asia/Dubai",),
    "PKT": ("Asia/Karachi",), "NPT": ("Asia/Kathmandu",), "ICT": ("Asia/Bangkok",),
    "WIB": ("Asia/Jakarta",), "SGT": ("Asia/Singapore",), "HKT": ("Asia/Hong_Kong",),
    "PHT": ("Asia/Manila",), "JST": ("Asia/Tokyo",), "KST": ("Asia/Seoul",),
    "AWST": ("Australia/Perth",), "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "ACDT": ("Australia/Adelaide",), "AEST": (_SYDNEY, "Australia/Brisbane"), "AEDT": (_SYDNEY,),
    "NZST": ("Pacific/Auckland",), "NZDT": ("Pacific/Auckland",),
    "SAST": ("Africa/Johannesburg",), "CAT": ("Africa/Maputo",), "EAT": ("Africa/Nairobi",),
    "WAT": ("Africa/Lagos",), "BRT": ("America/Sao_Paulo",), "BRST": ("America/Sao_Paulo",),
    "ART": ("America/Argentina/Buenos_Aires",), "CLT": ("America/Santiago",),
    "CLST": ("America/Santiago",), "COT": ("America/Bogota",), "PET": ("America/Lima",),
    "VET": ("America/Caracas",), "UYT": ("America/Montevideo",),
}

# -- offsets --------------------------------------------------------------------------------------

_OFFSET = re.compile(
    r"(?:utc|gmt|z)?\s*(?P<sign>[+\-−–])\s*(?P<hours>\d{1,2})(?:\s*[:h.]?\s*(?P<minutes>\d{2}))?\s*h?"
)
#: Offsets that are not whole hours -> an IANA zone that keeps that offset all year.
FIXED_PART_HOURS = {
    -(9 * 60 + 30): "Pacific/Marquesas",
    3 * 60 + 30: "Asia/Tehran",
    4 * 60 + 30: "Asia/Kabul",
    5 * 60 + 30: "Asia/Kolkata",
    5 * 60 + 45: "Asia/Kathmandu",
    6 * 60 + 30: "Asia/Yangon",
    8 * 60 + 45: "Australia/Eucla",
    9 * 60 + 30: "Australia/Darwin",
}


def offset_text(minutes: int) -> str:
    """``-210`` -> "UTC-03:30"."""
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset(cleaned: str) -> Resolution | None:
    match = _OFFSET.fullmatch(cleaned)
    if match is None:
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    total = (hours * 60 + minutes) * (1 if match["sign"] == "+" else -1)
    shown = offset_text(total)
    if minutes >= 60 or not -12 * 60 <= total <= 14 * 60:
        return ZoneUnknown(reason=Problem(N_("{offset} isn't an offset any place uses"), offset=shown))
    if total == 0:
        return ZoneFound("UTC", fixed_offset=shown)
    if minutes == 0:
        # POSIX-style names: Etc/GMT-2 is two hours *ahead* of UTC.
        return ZoneFound(f"Etc/GMT{'-' if total > 0 else '+'}{hours}", fixed_offset=shown)
    zone = FIXED_PART_HOURS.get(total)
    if zone is None:
        return ZoneUnknown(reason=Problem(N_("no place keeps {offset} all year"), offset=shown))
    return ZoneFound(zone, place=places.zone_place(zone), fixed_offset=shown)


def is_fixed(zone: str) -> bool:
    """A zone that never changes its clocks: a UTC offset typed by the user."""
    return zone == "UTC" or zone.startswith("Etc/")


# -- names ----------------------------------------------------------------------------------------


@cache
def _iana() -> dict[str, str]:
    """Lower-case IANA name -> name. Only Area/Place names and UTC: the old bare names ("EST",
    "CET", "MST7MDT") are fixed offsets or half-remembered rules, read as abbreviations instead."""
    skip = ("SystemV/", "posix/", "right/")
    names = {z.lower(): z for z in available_timezones() if "/" in z and not z.startswith(skip)}
    names["utc"] = "UTC"
    return names


@cache
def _zone_cities() -> dict[str, str]:
    """Folded last part of a zone name ("argentina/buenos_aires" -> "buenos aires") -> zone."""
    found: dict[str, str] = {}
    for zone in sorted(_iana().values()):
        if "/" in zone and not zone.startswith("Etc/"):
            found.setdefault(places.fold(zone.rsplit("/", 1)[-1]), zone)
    return found


def is_known_zone(name: str) -> bool:
    return name in _iana().values()


def local_time(zone: str, now: datetime) -> str:
    return now.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def resolve_zone(text: str) -> Resolution:
    """What a user means by ``text`` as a time zone. Builds the city index on first use."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > 64:
        return ZoneUnknown()
    lowered = cleaned.lower()
    zone = _iana().get(lowered.replace(" ", "_"))
    if zone is not None:
        if zone.startswith("Etc/") and zone != "Etc/UTC":
            return ZoneFound(zone, fixed_offset=zone.removeprefix("Etc/"))
        return ZoneFound(zone)
    offset = _offset(lowered)
    if offset is not None:
        return offset
    abbreviation = ABBREVIATIONS.get(cleaned.upper())
    if abbreviation is not None:
        return ZoneQuestion(cleaned.upper(), tuple(ZoneChoice(z, places.zone_place(z)) for z in abbreviation))
    found = places.find_places(cleaned)
    if found:
        return ZoneFound(found[0].zone, place=places.describe(found[0]))
    by_zone_city = _zone_cities().get(places.fold(cleaned))
    if by_zone_city is not None:
        return ZoneFound(by_zone_city, place=places.zone_place(by_zone_city))
    country = places.countries().country(cleaned)
    if country is not None:
        return _country(country)
    return ZoneUnknown(tuple(_suggestions(cleaned)))


def _country(code: str) -> Resolution:
    table = places.countries()
    name = table.names.get(code, code)
    zones = table.zones.get(code, ())
    if len(zones) == 1:
        return ZoneFound(zones[0], place=name)
    # Its biggest cities, one for each way of keeping time (Argentina's zones all agree today).
    distinct: dict[tuple[object, ...], places.Place] = {}
    for place in places.gazetteer().largest_in(code, limit=12):
        distinct.setdefault(_behaviour(place.zone), place)
    biggest = list(distinct.values())[:4]
    if not biggest:
        return ZoneUnknown()
    if len(biggest) == 1:
        return ZoneFound(biggest[0].zone, place=name)
    return ZoneQuestion(name, tuple(ZoneChoice(p.zone, places.describe(p)) for p in biggest))


def _behaviour(zone: str) -> tuple[object, ...]:
    """A zone's offsets in winter and summer (of a fixed year: the rules, not today's date)."""
    info = ZoneInfo(zone)
    return tuple(datetime(2026, month, 15, 12, tzinfo=info).utcoffset() for month in (1, 7))


def _suggestions(cleaned: str, limit: int = 3) -> list[ZoneChoice]:
    """Close spellings of big cities and zone names ("Berlinn" -> Berlin), or for "Paris, Frence"
    the places called Paris."""
    head = cleaned.split(",")[0]
    candidates = places.gazetteer().named(head) if "," in cleaned else []
    result = [ZoneChoice(p.zone, places.describe(p)) for p in candidates]
    if result:
        return _unique(result)[:limit]
    folded = places.fold(head)
    pool = places.gazetteer().suggestable + list(_zone_cities())
    for match in difflib.get_close_matches(folded, pool, n=limit * 2, cutoff=0.75):
        named = places.gazetteer().named(match)
        if named:
            result.append(ZoneChoice(named[0].zone, places.describe(named[0])))
        elif match in _zone_cities():
            zone = _zone_cities()[match]
            result.append(ZoneChoice(zone, places.zone_place(zone)))
    return _unique(result)[:limit]


def _unique(choices: list[ZoneChoice]) -> list[ZoneChoice]:
    """One choice per zone, the first."""
    unique: dict[str, ZoneChoice] = {}
    for choice in choices:
        unique.setdefault(choice.zone, choice)
    return list(unique.values())


# -- the old interface ----------------------------------------------------------------------------


def find_zone(text: str) -> str | None:
    """An IANA zone for a zone name, offset or city, or None (unknown, or a question to ask)."""
    resolved = resolve_zone(text)
    return resolved.zone if isinstance(resolved, ZoneFound) else None


def suggest_zones(text: str, limit: int = 3) -> list[str]:
    resolved = resolve_zone(text)
    return [c.zone for c in resolved.suggestions][:limit] if isinstance(resolved, ZoneUnknown) else []


@cache
def _finder():  # type: ignore[no-untyped-def]
    from timezonefinder import TimezoneFinder  # 0.3 s to load: only when someone shares a location

    return TimezoneFinder(in_memory=False)


def zone_at(latitude: float, longitude: float) -> str | None:
    """The zone at a location, or None (open sea, or nonsense coordinates)."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    zone: str | None = _finder().timezone_at(lng=longitude, lat=latitude)
    if zone is None or zone.startswith("Etc/"):
        return None
    return zone
