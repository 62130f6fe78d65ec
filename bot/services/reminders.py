"""Daily reminders and movement nudges: what users ask for, and the sweep that claims what is due.

The database is the source of truth. A schedule row keeps the user's wish in local terms
("12:30, Mon-Fri") and the next UTC instant it is due. Every few seconds :meth:`Reminders.sweep`
asks for the rows that are due, decides about each with the pure :func:`bot.domain.schedule.decide`,
and claims them in one transaction: the row moves on to its next occurrence and a delivery is
queued. The :class:`~bot.services.courier.Courier` sends queued deliveries at Telegram's pace.
Nothing about a schedule lives only in memory, so a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.clock import Clock, Sweeps
from bot.domain.routines import Routine, RoutineBook
from bot.domain.schedule import (
    DueSchedule,
    Kind,
    NudgeWindow,
    Weekdays,
    decide,
    end_of_local_day,
    next_nudge,
    next_unsent_daily,
)
from bot.domain.schedule_input import format_clock
from bot.presentation import keyboards, texts
from bot.presentation.i18n import Words
from bot.services.languages import Languages
from bot.services.messenger import Messenger
from bot.services.notices import (
    DailyEntry,
    Notice,
    NudgeEntry,
    NudgesSet,
    Overview,
    Paused,
    ReminderSet,
    Resumed,
    SnoozedUntil,
    SnoozeEntry,
    TimezoneSet,
    TooManyReminders,
    TurnedOff,
)
from bot.services.repositories import (
    Claim,
    Delivery,
    DeliveryStore,
    DueRow,
    ScheduleRow,
    ScheduleStore,
    User,
    UserStore,
)

log = logging.getLogger(__name__)

#: How many due schedules one sweep claims at most (the rest wait for the next sweep).
SWEEP_BATCH = 5000
#: Daily reminders one user can have: enough for a break every hour or two of a working day,
#: few enough that the list fits one message and stays a coach, not an alarm clock.
MAX_DAILY = 6
SNOOZE_CHOICES = (15, 60)
#: Reminder buttons older than this only get a toast (snoozing yesterday's reminder is odd).
BUTTON_LIFETIME = timedelta(hours=12)
DESK_BREAK = "desk-break"
#: Delivery kinds that are stand-up nudges (offering the desk break) rather than the daily one.
NUDGE_DELIVERIES = frozenset({"nudge", "snooze-nudge"})
DELIVERY_RECORDS_KEPT = timedelta(days=14)


class Reminders:
    def __init__(
        self,
        *,
        users: UserStore,
        schedules: ScheduleStore,
        deliveries: DeliveryStore,
        routines: RoutineBook,
        messenger: Messenger,
        clock: Clock,
        default_zone: str,
        wake_courier: Callable[[], None] = lambda: None,
        languages: Languages | None = None,
    ) -> None:
        self._languages = languages
        self._users = users
        self._schedules = schedules
        self._deliveries = deliveries
        self._routines = routines
        self._messenger = messenger
        self._clock = clock
        self._default_zone = default_zone
        self._wake_courier = wake_courier
        self._sweeps = Sweeps()
        #: Users who blocked the bot, read once from the database and kept in step with it, so
        #: that hearing from a user costs no database round trip.
        self._blocked: set[int] | None = None

    # -- what users ask for --------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock.now()

    async def zone_name(self, user_id: int) -> str:
        return self._zone_name(await self._users.get_user(user_id))

    async def zone_chosen(self, user_id: int) -> str | None:
        """The zone the user set themselves (None: none yet, the default would be used)."""
        user = await self._users.get_user(user_id)
        return user.timezone if user is not None else None

    async def has_daily(self, user_id: int) -> bool:
        return any(row.kind == Kind.DAILY for row in await self._schedules.schedules_of(user_id))

    async def zone_of(self, user_id: int) -> ZoneInfo:
        return ZoneInfo(await self.zone_name(user_id))

    def routine_ids(self) -> list[str]:
        """The ids a daily reminder can be set to offer (as `/remind 12:30 desk-break`)."""
        return list(self._routines)

    async def set_daily(
        self, user_id: int, chat_id: int, first_name: str, at: time, days: Weekdays, routine_id: str | None = None
    ) -> ReminderSet | TooManyReminders:
        """Add a daily reminder at ``at`` beside the user's others, or change the days or routine
        of the one already set for that time. With ``routine_id`` (a known id) it always offers
        that routine; without, the routine the user last finished (else the default)."""
        chosen = self._routines.get(routine_id) if routine_id else None
        slot = format_clock(at)
        dailies = [row for row in await self._schedules.schedules_of(user_id) if row.kind == Kind.DAILY]
        existing = next((row for row in dailies if row.slot == slot), None)
        others = tuple(sorted(_clock(row.local_time) or time(0) for row in dailies if row.slot != slot))
        if existing is None and len(dailies) >= MAX_DAILY:
            return TooManyReminders(others)
        user = await self._user(user_id, chat_id, first_name)
        zone = self._zone(user)
        now = self._clock.now()
        next_due = next_unsent_daily(now, at, days, zone, existing.last_key if existing else None)
        await self._schedules.save_schedule(
            ScheduleRow(
                user_id, Kind.DAILY.value, slot, days.mask, None, None, None, next_due,
                routine_id=chosen.id if chosen else None, slot=slot,
            )
        )
        hint = await self._zone_hint(user)  # said once, in the reply
        return ReminderSet(
            at, days, chosen, self._routines.default, next_due, now, zone, hint, others, existing is not None
        )

    async def set_nudges(
        self, user_id: int, chat_id: int, first_name: str, window: NudgeWindow, days: Weekdays
    ) -> NudgesSet:
        user = await self._user(user_id, chat_id, first_name)
        zone = self._zone(user)
        now = self._clock.now()
        next_due = next_nudge(now, window, days, zone)
        await self._schedules.save_schedule(
            ScheduleRow(
                user_id, Kind.NUDGE.value, None, days.mask, format_clock(window.start),
                format_clock(window.end), window.every_minutes, next_due,
            )
        )
        return NudgesSet(window, days, next_due, now, zone, await self._zone_hint(user))

    async def turn_off(self, user_id: int, kind: Kind) -> TurnedOff:
        """``/remind off``: every daily reminder; ``/nudges off``: the nudges. A snooze of one
        of them goes too (it would bring back what was just turned off)."""
        rows = await self._schedules.schedules_of(user_id)
        await self._schedules.delete_schedule(user_id, kind.value)
        for row in rows:
            if row.kind == Kind.SNOOZE and (row.snoozed_kind == Kind.NUDGE) == (kind is Kind.NUDGE):
                await self._schedules.delete_schedule(user_id, Kind.SNOOZE.value, row.slot)
        return TurnedOff(kind, sum(row.kind == kind for row in rows))

    async def remove(self, user_id: int, at: time | None) -> bool:
        """A remove button under /reminders: the daily reminder set for ``at``, or (None) the
        nudges, with a snooze of it. False: it was already gone."""
        kind, slot = (Kind.NUDGE, "") if at is None else (Kind.DAILY, format_clock(at))
        await self._schedules.delete_schedule(user_id, Kind.SNOOZE.value, slot)
        return await self._schedules.delete_schedule(user_id, kind.value, slot)

    async def overview(self, user_id: int) -> Overview:
        user = await self._users.get_user(user_id)
        rows = await self._schedules.schedules_of(user_id) if user else []
        now = self._clock.now()
        dailies, nudges, snoozes = [], None, []
        for row in rows:
            if row.kind == Kind.DAILY:
                # A chosen routine whose file is gone: the reminder offers the default instead.
                chosen = self._chosen(row.routine_id) or (self._routines.default if row.routine_id else None)
                dailies.append(DailyEntry(_clock(row.local_time) or time(0), Weekdays(row.days), row.next_due_at,
                                          chosen))
            elif row.kind == Kind.NUDGE:
                nudges = NudgeEntry(_window(row), Weekdays(row.days), row.next_due_at)
            else:
                nudge = row.snoozed_kind == Kind.NUDGE
                snoozes.append(SnoozeEntry(row.next_due_at, None if nudge else _slot_time(row.slot), nudge))
        paused = user.paused_until if user and user.paused_until and user.paused_until > now else None
        return Overview(
            tuple(sorted(dailies, key=lambda entry: entry.at)), nudges, tuple(snoozes),
            self._zone_name(user), user is None or user.timezone is None, paused, now, len(dailies) < MAX_DAILY,
        )

    async def set_timezone(self, user_id: int, chat_id: int, first_name: str, zone_name: str) -> TimezoneSet:
        await self._user(user_id, chat_id, first_name)
        await self._users.set_timezone(user_id, zone_name)
        await self._users.mark_timezone_hint_sent(user_id)
        rescheduled = await self._reschedule(user_id, ZoneInfo(zone_name))
        local_now = self._clock.now().astimezone(ZoneInfo(zone_name)).time()
        return TimezoneSet(zone_name, local_now, has_reminders=rescheduled > 0)

    async def pause(self, user_id: int, chat_id: int, first_name: str, until: datetime) -> Paused:
        user = await self._user(user_id, chat_id, first_name)
        await self._users.set_paused_until(user_id, until)
        return Paused(until, self._clock.now(), self._zone(user))

    async def resume(self, user_id: int) -> Resumed:
        user = await self._users.get_user(user_id)
        was_paused = bool(user and user.paused_until and user.paused_until > self._clock.now())
        if user:
            await self._users.set_paused_until(user_id, None)
        return Resumed(was_paused)

    # -- buttons under a reminder ----------------------------------------------------------------

    async def reminder_for(self, user_id: int, delivery_id: int) -> Delivery | Notice:
        """The delivery behind a reminder button, or the toast explaining why it is stale."""
        delivery = await self._deliveries.get_delivery(delivery_id)
        if delivery is None:
            return Notice.EXPIRED
        if delivery.user_id != user_id:
            return Notice.NOT_YOURS
        return delivery

    async def snooze(self, user_id: int, delivery_id: int, minutes: int) -> Notice | SnoozedUntil:
        found = await self._fresh_reminder(user_id, delivery_id)
        if isinstance(found, Notice):
            return found
        delivery, user = found
        now = self._clock.now()
        until = now + timedelta(minutes=minutes)
        nudge = delivery.kind in NUDGE_DELIVERIES
        postponed = Kind.NUDGE.value if nudge else Kind.DAILY.value
        # A snoozed reminder comes back offering the very routine it offered.
        offered = None if nudge else self.routine_for(delivery).id
        await self._schedules.save_schedule(
            ScheduleRow(
                user_id, Kind.SNOOZE.value, None, 0, None, None, None, until,
                # Its reminder's slot: snoozing it again moves it, removing the reminder drops it.
                snoozed_kind=postponed, routine_id=offered,
                slot=delivery.slot if delivery.slot is not None else f"delivery:{delivery.id}",
            )
        )
        snoozed = SnoozedUntil(until, now, self._zone(user))
        # The reminder says on itself when it comes back, and keeps Start and Skip today.
        message_id = await self._deliveries.delivery_message(delivery.id)
        if message_id:
            _ = await self._words(user_id)
            text, _buttons = self._render(delivery, _)
            self._messenger.edit(
                delivery.chat_id,
                message_id,
                f"{text}\n\n{texts.snoozed_note(snoozed, _)}",
                keyboards.snoozed_buttons(delivery.id, _),
            )
        return snoozed

    async def skip_today(self, user_id: int, delivery_id: int) -> Notice:
        found = await self._fresh_reminder(user_id, delivery_id)
        if isinstance(found, Notice):
            return found
        delivery, user = found
        now = self._clock.now()
        until = end_of_local_day(now, self._zone(user))
        if user.paused_until is None or user.paused_until < until:
            await self._users.set_paused_until(user_id, until)
        await self._schedules.delete_schedule(user_id, Kind.SNOOZE.value)
        await self._clear_buttons(delivery)
        return Notice.SKIPPED_TODAY

    async def moved(self, user_id: int, delivery_id: int) -> Notice:
        found = await self.reminder_for(user_id, delivery_id)
        if isinstance(found, Notice):
            return found
        await self._users.set_moved_at(user_id, self._clock.now())
        await self._clear_buttons(found)
        return Notice.MOVED

    async def started_from(self, delivery: Delivery) -> None:
        await self._clear_buttons(delivery)
        # Stretching now answers a snoozed reminder too: it does not come back.
        await self._schedules.delete_schedule(delivery.user_id, Kind.SNOOZE.value)

    # -- blocking ------------------------------------------------------------------------------

    async def chat_blocked(self, chat_id: int) -> None:
        """Telegram refused a message to ``chat_id`` (403). A private chat is its user: they
        blocked the bot. A group only affects that group; nobody's own reminders change."""
        if chat_id < 0:
            await self._users.set_chat_status(chat_id, None, None, "left", self._clock.now())
            return
        await self._users.set_blocked(chat_id, self._clock.now())
        (await self._blocked_users()).add(chat_id)

    async def group_changed(self, chat_id: int, kind: str, title: str, status: str) -> None:
        await self._users.set_chat_status(chat_id, kind, title, status, self._clock.now())

    async def load_blocked(self) -> None:
        """At start-up: learn who has blocked the bot, so that :meth:`marked_blocked` needs no
        database round trip per update."""
        await self._blocked_users()

    async def revive_parked(self) -> int:
        """At start-up: reschedule users whose reminders were parked by a block that no longer
        stands (earlier releases blocked users for what happened in groups)."""
        revived = 0
        for user_id in await self._users.parked_users():
            user = await self._users.get_user(user_id)
            if user is not None:
                await self._reschedule(user_id, self._zone(user))
                revived += 1
        if revived:
            log.info("Reminders of %d user(s) were parked without a block; rescheduled", revived)
        return revived

    def marked_blocked(self, user_id: int) -> bool:
        return self._blocked is not None and user_id in self._blocked

    async def heard_from(self, user_id: int) -> None:
        """A user we marked blocked is writing to us, so they are not blocking any more (even
        if Telegram's unblock notice never reached us): restore their schedule."""
        if user_id in await self._blocked_users():
            await self.user_unblocked(user_id)

    async def user_unblocked(self, user_id: int) -> None:
        """The user let the bot back in: their schedules resume from now, nothing is replayed."""
        (await self._blocked_users()).discard(user_id)
        if await self._users.set_blocked(user_id, None):
            user = await self._users.get_user(user_id)
            if user is not None:
                await self._reschedule(user_id, self._zone(user))

    async def _blocked_users(self) -> set[int]:
        if self._blocked is None:
            self._blocked = await self._users.blocked_users()
        return self._blocked

    async def prune(self) -> int:
        """Forget delivery records older than two weeks (buttons that old only get a toast)."""
        return await self._deliveries.prune_deliveries(self._clock.now() - DELIVERY_RECORDS_KEPT)

    # -- the sweep -----------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Claim every due schedule: queue what goes out, move every row to its next time.
        Returns how many deliveries were queued."""
        async with self._sweeps.run() as mine:
            if not mine:
                return 0
            queued = 0
            while True:
                now = self._clock.now()
                decided, claimed = await self._schedules.claim_due(
                    now, SWEEP_BATCH, lambda row: self._claim(row, now)  # noqa: B023 (called at once)
                )
                queued += claimed
                if decided < SWEEP_BATCH:
                    break
            if queued:
                log.info("Queued %d reminder(s)", queued)
                self._wake_courier()
            return queued

    async def next_sweep(self) -> None:
        """Wait for a whole sweep that starts after this call (it reads the clock as it is
        now): the signal that everything due by now has been claimed."""
        await self._sweeps.next()

    def _claim(self, row: DueRow, now: datetime) -> Claim:
        schedule = row.schedule
        assert schedule.next_due_at is not None
        zone = ZoneInfo(row.timezone or self._default_zone)
        due = DueSchedule(
            user_id=schedule.user_id,
            chat_id=row.chat_id,
            kind=Kind(schedule.kind),
            due_at=schedule.next_due_at,
            zone=zone,
            at=_clock(schedule.local_time),
            days=Weekdays(schedule.days),
            window=_window(schedule) if schedule.kind == Kind.NUDGE else None,
            last_key=schedule.last_key,
            paused_until=row.paused_until,
            last_finished_at=row.last_finished_at,
            last_active_at=row.last_active_at,
            others=tuple((_clock(at) or time(0), Weekdays(days)) for at, days in row.dailies if at != schedule.slot),
            slot=schedule.slot,
        )
        decision = decide(due, now)
        if decision.skip is not None:
            log.debug("Not sending %s to user %s: %s", decision.key, schedule.user_id, decision.skip)
        kind = _delivery_kind(schedule)
        return Claim(
            user_id=schedule.user_id,
            kind=schedule.kind,
            slot=schedule.slot,
            was_due_at=schedule.next_due_at,
            next_due_at=decision.next_due_at,
            delivery=(row.chat_id, decision.key, decision.late_by.total_seconds(), kind) if decision.send else None,
            routine_id=self._offer(row).id if decision.send and kind not in NUDGE_DELIVERIES else None,
        )

    def _offer(self, row: DueRow) -> Routine:
        """The routine a daily reminder (or its snooze) offers, decided as it is claimed: the
        one chosen for the schedule, else the user's last finished one, else the default. An id
        whose routine file is gone means the default."""
        wanted = row.schedule.routine_id or row.last_routine_id
        return self._chosen(wanted) or self._routines.default

    # -- what a reminder says --------------------------------------------------------------------

    async def render(self, delivery: Delivery) -> tuple[str, keyboards.Keyboard]:
        """The text and buttons of a queued delivery, as the courier sends it, in the user's
        language."""
        return self._render(delivery, await self._words(delivery.user_id))

    def _render(self, delivery: Delivery, _: Words) -> tuple[str, keyboards.Keyboard]:
        late = timedelta(seconds=delivery.late_seconds)
        snoozed = delivery.kind.startswith(Kind.SNOOZE.value)
        routine = self._routines.in_language(self.routine_for(delivery), _.language)
        if delivery.kind in NUDGE_DELIVERIES:
            return texts.nudge(routine, late, snoozed, _), keyboards.nudge_buttons(delivery.id, routine, _)
        return (
            texts.daily_reminder(routine, late, snoozed, _),
            keyboards.reminder_buttons(delivery.id, SNOOZE_CHOICES, _),
        )

    async def _words(self, user_id: int) -> Words:
        """The user's words; English if they cannot be read now (a reminder still goes out)."""
        if self._languages is None:
            return texts.ENGLISH
        try:
            return await self._languages.words_of(user_id)
        except Exception:
            log.warning("Could not read the language of user %s; using English", user_id)
            return texts.ENGLISH

    def routine_for(self, delivery: Delivery) -> Routine:
        """The routine a reminder offers (its text, its Start button, its snooze): desk-break
        for a nudge; for a daily reminder the one resolved when it was claimed, or the default
        (an older delivery, or a routine file since removed)."""
        if delivery.kind in NUDGE_DELIVERIES:
            return self._desk_break()
        return self._chosen(delivery.routine_id) or self._routines.default

    # -- internals -----------------------------------------------------------------------------

    def _chosen(self, routine_id: str | None) -> Routine | None:
        """The routine of that id, or None (no id, or its routine file is gone)."""
        return self._routines.get(routine_id) if routine_id else None

    def _desk_break(self) -> Routine:
        return self._routines.get(DESK_BREAK) or self._routines.default

    async def _user(self, user_id: int, chat_id: int, first_name: str) -> User:
        await self._users.upsert_user(user_id, first_name, self._clock.now())
        user = await self._users.get_user(user_id)
        assert user is not None
        return user

    def _zone_name(self, user: User | None) -> str:
        """The user's own zone, or the operator's default until they set one."""
        return (user.timezone if user else None) or self._default_zone

    def _zone(self, user: User) -> ZoneInfo:
        return ZoneInfo(self._zone_name(user))

    async def _zone_hint(self, user: User) -> str | None:
        """Once, tell a user without a zone of their own which one we are using: that zone."""
        if user.timezone is not None or user.timezone_hint_sent:
            return None
        await self._users.mark_timezone_hint_sent(user.user_id)
        return self._default_zone

    async def _reschedule(self, user_id: int, zone: ZoneInfo) -> int:
        """Recompute every schedule of the user from now; returns how many there are."""
        now = self._clock.now()
        rows = await self._schedules.schedules_of(user_id)
        for row in rows:
            if row.kind == Kind.DAILY:
                at = _clock(row.local_time) or time(0)
                next_due = next_unsent_daily(now, at, Weekdays(row.days), zone, row.last_key)
            elif row.kind == Kind.NUDGE:
                next_due = next_nudge(now, _window(row), Weekdays(row.days), zone)
            else:
                next_due = row.next_due_at if row.next_due_at and row.next_due_at > now else None
            await self._schedules.save_schedule(replace(row, next_due_at=next_due))
        return len(rows)

    async def _fresh_reminder(self, user_id: int, delivery_id: int) -> tuple[Delivery, User] | Notice:
        """The reminder behind a snooze or skip button and its user, unless the button is
        someone else's or too old to act on (then the toast saying so)."""
        found = await self.reminder_for(user_id, delivery_id)
        if isinstance(found, Notice):
            return found
        if self._clock.now() - found.due_at > BUTTON_LIFETIME:
            return Notice.EXPIRED
        user = await self._users.get_user(user_id)
        assert user is not None  # a delivery's user exists (deliveries cascade with users)
        return found, user

    async def _clear_buttons(self, delivery: Delivery) -> None:
        message_id = await self._deliveries.delivery_message(delivery.id)
        if message_id:
            self._messenger.clear_buttons(delivery.chat_id, message_id)


def _delivery_kind(schedule: ScheduleRow) -> str:
    """What the message will be: a snoozed nudge comes back as a nudge."""
    if schedule.kind == Kind.SNOOZE and schedule.snoozed_kind == Kind.NUDGE:
        return "snooze-nudge"
    return schedule.kind


def _clock(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def _slot_time(slot: str) -> time | None:
    """The time a daily reminder's slot names ("10:30"); None for a slot from before slots
    named their reminder ("snoozed", "delivery:12")."""
    try:
        return time.fromisoformat(slot)
    except ValueError:
        return None


def _window(row: ScheduleRow) -> NudgeWindow:
    return NudgeWindow(
        time.fromisoformat(row.window_start or "09:00"),
        time.fromisoformat(row.window_end or "17:00"),
        row.every_minutes or 60,
    )
