"""A guided session's state machine: pure, clock-free, no I/O.

Every transition takes the session, the routine and ``now`` and returns a new session plus the
events the user should hear about. The caller persists the new session first, then tells the
user, so a crash in between repeats a message at worst instead of losing a step.

Timing model: while running, the current phase ends at ``clock_started_at + remaining``. Pausing
freezes ``remaining`` and clears ``clock_started_at``; resuming restarts the clock with the
frozen remainder. A step may open with a short "get ready" phase (time to get into position,
not counted as held), then its hold. The card shows the time left and is redrawn in place at
the marks :mod:`bot.domain.countdown` sets (``shown_left`` is what it showed last).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain import countdown
from bot.domain.routines import Routine, Step, StepKind

#: Sessions untouched for this long are closed quietly at start-up and by the sweep.
ABANDON_AFTER = timedelta(hours=3)
#: After an assessment hold, how long the routine waits for the reach answer before moving on.
ANSWER_WAIT = timedelta(minutes=3)
#: How long an optional step stays offered; unanswered, the routine finishes where it is.
OFFER_WAIT = timedelta(minutes=3)
#: A step noticed this late at most still ends on its schedule: the next one starts when the
#: last one was due to end, so lateness never adds up over a routine. Later than this (the bot
#: was stalled), the next step starts from now with its full time.
CATCH_UP = timedelta(seconds=10)


class Status(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    STOPPED = "stopped"
    ABANDONED = "abandoned"


class Phase(StrEnum):
    """Where an active session is within its current step."""

    #: Getting into position: the clock runs, but it is not hold time.
    READY = "ready"
    #: The hold itself (or, once it ended at an assessment, the wait for the answer).
    HOLD = "hold"
    #: An optional step is offered ("Add it" / "Finish here") until ``awaiting_answer_until``.
    OFFER = "offer"


#: A routine walked through to its end counts as done (the celebration, streaks, "finished"
#: counts) only if at least this share of its hold time was actually held; less, and it ended
#: early (mostly skipped).
HELD_ENOUGH = 0.5


def held_enough(active_seconds: float, routine: Routine) -> bool:
    return active_seconds >= HELD_ENOUGH * routine.total_seconds


def completed(session: Session, routine: Routine) -> bool:
    """Finished, and not by skipping most of it."""
    return session.status is Status.FINISHED and held_enough(session.active_seconds, routine)


class SessionError(Exception):
    """A user action that does not apply to the session as it is now."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Reasons carried by SessionError; handlers turn them into short toasts.
