"""How fast the session clock advances many sessions that fall due in the same second: their
live cards' countdowns redrawn at once, then their steps ending at once.

Run by hand:  .venv/bin/python -m bench.sessions [sizes...]

It stores N active sessions whose steps all end at the same instant, then calls the real
``Coach.sweep`` (what the JobQueue job runs every second) until every session has moved on,
with a real SQLite file and an in-memory messenger, so the figures are our own overhead: the
database, the state machine and the locks. Sending is bounded separately by Telegram's limits
(about 30 messages a second per bot), which no code of ours can beat.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bot.domain import session as machine
from bot.domain.clock import ManualClock
from bot.domain.routines import load_routines
from bot.services.coach import Coach
from bot.services.messenger import Outcome, Status, Ticket
from bot.storage import Database, Repositories, sqlite_url


class CountingMessenger:
    """Counts what the coach sends; every message is delivered at once."""

    def __init__(self) -> None:
        self.sent = 0
        self.edits = 0
        self._ids = 0

    def post(self, chat_id: int, text: str, keyboard=None, **_: object) -> Ticket:  # type: ignore[no-untyped-def]
        self.sent += 1
        self._ids += 1
        return Ticket.settled(Outcome(Status.DELIVERED, message_id=self._ids))

    def edit(self, chat_id: int, message_id: int, text: str, keyboard, **_: object) -> Ticket:  # type: ignore[no-untyped-def]
        self.edits += 1
        return Ticket.settled(Outcome(Status.DELIVERED))

    def clear_buttons(self, chat_id: int, message_id: int) -> Ticket:
        self.edits += 1
        return Ticket.settled(Outcome(Status.DELIVERED))


async def run(size: int) -> dict[str, float]:
    book = load_routines()
    routine = book["desk-break"]
    clock = ManualClock()
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(sqlite_url(Path(folder) / "bench.sqlite3"))
        storage = Repositories.over(db)
        try:
            messenger = CountingMessenger()
            coach = Coach(
                sessions=storage.sessions, users=storage.users, measurements=storage.measurements,
                transactions=db, routines=book, messenger=messenger, clock=clock,
            )
            started = time.perf_counter()
            async with db.transaction():
                for user_id in range(1, size + 1):
                    await storage.users.upsert_user(user_id, "u", clock.now())
                    session, _ = machine.start(routine, user_id, user_id, clock.now())
                    stored = await storage.sessions.insert_session(session, session.next_event_at(routine))
                    assert stored.id is not None
                    await storage.sessions.set_pose_message(stored.id, user_id, 0)  # its card is on screen
            setup = time.perf_counter() - started

            first = routine.step(0)
            if first.get_ready:  # every session gets ready, then holds: not measured
                clock.advance(first.get_ready)
                while await coach.sweep():
                    pass
            messenger.edits = 0
            clock.advance(first.seconds - 10)  # every card's countdown is due for a redraw now
            started = time.perf_counter()
            while await coach.sweep():
                pass
            redraw_seconds = time.perf_counter() - started
            redraws = messenger.edits

            clock.advance(10)  # every first step ends now
            started = time.perf_counter()
            sweeps = 0
            while await coach.sweep():  # 0 once nothing is due (the next steps end later)
                sweeps += 1
            elapsed = time.perf_counter() - started
            advanced = sum(1 for s in await storage.sessions.active_sessions() if s.step_index == 1)
        finally:
            await db.close()
    return {
        "sessions": size,
        "setup_s": setup,
        "sweeps": sweeps,
        "advanced": advanced,
        "missed": size - advanced,
        "seconds": elapsed,
        "per_second": advanced / elapsed if elapsed else 0.0,
        "messages": messenger.sent,
        "redraws": redraws,
        "redraws_per_second": redraws / redraw_seconds if redraw_seconds else 0.0,
    }


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 5000, 10000]
    print(
        f"{'sessions':>9} {'advanced':>9} {'missed':>7} {'sweeps':>7} "
        f"{'seconds':>8} {'sessions/s':>11} {'poses sent':>11} {'redraws':>8} {'redraws/s':>10}"
    )
    for size in sizes:
        row = asyncio.run(run(size))
        print(
            f"{row['sessions']:>9} {row['advanced']:>9} {row['missed']:>7} {row['sweeps']:>7} "
            f"{row['seconds']:>8.2f} {row['per_second']:>11.0f} {row['messages']:>11} "
            f"{row['redraws']:>8} {row['redraws_per_second']:>10.0f}"
        )


if __name__ == "__main__":
    main()
