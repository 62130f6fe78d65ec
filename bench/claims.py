"""How fast the reminder sweep claims daily reminders that fall due in the same minute.

Run by hand:  .venv/bin/python -m bench.claims [sizes...] [--postgres [SERVER]]

It stores N users, each with a daily reminder due at the same instant (and half of them a second
reminder later in the day, which the claim reads to know the user's previous reminder time),
then times the real ``Reminders.sweep``: for each due row, the user's pause, last finished
routine and activity are read, the pure decision is made, a delivery is queued under its
occurrence key, and the row moves on, all in one transaction per batch. SQLite by default (a
real file); with ``--postgres`` also a fresh database on that server (the local one by default).
Sending is not part of it (the courier paces that at Telegram's limits).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.pgdb import DEFAULT_SERVER, fresh_database
from bot.domain.clock import ManualClock
from bot.domain.routines import load_routines
from bot.services.reminders import Reminders
from bot.services.repositories import ScheduleRow
from bot.storage import Database, Repositories, sqlite_url


class NoMessenger:
    """The sweep sends nothing itself; any call is a no-op."""

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return lambda *args, **kwargs: None


async def claim(url: str, users: int) -> tuple[int, float]:
    db = await Database.open(url)
    try:
        stores = Repositories.over(db)
        due = datetime(2026, 1, 5, 12, 30, tzinfo=UTC)
        async with db.transaction():
            for user_id in range(1, users + 1):
                await stores.users.upsert_user(user_id, f"U{user_id}", due)
                await stores.schedules.save_schedule(
                    ScheduleRow(user_id, "daily", "12:30", 127, None, None, None, due, slot="12:30")
                )
                if user_id % 2 == 0:
                    await stores.schedules.save_schedule(
                        ScheduleRow(user_id, "daily", "09:00", 127, None, None, None, due + timedelta(hours=20),
                                    slot="09:00")
                    )
        reminders = Reminders(
            users=stores.users, schedules=stores.schedules, deliveries=stores.deliveries,
            routines=load_routines(), messenger=NoMessenger(),  # type: ignore[arg-type]
            clock=ManualClock(due + timedelta(seconds=5)), default_zone="UTC",
        )
        started = time.perf_counter()
        queued = await reminders.sweep()
        return queued, time.perf_counter() - started
    finally:
        await db.close()


def main(argv: list[str]) -> None:
    postgres = None
    if "--postgres" in argv:
        at = argv.index("--postgres")
        given = argv[at + 1 : at + 2]
        postgres = given[0] if given and not given[0].isdigit() else DEFAULT_SERVER
        del argv[at : at + 1 + (postgres is not DEFAULT_SERVER)]
    sizes = [int(arg) for arg in argv] or [1000, 20000]
    print("| engine | reminders due at once | queued | seconds | claimed per second |")
    print("|---|---:|---:|---:|---:|")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            queued, took = asyncio.run(claim(sqlite_url(Path(folder) / "claims.sqlite3"), size))
        print(f"| SQLite | {size:,} | {queued:,} | {took:.2f} | {queued / took:,.0f} |")
        if postgres is not None:
            with fresh_database(postgres) as url:
                queued, took = asyncio.run(claim(url, size))
            print(f"| PostgreSQL | {size:,} | {queued:,} | {took:.2f} | {queued / took:,.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
