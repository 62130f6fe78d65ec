"""The progress chart: reach over time as a PNG, drawn without a display (matplotlib, Agg).

Two steps: ``chart_series`` turns measurements into what is drawn (plain data, testable without
an image), and ``reach_chart`` draws it.

Up is further. The stored value is the gap between fingertips and floor (smaller is further), so
the chart plots its negative, "reach past the floor", and labels the ticks in the user's words
("12 above", "floor", "3 past"): the numbers the user typed, the right way up.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.reach import MDC_CM, Measurement, progress
from bot.presentation.i18n import DEFAULT, Words, words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The x axis spans at least this many days, so a single day of data does not fill it edge to edge.
MIN_SPAN_DAYS = 4
#: At most this many date labels on the x axis.
MAX_DATE_TICKS = 6
#: Tick spacings in days, the first that keeps to MAX_DATE_TICKS is used; 7 and up start on Mondays.
_TICK_STEPS = (1, 2, 3, 7, 14, 28, 56, 91, 182, 364)

SIZE_INCHES, DPI = (8.0, 5.0), 100  # 800 x 500 px: legible when Telegram shows it ~400 px wide

BEFORE_COLOUR, AFTER_COLOUR, SINGLE_COLOUR = "#1565c0", "#ef6c00", "#616161"
TREND_COLOUR, FLOOR_COLOUR, PAIR_COLOUR = "#2e7d32", "#5d4037", "#9e9e9e"


#: Legend entries in this order (by first word). Filled column by column, three columns: the long
#: labels (trend, noise) share the first, the routine's before/after the second, /reach the third.
_LEGEND_ORDER = ("weekly", "first", "before", "after", "logged")


@dataclass(frozen=True, slots=True)
class Point:
    """One plotted value: local wall-clock time (naive) and the stored cm (+ above the floor)."""

    at: datetime
    cm: float

    @property
    def height(self) -> float:
        """What the chart plots: reach past the floor, so that up is further."""
        return -self.cm


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """Everything the chart shows, before any drawing."""

    #: Cold checks at the start of a routine (every numeric "before", paired or not).
    befores: list[Point]
    #: Warmed-up checks at the end of a routine (every numeric "after", paired or not).
    afters: list[Point]
    #: (before, after) of the same routine, both in cm: drawn connected.
    pairs: list[tuple[Point, Point]]
    #: Standalone /reach entries.
    singles: list[Point]
    #: The weekly average of cold checks ("before" and /reach), at each week's midpoint; empty
    #: with fewer than two weeks (the trend the /progress text reports needs two).
    trend: list[Point]
    #: The first cold check in cm: the noise band (± MDC_CM) is drawn around it.
    baseline_cm: float | None
    #: The x range (local, naive): every point above with a margin, and at least MIN_SPAN_DAYS wide.
    start: datetime
    end: datetime


def chart_series(measurements: Sequence[Measurement], zone: ZoneInfo) -> ChartSeries:
    """Sort measurements into what the chart draws. Landmark answers without a cm value are left
    out; a before/after pair is only connected when both are in cm and from the same routine."""
    numeric = sorted((m for m in measurements if m.reach.cm is not None), key=lambda m: m.taken_at)
    befores = [_point(m, zone) for m in numeric if m.phase == "before"]
    afters = [_point(m, zone) for m in numeric if m.phase == "after"]
    singles = [_point(m, zone) for m in numeric if m.phase not in {"before", "after"}]

    sessions: dict[int, dict[str, Measurement]] = {}
    for m in numeric:  # in time order: a corrected answer replaces, the latest one wins
        if m.session_id is not None and m.phase in {"before", "after"}:
            sessions.setdefault(m.session_id, {})[m.phase] = m
    pairs = [
        (_point(phases["before"], zone), _point(phases["after"], zone))
        for phases in sessions.values()
        if "before" in phases and "after" in phases
    ]
    pairs.sort(key=lambda pair: pair[0].at)

    trend: list[Point] = []
    if numeric:
        weeks = progress(list(measurements), [], numeric[-1].taken_at, zone).weekly_before
        if len(weeks) >= 2:
            # Each week's average at the week's midpoint (Thursday noon), moved inside the span of
            # that week's own checks: a week measured only on Sunday is drawn on Sunday, not on a
            # Thursday with no data (or one before the first check).
            cold_times: dict[date, list[datetime]] = {}
            for p in (*befores, *singles):
                cold_times.setdefault(p.at.date() - timedelta(days=p.at.weekday()), []).append(p.at)
            for week in weeks:
                times = cold_times.get(week.week_start)
                midpoint = datetime.combine(week.week_start, time(12)) + timedelta(days=3)
                if times:
                    midpoint = min(max(midpoint, min(times)), max(times))
                trend.append(Point(midpoint, week.mean_cm))

    first_cold = next((m for m in numeric if m.phase != "after"), None)
    baseline = first_cold.reach.cm if first_cold is not None else None

    moments = [p.at for p in (*befores, *afters, *singles, *trend)]
    start, end = _time_range(moments)
    return ChartSeries(befores, afters, pairs, singles, trend, baseline, start, end)


def reach_chart(measurements: list[Measurement], zone: ZoneInfo, _: Words | None = None) -> bytes:
    """The /progress chart as PNG bytes, labelled in the user's words."""
    figure = draw_chart(chart_series(measurements, zone), _)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def draw_chart(series: ChartSeries, _: Words | None = None) -> Figure:
    """Draw the series on a new Figure (not saved; tests inspect it)."""
    _ = _ or words(DEFAULT)
    noise = _.number(MDC_CM)
    names = {
        "weekly": _("weekly average, not warmed up"),
        "first": _("first check ± {cm} cm (noise)", cm=noise),
        "before": _("before stretching"),
        "after": _("after stretching"),
        "logged": _("logged with /reach"),
    }
    # Loaded on first use (about half a second; only /progress needs it). The object API, not
    # pyplot: this runs in a worker thread, and pyplot keeps global state. matplotlib.dates has no
    # annotations (no stub either), hence the no-untyped-call ignores on its calls below.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    def x(points: Sequence[Point]) -> list[float]:
        return [float(v) for v in date2num([p.at for p in points])]  # type: ignore[no-untyped-call]

    def y(points: Sequence[Point]) -> list[float]:
        return [p.height for p in points]

    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(figure)  # headless; also lets the legend be measured before saving
    axes = figure.subplots()

    if series.baseline_cm is not None:
        axes.axhspan(
            -series.baseline_cm - MDC_CM, -series.baseline_cm + MDC_CM, color="#bdbdbd", alpha=0.35, linewidth=0,
            label=names["first"], zorder=0,
        )
    axes.axhline(0, color=FLOOR_COLOUR, linewidth=1.5, zorder=1)
    axes.annotate(
        _("floor"), xy=(0.005, 0), xycoords=("axes fraction", "data"), xytext=(2, 2), textcoords="offset points",
        ha="left", va="bottom", fontsize=13, color=FLOOR_COLOUR, fontweight="bold",
    )
    for before, after in series.pairs:
        axes.plot(x([before, after]), y([before, after]), color=PAIR_COLOUR, linewidth=1.5, zorder=2)
    if series.trend:
        axes.plot(
            x(series.trend), y(series.trend), color=TREND_COLOUR, linewidth=2.5, linestyle="--", marker="s",
            markersize=5, label=names["weekly"], zorder=3,
        )
    if series.singles:
        axes.scatter(
            x(series.singles), y(series.singles), marker="o", s=55, facecolors="white", edgecolors=SINGLE_COLOUR,
            linewidths=1.8, label=names["logged"], zorder=4,
        )
    if series.befores:
        axes.scatter(
            x(series.befores), y(series.befores), marker="o", s=55, color=BEFORE_COLOUR,
            label=names["before"], zorder=4,
        )
    if series.afters:
        axes.scatter(
            x(series.afters), y(series.afters), marker="^", s=65, color=AFTER_COLOUR,
            label=names["after"], zorder=4,
        )

    # y: always show the floor, and the band; a little room above and below.
    heights = [0.0] + [p.height for p in (*series.befores, *series.afters, *series.singles, *series.trend)]
    if series.baseline_cm is not None:
        heights += [-series.baseline_cm - MDC_CM, -series.baseline_cm + MDC_CM]
    low, high = min(heights), max(heights)
    margin = max(1.5, (high - low) * 0.08)
    axes.set_ylim(low - margin, high + margin)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: height_label(value, _)))
    axes.set_ylabel(_("Fingertips to floor, cm (up = further)"), fontsize=13)

    # x: whole days, "3 Nov", at most MAX_DATE_TICKS labels.
    axes.set_xlim(*x([Point(series.start, 0), Point(series.end, 0)]))
    ticks = [datetime.combine(day, time()) for day in date_ticks(series.start, series.end)]
    axes.xaxis.set_major_locator(FixedLocator(x([Point(t, 0) for t in ticks])))
    several_years = series.start.year != series.end.year
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: day_label(value, several_years, _)))

    axes.tick_params(labelsize=13)
    axes.set_title(_("Your reach"), fontsize=16, fontweight="bold")
    axes.grid(alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    keys = {name: key for key, name in names.items()}
    order = sorted(range(len(labels)), key=lambda i: _LEGEND_ORDER.index(keys[labels[i]]))
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    # Outside, under the plot: it covers no point and no band (constrained layout makes room).
    # As many columns as fit the width: long labels wrap to more rows rather than being cut off.
    for columns in range(min(3, len(handles)), 0, -1):
        legend = figure.legend(handles, labels, loc="outside lower center", ncols=columns, fontsize=12,
                               frameon=False, handletextpad=0.4, columnspacing=1.5)
        renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
        if legend.get_window_extent(renderer).width <= figure.bbox.width * 0.96 or columns == 1:
            break
        legend.remove()
    return figure


def height_label(height: float, _: Words | None = None) -> str:
    """A y tick in the user's own numbers: 12 cm above the floor reads "12 above"."""
    _ = _ or words(DEFAULT)
    cm = -height
    if abs(cm) < 0.05:
        return "0"
    shown = _.number(abs(cm))
    return _("{cm} above", cm=shown) if cm > 0 else _("{cm} past", cm=shown)


def day_label(value: float, with_year: bool = False, _: Words | None = None) -> str:
    from matplotlib.dates import num2date

    _ = _ or words(DEFAULT)
    day = num2date(value).date()  # type: ignore[no-untyped-call]
    return _.short_date(day) + (f" {day:%Y}" if with_year else "")


def date_ticks(start: datetime, end: datetime) -> list[date]:
    """Evenly spaced midnights inside the range, at most MAX_DATE_TICKS of them; weekly or
    longer steps fall on Mondays (the weeks the trend is averaged over)."""
    first = (start + timedelta(days=1)).date() if start.time() != time() else start.date()
    last = end.date()
    days = (last - first).days + 1
    step = next((s for s in _TICK_STEPS if math.ceil(days / s) <= MAX_DATE_TICKS), _TICK_STEPS[-1])
    if step >= 7:
        first += timedelta(days=(7 - first.weekday()) % 7)
    ticks: list[date] = []
    while first <= last and len(ticks) < MAX_DATE_TICKS:
        ticks.append(first)
        first += timedelta(days=step)
    return ticks


def _time_range(moments: Sequence[datetime]) -> tuple[datetime, datetime]:
    if not moments:
        now = datetime.now().replace(microsecond=0)
        return now - timedelta(days=MIN_SPAN_DAYS / 2), now + timedelta(days=MIN_SPAN_DAYS / 2)
    first, last = min(moments), max(moments)
    margin = max((last - first) * 0.04, timedelta(hours=8))
    first, last = first - margin, last + margin
    missing = timedelta(days=MIN_SPAN_DAYS) - (last - first)
    if missing > timedelta(0):  # a short history sits in the middle of a few days
        first, last = first - missing / 2, last + missing / 2
    return first, last


def _point(measurement: Measurement, zone: ZoneInfo) -> Point:
    assert measurement.reach.cm is not None  # only numeric measurements are drawn
    return Point(measurement.taken_at.astimezone(zone).replace(tzinfo=None), measurement.reach.cm)
