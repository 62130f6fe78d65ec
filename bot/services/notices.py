"""What a button press came to, as data: the handlers show it to the user, in their words,
as the short toast over the chat (see ``texts.toast``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Notice(StrEnum):
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"
    PAUSED = "paused"
    ALREADY_PAUSED = "already_paused"
    RESUMED = "resumed"
    NOT_PAUSED = "not_paused"
    SKIPPED = "skipped"
    STOPPED = "stopped"
    STALE_STEP = "stale_step"
    WAITING = "waiting"
    SAVED = "saved"
    THANKS = "thanks"
    SKIPPED_TODAY = "skipped_today"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class SnoozedUntil:
    """A reminder snoozed; ``when`` says when it comes back ("today 12:45")."""

    when: str | None


#: A button's outcome: a notice, a snooze, or nothing worth a toast.
Toast = Notice | SnoozedUntil | None
