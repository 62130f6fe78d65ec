"""Finding a user's time zone from what they type or a location they share. Offline only.

Names come from the IANA database that ``zoneinfo`` reads; a city that names a zone ("Berlin",
"new york") matches it directly, a few large cities that do not are listed in ``_CITIES``, and a
shared location is looked up with timezonefinder's bundled boundary data.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from zoneinfo import available_timezones

# Large cities that are not the name of their zone.
_CITIES = {
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "washington": "America/New_York", "boston": "America/New_York", "miami": "America/New_York",
    "atlanta": "America/New_York", "houston": "America/Chicago", "dallas": "America/Chicago",
    "austin": "America/Chicago", "san diego": "America/Los_Angeles", "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin", "frankfurt": "Europe/Berlin", "cologne": "Europe/Berlin",
    "geneva": "Europe/Zurich", "barcelona": "Europe/Madrid", "milan": "Europe/Rome",
    "krakow": "Europe/Warsaw", "st petersburg": "Europe/Moscow", "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai", "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "osaka": "Asia/Tokyo", "canberra": "Australia/Sydney", "rio de janeiro": "America/Sao_Paulo",
    "ottawa": "America/Toronto", "montreal": "America/Toronto", "tel aviv": "Asia/Jerusalem",
    "abu dhabi": "Asia/Dubai", "cape town": "Africa/Johannesburg", "lyon": "Europe/Paris",
    "manchester": "Europe/London", "edinburgh": "Europe/London", "rotterdam": "Europe/Amsterdam",
    "antwerp": "Europe/Brussels", "porto": "Europe/Lisbon", "hanoi": "Asia/Bangkok",
    "ho chi minh city": "Asia/Ho_Chi_Minh", "saigon": "Asia/Ho_Chi_Minh",
}


@cache
def _zones() -> dict[str, str]:
    """Every lookup key -> canonical zone: full names and city parts, lower-case."""
    keys: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if zone.startswith(("Etc/", "SystemV/", "posix/", "right/")) or zone == "localtime":
            continue
        keys[zone.lower()] = zone
        city = zone.rsplit("/", 1)[-1].replace("_", " ").lower()
        if "/" in zone:
            keys.setdefault(city, zone)
    keys.update({"utc": "UTC", "gmt": "UTC"})
    keys.update(_CITIES)
    return keys


def find_zone(text: str) -> str | None:
    """An IANA zone for a zone name or a city, or None."""
    cleaned = re.sub(r"\s+", " ", text.strip().lower().replace("_", " "))
    if not cleaned or len(cleaned) > 64:
        return None
    zones = _zones()
    return zones.get(cleaned) or zones.get(cleaned.replace(" ", "_"))


def suggest_zones(text: str, limit: int = 3) -> list[str]:
    cleaned = text.strip().lower().replace("_", " ")[:64]
    zones = _zones()
    matches = difflib.get_close_matches(cleaned, list(zones), n=limit * 3, cutoff=0.6)
    result: list[str] = []
    for match in matches:
        if zones[match] not in result:
            result.append(zones[match])
    return result[:limit]


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
