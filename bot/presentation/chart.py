"""The progress chart: reach over time as a PNG, drawn without a display (matplotlib, Agg)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.reach import MDC_CM, Measurement


def reach_chart(measurements: list[Measurement], zone: ZoneInfo) -> bytes:
    """Before and after values over time, with the noise band around the first check.

    Up is further: the axis is inverted, since a smaller gap to the floor is a longer reach.
    """
    # Loaded on first use (about half a second; only /progress needs it). The object API, not
    # pyplot: this runs in a worker thread, and pyplot keeps global state. matplotlib.dates has no
    # annotations (no stub either), hence the no-untyped-call ignores on its calls below.
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    numeric = sorted((m for m in measurements if m.reach.cm is not None), key=lambda m: m.taken_at)
    figure = Figure(figsize=(8, 5), dpi=100)
    axes = figure.subplots()
    first_cold = next((m for m in numeric if m.phase in {"before", "single"}), None)
    if first_cold is not None:
        base = _cm(first_cold)
        axes.axhspan(base - MDC_CM, base + MDC_CM, color="#9e9e9e", alpha=0.2,
                     label=f"within noise of your first check (±{MDC_CM:.0f} cm)")
    axes.axhline(0, color="#5d4037", linewidth=1)
    axes.annotate("floor", xy=(0.995, 0), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                  fontsize=8, color="#5d4037")
    by_session: dict[int, list[Measurement]] = {}
    for m in numeric:
        if m.session_id is not None:
            by_session.setdefault(m.session_id, []).append(m)
    for pair in by_session.values():
        if len(pair) >= 2:
            days = date2num([_local(p.taken_at, zone) for p in pair])  # type: ignore[no-untyped-call]
            axes.plot(days, [_cm(p) for p in pair], color="#bdbdbd", linewidth=1, zorder=1)
    for phase, marker, colour, label in (
        ("before", "o", "#1565c0", "before stretching"),
        ("single", "o", "#1565c0", None),
        ("after", "^", "#ef6c00", "after stretching"),
    ):
        points = [m for m in numeric if m.phase == phase]
        if points:
            days = date2num([_local(p.taken_at, zone) for p in points])  # type: ignore[no-untyped-call]
            axes.scatter(days, [_cm(p) for p in points], marker=marker, color=colour, label=label, zorder=2)
    axes.invert_yaxis()
    axes.set_ylabel("Fingertips above the floor (cm) - up is further")
    axes.set_title("Your reach")
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.grid(alpha=0.3)
    if numeric:
        axes.legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _cm(measurement: Measurement) -> float:
    assert measurement.reach.cm is not None  # only numeric measurements are drawn
    return measurement.reach.cm


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)
