"""The guided-session service: runs the state machine against storage and talks to the user.

It never imports ``telegram``: it speaks through a :class:`~bot.services.messenger.Messenger`, and the
handlers call it with plain ids. Each user's actions and the clock's sweep take the same per-user
lock, so a tap on "Skip" and a step ending in the same instant cannot both move the session.
Every change is written to the database before the user is told, so a crash repeats a message
at worst and never loses a step.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Iterable
from datetime import datetime, timedelta
from functools import partial
from html import escape

from bot.domain import session as machine
from bot.domain.actions import CheckIn, Feeling, SessionAction, StartOver, Verb
from bot.domain.clock import Clock, Sweeps
from bot.domain.reach import Change, Doubt, Landmark, Reach, compare
from bot.domain.routines import Routine, RoutineBook, RoutineError, Side, Step
from bot.domain.session import (
    Countdown,
    Ended,
    Event,
    HalfwayCue,
    HoldStarted,
    OptionalOffered,
    PoseStarted,
    ReachAsked,
    ReachNotAnswered,
    Session,
    SessionError,
    Status,
)
from bot.presentation import figures, keyboards, texts
from bot.presentation.i18n import Words
from bot.services.doubts import doubt_about
from bot.services.languages import Languages
from bot.services.messenger import Messenger, Outcome, Picture, Ticket, Traffic
from bot.services.messenger import Status as SendStatus
from bot.services.notices import Notice
from bot.services.repositories import (
    DueSession,
    MeasurementStore,
    SessionStore,
    StaleWrite,
    Transactions,
    UserStore,
)

log = logging.getLogger(__name__)

#: How many due sessions one sweep takes on, and how many it advances at once.
SWEEP_BATCH = 2000
SWEEP_CONCURRENCY = 32
#: A session whose advance failed is looked at again after this long, not every second.
RETRY_AFTER_FAILURE = timedelta(seconds=30)
#: A pose card is worth sending while its hold lasts, and at least this long (seconds).
MIN_CARD_TTL = 10.0
#: How long an answer waits to learn which message the card it answers became (see _card_on_screen).
CARD_ID_WAIT_SECONDS = 5.0
#: Users remembered as having no running session, at most (then forgotten all at once).
WITHOUT_SESSION_REMEMBERED = 100_000
#: How long an end-of-routine summary stays worth sending (seconds).
SUMMARY_TTL = 3600.0
#: At the end of a routine, how long the summary waits to learn whether the last card arrived.
LAST_CARD_WAIT = 2.0
#: A routine held at least this long (seconds) ends with "How did that feel?"; one stopped at
#: once does not.
CHECK_IN_AFTER = 30.0

_REFUSALS = {
    machine.NOT_ACTIVE: Notice.EXPIRED,
    machine.ALREADY_PAUSED: Notice.ALREADY_PAUSED,
    machine.NOT_PAUSED: Notice.NOT_PAUSED,
    machine.STALE_STEP: Notice.STALE_STEP,
    machine.WAITING_FOR_ANSWER: Notice.WAITING,
    machine.NOT_ASSESSING: Notice.STALE_STEP,
    machine.NOT_OFFERED: Notice.STALE_STEP,
}


class Coach:
    def __init__(
        self,
        *,
        sessions: SessionStore,
        users: UserStore,
        measurements: MeasurementStore,
        transactions: Transactions,
        routines: RoutineBook,
        messenger: Messenger,
        clock: Clock,
        only_process: bool = True,
        languages: Languages | None = None,
    ) -> None:
        #: Whether this is the only process starting sessions (one replica): only then may it
        #: remember which users have none.
        self._only_process = only_process
        self._languages = languages
        self._sessions = sessions
        self._users = users
        self._measurements = measurements
        self._transactions = transactions
        self._routines = routines
        self._messenger = messenger
        self._clock = clock
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._sweeps = Sweeps()
        #: The pose card each session is waiting to hear about, and the task that will record
        #: what became of it, by session id.
        self._cards: dict[int, tuple[Ticket, asyncio.Task[None]]] = {}
        #: Users known to have no running session (see active_session).
        self._without_session: set[int] = set()
        #: An answer acknowledged on a card, by session id: (step index, the words), so the
        #: card's later redraws keep it (cosmetic: not kept over a restart).
        self._noted: dict[int, tuple[int, str]] = {}
        #: The last redraw of each session's card, by session id (see _show_pose_in_place).
        self._edits: dict[int, Ticket] = {}

    @property
    def routines(self) -> RoutineBook:
        return self._routines

    # -- user actions --------------------------------------------------------------------------

    async def start(
        self, user_id: int, chat_id: int, first_name: str, routine: Routine, *, anyway: bool = False
    ) -> None:
        """Start ``routine``, or ask first if the user is already in a session, or if it hurt
        the last time and a gentler one exists (unless ``anyway``)."""
        async with self._lock(user_id):
            await self._users.upsert_user(user_id, first_name, self._clock.now())
            active = await self._sessions.active_session(user_id)
            if active is not None:
                current = self._routine_of(active)
                if current is not None:
                    _ = await self._words(user_id)
                    self._messenger.post(
                        chat_id,
                        texts.in_progress(self._in(current, _), active, _),
                        keyboards.continue_or_start_over(active, routine, _),
                    )
                    return
                await self._save(machine.abandon(active, self._clock.now()), None)
            gentler = self._routines.get(routine.gentler) if routine.gentler and not anyway else None
            if gentler is not None and await self._sessions.last_feeling(user_id, routine.id) == Feeling.PAIN.value:
                _ = await self._words(user_id)
                self._messenger.post(
                    chat_id, texts.gentler_offer(self._in(routine, _), self._in(gentler, _), _),
                    keyboards.gentler_or_usual(self._in(routine, _), self._in(gentler, _), _),
                )
                return
            await self._begin(routine, user_id, chat_id)

    async def act(self, user_id: int, action: SessionAction) -> Notice | None:
        """Apply a pose button (pause, resume, skip, stop, continue); returns the toast."""
        async with self._lock(user_id):
            found = await self._own_active_session(user_id, action.session_id)
            if isinstance(found, Notice):
                return found
            session, routine = found
            if action.step_index != session.step_index:
                return Notice.STALE_STEP
            now = self._clock.now()
            try:
                match action.verb:
                    case Verb.PAUSE:
                        session = await self._save(machine.pause(session, now), routine)
                        await self._show_pose_in_place(session, routine)
                        return Notice.PAUSED
                    case Verb.RESUME:
                        session = await self._save(machine.resume(session, now), routine)
                        await self._show_pose_in_place(session, routine)
                        return Notice.RESUMED
                    case Verb.SKIP:
                        session, events = machine.skip(session, routine, now, action.step_index)
                        session = await self._save(session, routine)
                        await self._announce(session, routine, events)
                        return Notice.SKIPPED
                    case Verb.STOP:
                        session, events = machine.stop(session, now)
                        session = await self._save(session, routine)
                        await self._announce(session, routine, events)
                        return Notice.STOPPED
                    case Verb.CONTINUE:
                        if session.offering:
                            await self._announce(session, routine, [OptionalOffered(session.step_index)])
                        else:
                            await self._announce(session, routine, [PoseStarted(session.step_index)])
                        return None
                    case Verb.ADD:
                        session, events = machine.add_optional(session, routine, now, action.step_index)
                        session = await self._save(session, routine)
                        await self._announce(session, routine, events)
                        return None
                    case Verb.FINISH:
                        session, events = machine.finish_here(session, now, action.step_index)
                        session = await self._save(session, routine)
                        await self._announce(session, routine, events)
                        return None
            except SessionError as refusal:
                return _REFUSALS[refusal.reason]
            except StaleWrite:
                # The clock (on another replica, say) moved the session on in between: the
                # button is for a state that is gone.
                return Notice.STALE_STEP
        raise AssertionError(f"unhandled verb {action.verb}")

    async def start_over(self, user_id: int, chat_id: int, first_name: str, action: StartOver) -> Notice | None:
        """Stop the session the user was asked about and start the routine they asked for."""
        routine = self._routines.get(action.routine_id)
        if routine is None:
            return Notice.EXPIRED
        async with self._lock(user_id):
            active = await self._sessions.active_session(user_id)
            if active is not None and active.id != action.session_id:
                return Notice.EXPIRED
            if active is not None:
                stopped, _ = machine.stop(active, self._clock.now())
                await self._save(stopped, None)
                self._withdraw_card(active)
                await self._clear_buttons(active)
            await self._users.upsert_user(user_id, first_name, self._clock.now())
            await self._begin(routine, user_id, chat_id)
        return None

    async def stop_current(self, user_id: int) -> bool:
        """`/stop`: end the user's session if there is one; False when there was none."""
        async with self._lock(user_id):
            session = await self._sessions.active_session(user_id)
            if session is None:
                return False
            routine = self._routine_of(session)
            session, events = machine.stop(session, self._clock.now())
            session = await self._save(session, routine)
            if routine is not None:
                await self._announce(session, routine, events)
            return True

    async def record_reach(
        self,
        user_id: int,
        session_id: int,
        step_index: int,
        reach: Reach | None,
        typed: bool = False,
        source: str | None = None,
    ) -> Notice | None:
        """The answer at an assessment step (None: "skip measuring"); returns the toast.

        The measurement and the step moving on are stored in one transaction. A typed answer
        that arrives just after the step moved on is still kept, as a measurement of its own:
        nothing a user entered is lost.
        """
        async with self._lock(user_id):
            found = await self._own_active_session(user_id, session_id)
            now = self._clock.now()
            if isinstance(found, Notice) or found[0].step_index != step_index:
                if typed and reach is not None:
                    doubted = await doubt_about(self._measurements, user_id, reach)
                    stored = await self._measurements.add_measurement(
                        user_id, None, now, reach, "single", source, confirmed=doubted is None
                    )
                    if stored is None:
                        return Notice.SAVED  # this very message was stored before
                    chat_id = self._chat_of(found, user_id)
                    _ = await self._words(user_id)
                    if doubted is not None:
                        self._ask_what_was_meant(chat_id, stored, reach, doubted, _)
                    else:
                        self._messenger.post(chat_id, texts.reach_logged_outside(reach, _))
                    return Notice.SAVED
                return found if isinstance(found, Notice) else Notice.STALE_STEP
            session, routine = found
            try:
                moved_on, events = machine.answer(session, routine, now, step_index)
            except SessionError as refusal:
                return _REFUSALS[refusal.reason]
            assert session.id is not None
            phase = machine.reach_phase(routine, step_index)
            # Which message the answered card is, learnt while the session is still at its step
            # (once it moves on, a card arriving late clears itself and is not recorded).
            card_id = await self._card_on_screen(session)
            replacing = (session.id, phase) if session.reach_answered else None
            doubted = (
                await doubt_about(self._measurements, user_id, reach, replacing=replacing)
                if typed and reach is not None
                else None
            )
            stored = None
            async with self._transactions.transaction():
                if session.reach_answered:  # a correction within the same hold replaces the answer
                    await self._measurements.forget_session_reach(user_id, session.id, phase)
                if reach is not None:
                    stored = await self._measurements.add_measurement(
                        user_id, session.id, now, reach, phase, source, confirmed=doubted is None
                    )
                moved_on = await self._save(moved_on, routine)
            _ = await self._words(user_id)
            if doubted is not None and stored is not None and reach is not None:
                self._ask_what_was_meant(session.chat_id, stored, reach, doubted, _)
            # Acknowledged on the card itself (an edit, no new notification): during the hold
            # the card keeps its countdown and buttons; after it, the question's buttons go.
            holding = not events
            noted = texts.reach_noted(reach, correctable=holding, _=_)
            if holding:
                self._noted[session.id] = (step_index, noted)
            await self._show_pose_in_place(
                moved_on if holding else session,
                routine,
                card_id=card_id,
                noted=noted,
                keep_buttons=holding,
                traffic=Traffic.CARD,
            )
            await self._announce(moved_on, routine, events)
            return Notice.SAVED if reach is not None else None

    async def check_in(self, user_id: int, answer: CheckIn, message_id: int | None) -> Notice:
        """"How did that feel?": store the answer, show it on the summary (``message_id``), and
        after "pain" give the safety advice and point to the gentler routine."""
        session = await self._sessions.get_session(answer.session_id)
        if session is None or session.is_active:
            return Notice.EXPIRED
        if session.user_id != user_id:
            return Notice.NOT_YOURS
        if not await self._sessions.record_feeling(user_id, answer.session_id, answer.feeling.value):
            return Notice.THANKS  # the same answer again (a double tap): already done
        routine = self._routine_of(session)
        _ = await self._words(user_id)
        if routine is not None and message_id is not None:
            change = await self._session_change(session) if session.status is Status.FINISHED else None
            self._messenger.edit(
                session.chat_id,
                message_id,
                texts.summary(self._in(routine, _), session, change, feeling=answer.feeling, _=_),
                keyboards.after_session(routine, _),
            )
        if answer.feeling is Feeling.PAIN:
            gentler = self._routines.get(routine.gentler) if routine is not None and routine.gentler else None
            self._messenger.post(
                session.chat_id, texts.pain_advice(gentler and self._in(gentler, _), _),
                keyboards.gentler(self._in(gentler, _)) if gentler else None,
            )
        return Notice.THANKS

    def _ask_what_was_meant(
        self, chat_id: int, measurement_id: int, reach: Reach, doubted: Doubt, _: Words
    ) -> None:
        self._messenger.post(
            chat_id,
            texts.did_you_mean(reach, doubted, _),
            keyboards.did_you_mean(measurement_id, reach, doubted.suggestion_cm, _),
        )

    async def active_session(self, user_id: int) -> Session | None:
        """The user's running session, if any, for reading (a plain message asks this).

        Most messages come from people who are not in a routine, and asking the database each
        time was the bot's bottleneck: every query waits its turn on the one connection (a
        plain message cost as much as a third of the throughput). So a user found without a
        session is remembered as such until this process starts one for them: sessions begin
        only through this coach, in the user's own chat. Sessions that end need no care: a
        stale "has one" just means one more query.
        """
        if user_id in self._without_session:
            return None
        session = await self._sessions.active_session(user_id)
        if session is None and self._only_process:
            if len(self._without_session) >= WITHOUT_SESSION_REMEMBERED:
                self._without_session.clear()
            self._without_session.add(user_id)
        return session

    def is_asking(self, session: Session | None) -> bool:
        """Whether ``session`` is at an assessment step (a typed number is its answer)."""
        if session is None:
            return False
        routine = self._routine_of(session)
        return routine is not None and machine.asks_for_reach(routine.step(session.step_index))

    def routine_in(self, session: Session | None) -> Routine | None:
        return self._routine_of(session) if session is not None else None

    async def stop_quietly(self, user_id: int) -> None:
        """End the user's session without a word (they blocked the bot)."""
        async with self._lock(user_id):
            session = await self._sessions.active_session(user_id)
            if session is not None:
                stopped, _ = machine.stop(session, self._clock.now())
                await self._save(stopped, None)
                self._withdraw_card(session)

    # -- the clock -----------------------------------------------------------------------------

    @property
    def last_sweep_finished(self) -> float | None:
        """When the session clock last completed a sweep (time.monotonic()), for /healthz."""
        return self._sweeps.finished_at

    async def sweep(self) -> int:
        """Advance every session whose next event is due; returns how many were due.

        Called every second by the job queue. A sweep still running when the next one starts
        makes the later one a no-op, so a slow batch never runs twice.
        """
        async with self._sweeps.run() as mine:
            if not mine:
                return 0
            due = await self._sessions.due_sessions(self._clock.now(), SWEEP_BATCH)
            await _bounded(SWEEP_CONCURRENCY, (self._advance(item) for item in due))
            return len(due)

    async def next_sweep(self) -> None:
        """Wait for a whole sweep that starts after this call (tests' signal)."""
        await self._sweeps.next()

    async def recover(self) -> int:
        """At start-up: pick up every active session again; returns how many were resumed."""
        now = self._clock.now()
        sessions = await self._sessions.active_sessions()
        results = await _bounded(SWEEP_CONCURRENCY, (self._recover_one(s, now) for s in sessions))
        return sum(1 for resumed in results if resumed)

    async def close_abandoned(self) -> int:
        """Quietly end sessions nobody has touched for hours (a pause left running)."""
        now = self._clock.now()
        stale = await self._sessions.stale_sessions(now - machine.ABANDON_AFTER)
        for session in stale:
            async with self._lock(session.user_id):
                current = await self._sessions.get_session(session.id or 0)
                if current is None or not machine.is_abandoned(current, now):
                    continue
                await self._save(machine.abandon(current, now), None)
                self._withdraw_card(current)
                await self._clear_buttons(current)
        return len(stale)

    # -- internals -----------------------------------------------------------------------------

    def _in(self, routine: Routine, _: Words) -> Routine:
        """The routine in the user's language (its translation, where there is one)."""
        return self._routines.in_language(routine, _.language)

    async def _words(self, user_id: int) -> Words:
        return await self._languages.words_of(user_id) if self._languages is not None else texts.ENGLISH

    def _lock(self, user_id: int) -> asyncio.Lock:
        lock = self._locks.get(user_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user_id] = lock
        return lock

    def _routine_of(self, session: Session) -> Routine | None:
        return self._routines.get(session.routine_id)

    async def _own_active_session(
        self, user_id: int, session_id: int
    ) -> tuple[Session, Routine] | Notice:
        session = await self._sessions.get_session(session_id)
        if session is None:
            return Notice.EXPIRED
        if session.user_id != user_id:
            return Notice.NOT_YOURS
        routine = self._routine_of(session)
        if not session.is_active or routine is None:
            return Notice.EXPIRED
        return session, routine

    async def _begin(self, routine: Routine, user_id: int, chat_id: int) -> None:
        self._without_session.discard(user_id)
        first_time = not await self._sessions.has_sessions(user_id)
        session, events = machine.start(routine, user_id, chat_id, self._clock.now())
        session = await self._sessions.insert_session(session, session.next_event_at(routine))
        if first_time:
            # The safety note in full, once per user, before the first card (which then
            # carries it as one line, as every first card does).
            _ = await self._words(user_id)
            self._messenger.post(chat_id, texts.safety_note(self._in(routine, _), _), traffic=Traffic.CARD)
        await self._announce(session, routine, events)

    async def _save(self, session: Session, routine: Routine | None) -> Session:
        next_event = session.next_event_at(routine) if routine is not None else None
        return await self._sessions.save_session(session, next_event)

    async def _advance(self, due: DueSession) -> None:
        async with self._lock(due.user_id):
            session = await self._sessions.get_session(due.session_id)
            if session is None or not session.is_active:
                return
            try:
                routine = self._routine_of(session)
                if routine is None:
                    log.warning("Session %s uses unknown routine %r; closing it", session.id, session.routine_id)
                    await self._save(machine.abandon(session, self._clock.now()), None)
                    return
                session, events = machine.tick(session, routine, self._clock.now())
                session = await self._save(session, routine)
                await self._announce(session, routine, events)
            except StaleWrite:
                log.warning("Session %s changed while advancing; the next sweep retries", session.id)
            except Exception:
                log.exception("Advancing session %s failed; retrying later", session.id)
                await self._sessions.postpone_session(
                    due.session_id, self._clock.now() + RETRY_AFTER_FAILURE
                )

    async def _recover_one(self, session: Session, now: datetime) -> bool:
        async with self._lock(session.user_id):
            routine = self._routine_of(session)
            if routine is None or machine.is_abandoned(session, now):
                await self._save(machine.abandon(session, now), None)
                return False
            session, events = machine.restore(session, routine, now)
            session = await self._save(session, routine)
            _ = await self._words(session.user_id)
            note = texts.restored_note(self._in(routine, _).step(session.step_index), _)
            await self._announce(session, routine, events, note=note)
            return True

    async def _announce(
        self, session: Session, routine: Routine, events: Iterable[Event], note: str | None = None
    ) -> None:
        """Tell the user what the transition they just went through means.

        Only a new pose, an optional step's offer and the summary are new messages (they
        notify); everything else redraws the card on screen.
        """
        _ = await self._words(session.user_id)
        for event in events:
            match event:
                case PoseStarted():
                    self._noted.pop(session.id or 0, None)
                    await self._send_pose(session, routine, note)
                case HoldStarted():
                    await self._show_pose_in_place(session, routine, card_id=self._card_known(session))
                case Countdown() | HalfwayCue():
                    await self._show_pose_in_place(session, routine, traffic=Traffic.LIVE)
                case ReachAsked():
                    card_id = self._card_known(session)
                    if card_id is None:  # the card never arrived: the question comes as a new one
                        await self._send_pose(session, routine, note=None, counts=False)
                    else:
                        await self._show_pose_in_place(session, routine, card_id=card_id, traffic=Traffic.CARD)
                case ReachNotAnswered():
                    note = texts.reach_not_answered(_)
                case OptionalOffered():
                    spoken = self._in(routine, _)
                    offer = texts.optional_offer(spoken, spoken.step(session.step_index), _)
                    await self._send_card(
                        session,
                        f"<i>{escape(note)}</i>\n{offer}" if note else offer,
                        keyboards.optional_offer(session, _),
                        ttl=machine.OFFER_WAIT.total_seconds(),
                        counts=False,
                    )
                case Ended(status):
                    self._noted.pop(session.id or 0, None)
                    session = await self._settle_last_card(session, status)
                    await self._clear_buttons(session)
                    change = await self._session_change(session) if status is Status.FINISHED else None
                    ask = session.active_seconds >= CHECK_IN_AFTER
                    summary = texts.summary(self._in(routine, _), session, change, ask_feeling=ask, _=_)
                    self._messenger.post(
                        session.chat_id,
                        f"<i>{escape(note)}</i>\n{summary}" if note else summary,
                        keyboards.check_in(session, routine, _) if ask else keyboards.after_session(routine, _),
                        traffic=Traffic.CARD,
                        ttl=SUMMARY_TTL,  # worth reading long after the routine ended
                    )

    async def _send_pose(
        self, session: Session, routine: Routine, note: str | None, *, counts: bool = True
    ) -> None:
        """Send the current pose as a new message and take the buttons off the last one.

        The card is queued, not awaited: the session clock never waits for Telegram. When it
        arrives, its message id is stored (if the session is still at that step); if it could
        not be delivered before its hold ended, the session counts it as missed, and the summary
        says so instead of counting a pose the user never saw.
        """
        now = self._clock.now()
        step = routine.step(session.step_index)
        _ = await self._words(session.user_id)
        text = texts.pose(self._in(routine, _), session, seconds_left=session.remaining_at(now), note=note, _=_)
        # Worth sending while the pose lasts: getting ready, then the whole hold.
        ttl = max(MIN_CARD_TTL, session.remaining_at(now) + (step.seconds if session.getting_ready else 0))
        picture = card_picture(step)
        if picture is not None:
            text = texts.fit_caption(text)
        await self._send_card(session, text, _controls(session, routine, _), ttl=ttl, counts=counts, picture=picture)

    async def _send_card(
        self,
        session: Session,
        text: str,
        keyboard: keyboards.Keyboard,
        *,
        ttl: float,
        counts: bool,
        picture: Picture | None = None,
    ) -> None:
        """Post the session's new card (a pose, an offer) and take the buttons off the last."""
        assert session.id is not None
        ticket = self._messenger.post(
            session.chat_id, text, keyboard, traffic=Traffic.CARD, ttl=ttl, picture=picture
        )
        self._withdraw_card(session)
        await self._clear_buttons(session)
        task = asyncio.create_task(
            self._card_arrived(session.id, session.step_index, session.chat_id, ticket, counts), name="pose-card"
        )
        self._cards[session.id] = (ticket, task)

    async def _clear_buttons(self, session: Session) -> None:
        """Take the buttons off the session's last card, after the session moved on (saved).
        Its id is read and cleared in one step: it may have been stored after this session was
        read (card arrivals are recorded concurrently), and from now on a card arriving late
        finds the session moved on and clears its own buttons."""
        previous = await self._sessions.take_pose_message(session.id or 0)
        if previous:
            self._messenger.clear_buttons(session.chat_id, previous)

    async def _card_arrived(
        self, session_id: int, step_index: int, chat_id: int, ticket: Ticket, counts: bool
    ) -> None:
        outcome = await ticket
        try:
            if outcome.delivered and outcome.message_id is not None:
                if not await self._sessions.set_pose_message(session_id, outcome.message_id, step_index):
                    # The session moved on while the card was on its way: its buttons are stale.
                    self._messenger.clear_buttons(chat_id, outcome.message_id)
            elif counts and _missed(outcome):
                log.warning(
                    "Pose card for session %s step %d was not delivered: %s", session_id, step_index, outcome.status
                )
                await self._sessions.count_missed_card(session_id)
        except Exception:
            log.exception("Recording the pose card of session %s failed", session_id)
        finally:
            if self._cards.get(session_id, (None,))[0] is ticket:
                del self._cards[session_id]

    def _withdraw_card(self, session: Session) -> None:
        """The session left its card (a new one, skip, stop): a card still queued is moot, and
        so is what was noted on it. (A last redraw of the old card still goes out: it may be
        the acknowledgement of the answer that moved the session on.)"""
        found = self._cards.get(session.id or 0)
        if found is not None:
            found[0].cancel()
        self._edits.pop(session.id or 0, None)
        self._noted.pop(session.id or 0, None)

    async def _settle_last_card(self, session: Session, status: Status) -> Session:
        """Before the summary: learn whether the last pose card arrived, so the summary counts
        only poses the user saw."""
        assert session.id is not None
        found = self._cards.get(session.id)
        if found is None:
            return session
        _, bookkeeping = found
        if status is not Status.FINISHED:
            self._withdraw_card(session)
        try:
            await asyncio.wait_for(asyncio.shield(bookkeeping), LAST_CARD_WAIT)
        except TimeoutError:
            return session
        return await self._sessions.get_session(session.id) or session

    async def _card_on_screen(self, session: Session) -> int | None:
        """The message id of the session's current card. The user can act on a card before the
        bot has heard back which message it became (its arrival is recorded concurrently): then
        wait, briefly, for that answer; or it was recorded after ``session`` was read."""
        if session.pose_message_id is not None:
            return session.pose_message_id
        found = self._cards.get(session.id or 0)
        if found is None:
            current = await self._sessions.get_session(session.id or 0)
            same_step = current is not None and current.step_index == session.step_index
            return current.pose_message_id if current is not None and same_step else None
        try:
            outcome = await asyncio.wait_for(found[0], CARD_ID_WAIT_SECONDS)
        except TimeoutError:
            return None
        return outcome.message_id if outcome.delivered else None

    def _card_known(self, session: Session) -> int | None:
        """The message id of the session's current card if known now, without waiting: stored,
        or the card's send already answered (its arrival not yet recorded)."""
        if session.pose_message_id is not None:
            return session.pose_message_id
        found = self._cards.get(session.id or 0)
        if found is None or not found[0].done():
            return None
        outcome = found[0].result()
        return outcome.message_id if outcome.delivered else None

    async def _show_pose_in_place(
        self,
        session: Session,
        routine: Routine,
        *,
        noted: str | None = None,
        keep_buttons: bool = True,
        card_id: int | None = None,
        traffic: Traffic = Traffic.REPLY,
    ) -> None:
        """Redraw the pose card in place (an edit: no notification): its countdown, the
        half-way cue, paused or resumed, the question once the hold is over, an answer noted.
        ``card_id`` if already known. A countdown redraw (:attr:`Traffic.LIVE`) never waits
        to learn which message the card is: a card that new needs no redraw yet."""
        if card_id is None:
            card_id = self._card_known(session) if traffic is Traffic.LIVE else await self._card_on_screen(session)
        if card_id is None:
            return
        if noted is None:
            step_index, words = self._noted.get(session.id or 0, (None, None))
            noted = words if step_index == session.step_index else None
        _ = await self._words(session.user_id)
        text = texts.pose(
            self._in(routine, _), session, seconds_left=session.remaining_at(self._clock.now()), noted=noted, _=_
        )
        keyboard = _controls(session, routine, _) if keep_buttons else None
        # The card went out as a picture with its words as the caption if the step has one
        # (offers are plain text: an offer on screen is never redrawn as a pose).
        as_caption = not session.offering and card_picture(routine.step(session.step_index)) is not None
        if as_caption:
            text = texts.fit_caption(text)
        # An older redraw still queued would land after this one and undo it (a countdown
        # overtaken by "paused", say): withdrawn.
        previous = self._edits.pop(session.id or 0, None)
        if previous is not None:
            previous.cancel()
        ticket = self._messenger.edit(session.chat_id, card_id, text, keyboard, traffic=traffic, caption=as_caption)
        if not ticket.done():
            self._edits[session.id or 0] = ticket

    async def _session_change(self, session: Session) -> Change | None:
        """Before vs after within one finished session, if both were measured."""
        assert session.id is not None
        measured = await self._measurements.measurements_of(session.user_id, session.id)
        before = [m for m in measured if m.phase == "before" and m.confirmed]
        after = [m for m in measured if m.phase == "after" and m.confirmed]
        if not before or not after:
            return None
        return compare(before[0].reach, after[-1].reach)

    @staticmethod
    def _chat_of(found: tuple[Session, Routine] | Notice, user_id: int) -> int:
        return found[0].chat_id if not isinstance(found, Notice) else user_id