NOT_ACTIVE = "not_active"
ALREADY_PAUSED = "already_paused"
NOT_PAUSED = "not_paused"
STALE_STEP = "stale_step"
WAITING_FOR_ANSWER = "waiting_for_answer"
NOT_ASSESSING = "not_assessing"
NOT_OFFERED = "not_offered"


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    chat_id: int
    routine_id: str
    started_at: datetime
    updated_at: datetime
    status: Status = Status.ACTIVE
    step_index: int = 0
    #: When the running clock last (re)started; None while paused or ended.
    clock_started_at: datetime | None = None
    #: Seconds left in the current step as of ``clock_started_at`` (or frozen while paused).
    remaining: float = 0.0
    halfway_sent: bool = False
    #: Seconds the clock actually ran, over all steps so far.
    active_seconds: float = 0.0
    #: Required steps done and skipped; optional steps done (an optional one skipped is
    #: simply not added).
    steps_done: int = 0
    steps_skipped: int = 0
    extras_done: int = 0
    #: Pose cards that never reached the user (Telegram trouble); kept by the messenger side.
    cards_missed: int = 0
    #: The message that shows the current pose and carries its buttons.
    pose_message_id: int | None = None
    ended_at: datetime | None = None
    #: Set when an assessment hold is over and the reach answer is awaited until then.
    awaiting_answer_until: datetime | None = None
    #: The current assessment step got its answer during the hold: the hold runs to its end,
    #: then the routine moves on without asking.
    reach_answered: bool = False
    phase: Phase = Phase.HOLD
    #: The time left the card showed when last drawn (None: no countdown is running).
    shown_left: float | None = None
    id: int | None = None
    #: Bumped on every stored change; guards against two writers racing.
    version: int = 0

    @property
    def is_active(self) -> bool:
        return self.status is Status.ACTIVE

    @property
    def paused(self) -> bool:
        return self.is_active and self.clock_started_at is None and self.awaiting_answer_until is None

    @property
    def awaiting_answer(self) -> bool:
        """An assessment hold is over and its reach answer is awaited."""
        return self.is_active and self.awaiting_answer_until is not None and self.phase is not Phase.OFFER

    @property
    def offering(self) -> bool:
        """An optional step is offered and the user's choice awaited."""
        return self.is_active and self.phase is Phase.OFFER

    @property
    def getting_ready(self) -> bool:
        return self.is_active and self.phase is Phase.READY

    def remaining_at(self, now: datetime) -> float:
        """Seconds left in the current step at ``now`` (never negative)."""
        if self.clock_started_at is None:
            return self.remaining
        return max(0.0, self.remaining - (now - self.clock_started_at).total_seconds())

    def step_ends_at(self) -> datetime | None:
        if not self.is_active or self.clock_started_at is None:
            return None
        return self.clock_started_at + timedelta(seconds=self.remaining)

    def halfway_due_at(self, step: Step) -> datetime | None:
        """When the current step's half-way cue is due, or None if there is none to show."""
        if step.halfway is None or self.halfway_sent or self.clock_started_at is None or self.phase is not Phase.HOLD:
            return None
        left_at_halfway = step.seconds - (step.halfway_at or 0)
        return self.clock_started_at + timedelta(seconds=max(0.0, self.remaining - left_at_halfway))

    def redraw_due_at(self) -> datetime | None:
        """When the card's countdown is next redrawn (None: not before the phase ends)."""
        if self.shown_left is None or self.clock_started_at is None or self.phase is not Phase.HOLD:
            return None
        mark = countdown.next_mark(self.shown_left)
        if mark is None:
            return None
        return self.clock_started_at + timedelta(seconds=max(0.0, self.remaining - mark))

    def next_event_at(self, routine: Routine) -> datetime | None:
        """The next moment the sweep must look at this session (None: nothing scheduled)."""
        if self.awaiting_answer_until is not None:
            return self.awaiting_answer_until
        ends = self.step_ends_at()
        if ends is None:
            return None
        halfway = self.halfway_due_at(routine.step(self.step_index))
        redraw = self.redraw_due_at()
        return min(moment for moment in (ends, halfway, redraw) if moment is not None)

    def elapsed_running(self, now: datetime) -> float:
        """Seconds of hold the clock has run in the current segment (capped at the remainder;
        getting ready does not count)."""
        if self.clock_started_at is None or self.phase is not Phase.HOLD:
            return 0.0
        return min(self.remaining, max(0.0, (now - self.clock_started_at).total_seconds()))


# -- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PoseStarted:
    step_index: int
    #: Set when the pose is shown again after a restart rather than for the first time.
    restored: bool = False


@dataclass(frozen=True, slots=True)
class HoldStarted:
    """Getting ready is over; the hold's clock runs (the card is redrawn)."""

    step_index: int


@dataclass(frozen=True, slots=True)
class Countdown:
    """The card's countdown is due for a redraw."""

    step_index: int


@dataclass(frozen=True, slots=True)
class HalfwayCue:
    """Half-way through a hold that has a half-way cue: the card shows it."""

    step_index: int


@dataclass(frozen=True, slots=True)
class OptionalOffered:
    """The routine's required steps are done; an optional one is offered."""

    step_index: int
    restored: bool = False


@dataclass(frozen=True, slots=True)
class ReachAsked:
    """An assessment hold ended without an answer: ask for it (the routine waits a while)."""

    step_index: int


@dataclass(frozen=True, slots=True)
class ReachNotAnswered:
    """No answer came in time; the routine moves on without a measurement."""

    step_index: int


@dataclass(frozen=True, slots=True)
class Ended:
    """The session is over (finished, stopped or abandoned); the session holds the totals."""

    status: Status


Event = PoseStarted | HoldStarted | Countdown | HalfwayCue | ReachAsked | ReachNotAnswered | OptionalOffered | Ended


# -- transitions --------------------------------------------------------------------------------


def start(routine: Routine, user_id: int, chat_id: int, now: datetime) -> tuple[Session, list[Event]]:
    session = Session(
        user_id=user_id,
        chat_id=chat_id,
        routine_id=routine.id,
        started_at=now,
        updated_at=now,
    )
    return _enter(session, routine, 0, now), [PoseStarted(0)]


