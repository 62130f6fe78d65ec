"""The live card's countdown: when it is redrawn, and how the time left reads."""

from __future__ import annotations

from itertools import pairwise

import pytest

from bot.domain.countdown import EVERY, MIN_GAP, clock_text, next_mark


def marks_from(start: float) -> list[float]:
    """Every redraw a card drawn at ``start`` seconds left gets, in order."""
    marks: list[float] = []
    shown = start
    while (mark := next_mark(shown)) is not None:
        marks.append(mark)
        shown = mark
    return marks


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (45, [40, 30, 20, 10, 5]),
        (75, [70, 60, 50, 40, 30, 20, 10, 5]),
        (30, [20, 10, 5]),  # 0:30 itself is what the card showed when sent
        (12, [5]),  # 0:10 is too soon after 0:12
        (6, []),  # a short step: drawn once, then it ends
        (42.3, [30, 20, 10, 5]),  # resumed just above a mark: not redrawn at once
    ],
)
def test_redraws_come_at_round_marks_and_never_right_after_the_last(start: float, expected: list[float]) -> None:
    assert marks_from(start) == expected


def test_the_card_is_never_further_behind_than_a_redraw_interval() -> None:
    for start in (15, 30, 45, 60, 75, 90, 300):
        points = [float(start), *marks_from(start), 0.0]
        gaps = [before - after for before, after in pairwise(points)]
        assert max(gaps) <= EVERY + MIN_GAP


@pytest.mark.parametrize(
    ("seconds", "shown"), [(40, "0:40"), (39.2, "0:40"), (75, "1:15"), (5, "0:05"), (0, "0:00"), (600, "10:00")]
)
def test_time_left_reads_as_minutes_and_seconds_rounded_up(seconds: float, shown: str) -> None:
    assert clock_text(seconds) == shown
