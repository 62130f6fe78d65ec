"""What the services need from storage: records, and narrow repository interfaces.

The SQL implementations live in ``bot.storage``; services only see these protocols, so each
takes exactly the repositories it uses, and tests can hand them anything that fits.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain.reach import Measurement, Reach
from bot.domain.session import Session


class StaleWrite(Exception):
    """A row changed under us since it was read (its version moved on)."""


class AlreadyActive(Exception):
    """The user already has an active session (the database allows one)."""


@dataclass(frozen=True, slots=True)
class DueSession:
    session_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    chat_id: int
    first_name: str
    timezone: str | None
    timezone_hint_sent: bool
    blocked_at: datetime | None
    paused_until: datetime | None
    moved_at: datetime | None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """A schedule as stored: local wall-clock terms plus the next UTC instant it is due."""

    user_id: int
    kind: str
    local_time: str | None
    days: int
    window_start: str | None
    window_end: str | None
    every_minutes: int | None
    next_due_at: datetime | None
    last_key: str | None = None
    #: For a snooze: the kind of reminder it postpones.
    snoozed_kind: str | None = None
    #: For a daily reminder: the routine the user chose (None: their last finished one); for a
    #: snooze: the routine the snoozed reminder offered.
    routine_id: str | None = None
    #: Which of the user's schedules of this kind: a daily reminder's local time (a user can
    #: have several), "" for the nudges; a snooze has the slot of the reminder it postpones.
    slot: str = ""


@dataclass(frozen=True, slots=True)
class DueRow:
    """A due schedule joined with what deciding about it needs to know of its user."""

    schedule: ScheduleRow
    chat_id: int
    timezone: str | None
    paused_until: datetime | None
    last_finished_at: datetime | None
    last_active_at: datetime | None
    #: The routine of the user's most recent finished session.
    last_routine_id: str | None = None
    #: For a daily reminder: every daily reminder of the user, as (local time, days mask).
    dailies: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of deciding about one due schedule, to be written atomically."""

    user_id: int
    kind: str
    slot: str
    was_due_at: datetime
    next_due_at: datetime | None
    #: Set when the occurrence goes out: (chat_id, occurrence key, late by seconds, what kind
    #: of message it is: 'daily', 'nudge', 'snooze' or 'snooze-nudge').
    delivery: tuple[int, str, float, str] | None
    #: The routine the queued reminder offers (None: the default, or desk-break for a nudge).
    routine_id: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    user_id: int
    chat_id: int
    kind: str
    occurrence: str
    due_at: datetime
    late_seconds: float
    status: str
    attempts: int
    #: The routine this reminder offers, resolved when it was claimed (None: the default).
    routine_id: str | None = None
    #: The slot of the schedule it came from: a daily reminder's time, "" for the nudges; a
    #: snoozed one keeps its reminder's (None: claimed before reminders had slots).
    slot: str | None = None


@dataclass(frozen=True, slots=True)
class FinishedSession:
    """A routine walked through to its end: when, which, and how long was actually held."""

    ended_at: datetime
    routine_id: str
    active_seconds: float


@dataclass(frozen=True, slots=True)
class CheckInRecord:
    """The answer to "How did that feel?" after a routine."""

    ended_at: datetime
    routine_id: str
    feeling: str


