"""Two bot processes on one PostgreSQL database: the lease holder runs the clock, the other
stands by; SIGKILL the holder in the middle of a 1,000-reminder burst and a running routine,
and the other takes over: every reminder reaches its user exactly once (a reminder the dead
process had in flight may be lost, never doubled) and the routine goes on to its end."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.services.repositories import ScheduleRow
from bot.storage import Database, Repositories
from tests.conftest import TEST_ROUTINES
from tests.fake_telegram import TOKEN, FakeTelegram

pytestmark = pytest.mark.postgresql_only

ROOT = Path(__file__).resolve().parent.parent
REMINDERS = 1_000
FIRST_REMINDED = 50_000
LEASE_SECONDS = 5.0


class BotProcess:
    """`python -m bot` with its log lines collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> BotProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--polling", cwd=cwd, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    def logged(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    async def end(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await asyncio.gather(self._reader, return_exceptions=True)


async def eventually(condition: Callable[[], Awaitable[bool] | bool], what: str, timeout: float = 90.0) -> None:
    """Wait for a condition the bots bring about (checked every 0.2 s, failing after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def seed_reminders(database_url: str, due: datetime) -> None:
    db = await Database.open(database_url)
    stores = Repositories.over(db)
    try:
        async with db.transaction():
            for index in range(REMINDERS):
                user_id = FIRST_REMINDED + index
                await stores.users.upsert_user(user_id, f"R{index}", due)
                await stores.schedules.save_schedule(
                    ScheduleRow(
                        user_id, "daily", due.strftime("%H:%M"), 127, None, None, None, due, slot=due.strftime("%H:%M")
                    )
                )
    finally:
        await db.close()


async def delivery_statuses(database_url: str) -> dict[str, int]:
    db = await Database.open(database_url, migrate=False)
    try:
        rows = await db.fetch_all(text("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status"))
    finally:
        await db.close()
    return {row.status: int(row.n) for row in rows}


async def unknown_users(database_url: str) -> set[int]:
    db = await Database.open(database_url, migrate=False)
    try:
        rows = await db.fetch_all(text("SELECT user_id FROM deliveries WHERE status = 'unknown'"))
    finally:
        await db.close()
    return {int(row.user_id) for row in rows}


async def test_the_standby_takes_over_the_clock_when_the_leader_is_killed(
    database_url: str, telegram: FakeTelegram, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "DATABASE_URL": database_url,
        "ROUTINES_DIR": str(TEST_ROUTINES),
        "REPLICAS": "2",
        "LEADER_LEASE_SECONDS": str(LEASE_SECONDS),
        # 100/s for the bot, 50/s per replica: the burst lasts long enough to be cut in two.
        "SEND_RATE_PER_SECOND": "100",
        "REMINDER_SWEEP_SECONDS": "0.5",
    }
    reminded = {
        FIRST_REMINDED + index: telegram.user(FIRST_REMINDED + index, f"R{index}") for index in range(REMINDERS)
    }
    user = telegram.user()
    first = await BotProcess.start(env, tmp_path)
    second: BotProcess | None = None
    try:
        await user.send("/help")
        await user.next_message("What I can do")  # the first process leads: it polls
        second = await BotProcess.start(env, tmp_path)
        await eventually(lambda: second.logged("stands by"), "the second process to stand by")

        # A routine is running, and 1,000 reminders fall due, when the leader dies.
        await user.send("/stretch quick")
        await user.next_message("3/3 · Easy breathing")  # a 20 s hold
        await seed_reminders(database_url, datetime.now(UTC))

        def reminders_seen() -> int:
            return sum(1 for chat in reminded.values() if chat.messages)

        await eventually(lambda: reminders_seen() >= 200, "the burst to be under way")
        first.process.kill()
        killed_at = time.monotonic()
        seen_at_kill = reminders_seen()

        await eventually(lambda: second.logged("runs the clock now"), "the standby to take over", timeout=30)
        took_over_after = time.monotonic() - killed_at

        # The routine goes on to its end under the new leader, without its card sent again.
        done = await user.next_message("done!")
        assert "Quick test" in done.text
        assert len([m for m in user.messages if "3/3 · Easy breathing" in m.text]) == 1

        async def burst_settled() -> bool:
            statuses = await delivery_statuses(database_url)
            return sum(statuses.values()) == REMINDERS and not statuses.get("pending") and not statuses.get("sending")

        await eventually(burst_settled, "every reminder to be settled")
        statuses = await delivery_statuses(database_url)
        unsure = await unknown_users(database_url)
    finally:
        await first.end()
        if second is not None:
            await second.end()

    counts = {user_id: len(chat.messages) for user_id, chat in reminded.items()}
    doubled = [user_id for user_id, n in counts.items() if n > 1]
    missing = {user_id for user_id, n in counts.items() if n == 0}
    with capsys.disabled():
        print(
            f"\nreplicas: {REMINDERS} reminders due, {seen_at_kill} delivered before the kill, "
            f"{sum(counts.values())} delivered in all, {len(doubled)} twice, {len(missing)} lost "
            f"(in flight at the kill: {len(unsure)}), take-over {took_over_after:.1f} s after the kill; "
            f"statuses {statuses}"
        )
    assert doubled == []
    assert missing <= unsure  # only what the dead process had in flight may be lost
    # How soon the standby takes over is shown above and bounded by the 30 s wait for it; the
    # rule itself (a lease and a third) is tested on a manual clock in test_leases.py.
