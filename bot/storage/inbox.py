"""The inbox: every update from Telegram, recorded before it is confirmed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select, update

from bot.storage import dialect
from bot.storage.database import Database
from bot.storage.tables import inbox
from bot.storage.times import ts


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # The insert itself says which updates are new: two replicas recording the same update at
        # once (a webhook retry) cannot both take it.
        self._record = (
            dialect.insert(inbox, db.engine_name)
            .on_conflict_do_nothing(index_elements=[inbox.c.update_id])
            .returning(inbox.c.update_id)
        )
        self._finish = (
            update(inbox).where(inbox.c.update_id == bindparam("id")).values(status=bindparam("new_status"))
        )

    async def record_updates(self, updates: list[tuple[int, int | None, str]], now: datetime) -> list[int]:
        """Store (update_id, user_id, payload) rows not seen before, in one transaction; returns
        the ids that are new (an update Telegram delivers again is not handled again)."""
        if not updates:
            return []
        updates = list({row[0]: row for row in updates}.values())  # a batch may repeat one
        recorded = await self._db.fetch_all(
            self._record,
            [
                {"update_id": update_id, "user_id": user_id, "payload": payload, "received_at": ts(now)}
                for update_id, user_id, payload in updates
            ],
        )
        fresh = {row.update_id for row in recorded}
        return [update_id for update_id, _, _ in updates if update_id in fresh]

    async def unhandled_updates(self, received_before: datetime | None = None) -> list[tuple[int, str]]:
        """Updates recorded but not handled (by a process that stopped), oldest first; only
        those received before ``received_before`` if given."""
        statement = select(inbox.c.update_id, inbox.c.payload).where(inbox.c.status == "pending")
        if received_before is not None:
            statement = statement.where(inbox.c.received_at < ts(received_before))
        rows = await self._db.fetch_all(statement.order_by(inbox.c.update_id))
        return [(row.update_id, row.payload) for row in rows]

    async def finish_updates(self, update_ids: list[int], status: str = "done") -> None:
        await self._db.run(self._finish, [{"id": update_id, "new_status": status} for update_id in update_ids])

    async def prune_inbox(self, before: datetime) -> int:
        return await self._db.run(delete(inbox).where(inbox.c.status != "pending", inbox.c.received_at < ts(before)))