class Transactions(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """Calls to any repository inside the block (same task) commit together or not at all."""


class UserStore(Protocol):
    async def upsert_user(
        self, user_id: int, first_name: str, now: datetime, language: str | None = None
    ) -> None: ...
    async def set_language(self, user_id: int, language: str) -> None: ...
    async def get_user(self, user_id: int) -> User | None: ...
    async def set_timezone(self, user_id: int, zone: str) -> None: ...
    async def mark_timezone_hint_sent(self, user_id: int) -> None: ...
    async def set_paused_until(self, user_id: int, until: datetime | None) -> None: ...
    async def set_moved_at(self, user_id: int, moment: datetime) -> None: ...
    async def set_blocked(self, user_id: int, blocked_at: datetime | None) -> bool: ...
    async def blocked_users(self) -> set[int]: ...
    async def parked_users(self) -> list[int]: ...
    async def set_chat_status(
        self, chat_id: int, kind: str | None, title: str | None, status: str, now: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Grant:
    """A lease held: its fence, and who held it before (with when their hold ran out; 0 when
    it was handed back or never held)."""

    fence: int
    previous_holder: str | None
    previous_expiry: float


class LeaseStore(Protocol):
    async def acquire(self, name: str, holder: str, now: float, ttl: float, *, renew: bool) -> Grant | None: ...
    async def release(self, name: str, holder: str) -> None: ...


class UserDataStore(Protocol):
    """Everything stored about one user, across tables: for /export and /forget."""

    async def export_rows(self, user_id: int) -> dict[str, list[dict[str, Any]]]: ...
    async def forget_user(self, user_id: int) -> None: ...


class SessionStore(Protocol):
    async def insert_session(self, session: Session, next_event_at: datetime | None) -> Session: ...
    async def save_session(self, session: Session, next_event_at: datetime | None) -> Session: ...
    async def get_session(self, session_id: int) -> Session | None: ...
    async def active_session(self, user_id: int) -> Session | None: ...
    async def has_sessions(self, user_id: int) -> bool: ...
    async def active_sessions(self) -> list[Session]: ...
    async def due_sessions(self, now: datetime, limit: int) -> list[DueSession]: ...
    async def set_pose_message(self, session_id: int, message_id: int, step_index: int) -> bool: ...
    async def take_pose_message(self, session_id: int) -> int | None: ...
    async def count_missed_card(self, session_id: int) -> None: ...
    async def postpone_session(self, session_id: int, until: datetime) -> None: ...
    async def stale_sessions(self, updated_before: datetime) -> list[Session]: ...
    async def finished_sessions(self, user_id: int) -> list[FinishedSession]: ...
    async def record_feeling(self, user_id: int, session_id: int, feeling: str) -> bool: ...
    async def check_ins(self, user_id: int) -> list[CheckInRecord]: ...
    async def last_feeling(self, user_id: int, routine_id: str) -> str | None: ...


class MeasurementStore(Protocol):
    async def add_measurement(
        self,
        user_id: int,
        session_id: int | None,
        taken_at: datetime,
        reach: Reach,
        phase: str,
        source: str | None = None,
        confirmed: bool = True,
    ) -> int | None: ...
    async def forget_session_reach(self, user_id: int, session_id: int, phase: str) -> None: ...
    async def settle_doubt(self, user_id: int, measurement_id: int, cm: float | None) -> bool: ...
    async def measurements_of(self, user_id: int, session_id: int | None = None) -> list[Measurement]: ...


class ScheduleStore(Protocol):
    async def save_schedule(self, row: ScheduleRow) -> None: ...
    async def delete_schedule(self, user_id: int, kind: str, slot: str | None = None) -> bool:
        """Delete the user's schedule of that kind and slot (every one of the kind: no slot)."""
        ...
    async def schedules_of(self, user_id: int) -> list[ScheduleRow]: ...
    async def claim_due(self, now: datetime, limit: int, decide: Callable[[DueRow], Claim]) -> tuple[int, int]:
        """Decide about up to ``limit`` due schedules and write the claims, atomically; returns
        (schedules decided, deliveries queued)."""
        ...


class DeliveryStore(Protocol):
    async def pending_deliveries(self, limit: int) -> list[Delivery]: ...
    async def get_delivery(self, delivery_id: int) -> Delivery | None: ...
    async def delivery_message(self, delivery_id: int) -> int | None: ...
    async def claim_for_sending(self, delivery_id: int, lease: str, holder: str, fence: int, now: float) -> bool: ...
    async def finish_delivery(
        self, delivery_id: int, status: str, sent_at: datetime | None = None, message_id: int | None = None
    ) -> None: ...
    async def settle_interrupted_deliveries(self) -> int: ...
    async def expire_pending_deliveries(self, due_before: datetime) -> int: ...
    async def prune_deliveries(self, before: datetime) -> int: ...
