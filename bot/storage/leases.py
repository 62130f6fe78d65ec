"""Leases: one row per kind of work only one replica may do at a time.

A holder renews its lease well before it expires; when it stops renewing (it died, it lost the
database), the lease expires and another replica takes it, and the fencing counter moves on, so
writes guarded by the old holder's fence are refused from then on.

Expiry uses each replica's own clock (epoch seconds): replicas are expected to run with
synchronised clocks (NTP, as hosting platforms do); a skew of a second or two only shortens or
lengthens a hand-over by as much.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.services.repositories import Grant
from bot.storage import dialect
from bot.storage.database import Database
from bot.storage.tables import leases


class LeaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._ensure = dialect.insert(leases, db.engine_name).on_conflict_do_nothing(index_elements=[leases.c.name])

    async def acquire(self, name: str, holder: str, now: float, ttl: float, *, renew: bool) -> Grant | None:
        """Take (``renew`` False: a new term, with a new fence) or renew the lease ``name`` for
        ``ttl`` seconds if it is free, expired or ours; None while someone else holds it."""
        async with self._db.transaction():
            await self._db.run(self._ensure, {"name": name, "holder": None, "fence": 0, "expires_at": 0.0})
            row = await self._db.fetch_one(select(leases).where(leases.c.name == name).with_for_update())
            assert row is not None
            if row.holder not in (None, holder) and row.expires_at >= now:
                return None
            fence = int(row.fence) if renew and row.holder == holder else int(row.fence) + 1
            await self._db.run(
                update(leases).where(leases.c.name == name).values(holder=holder, fence=fence, expires_at=now + ttl)
            )
        return Grant(fence=fence, previous_holder=row.holder, previous_expiry=float(row.expires_at))

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up at once (a clean stop), so another replica need not wait for it to
        expire."""
        await self._db.run(
            update(leases).where(leases.c.name == name, leases.c.holder == holder).values(holder=None, expires_at=0.0)
        )

    async def holder(self, name: str, now: float) -> str | None:
        """Who holds the lease now (None if nobody)."""
        row = await self._db.fetch_one(
            leases.select().where(leases.c.name == name, leases.c.expires_at >= now, leases.c.holder.is_not(None))
        )
        return str(row.holder) if row is not None else None