def tick(session: Session, routine: Routine, now: datetime) -> tuple[Session, list[Event]]:
    """Let time pass: end the phase if its time is up, or redraw the card if due.

    Getting ready ends in the hold. An assessment step does not simply end: when its hold is
    over the user is asked for their reach, and the routine waits up to :data:`ANSWER_WAIT` for
    it before moving on. An optional step on offer lapses after :data:`OFFER_WAIT`, and the
    routine finishes where it is.
    """
    if not session.is_active or session.paused:
        return session, []
    if session.awaiting_answer_until is not None:
        if now < session.awaiting_answer_until:
            return session, []
        if session.offering:
            return _end(session, now, Status.FINISHED), [Ended(Status.FINISHED)]
        moved_on, events = _advance(session, routine, _on_schedule(session.awaiting_answer_until, now), skipped=False)
        return moved_on, [ReachNotAnswered(session.step_index), *events]
    step = routine.step(session.step_index)
    ends = session.step_ends_at()
    assert ends is not None
    if now >= ends:
        now = _on_schedule(ends, now)
        if session.phase is Phase.READY:
            return (
                replace(
                    session,
                    phase=Phase.HOLD,
                    clock_started_at=now,
                    remaining=float(step.seconds),
                    shown_left=float(step.seconds),
                    updated_at=now,
                ),
                [HoldStarted(session.step_index)],
            )
        if asks_for_reach(step) and not session.reach_answered:
            return (
                replace(
                    session,
                    active_seconds=session.active_seconds + session.elapsed_running(now),
                    clock_started_at=None,
                    remaining=0.0,
                    shown_left=None,
                    awaiting_answer_until=now + ANSWER_WAIT,
                    updated_at=now,
                ),
                [ReachAsked(session.step_index)],
            )
        return _advance(session, routine, now, skipped=False)
    halfway = session.halfway_due_at(step)
    if halfway is not None and now >= halfway:
        drawn = replace(session, halfway_sent=True, shown_left=session.remaining_at(now), updated_at=now)
        return drawn, [HalfwayCue(session.step_index)]
    redraw = session.redraw_due_at()
    if redraw is not None and now >= redraw:
        return replace(session, shown_left=session.remaining_at(now), updated_at=now), [Countdown(session.step_index)]
    return session, []


def pause(session: Session, now: datetime) -> Session:
    _require_active(session)
    if session.awaiting_answer or session.offering:
        raise SessionError(WAITING_FOR_ANSWER)
    if session.paused:
        raise SessionError(ALREADY_PAUSED)
    left = session.remaining_at(now)
    return replace(
        session,
        remaining=left,
        active_seconds=session.active_seconds + session.elapsed_running(now),
        clock_started_at=None,
        shown_left=left,
        updated_at=now,
    )


def resume(session: Session, now: datetime) -> Session:
    _require_active(session)
    if not session.paused:
        raise SessionError(NOT_PAUSED)
    return replace(session, clock_started_at=now, shown_left=session.remaining, updated_at=now)


def add_optional(
    session: Session, routine: Routine, now: datetime, step_index: int
) -> tuple[Session, list[Event]]:
    """"Add it": run the optional step on offer."""
    _require_offer(session, step_index)
    return _enter(replace(session, awaiting_answer_until=None), routine, step_index, now), [PoseStarted(step_index)]


def finish_here(session: Session, now: datetime, step_index: int) -> tuple[Session, list[Event]]:
    """"Finish here": decline the optional step on offer; the routine is done."""
    _require_offer(session, step_index)
    return _end(session, now, Status.FINISHED), [Ended(Status.FINISHED)]


def skip(
    session: Session, routine: Routine, now: datetime, step_index: int
) -> tuple[Session, list[Event]]:
    """Move on from ``step_index`` at once; a stale index (a double tap) is refused."""
    _require_active(session)
    if step_index != session.step_index:
        raise SessionError(STALE_STEP)
    if session.offering:
        raise SessionError(NOT_ACTIVE)
    return _advance(session, routine, now, skipped=True)


def answer(
    session: Session, routine: Routine, now: datetime, step_index: int
) -> tuple[Session, list[Event]]:
    """The reach answer (or "skip measuring") for an assessment step. During the hold it is
    noted and the hold runs on to its end (a later answer in the same hold replaces it); once
    the hold is over and the question asked, the answer moves the routine on."""
    _require_active(session)
    if step_index != session.step_index or session.offering:
        raise SessionError(STALE_STEP)
    if not asks_for_reach(routine.step(step_index)):
        raise SessionError(NOT_ASSESSING)
    if session.awaiting_answer:
        return _advance(session, routine, now, skipped=False)
    return replace(session, reach_answered=True, updated_at=now), []


def asks_for_reach(step: Step) -> bool:
    return step.kind is StepKind.ASSESS


