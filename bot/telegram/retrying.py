"""How long to wait before trying Telegram again: one rule for every place that retries."""

from __future__ import annotations

import random
from datetime import timedelta

from telegram.error import RetryAfter


def backoff(attempt: int, *, first: float, ceiling: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...): ``first`` doubled
    each time up to ``ceiling``, then jittered to between half and all of it, so that many
    waiters do not come back at the same instant."""
    exponent = min(max(attempt, 1) - 1, 32)  # past any ceiling already; keeps the float finite
    growth: float = 2**exponent
    return min(ceiling, first * growth) * random.uniform(0.5, 1.0)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's ``retry_after`` in seconds, whether python-telegram-bot gives a number or a
    timedelta."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
