"""A burst of daily reminders due in the same minute, delivered within Telegram's limits.

Run by hand:  .venv/bin/python -m bench.reminders [--users 10000] [--rate 25]

N users get a 12:30 reminder (stored directly, as if each had sent /remind 12:30). The real
bot (python -m bot's own lifecycle) then runs against the fake Bot API server with Telegram's
limits enforced: 30 messages a second overall and 1 a second per chat, 429 "retry after"
beyond them. The clock jumps to 12:30 and the bench waits until every reminder is delivered,
then prints what arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.app import running
from bot.clock import ManualClock
from bot.config import Settings
from bot.schedule import Kind, Weekdays, next_daily
from bot.storage import ScheduleRow, Storage
from tests.conftest import TEST_ROUTINES
from tests.fake_telegram import TOKEN, FakeTelegram, RateLimits

DUE = datetime(2026, 1, 5, 12, 30, tzinfo=UTC)  # a Monday


async def seed(path: Path, users: int, clock: ManualClock) -> None:
    storage = await Storage.open(path)
    try:
        due = next_daily(clock.now(), DUE.time(), Weekdays.workdays(), DUE.tzinfo)  # type: ignore[arg-type]
        assert due == DUE
        async with storage.transaction():
            for user_id in range(1, users + 1):
                chat_id = 10_000_000 + user_id
                await storage.upsert_user(chat_id, f"user{user_id}", clock.now())
                await storage.save_schedule(
                    ScheduleRow(chat_id, Kind.DAILY.value, "12:30", Weekdays.workdays().mask, None, None, None, due)
                )
    finally:
        await storage.close()


async def run(users: int, rate: float) -> None:
    logging.basicConfig(level=logging.WARNING)
    api = FakeTelegram()
    api.rate_limits = RateLimits(overall_per_second=30, per_chat_per_second=1, retry_after=1)
    await api.start()
    clock = ManualClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        await seed(database, users, clock)
        seeded = time.perf_counter() - started
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, telegram_bot_token=TOKEN, database_path=database, routines_dir=TEST_ROUTINES,
            telegram_base_url=api.base_url, reminder_sweep_seconds=1, send_rate_per_second=rate,
        )
        async with running(settings, clock, poll_timeout=1):
            clock.set(DUE)
            started = time.perf_counter()
            while True:
                reminders = [m for chat in api.chats.values() for m in chat if "Time to stretch" in m.text]
                if len(reminders) >= users:
                    break
                if time.perf_counter() - started > users / 5 + 120:
                    print("gave up waiting")
                    break
                await asyncio.sleep(0.5)
            elapsed = time.perf_counter() - started
            await asyncio.sleep(3)  # anything sent twice would arrive now
        per_chat = Counter(m.chat_id for chat in api.chats.values() for m in chat if "Time to stretch" in m.text)
    await api.stop()
    delivered = len(per_chat)
    duplicates = sum(count - 1 for count in per_chat.values())
    print(f"{'users':>7} {'delivered':>9} {'skipped':>8} {'duplicates':>10} {'429s':>6} {'seconds':>8} {'msgs/s':>7} {'seed s':>7}")
    print(
        f"{users:>7} {delivered:>9} {users - delivered:>8} {duplicates:>10} {api.rejected_429:>6} "
        f"{elapsed:>8.1f} {delivered / elapsed:>7.1f} {seeded:>7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0, help="courier sends per second")
    args = parser.parse_args()
    asyncio.run(run(args.users, args.rate))


if __name__ == "__main__":
    main()