def reach_phase(routine: Routine, step_index: int) -> str:
    """"before" for a routine's first assessment, "after" for a later one, "single" if alone."""
    assessments = [i for i, step in enumerate(routine.steps) if asks_for_reach(step)]
    if len(assessments) == 1:
        return "single"
    return "before" if step_index == assessments[0] else "after"


def stop(session: Session, now: datetime) -> tuple[Session, list[Event]]:
    _require_active(session)
    return _end(session, now, Status.STOPPED), [Ended(Status.STOPPED)]


def abandon(session: Session, now: datetime) -> Session:
    return _end(session, now, Status.ABANDONED)


def is_abandoned(session: Session, now: datetime) -> bool:
    return session.is_active and now - session.updated_at >= ABANDON_AFTER


def restore(session: Session, routine: Routine, now: datetime) -> tuple[Session, list[Event]]:
    """Pick a session up again after the bot was down.

    The user sees the current pose again. If its time ran out while we were away, the pose
    starts over with its full hold rather than jumping ahead behind the user's back.
    """
    _require_active(session)
    if session.offering:
        session = replace(session, awaiting_answer_until=now + OFFER_WAIT, updated_at=now)
        return session, [OptionalOffered(session.step_index, restored=True)]
    if session.paused:
        return session, [PoseStarted(session.step_index, restored=True)]
    if session.awaiting_answer:
        session = replace(session, awaiting_answer_until=now + ANSWER_WAIT, updated_at=now)
        return session, [PoseStarted(session.step_index, restored=True)]
    if session.remaining_at(now) <= 0:
        session = _enter(session, routine, session.step_index, now)
    else:
        session = replace(session, shown_left=session.remaining_at(now), updated_at=now)
    return session, [PoseStarted(session.step_index, restored=True)]


def _on_schedule(due: datetime, now: datetime) -> datetime:
    """The instant a transition noticed at ``now`` counts from: when it was due, unless that
    is too long ago to pretend."""
    return due if now - due <= CATCH_UP else now


def _advance(
    session: Session, routine: Routine, now: datetime, *, skipped: bool
) -> tuple[Session, list[Event]]:
    extra = routine.step(session.step_index).optional  # skipping an extra is not adding it
    session = replace(
        session,
        active_seconds=session.active_seconds + session.elapsed_running(now),
        steps_done=session.steps_done + (0 if skipped or extra else 1),
        steps_skipped=session.steps_skipped + (1 if skipped and not extra else 0),
        extras_done=session.extras_done + (1 if extra and not skipped else 0),
        awaiting_answer_until=None,
        reach_answered=False,
    )
    following = session.step_index + 1
    if following >= len(routine.steps):
        return _end(session, now, Status.FINISHED, counted=True), [Ended(Status.FINISHED)]
    if routine.step(following).optional:
        offered = replace(
            session,
            step_index=following,
            phase=Phase.OFFER,
            clock_started_at=None,
            remaining=0.0,
            shown_left=None,
            halfway_sent=False,
            awaiting_answer_until=now + OFFER_WAIT,
            updated_at=now,
        )
        return offered, [OptionalOffered(following)]
    return _enter(session, routine, following, now), [PoseStarted(following)]


def _enter(session: Session, routine: Routine, index: int, now: datetime) -> Session:
    """Begin step ``index``: getting ready first if the step asks for it, else the hold."""
    step = routine.step(index)
    phase, seconds = (Phase.READY, step.get_ready) if step.get_ready else (Phase.HOLD, step.seconds)
    return replace(
        session,
        step_index=index,
        phase=phase,
        clock_started_at=now,
        remaining=float(seconds),
        shown_left=float(seconds),
        halfway_sent=False,
        reach_answered=False,
        awaiting_answer_until=None,
        updated_at=now,
    )


def _end(session: Session, now: datetime, status: Status, *, counted: bool = False) -> Session:
    active = session.active_seconds if counted else session.active_seconds + session.elapsed_running(now)
    return replace(
        session,
        status=status,
        active_seconds=active,
        clock_started_at=None,
        remaining=0.0,
        shown_left=None,
        awaiting_answer_until=None,
        ended_at=now,
        updated_at=now,
    )


def _require_active(session: Session) -> None:
    if not session.is_active:
        raise SessionError(NOT_ACTIVE)


def _require_offer(session: Session, step_index: int) -> None:
    _require_active(session)
    if not session.offering:
        raise SessionError(NOT_OFFERED)
    if step_index != session.step_index:
        raise SessionError(STALE_STEP)
