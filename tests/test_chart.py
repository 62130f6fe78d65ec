"""The /progress chart: what is drawn (series), and what a person sees on the picture."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.domain.reach import MDC_CM, Landmark, Measurement, Reach, progress
from bot.presentation import texts
from bot.presentation.chart import MIN_SPAN_DAYS, ChartSeries, chart_series, draw_chart, reach_chart

ZONE = ZoneInfo("Europe/Berlin")
DAY_LABEL = re.compile(r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)( \d{4})?$")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def cm(value: float) -> Reach:
    return Reach(cm=value, landmark=Landmark.FLOOR if value == 0 else None)


ANKLES = Reach(landmark=Landmark.ANKLES)

#: Three weeks: routines with before/after, /reach entries, and one routine whose "before" was a
#: landmark (its "after" of -1.5 cm must not be joined to anything).
THREE_WEEKS = [
    *(
        m
        for session, (day, before, after) in enumerate(
            [(4, 14, 9), (6, 13, 8), (9, 12, 7), (12, 11, 6), (15, 10, 5), (19, 9, 4), (22, 7, 2)], start=1
        )
        for m in (
            Measurement(at(day, 7, 5), cm(before), "before", session),
            Measurement(at(day, 7, 18), cm(after), "after", session),
        )
    ),
    Measurement(at(7, 20), cm(15.5), "single"),
    Measurement(at(13, 19), cm(11.5), "single"),
    Measurement(at(17, 7, 0), ANKLES, "before", 50),
    Measurement(at(17, 7, 14), cm(-1.5), "after", 50),
    Measurement(at(18, 7, 0), cm(10), "before", 51),  # its after was skipped
    Measurement(at(20, 9), ANKLES, "single"),  # a landmark: not charted
]

ONE_DAY = [
    Measurement(at(4, 6, 31), cm(12), "before", 1),
    Measurement(at(4, 6, 42), cm(-2.5), "after", 1),
]

ONLY_REACH = [Measurement(at(day, 9), cm(value), "single") for day, value in ((3, 20), (5, 18), (11, 12))]


def drawn(measurements: list[Measurement]):  # type: ignore[no-untyped-def]
    series = chart_series(measurements, ZONE)
    figure = draw_chart(series)
    figure.canvas.draw()
    return series, figure, figure.axes[0]


def values(points) -> list[float]:  # type: ignore[no-untyped-def]
    return [p.cm for p in points]


# -- the series -----------------------------------------------------------------------------------


def test_pairs_are_only_same_routine_before_and_after_both_in_cm() -> None:
    series = chart_series(THREE_WEEKS, ZONE)
    assert [(b.cm, a.cm) for b, a in series.pairs] == [
        (14, 9), (13, 8), (12, 7), (11, 6), (10, 5), (9, 4), (7, 2),
    ]
    # The after with a landmark before is drawn alone, as an after; the before without an after too.
    assert -1.5 in values(series.afters)
    assert all(a.cm != -1.5 for _, a in series.pairs)
    assert 10 in values(series.befores) and all(b.at.day != 18 for b, _ in series.pairs)


def test_reach_entries_are_their_own_series_not_befores() -> None:
    series = chart_series(THREE_WEEKS, ZONE)
    assert values(series.singles) == [15.5, 11.5]  # the landmark /reach entry is not charted
    assert 15.5 not in values(series.befores) and 11.5 not in values(series.befores)
    only = chart_series(ONLY_REACH, ZONE)
    assert (only.befores, only.afters, only.pairs) == ([], [], [])
    assert values(only.singles) == [20, 18, 12]


def test_pairs_never_cross_sessions_or_standalone_entries() -> None:
    measurements = [
        Measurement(at(4, 7), cm(14), "before", 1),
        Measurement(at(4, 7, 10), ANKLES, "after", 1),
        Measurement(at(4, 8), ANKLES, "before", 2),
        Measurement(at(4, 8, 10), cm(2), "after", 2),
        Measurement(at(4, 9), cm(5), "single"),
    ]
    assert chart_series(measurements, ZONE).pairs == []


def test_weekly_trend_matches_the_report_and_needs_two_weeks() -> None:
    series = chart_series(THREE_WEEKS, ZONE)
    weeks = progress(THREE_WEEKS, [], at(30, 12), ZONE).weekly_before
    assert len(weeks) == 3
    assert values(series.trend) == [w.mean_cm for w in weeks]
    # Each point falls within its own week, in time order.
    for point, week in zip(series.trend, weeks, strict=True):
        assert 0 <= (point.at.date() - week.week_start).days <= 6
    assert [p.at for p in series.trend] == sorted(p.at for p in series.trend)
    assert chart_series(ONE_DAY, ZONE).trend == []


def test_the_noise_band_is_around_the_first_cold_check() -> None:
    assert chart_series(THREE_WEEKS, ZONE).baseline_cm == 14
    only_after = [Measurement(at(4, 7, 10), cm(3), "after", 1), Measurement(at(5, 9), cm(9), "single")]
    assert chart_series(only_after, ZONE).baseline_cm == 9


def test_a_single_day_gets_a_few_days_of_room_and_is_centred() -> None:
    series = chart_series(ONE_DAY, ZONE)
    assert series.end - series.start >= timedelta(days=MIN_SPAN_DAYS)
    moment = ONE_DAY[0].taken_at.astimezone(ZONE).replace(tzinfo=None)
    assert series.start + timedelta(days=1) < moment < series.end - timedelta(days=1)


# -- the picture ----------------------------------------------------------------------------------


def pixel_y(axes, point) -> float:  # type: ignore[no-untyped-def]
    from matplotlib.dates import date2num

    return float(axes.transData.transform((date2num(point.at), point.height))[1])


@pytest.mark.parametrize("measurements", [ONE_DAY, THREE_WEEKS, ONLY_REACH], ids=["one-day", "weeks", "reach-only"])
def test_up_is_further_and_the_floor_is_labelled(measurements: list[Measurement]) -> None:
    series, _, axes = drawn(measurements)
    bottom, top = axes.get_ylim()
    assert bottom < top  # not inverted
    points = sorted([*series.befores, *series.afters, *series.singles], key=lambda p: p.cm)
    further, less_far = points[0], points[-1]
    assert further.cm < less_far.cm
    assert pixel_y(axes, further) > pixel_y(axes, less_far)  # the smaller gap is drawn higher up
    assert bottom < 0 < top  # the floor is always in view
    assert any(line.get_ydata()[0] == 0 for line in axes.lines)
    assert "floor" in [text.get_text() for text in axes.texts]


def test_y_labels_read_as_the_users_numbers() -> None:
    _, _, axes = drawn(ONE_DAY)
    labels = [t.get_text() for t in axes.get_yticklabels() if t.get_text()]
    assert "10 above" in labels and "0" in labels
    assert any(label.endswith(" past") for label in labels)
    # Going up the axis, the distance above the floor only shrinks, then past the floor grows.
    signed = [
        float(label.split()[0]) * (1 if label.endswith("above") else -1) if label != "0" else 0.0 for label in labels
    ]
    assert signed == sorted(signed, reverse=True)


@pytest.mark.parametrize(
    "measurements",
    [
        ONE_DAY,
        THREE_WEEKS,
        ONLY_REACH,
        [Measurement(at(1, 9, month=1) + timedelta(days=d), cm(20 - d / 20), "single") for d in range(0, 300, 5)],
    ],
    ids=["one-day", "weeks", "reach-only", "ten-months"],
)
def test_dates_are_days_never_times(measurements: list[Measurement]) -> None:
    _, _, axes = drawn(measurements)
    labels = [t.get_text() for t in axes.get_xticklabels() if t.get_text()]
    assert 2 <= len(labels) <= 6, labels
    assert all(DAY_LABEL.match(label) for label in labels), labels
    assert len(set(labels)) == len(labels)


def test_one_day_shows_neighbouring_days() -> None:
    _, _, axes = drawn(ONE_DAY)
    labels = [t.get_text() for t in axes.get_xticklabels() if t.get_text()]
    assert "4 Nov" in labels and len(labels) >= 3


def test_only_pairs_are_connected() -> None:
    from matplotlib.dates import date2num

    series, _, axes = drawn(THREE_WEEKS)
    segments = [
        line.get_xydata() for line in axes.lines if len(line.get_xdata()) == 2 and line.get_ydata()[0] != 0
    ]
    assert len(segments) == len(series.pairs)
    lonely = next(p for p in series.afters if p.cm == -1.5)
    spot = (date2num(lonely.at), lonely.height)
    assert not any(tuple(end) == pytest.approx(spot) for segment in segments for end in segment)


def test_legend_sits_outside_the_plot_and_names_what_is_there() -> None:
    _, figure, axes = drawn(THREE_WEEKS)
    assert not axes.get_legend()
    (legend,) = figure.legends
    box, plot, page = legend.get_window_extent(), axes.get_window_extent(), figure.bbox
    assert not box.overlaps(plot)
    assert box.x0 >= page.x0 and box.x1 <= page.x1 and box.y0 >= page.y0
    labels = [t.get_text() for t in legend.get_texts()]
    assert {"before stretching", "after stretching", "logged with /reach"} <= set(labels)
    assert any("weekly" in label for label in labels)
    assert any("noise" in label and f"{MDC_CM:.0f} cm" in label for label in labels)

    _, reach_only, _ = drawn(ONLY_REACH)
    labels = [t.get_text() for t in reach_only.legends[0].get_texts()]
    assert "logged with /reach" in labels and "before stretching" not in labels


def test_text_stays_legible_on_a_phone() -> None:
    """Telegram shows the photo about 400 px wide: text should still be ~7 px or more."""
    _, figure, axes = drawn(THREE_WEEKS)
    scale = 400 / figure.bbox.width
    texts_seen = (*axes.get_xticklabels(), *axes.get_yticklabels(), *figure.legends[0].get_texts(), *axes.texts)
    sizes = [t.get_fontsize() for t in texts_seen]
    pixels = min(sizes) * figure.dpi / 72 * scale
    assert pixels >= 7, pixels


@pytest.mark.parametrize("measurements", [ONE_DAY, THREE_WEEKS, ONLY_REACH], ids=["one-day", "weeks", "reach-only"])
def test_the_png_is_produced(measurements: list[Measurement]) -> None:
    png = reach_chart(measurements, ZONE)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.size == (800, 500)


def test_nothing_numeric_still_draws() -> None:
    series = chart_series([Measurement(at(4, 9), ANKLES, "single")], ZONE)
    assert isinstance(series, ChartSeries) and series.singles == [] and series.baseline_cm is None
    assert reach_chart([Measurement(at(4, 9), ANKLES, "single")], ZONE).startswith(b"\x89PNG")


def test_caption_is_one_short_sentence_about_the_chart() -> None:
    caption = texts.chart_caption()
    assert "noise" in caption and "up is further" in caption.lower()
    assert caption.count(".") == 1 and len(caption) < 200


@pytest.mark.parametrize("language", ["de", "es", "pt_BR", "ru"])
def test_the_chart_speaks_the_users_language(language: str) -> None:
    from bot.presentation.i18n import words

    english = draw_chart(chart_series(THREE_WEEKS, ZONE))
    figure = draw_chart(chart_series(THREE_WEEKS, ZONE), words(language))
    figure.canvas.draw()
    english.canvas.draw()
    axes, in_english = figure.axes[0], english.axes[0]

    def shown(of) -> list[str]:  # type: ignore[no-untyped-def]
        where = of.axes[0]
        return [
            where.get_title(), where.get_ylabel(), *(t.get_text() for t in where.texts),
            *(t.get_text() for t in of.legends[0].get_texts()),
            *(t.get_text() for t in where.get_yticklabels() if t.get_text() != "0"),
        ]

    for text, english_text in zip(shown(figure), shown(english), strict=True):
        assert text and text != english_text, f"left in English: {text}"
    # The legend still fits under the plot, whatever the language's word lengths.
    box, page = figure.legends[0].get_window_extent(), figure.bbox
    assert box.x0 >= page.x0 and box.x1 <= page.x1 and not box.overlaps(axes.get_window_extent())
    assert in_english.get_title() == "Your reach"
