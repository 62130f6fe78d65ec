"""Users and the group chats the bot is in; and everything stored about one user (/export,
/forget)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update

from bot.services.repositories import User
from bot.storage import dialect
from bot.storage.database import Database
from bot.storage.tables import USER_TABLES, chats, inbox, schedules, users
from bot.storage.times import dt, ts

_BY_ID = users.c.user_id == bindparam("user_id")


class UserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        insert = dialect.insert(users, db.engine_name)
        self._upsert = insert.on_conflict_do_update(
            index_elements=[users.c.user_id],
            set_={
                "first_name": insert.excluded.first_name,
                "updated_at": insert.excluded.updated_at,
                # Set once, from the first contact that knows it; /language changes it.
                "language": func.coalesce(users.c.language, insert.excluded.language),
            },
        )
        chat_insert = dialect.insert(chats, db.engine_name)
        self._chat_upsert = chat_insert.on_conflict_do_update(
            index_elements=[chats.c.chat_id],
            set_={
                "kind": func.coalesce(bindparam("new_kind"), chats.c.kind),
                "title": func.coalesce(bindparam("new_title"), chats.c.title),
                "status": chat_insert.excluded.status,
                "updated_at": chat_insert.excluded.updated_at,
            },
        )

    async def upsert_user(self, user_id: int, first_name: str, now: datetime, language: str | None = None) -> None:
        """Create or refresh a user. Their chat is always their private chat, which Telegram
        gives the user's own id: using the bot in a group never redirects their reminders.
        ``language`` is stored only if none is yet."""
        await self._db.run(
            self._upsert,
            {"user_id": user_id, "chat_id": user_id, "first_name": first_name[:64],
             "created_at": ts(now), "updated_at": ts(now), "language": language},
        )

    async def set_language(self, user_id: int, language: str) -> None:
        await self._set(user_id, language=language)

    async def get_user(self, user_id: int) -> User | None:
        row = await self._db.fetch_one(select(users).where(_BY_ID), {"user_id": user_id})
        if row is None:
            return None
        return User(
            user_id=row.user_id,
            chat_id=row.chat_id,
            first_name=row.first_name,
            timezone=row.timezone,
            timezone_hint_sent=bool(row.timezone_hint_sent),
            blocked_at=dt(row.blocked_at),
            paused_until=dt(row.paused_until),
            moved_at=dt(row.moved_at),
            language=row.language,
        )

    async def _set(self, user_id: int, **values: Any) -> int:
        return await self._db.run(update(users).where(users.c.user_id == user_id).values(**values))

    async def set_timezone(self, user_id: int, zone: str) -> None:
        await self._set(user_id, timezone=zone)

    async def mark_timezone_hint_sent(self, user_id: int) -> None:
        await self._set(user_id, timezone_hint_sent=1)

    async def set_paused_until(self, user_id: int, until: datetime | None) -> None:
        await self._set(user_id, paused_until=ts(until))

    async def set_moved_at(self, user_id: int, moment: datetime) -> None:
        await self._set(user_id, moved_at=ts(moment))

    async def set_blocked(self, user_id: int, blocked_at: datetime | None) -> bool:
        """Mark a user as having blocked the bot (or not); False if we do not know them. While
        blocked, their schedules are parked (next_due_at NULL) so sweeps do not even look at
        them."""
        async with self._db.transaction():
            known = await self._set(user_id, blocked_at=ts(blocked_at))
            if blocked_at is not None:
                await self._db.run(
                    update(schedules).where(schedules.c.user_id == user_id).values(next_due_at=None)
                )
        return known > 0

    async def blocked_users(self) -> set[int]:
        rows = await self._db.fetch_all(select(users.c.user_id).where(users.c.blocked_at.is_not(None)))
        return {row.user_id for row in rows}

    async def parked_users(self) -> list[int]:
        """Users not blocked whose reminders are parked anyway (a block that was undone
        without a reschedule, e.g. by a migration)."""
        rows = await self._db.fetch_all(
            select(schedules.c.user_id)
            .distinct()
            .join(users, users.c.user_id == schedules.c.user_id)
            .where(schedules.c.kind != "snooze", schedules.c.next_due_at.is_(None), users.c.blocked_at.is_(None))
        )
        return [row.user_id for row in rows]

    async def count_users(self) -> int:
        return int(await self._db.scalar(select(func.count()).select_from(users)) or 0)

    # -- group chats ---------------------------------------------------------------------------

    async def set_chat_status(
        self, chat_id: int, kind: str | None, title: str | None, status: str, now: datetime
    ) -> None:
        """Remember a group's state (member, left, kicked...); a kind or title not given keeps
        what is known. Users are not touched."""
        title = title[:128] if title else title
        await self._db.run(
            self._chat_upsert,
            {"chat_id": chat_id, "kind": kind or "group", "title": title or "", "status": status,
             "updated_at": ts(now), "new_kind": kind, "new_title": title},
        )

    async def chat_status(self, chat_id: int) -> str | None:
        status: str | None = await self._db.scalar(select(chats.c.status).where(chats.c.chat_id == chat_id))
        return status


class UserDataRepository:
    """Every stored row that belongs to one user, across tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def export_rows(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every stored row that belongs to the user, table by table, as plain dicts."""
        result: dict[str, list[dict[str, Any]]] = {}
        for table, order in USER_TABLES.items():
            rows = await self._db.fetch_all(select(table).where(table.c.user_id == user_id).order_by(*order))
            result[table.name] = [dict(row._mapping) for row in rows]
        return result

    async def forget_user(self, user_id: int) -> None:
        """Delete everything stored about a user, in every table."""
        async with self._db.transaction():
            for table in USER_TABLES:
                await self._db.run(delete(table).where(table.c.user_id == user_id))
            # Raw updates kept for crash recovery hold their words too (the one being handled
            # now included: it has done its work).
            await self._db.run(delete(inbox).where(inbox.c.user_id == user_id))
