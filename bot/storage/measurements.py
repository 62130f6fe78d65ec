"""Reach measurements."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from bot.domain.reach import CONVENTION, Landmark, Measurement, Reach
from bot.storage import dialect
from bot.storage.database import Database
from bot.storage.tables import measurements


class MeasurementRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._insert = dialect.insert(measurements, db.engine_name).on_conflict_do_nothing(
            index_elements=[measurements.c.user_id, measurements.c.source],
            index_where=measurements.c.source.is_not(None),
        )

    async def add_measurement(
        self,
        user_id: int,
        session_id: int | None,
        taken_at: datetime,
        reach: Reach,
        phase: str,
        source: str | None = None,
        confirmed: bool = True,
    ) -> int | None:
        """Store a measurement and return its id; None if one from the same ``source`` (the
        message it was typed in) is already stored."""
        found = await self._db.scalar(
            self._insert.values(
                user_id=user_id, session_id=session_id, taken_at=taken_at.timestamp(), value_cm=reach.cm,
                landmark=reach.landmark.value if reach.landmark else None, phase=phase,
                convention=CONVENTION, source=source, confirmed=int(confirmed),
            ).returning(measurements.c.id)
        )
        return int(found) if found is not None else None

    async def settle_doubt(self, user_id: int, measurement_id: int, cm: float | None) -> bool:
        """Confirm a value that was in doubt, as it was (``cm`` None) or corrected; False if
        the user has no such value waiting."""
        values: dict[str, object] = {"confirmed": 1}
        if cm is not None:
            values["value_cm"] = cm
        return await self._db.run(
            update(measurements)
            .where(
                measurements.c.id == measurement_id,
                measurements.c.user_id == user_id,
                measurements.c.confirmed == 0,
            )
            .values(**values)
        ) == 1

    async def forget_session_reach(self, user_id: int, session_id: int, phase: str) -> None:
        """Drop the measurement a session stored for ``phase`` (an answer being corrected)."""
        await self._db.run(
            delete(measurements).where(
                measurements.c.user_id == user_id,
                measurements.c.session_id == session_id,
                measurements.c.phase == phase,
            )
        )

    async def measurements_of(self, user_id: int, session_id: int | None = None) -> list[Measurement]:
        statement = select(measurements).where(measurements.c.user_id == user_id)
        if session_id is not None:
            statement = statement.where(measurements.c.session_id == session_id)
        rows = await self._db.fetch_all(statement.order_by(measurements.c.taken_at, measurements.c.id))
        return [
            Measurement(
                taken_at=datetime.fromtimestamp(row.taken_at, UTC),
                reach=Reach(cm=row.value_cm, landmark=Landmark(row.landmark) if row.landmark else None),
                phase=row.phase,
                session_id=row.session_id,
                confirmed=bool(row.confirmed),
                id=row.id,
            )
            for row in rows
        ]
