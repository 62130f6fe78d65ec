"""Reach answers and progress arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.reach import (
    MDC_CM,
    Doubt,
    Landmark,
    Measurement,
    Reach,
    ReachError,
    compare,
    doubt,
    parse_reach,
    progress,
    streak,
)
from bot.presentation.i18n import words
from bot.presentation.texts import cm_text, reach_text

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("text", "cm"),
    [
        ("12", 12.0), ("12 cm", 12.0), ("12cm", 12.0), ("12.5cm", 12.5), ("12,5 cm", 12.5),
        ("5 in", 12.7), ("4\"", 10.2), ("4 inches", 10.2), ("-3", -3.0), ("−3 cm", -3.0),
        ("+5", 5.0), ("0", 0.0), (" 7  CM ", 7.0), ("120", 120.0), ("-40", -40.0),
    ],
)
def test_numbers_units_and_signs(text: str, cm: float) -> None:
    assert parse_reach(text).cm == cm


@pytest.mark.parametrize(
    ("text", "cm"),
    [
        # English
        ("about 12", 12.0), ("About 12 cm", 12.0), ("~12 cm", 12.0), ("~12", 12.0), ("~ 12", 12.0), ("≈12", 12.0),
        ("12-ish", 12.0), ("12ish", 12.0), ("12 cm-ish", 12.0), ("12 or so", 12.0), ("around 12", 12.0),
        ("roughly 12.5", 12.5), ("approx. 12", 12.0), ("approximately 12", 12.0), ("circa 12", 12.0),
        ("about 5 in", 12.7),
        # German
        ("ca. 12", 12.0), ("ca 12", 12.0), ("etwa 12", 12.0), ("ungefähr 12 cm", 12.0), ("rund 12,5", 12.5),
        # Spanish
        ("unos 12", 12.0), ("unos 12 cm", 12.0), ("cerca de 12", 12.0), ("alrededor de 12", 12.0),
        ("aprox. 12", 12.0),
        # Brazilian Portuguese
        ("uns 12", 12.0), ("cerca de 12 cm", 12.0), ("por volta de 12", 12.0), ("mais ou menos 12", 12.0),
        # Russian
        ("около 12", 12.0), ("примерно 12", 12.0), ("примерно 12 см", 12.0), ("где-то 12", 12.0),
        # "about" keeps the sign after it
        ("about -3", -3.0), ("~-3", -3.0), ("~ −3 cm", -3.0), ("-3-ish", -3.0), ("about-3", -3.0),
        ("около -3 см", -3.0), ("etwa +5", 5.0), ("about 0", 0.0),
    ],
)
def test_approximate_answers_mean_the_number(text: str, cm: float) -> None:
    assert parse_reach(text).cm == cm


def test_an_approximate_landmark_is_the_landmark() -> None:
    assert parse_reach("about ankles") == Reach(landmark=Landmark.ANKLES)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("about", "couldn't read"), ("~", "couldn't read"), ("ish", "couldn't read"),
        ("about about 12", "couldn't read"),
        ("about 999", "outside"), ("~-45", "outside"), ("about twelve", "couldn't read"),
        ("abouts 12", "couldn't read"),
        ("12 ish ish", "couldn't read"), ("около", "couldn't read"),
    ],
)
def test_approximate_nonsense_is_still_refused(text: str, reason: str) -> None:
    with pytest.raises(ReachError, match=reason):
        parse_reach(text)


@pytest.mark.parametrize(
    ("text", "landmark"),
    [
        ("knees", Landmark.KNEES), ("mid-shin", Landmark.MID_SHIN), ("Shins", Landmark.MID_SHIN),
        ("ankles", Landmark.ANKLES), ("floor", Landmark.FLOOR), ("toes", Landmark.FLOOR),
        ("knuckles", Landmark.KNUCKLES), ("palms flat", Landmark.PALMS),
        # In the other shipped languages, as the fold's buttons name them.
        ("Knie", Landmark.KNEES), ("Knöchel", Landmark.ANKLES), ("Fingerknöchel", Landmark.KNUCKLES),
        ("tobillos", Landmark.ANKLES), ("media espinilla", Landmark.MID_SHIN), ("suelo", Landmark.FLOOR),
        ("joelhos", Landmark.KNEES), ("chão", Landmark.FLOOR), ("palmas", Landmark.PALMS),
        ("до лодыжек", Landmark.ANKLES), ("Колени", Landmark.KNEES), ("ладони", Landmark.PALMS),
    ],
)
def test_landmarks(text: str, landmark: Landmark) -> None:
    assert parse_reach(text).landmark is landmark


def test_every_landmark_word_is_read_as_its_landmark() -> None:
    """No word is taken apart by another rule (as "canelas" was by the "ca." of "about")."""
    from bot.domain.reach import _LANDMARK_WORDS

    for word, landmark in _LANDMARK_WORDS.items():
        assert parse_reach(word).landmark is landmark, word


def test_touching_is_zero_either_way() -> None:
    assert parse_reach("floor") == Reach(cm=0.0, landmark=Landmark.FLOOR)
    assert parse_reach("0 cm") == Reach(cm=0.0, landmark=Landmark.FLOOR)
    assert parse_reach("ankles").cm is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "couldn't read"), ("999", "outside what a standing reach can be"),
        ("-500", "outside what a standing reach can be"), ("-45", "outside"), ("121 cm", "outside"),
        ("🙂", "couldn't read"),
        ("", "empty"), ("   ", "empty"), ("12 km", "couldn't read"), ("twelve", "couldn't read"),
        ("1" * 200, "too long"), ("50 in", "outside"),
    ],
)
def test_nonsense_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ReachError, match=reason):
        parse_reach(text)


def test_descriptions_state_the_convention() -> None:
    assert cm_text(12) == "12 cm above the floor"
    assert cm_text(12.5) == "12.5 cm above the floor"
    assert cm_text(-3) == "3 cm past the floor"
    assert cm_text(0) == "touching the floor"
    assert reach_text(parse_reach("mid-shin")) == "mid-shin"
    # In the user's language, with its decimal mark.
    assert cm_text(12.5, words("de")) == "12,5 cm über dem Boden"


def test_compare_in_cm_and_the_noise_threshold() -> None:
    change = compare(Reach(cm=14), Reach(cm=9))
    assert change.further_cm == 5 and not change.within_noise
    small = compare(Reach(cm=14), Reach(cm=11))
    assert small.further_cm == 3 and small.within_noise
    exactly = compare(Reach(cm=14), Reach(cm=14 - MDC_CM))
    assert not exactly.within_noise
    worse = compare(Reach(cm=5), Reach(cm=12))
    assert worse.further_cm == -7 and not worse.within_noise


def test_compare_landmarks_by_level_and_never_mixes_scales() -> None:
    levels = compare(Reach(landmark=Landmark.MID_SHIN), Reach(landmark=Landmark.FLOOR, cm=0))
    assert levels.further_cm is None and levels.further_levels == 2
    assert compare(Reach(landmark=Landmark.ANKLES), Reach(landmark=Landmark.ANKLES)).within_noise
    mixed = compare(Reach(cm=10), Reach(landmark=Landmark.ANKLES))
    assert not mixed.comparable


def at(day: int, hour: int = 8, zone: ZoneInfo = UTC) -> datetime:  # type: ignore[assignment]
    return datetime(2026, 3, day, hour, tzinfo=zone)


def m(day: int, cm: float | None, phase: str = "before", landmark: Landmark | None = None) -> Measurement:
    return Measurement(at(day), Reach(cm=cm, landmark=landmark), phase)


def test_progress_first_best_latest_and_weekly_trend_of_before_values() -> None:
    history = [
        m(2, 20), m(2, 14, "after"),  # week of Mon 2 March
        m(4, 18), m(4, 12, "after"),
        m(10, 15), m(10, 9, "after"),  # week of Mon 9 March
        m(16, 13), m(16, None, "after", Landmark.ANKLES),  # week of Mon 16 March
    ]
    result = progress(history, [], at(17), UTC)  # type: ignore[arg-type]
    assert result.first is not None and result.first.reach.cm == 20
    # Best among cold values only: the warmed-up "after" 9 cm is not comparable.
    assert result.best is not None and result.best.reach.cm == 13 and result.best.phase == "before"
    assert result.latest is not None and result.latest.reach.landmark is Landmark.ANKLES
    # Only "before" values, averaged per week: 19, 15, 13 -> 6 cm further.
    assert [w.mean_cm for w in result.weekly_before] == [19, 15, 13]
    assert result.trend_cm == 6 and not result.trend_within_noise
    assert result.landmark_only == 1


def test_a_small_trend_is_within_noise_and_one_week_has_no_trend() -> None:
    result = progress([m(2, 20), m(10, 18)], [], at(11), UTC)  # type: ignore[arg-type]
    assert result.trend_cm == 2 and result.trend_within_noise
    assert progress([m(2, 20), m(3, 10)], [], at(4), UTC).trend_cm is None  # type: ignore[arg-type]
    assert progress([], [], at(4), UTC).first is None  # type: ignore[arg-type]


def test_streak_counts_consecutive_local_days() -> None:
    sessions = [at(1, 10), at(2, 10), at(3, 10), at(5, 10)]
    assert streak(sessions, at(5, 20), UTC) == 1  # type: ignore[arg-type]
    assert streak(sessions, at(4, 20), UTC) == 3  # today not done yet: yesterday's streak holds
    assert streak(sessions, at(6, 20), UTC) == 1
    assert streak(sessions, at(7, 20), UTC) == 0
    assert streak([], at(7, 20), UTC) == 0  # type: ignore[arg-type]


def test_streak_across_time_zones() -> None:
    # Sessions at 23:30 UTC on the 1st, 2nd and 3rd: three separate days in UTC, but in Tokyo
    # (UTC+9) they fall on the 2nd, 3rd and 4th in the morning; in Berlin near midnight.
    sessions = [datetime(2026, 3, day, 23, 30, tzinfo=UTC) for day in (1, 2, 3)]
    assert streak(sessions, datetime(2026, 3, 4, 1, 0, tzinfo=UTC), TOKYO) == 3
    assert streak(sessions, datetime(2026, 3, 4, 1, 0, tzinfo=UTC), UTC) == 3
    # 14:30 and 15:30 UTC on the 1st: one day in UTC, but either side of midnight in Tokyo.
    straddling = [datetime(2026, 3, 1, 14, 30, tzinfo=UTC), datetime(2026, 3, 1, 15, 30, tzinfo=UTC)]
    now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert streak(straddling, now, UTC) == 1
    assert streak(straddling, now, TOKYO) == 2


def test_sessions_this_week_use_the_local_week() -> None:
    sunday_night_utc = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)  # already Monday in Tokyo
    monday = datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert progress([], [sunday_night_utc], monday, UTC).sessions_this_week == 0
    assert progress([], [sunday_night_utc], monday, TOKYO).sessions_this_week == 1


@pytest.mark.parametrize(
    ("typed", "recent", "expected"),
    [
        (12.0, [12.5, 13.0], None),  # close to the usual: no question
        (-3.0, [], None),  # nothing to compare with
        (30.0, [12.0, 13.0, 12.5], None),  # 17.5 cm away: within 20 cm
        (-12.0, [12.0, 12.5, 13.0], Doubt(12.5, 12.0)),  # a slipped sign
        (125.0, [12.0, 12.5, 13.0], Doubt(12.5, 12.5)),  # a slipped decimal point
        (5.0, [30.0, 31.0, 29.0], Doubt(30.0, None)),  # far, and no slip explains it
        (-30.0, [30.0, 31.0, 29.0, 80.0, 30.0, 30.5], Doubt(30.5, 30.0)),  # the median of the latest five
    ],
)
def test_a_value_far_from_the_recent_ones_is_doubted_with_the_likely_slip(
    typed: float, recent: list[float], expected: Doubt | None
) -> None:
    assert doubt(typed, recent) == expected


def test_the_best_value_ignores_one_still_in_doubt() -> None:
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    history = [
        Measurement(t, Reach(cm=12.0), "single"),
        Measurement(t.replace(hour=10), Reach(cm=-12.0), "single", confirmed=False),
    ]
    report = progress(history, [], t, ZoneInfo("UTC"))
    assert report.best is not None and report.best.reach.cm == 12.0
