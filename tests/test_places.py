"""/timezone's reading of what users type: any city with its country or state, IANA names,
UTC offsets (fixed, with a warning), abbreviations (only ever a question), and nonsense."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain import places
from bot.domain.actions import ConfirmTimezone, decode, encode
from bot.domain.timezones import (
    ABBREVIATIONS,
    FIXED_PART_HOURS,
    ZoneFound,
    ZoneQuestion,
    ZoneUnknown,
    resolve_zone,
)
from bot.presentation import keyboards, texts

CITIES = [
    # Europe
    ("Paris", "Europe/Paris"), ("Paris, France", "Europe/Paris"), ("paris, fr", "Europe/Paris"),
    ("Berlin", "Europe/Berlin"), ("Frankfurt am Main", "Europe/Berlin"), ("Frankfurt", "Europe/Berlin"),
    ("München", "Europe/Berlin"), ("Munich", "Europe/Berlin"), ("Köln", "Europe/Berlin"),
    ("Zürich", "Europe/Zurich"), ("Zurich", "Europe/Zurich"), ("Genève", "Europe/Zurich"),
    ("Vienna", "Europe/Vienna"), ("Wien", "Europe/Vienna"), ("Kraków", "Europe/Warsaw"),
    ("Barcelona", "Europe/Madrid"), ("Lisboa", "Europe/Lisbon"), ("Edinburgh", "Europe/London"),
    ("Dublin", "Europe/Dublin"), ("Reykjavik", "Atlantic/Reykjavik"), ("Kyiv", "Europe/Kyiv"),
    ("Moscow", "Europe/Moscow"), ("St. Petersburg", "Europe/Moscow"), ("Istanbul", "Europe/Istanbul"),
    ("Vaduz", "Europe/Vaduz"), ("Malmö", "Europe/Stockholm"),
    # In Cyrillic, as Russian speakers write them.
    ("Москва", "Europe/Moscow"), ("Санкт-Петербург", "Europe/Moscow"), ("Питер", "Europe/Moscow"),
    ("Новосибирск", "Asia/Novosibirsk"), ("Екатеринбург", "Asia/Yekaterinburg"), ("Минск", "Europe/Minsk"),
    # North and Central America
    ("New York", "America/New_York"), ("new york city", "America/New_York"),
    ("New_York", "America/New_York"), ("Paris, Texas", "America/Chicago"), ("Paris, TX", "America/Chicago"),
    ("Paris Texas", "America/Chicago"), ("Paris, Texas, USA", "America/Chicago"),
    ("San Francisco", "America/Los_Angeles"), ("Washington, D.C.", "America/New_York"),
    ("Washington DC", "America/New_York"), ("Atlanta, Georgia", "America/New_York"),
    ("Phoenix", "America/Phoenix"), ("Denver", "America/Denver"), ("Honolulu", "Pacific/Honolulu"),
    ("Anchorage", "America/Anchorage"), ("Toronto, CA", "America/Toronto"),
    ("San Jose, CA", "America/Los_Angeles"), ("Montréal", "America/Toronto"),
    ("Vancouver", "America/Vancouver"), ("México", "America/Mexico_City"),
    ("Ciudad de México", "America/Mexico_City"), ("Guadalajara", "America/Mexico_City"),
    ("Havana", "America/Havana"),
    # South America
    ("São Paulo", "America/Sao_Paulo"), ("Sao Paulo", "America/Sao_Paulo"),
    ("Rio de Janeiro", "America/Sao_Paulo"), ("Brasília", "America/Sao_Paulo"),
    ("Manaus", "America/Manaus"), ("Buenos Aires", "America/Argentina/Buenos_Aires"),
    ("Bogotá", "America/Bogota"), ("Lima", "America/Lima"), ("Santiago, Chile", "America/Santiago"),
    # Africa
    ("Cairo", "Africa/Cairo"), ("Lagos", "Africa/Lagos"), ("Nairobi", "Africa/Nairobi"),
    ("Cape Town", "Africa/Johannesburg"), ("Casablanca", "Africa/Casablanca"),
    ("Addis Ababa", "Africa/Addis_Ababa"), ("Kinshasa", "Africa/Kinshasa"),
    # Asia
    ("Mumbai", "Asia/Kolkata"), ("Bombay", "Asia/Kolkata"), ("Bangalore", "Asia/Kolkata"),
    ("Delhi", "Asia/Kolkata"), ("Kathmandu", "Asia/Kathmandu"), ("Tokyo", "Asia/Tokyo"),
    ("Osaka", "Asia/Tokyo"), ("Beijing", "Asia/Shanghai"), ("Shenzhen", "Asia/Shanghai"),
    ("Seoul", "Asia/Seoul"), ("Singapore", "Asia/Singapore"), ("Hanoi", "Asia/Bangkok"),
    ("Ho Chi Minh City", "Asia/Ho_Chi_Minh"), ("Jakarta", "Asia/Jakarta"), ("Dubai", "Asia/Dubai"),
    ("Tel Aviv", "Asia/Jerusalem"), ("Tehran", "Asia/Tehran"), ("Almaty", "Asia/Almaty"),
    ("Novosibirsk", "Asia/Novosibirsk"),
    # Oceania
    ("Sydney", "Australia/Sydney"), ("Melbourne", "Australia/Melbourne"), ("Perth", "Australia/Perth"),
    ("Brisbane", "Australia/Brisbane"), ("Auckland", "Pacific/Auckland"), ("Suva", "Pacific/Fiji"),
    # IANA names, any case; countries with one zone
    ("Europe/Berlin", "Europe/Berlin"), ("america/new_york", "America/New_York"),
    ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"), ("UTC", "UTC"),
    ("France", "Europe/Paris"), ("Deutschland", "Europe/Berlin"), ("Japan", "Asia/Tokyo"),
]


@pytest.mark.parametrize(("typed", "zone"), CITIES)
def test_cities_of_the_world_find_their_zone(typed: str, zone: str) -> None:
    resolved = resolve_zone(typed)
    assert isinstance(resolved, ZoneFound), resolved
    assert resolved.zone == zone
    assert resolved.fixed_offset is None


def test_the_table_spans_every_continent() -> None:
    areas = {zone.split("/")[0] for _, zone in CITIES}
    assert {"Europe", "America", "Africa", "Asia", "Australia", "Pacific"} <= areas
    assert len(CITIES) >= 50


def test_the_most_populous_of_several_wins_and_a_qualifier_narrows() -> None:
    assert places.find_places("Paris")[0].country == "FR"
    assert [p.country for p in places.find_places("Paris, Texas")] == ["US"]
    found = resolve_zone("Paris, Texas")
    assert isinstance(found, ZoneFound) and found.place == "Paris, Texas, United States"
    assert places.find_places("Paris, Narnia") == []


@pytest.mark.parametrize(
    ("typed", "zone", "shown"),
    [
        ("UTC+2", "Etc/GMT-2", "UTC+02:00"), ("GMT-3", "Etc/GMT+3", "UTC-03:00"),
        ("utc +10", "Etc/GMT-10", "UTC+10:00"), ("+05:30", "Asia/Kolkata", "UTC+05:30"),
        ("UTC+5:45", "Asia/Kathmandu", "UTC+05:45"), ("UTC+0", "UTC", "UTC+00:00"),
        ("gmt-9:30", "Pacific/Marquesas", "UTC-09:30"), ("UTC+14", "Etc/GMT-14", "UTC+14:00"),
    ],
)
def test_offsets_become_fixed_zones_with_a_warning(typed: str, zone: str, shown: str) -> None:
    resolved = resolve_zone(typed)
    assert resolved == ZoneFound(zone, place=resolved.place, fixed_offset=shown)  # type: ignore[union-attr]
    assert "won't follow daylight saving" in texts.timezone_reading(resolved) or "no daylight saving" in (
        texts.timezone_reading(resolved)
    )
    sign = 1 if shown[3] == "+" else -1
    minutes = sign * (int(shown[4:6]) * 60 + int(shown[7:9]))
    for month in (1, 7):  # the zone keeps the offset typed, winter and summer
        offset = datetime(2026, month, 15, tzinfo=ZoneInfo(zone)).utcoffset()
        assert offset is not None and offset.total_seconds() == minutes * 60


def test_part_hour_zones_never_change_their_clocks() -> None:
    for minutes, zone in FIXED_PART_HOURS.items():
        for month in range(1, 13):
            offset = datetime(2026, month, 1, tzinfo=ZoneInfo(zone)).utcoffset()
            assert offset is not None and offset.total_seconds() == minutes * 60, zone


@pytest.mark.parametrize("typed", ["UTC-3:30", "UTC+15", "GMT+2:61"])
def test_offsets_no_place_keeps_are_refused(typed: str) -> None:
    resolved = resolve_zone(typed)
    assert isinstance(resolved, ZoneUnknown) and resolved.reason


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("EST", "America/New_York"), ("edt", "America/New_York"), ("CET", "Europe/Berlin"),
        ("CEST", "Europe/Berlin"), ("PST", "America/Los_Angeles"), ("PDT", "America/Los_Angeles"),
        ("MSK", "Europe/Moscow"), ("BST", "Europe/London"), ("IST", "Asia/Kolkata"), ("JST", "Asia/Tokyo"),
        ("AEST", "Australia/Sydney"), ("BRT", "America/Sao_Paulo"), ("MST", "America/Denver"),
        ("HST", "Pacific/Honolulu"), ("GMT", "Europe/London"),
    ],
)
def test_abbreviations_ask_for_a_real_zone(typed: str, first: str) -> None:
    resolved = resolve_zone(typed)
    assert isinstance(resolved, ZoneQuestion), resolved
    assert resolved.choices[0].zone == first


def test_ambiguous_abbreviations_offer_each_place() -> None:
    resolved = resolve_zone("IST")
    assert isinstance(resolved, ZoneQuestion)
    assert [c.zone for c in resolved.choices] == ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]
    now = datetime(2026, 7, 1, 9, 12, tzinfo=UTC)
    question = texts.timezone_question(resolved, now)
    assert "Kolkata, India (Asia/Kolkata), now 14:42" in question
    assert "Dublin, Ireland (Europe/Dublin), now 10:12" in question
    buttons = keyboards.timezone_choices(resolved.choices, now)
    assert [decode(row[0][1]) for row in buttons] == [ConfirmTimezone(c.zone) for c in resolved.choices]


def test_a_single_choice_names_the_zone_and_its_time_now() -> None:
    resolved = resolve_zone("EST")
    assert isinstance(resolved, ZoneQuestion)
    question = texts.timezone_question(resolved, datetime(2026, 7, 1, 13, 12, tzinfo=UTC))
    assert question == "🌍 EST → New York, United States (America/New_York), now 09:12. Use it?"


def test_every_abbreviation_names_real_zones() -> None:
    for choices in ABBREVIATIONS.values():
        for zone in choices:
            ZoneInfo(zone)
            assert len(encode(ConfirmTimezone(zone)).encode()) <= 64


def test_countries_with_several_zones_ask() -> None:
    resolved = resolve_zone("USA")
    assert isinstance(resolved, ZoneQuestion)
    assert resolved.choices[0].zone == "America/New_York" and len(resolved.choices) > 2


@pytest.mark.parametrize("typed", ["Berlinn", "Xyzzy plugh", "Paris, Frence", "", "x" * 1000, "🙂"])
def test_nonsense_gets_a_friendly_answer_and_sets_nothing(typed: str) -> None:
    resolved = resolve_zone(typed)
    assert isinstance(resolved, ZoneUnknown)
    answer = texts.timezone_unknown(typed, resolved.suggestions, resolved.reason)
    assert "For example" in answer and len(answer) < 600


def test_misspellings_get_suggestions() -> None:
    berlinn = resolve_zone("Berlinn")
    assert isinstance(berlinn, ZoneUnknown) and berlinn.suggestions[0].zone == "Europe/Berlin"
    frence = resolve_zone("Paris, Frence")
    assert isinstance(frence, ZoneUnknown)
    # A known city with an unknown country: the places of that name, nothing merely spelled alike.
    assert [s.place for s in frence.suggestions] == ["Paris, France", "Paris, Texas, United States"]


def test_forged_zone_buttons_are_refused_by_the_decoder() -> None:
    for data in ["tz:=../../etc/passwd", "tz:=America/New_York\n", "tz:=", "tz:=a/b/c/d"]:
        assert decode(data) is None
    assert decode("tz:=Europe/Berlin") == ConfirmTimezone("Europe/Berlin")
