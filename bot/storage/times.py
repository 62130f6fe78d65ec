"""Stored instants are UTC epoch seconds; services see aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None
