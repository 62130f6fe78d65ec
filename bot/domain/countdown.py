"""When a live pose card's countdown is redrawn: a coarse, rate-safe cadence.

A card shows the time left ("0:40 left") and is edited in place rather than re-sent, so it never
notifies. Edits still cost requests, so the card is redrawn only at round marks: every
:data:`EVERY` seconds of time left and once more at :data:`FINAL` seconds left (the half-way
cue, due on its own, redraws it too). A mark that falls within :data:`MIN_GAP` seconds of the
last redraw is passed over, so a card sent or resumed just before a mark is not edited at once.
Between redraws the card is at most ``EVERY + MIN_GAP`` seconds behind the truth.
"""

from __future__ import annotations

import math

#: Redraw whenever the time left crosses a multiple of this many seconds.
EVERY = 10
#: ... and once more this close to the end ("0:05 left").
FINAL = 5
#: A mark this soon after the last redraw is skipped.
MIN_GAP = 3.0


def next_mark(shown_left: float) -> float | None:
    """The time left at which the card, last drawn showing ``shown_left`` seconds, is drawn
    again; None when no redraw remains before the step ends."""
    below = shown_left - MIN_GAP
    candidates = [float(FINAL)]
    if below >= EVERY:
        candidates.append(float(math.floor(below / EVERY) * EVERY))
    marks = [mark for mark in candidates if 0 < mark <= below]
    return max(marks) if marks else None


def clock_text(seconds: float) -> str:
    """Minutes and seconds, rounded up, as a countdown shows them: "0:40", "1:15"."""
    whole = max(0, math.ceil(seconds - 1e-6))
    minutes, secs = divmod(whole, 60)
    return f"{minutes}:{secs:02d}"