def check_pictures(book: RoutineBook) -> None:
    """Every picture a routine names is drawn: raise RoutineError naming the first that isn't."""
    drawn = figures.pose_names()
    for routine in book.values():
        for number, step in enumerate(routine.steps, start=1):
            if step.picture_name is not None and step.picture_name not in drawn:
                raise RoutineError(f"{routine.id}: step {number}: no picture called '{step.picture_name}'")


def card_picture(step: Step) -> Picture | None:
    """The drawing on a step's card (its words are the picture's caption): drawn for the right
    side, mirrored for the left. None for a step without one."""
    name = step.picture_name
    if name is None:
        return None
    mirrored = step.side is Side.LEFT
    key = f"pose:{name}:{'left' if mirrored else 'right'}"
    return Picture(key, partial(figures.render_pose, name, mirrored=mirrored))


def _controls(session: Session, routine: Routine, _: Words) -> keyboards.Keyboard:
    if session.offering:
        return keyboards.optional_offer(session, _)
    if machine.asks_for_reach(routine.step(session.step_index)):
        return keyboards.reach_controls(session, _)
    return keyboards.pose_controls(session, _)


def _missed(outcome: Outcome) -> bool:
    """A card that never reached the user (a withdrawn card is not missed: the user moved on)."""
    return outcome.status in (SendStatus.GAVE_UP, SendStatus.REJECTED, SendStatus.DROPPED)


def landmark_reach(code: str) -> Reach:
    landmark = Landmark(code)
    return Reach(cm=landmark.exact_cm, landmark=landmark)


async def _bounded(limit: int, coroutines: Iterable[Awaitable[object]]) -> list[object]:
    semaphore = asyncio.Semaphore(limit)

    async def run(coroutine: Awaitable[object]) -> object:
        async with semaphore:
            return await coroutine

    return list(await asyncio.gather(*(run(c) for c in coroutines)))
