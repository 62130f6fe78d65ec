"""Whether a typed reach value is far from the user's recent ones ("did you mean ...?").

Such a value is stored, so nothing the user typed is lost, but unconfirmed: it does not count
as their best until they say it is right or pick what they meant.
"""

from __future__ import annotations

from bot.domain.reach import Doubt, Reach, doubt
from bot.services.repositories import MeasurementStore


async def doubt_about(
    measurements: MeasurementStore, user_id: int, reach: Reach, *, replacing: tuple[int, str] | None = None
) -> Doubt | None:
    """The doubt about a new answer, or None (a landmark is never doubted). ``replacing`` names
    the (session, phase) whose answer this one corrects: that slip is no yardstick."""
    if reach.cm is None or reach.landmark is not None:
        return None
    recent = [
        m.reach.cm
        for m in await measurements.measurements_of(user_id)
        if m.reach.cm is not None and m.confirmed and (m.session_id, m.phase) != replacing
    ]
    return doubt(reach.cm, recent)
