"""What a user's measurements and sessions add up to: /reach, /progress, /history, /export,
/forget. Reads and writes through storage; no Telegram here."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.actions import SettleDoubt
from bot.domain.clock import Clock
from bot.domain.reach import MAX_CM, MIN_CM, Reach, progress
from bot.domain.routines import RoutineBook
from bot.domain.session import held_enough
from bot.services.doubts import doubt_about
from bot.services.notices import HistoryView, ProgressView, ReachLogged
from bot.services.repositories import FinishedSession, MeasurementStore, SessionStore, UserDataStore, UserStore

HISTORY_LENGTH = 10
#: How many end-of-routine check-ins /history lists.
CHECK_INS_SHOWN = 5
EXPORT_COLUMNS = [
    "record", "id", "time_utc", "session_id", "value_cm", "landmark", "phase", "convention",
    "routine", "status", "detail", "feeling",
]


class ProgressReport:
    def __init__(
        self,
        *,
        users: UserStore,
        user_data: UserDataStore,
        sessions: SessionStore,
        measurements: MeasurementStore,
        routines: RoutineBook,
        clock: Clock,
        default_zone: str,
    ) -> None:
        self._routines = routines
        self._users = users
        self._user_data = user_data
        self._sessions = sessions
        self._measurements = measurements
        self._clock = clock
        self._default_zone = default_zone

    def _counts(self, done: FinishedSession) -> bool:
        """Whether a finished routine counts (streaks, "finished" counts): not if most of it was
        skipped. One whose routine file is gone is given the benefit of the doubt."""
        routine = self._routines.get(done.routine_id)
        return routine is None or held_enough(done.active_seconds, routine)

    async def log(
        self, user_id: int, chat_id: int, first_name: str, reach: Reach, source: str | None = None
    ) -> ReachLogged:
        """`/reach` outside a routine: a measurement of its own, and the answer to show.
        ``source`` names the message it came from, so the same message handled twice stores it
        once. A value far from the user's recent ones is kept but asked about."""
        now = self._clock.now()
        await self._users.upsert_user(user_id, first_name, now)
        doubted = await doubt_about(self._measurements, user_id, reach)
        stored = await self._measurements.add_measurement(
            user_id, None, now, reach, "single", source, confirmed=doubted is None
        )
        if doubted is not None and stored is not None:
            return ReachLogged(reach, doubted, stored)
        return ReachLogged(reach)

    async def settle_doubt(self, user_id: int, answer: SettleDoubt) -> Reach | None:
        """"Did you mean ...?" answered: the value as it now stands, or None if there is
        nothing to settle (already answered, or deleted)."""
        cm = answer.tenths / 10 if answer.tenths is not None else None
        if cm is not None and not MIN_CM <= cm <= MAX_CM:  # buttons only offer values in range
            return None
        if not await self._measurements.settle_doubt(user_id, answer.measurement_id, cm):
            return None
        settled = next(
            (m for m in await self._measurements.measurements_of(user_id) if m.id == answer.measurement_id), None
        )
        return settled.reach if settled is not None else None

    async def summary(self, user_id: int) -> ProgressView:
        """What /progress shows: the numbers, and the measurements to chart."""
        zone = await self._zone(user_id)
        measurements = await self._measurements.measurements_of(user_id)
        finished = [
            done.ended_at for done in await self._sessions.finished_sessions(user_id) if self._counts(done)
        ]
        return ProgressView(progress(measurements, finished, self._clock.now(), zone), measurements, zone)

    async def history(self, user_id: int) -> HistoryView:
        zone = await self._zone(user_id)
        measurements = await self._measurements.measurements_of(user_id)
        check_ins = [
            (record.ended_at, record.routine_id, record.feeling)
            for record in (await self._sessions.check_ins(user_id))[-CHECK_INS_SHOWN:]
        ]
        return HistoryView(measurements[-HISTORY_LENGTH:], len(measurements), zone, check_ins)

    async def export_csv(self, user_id: int) -> bytes | None:
        """Everything stored about the user as one CSV: profile, schedules, reminders sent,
        sessions and measurements, one row per stored row. None if nothing is stored."""
        rows = await self._user_data.export_rows(user_id)
        if not any(rows.values()):
            return None
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for user in rows["users"]:
            writer.writerow({
                "record": "profile", "id": user["user_id"], "time_utc": _iso(user["created_at"]),
                "detail": f"timezone={user['timezone'] or self._default_zone + ' (default)'}",
            })
        for schedule in rows["schedules"]:
            detail = f"kind={schedule['kind']}"
            if schedule["local_time"]:
                detail += f"; time={schedule['local_time']}"
            if schedule["window_start"]:
                detail += (
                    f"; hours={schedule['window_start']}-{schedule['window_end']}; every={schedule['every_minutes']}min"
                )
            writer.writerow({"record": "schedule", "time_utc": _iso(schedule["next_due_at"]), "detail": detail})
        for delivery in rows["deliveries"]:
            writer.writerow({
                "record": "reminder", "id": delivery["id"], "time_utc": _iso(delivery["due_at"]),
                "status": delivery["status"], "detail": delivery["kind"],
            })
        for session in rows["sessions"]:
            writer.writerow({
                "record": "session", "id": session["id"], "time_utc": _iso(session["started_at"]),
                "routine": session["routine_id"], "status": session["status"],
                "detail": f"done={session['steps_done']}; skipped={session['steps_skipped']}; "
                          f"seconds={round(session['active_seconds'])}",
                "feeling": session.get("feeling") or "",
            })
        for measurement in rows["measurements"]:
            writer.writerow({
                "record": "measurement", "id": measurement["id"], "time_utc": _iso(measurement["taken_at"]),
                "session_id": measurement["session_id"] if measurement["session_id"] is not None else "",
                "value_cm": measurement["value_cm"] if measurement["value_cm"] is not None else "",
                "landmark": measurement["landmark"] or "", "phase": measurement["phase"],
                "convention": measurement["convention"],
            })
        return buffer.getvalue().encode("utf-8")

    async def forget(self, user_id: int) -> None:
        await self._user_data.forget_user(user_id)

    async def _zone(self, user_id: int) -> ZoneInfo:
        user = await self._users.get_user(user_id)
        return ZoneInfo((user.timezone if user else None) or self._default_zone)


def _iso(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp else ""
