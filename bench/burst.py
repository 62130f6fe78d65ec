"""A reminder burst within Telegram's limits, with other users mid-routine meanwhile.

Daily reminders all due in the same minute, sent by the real bot against a fake Bot API that
enforces Telegram's limits, while other users go through a routine of short poses.

Run by hand:  .venv/bin/python -m bench.burst [--users 10000] [--routines 1000] [--keep]

What it does:

1. N users (``--users``, distinct private chats) get a daily reminder due at the same whole
   minute (every day, UTC), written straight into a fresh SQLite file through
   :class:`bot.storage.Storage`, as if each had sent ``/remind HH:MM``.
2. The real bot (``bot.app.running``, the lifecycle ``python -m bot`` uses) runs in this process
   with the real clock (:class:`bot.domain.clock.SystemClock`) and its default settings, notably
   ``SEND_RATE_PER_SECOND=30``, against ``bench/limitedapi.py`` in a child process: at most 30
   messages in any 1 s window (edits included), 1 a second per private chat, 429 "retry after"
   beyond.
3. When the first reminder arrives, M other users (``--routines``) start ``/stretch burst``
   (``bench/routine_files/burst.toml``: poses of 3, 4 and 3 s), sent through ``getUpdates`` at random
   instants spread over ``--spread`` seconds (default N/30, the length of the burst if the
   reminders had the 30/s to themselves). Spreading is unavoidable: a session sends a card per
   pose, so 1,000 sessions all mid-routine at once would need ~300 messages/s, ten times what
   Telegram allows; spread like this they need about 4 x M / spread (~12/s by default), which
   the reminders then do not get.
4. It waits until every reminder arrived and the last routine had time to end, waits 5 s more
   (a duplicate would show then), stops the bot and reads the fake server's log.

Reported: reminders delivered, duplicated and missing (counted per chat on the server side),
429s provoked, first and last arrival, throughput (reminders alone, and all messages, since the
routines share Telegram's 30/s), and pose lateness: for each pose card, its arrival at the server
(``time.time()`` there) minus the instant the pose was due, i.e. the session's ``started_at``
(stored by the bot from the same wall clock) plus the lengths of the poses before it. The first
pose is due when ``/stretch`` is handled; the later ones are started by the session sweep, which
runs every ``SESSION_TICK_SECONDS`` (1 s by default). For those, a breakdown follows: pose due ->
the sweep that noticed it -> card handed to the dispatcher -> arrival (the sweep and the
dispatcher's ``submit`` are wrapped on their instances to timestamp them; the bot's code is
untouched). A one-line verdict per goal closes the output.

The bot runs in this process and the fake server in a child: both are stopped on exit, Ctrl-C,
SIGTERM or SIGHUP (the bot's clean shutdown takes a few seconds), and the server gets SIGTERM from
the kernel (Linux) if this process is killed outright. ``--keep`` keeps the scratch folder (the
SQLite file, the bot's log, the server's stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import logging
import math
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from pydantic import SecretStr

from bench.fakeapi import TOKEN, busiest_second
from bench.limitedapi import LimitedApiProcess
from bench.pgdb import DEFAULT_SERVER, fresh_database
from bot.app import Running, running
from bot.config import Settings
from bot.domain.clock import SystemClock
from bot.domain.routines import Routine, parse_routine, shipped_routines
from bot.domain.schedule import Kind
from bot.services.repositories import ScheduleRow
from bot.storage import Database, Repositories, sqlite_url

ROOT = Path(__file__).resolve().parent.parent
BENCH_ROUTINE = ROOT / "bench" / "routine_files" / "burst.toml"
#: Chat ids: reminder users, then routine users (private chats: the chat id is the user id).
REMINDER_USERS_FROM = 100_000_001
ROUTINE_USERS_FROM = 200_000_001
EVERY_DAY = 0b1111111
TELEGRAM_RATE = 30.0
#: Goals.
MIN_THROUGHPUT = 28.0
TIME_TOLERANCE = 0.07
LATENESS_P99 = 1.0
POSE_HEADER = re.compile(r"<b>(\d+)/(\d+) · ")
REMINDER_TEXT = "Time to stretch!"
SETTLE_SECONDS = 5.0


# -- the run ----------------------------------------------------------------------------------------


@dataclass
class Run:
    """Everything measured in one run, raw; :func:`report` turns it into tables."""

    users: int
    routines: int
    routine: Routine
    settings: Settings
    due: datetime
    spread: float
    seed_seconds: float = 0.0
    plan: list[tuple[float, int]] = field(default_factory=list)  # (release instant, chat id)
    log: dict[str, Any] = field(default_factory=dict)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    deliveries: dict[str, int] = field(default_factory=dict)
    dispatcher: dict[str, int] = field(default_factory=dict)
    courier: dict[str, int] = field(default_factory=dict)
    max_backlog: int = 0
    bot_cpu: float = 0.0
    server_cpu: float = 0.0
    machine_cpu: float | None = None  # every process's CPU over the burst (Linux), seconds
    burst_wall: tuple[float, float] = (0.0, 0.0)
    timed_out: bool = False
    warnings: Counter[str] = field(default_factory=Counter)
    #: Instrumentation (wall clock): when each session sweep started, and when each message for a
    #: routine chat was handed to the dispatcher, by chat.
    sweeps: list[float] = field(default_factory=list)
    submitted: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))


async def seed(database_url: str, users: int, due: datetime) -> None:
    """N users, each with a daily reminder due at ``due`` (stored as /remind would)."""
    db = await Database.open(database_url)
    stores = Repositories.over(db)
    try:
        now = datetime.now(UTC)
        local_time = due.strftime("%H:%M")
        async with db.transaction():
            for index in range(users):
                user_id = REMINDER_USERS_FROM + index
                await stores.users.upsert_user(user_id, f"Reminded{index}", now)
                await stores.schedules.save_schedule(
                    ScheduleRow(
                        user_id, Kind.DAILY.value, local_time, EVERY_DAY, None, None, None, due, slot=local_time
                    )
                )
    finally:
        await db.close()


def stretch_update(user_id: int, at: float, routine_id: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": f"Stretcher{user_id % 100_000}", "language_code": "en"}
    text = f"/stretch {routine_id}"
    return {
        "message": {
            "message_id": 1,
            "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
            "date": int(at),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len("/stretch")}],
        }
    }


class Control:
    """The fake server's control endpoints, without blocking the bot's event loop."""

    def __init__(self, api: LimitedApiProcess) -> None:
        self._url = api.control_url

    async def get(self, path: str) -> dict[str, Any]:
        return await asyncio.to_thread(self._call, "GET", path, None)

    async def post(self, path: str, body: object) -> dict[str, Any]:
        return await asyncio.to_thread(self._call, "POST", path, body)

    def _call(self, method: str, path: str, body: object) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else b"" if method == "POST" else None
        request = urllib.request.Request(
            self._url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]


def progress(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def drive_until_done_or_signalled(args: argparse.Namespace, api: LimitedApiProcess, scratch: Path) -> Run:
    """SIGTERM and SIGHUP cancel the run as Ctrl-C does: the bot shuts down cleanly (that takes
    up to ~20 s: it tries to send what it has queued), then the fake server is stopped."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)
    return await drive(args, api, scratch)


async def drive(args: argparse.Namespace, api: LimitedApiProcess, scratch: Path) -> Run:
    routine_file = Path(args.routine)
    # Setup, before anything is measured: a blocking read here delays nothing being timed.
    routine = parse_routine(routine_file.read_text(encoding="utf-8"), str(routine_file))  # noqa: ASYNC240
    routines_dir = scratch / "routines"
    routines_dir.mkdir()
    for shipped in shipped_routines().iterdir():  # reminders name the flagship, as in production
        if shipped.name.endswith(".toml"):
            text = shipped.read_text(encoding="utf-8")
            if parse_routine(text, shipped.name).id != routine.id:
                (routines_dir / shipped.name).write_text(text, encoding="utf-8")
    shutil.copy(routine_file, routines_dir / f"zz-{routine.id}.toml")
    database = scratch / "burst.sqlite3"
    database_url = args.postgres_database or sqlite_url(database)
    defaults = Settings.model_fields
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token=SecretStr(TOKEN),
        database_path=database,
        database_url=SecretStr(args.postgres_database) if args.postgres_database else None,
        routines_dir=routines_dir,
        telegram_base_url=api.base_url,
        send_rate_per_second=args.rate,
        session_tick_seconds=args.session_tick or defaults["session_tick_seconds"].default,
        reminder_sweep_seconds=args.sweep or defaults["reminder_sweep_seconds"].default,
    )

    # The reminders fall due at a whole minute, at least --lead seconds after seeding and start-up.
    estimate = args.users * 0.0005 + 5.0
    earliest = datetime.now(UTC) + timedelta(seconds=estimate + args.lead)
    due = (earliest + timedelta(minutes=1)).replace(second=0, microsecond=0)
    spread = args.spread if args.spread is not None else args.users / TELEGRAM_RATE
    run = Run(args.users, args.routines, routine, settings, due, spread)
    started = time.perf_counter()
    await seed(database_url, args.users, due)
    run.seed_seconds = time.perf_counter() - started
    progress(f"seeded {args.users:,} reminders due {due:%H:%M:%S} UTC in {run.seed_seconds:.1f} s; starting the bot")

    control = Control(api)
    reminder_range = f"lo={REMINDER_USERS_FROM}&hi={REMINDER_USERS_FROM + args.users}"
    async with running(settings, SystemClock(), poll_timeout=10) as bot:
        instrument(bot, run)
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait < 0:
            progress(f"start-up took longer than planned: the reminders are {-wait:.1f} s overdue already")
        progress(f"bot running; reminders due in {max(0.0, wait):.0f} s")
        await asyncio.sleep(max(0.0, wait - 0.5))
        # The routines start once the burst has begun (the sweep claims due reminders every few s).
        give_up_first = time.monotonic() + settings.reminder_sweep_seconds + 60
        while (first_stats := await control.get(f"/_stats?{reminder_range}"))["chats_in_range"] == 0:
            if time.monotonic() > give_up_first:
                raise RuntimeError("no reminder arrived within a minute of the sweep")
            await asyncio.sleep(0.05)
        burst_start = time.time()
        cpu_before = time.process_time()
        machine_before = machine_busy_seconds()
        progress(f"first reminder arrived {burst_start - due.timestamp():.1f} s after the due minute")
        if args.routines:
            rng = random.Random(args.seed)
            begin = time.time() + 0.2
            instants = sorted(begin + spread * rng.random() for _ in range(args.routines))
            run.plan = [(at, ROUTINE_USERS_FROM + index) for index, at in enumerate(instants)]
            await control.post(
                "/_plan", {"updates": [[at, stretch_update(chat, at, routine.id)] for at, chat in run.plan]}
            )
        last_start = run.plan[-1][0] if run.plan else burst_start
        routines_over = last_start + routine.total_seconds + 10.0
        budget = (args.users + args.routines * (len(routine.steps) + 1)) / (TELEGRAM_RATE * 0.5) + 120
        give_up = time.time() + budget
        next_note = time.time() + 30
        while True:
            stats = await control.get(f"/_stats?{reminder_range}")
            run.max_backlog = max(run.max_backlog, bot.dispatcher.backlog())
            now = time.time()
            if stats["chats_in_range"] >= args.users and now >= routines_over:
                break
            if now > give_up:
                run.timed_out = True
                progress(f"gave up waiting after {budget:.0f} s")
                break
            if now >= next_note:
                next_note += 30
                progress(
                    f"{now - burst_start:5.0f} s: {stats['chats_in_range']:,}/{args.users:,} reminded, "
                    f"{stats['messages']:,} messages, {stats['refused']} 429s, "
                    f"{stats['updates_handed_out']}/{stats['updates_planned']} /stretch handed out"
                )
            await asyncio.sleep(0.5)
        run.burst_wall = (burst_start, time.time())
        run.bot_cpu = time.process_time() - cpu_before
        run.server_cpu = stats["cpu_seconds"] - first_stats["cpu_seconds"]
        machine_after = machine_busy_seconds()
        if machine_before is not None and machine_after is not None:
            run.machine_cpu = machine_after - machine_before
        await asyncio.sleep(SETTLE_SECONDS)  # anything sent twice would arrive now
        _take_stats(run, bot)
        await control.post("/_release", None)  # end the long poll in flight, so the bot stops at once
    run.log = api.log()
    run.sessions, run.deliveries = await read_database(database_url, routine.id)
    return run


def instrument(bot: Running, run: Run) -> None:
    """Timestamps for the lateness breakdown, taken without touching the bot's code: the clock
    job and the messenger call these methods through the instances, so wrapping them there
    sees every sweep and every message."""
    coach, dispatcher = bot.coach, bot.dispatcher
    sweep, submit = coach.sweep, dispatcher.submit

    async def timed_sweep() -> int:
        run.sweeps.append(time.time())
        return await sweep()

    def timed_submit(chat_id: int, *args: Any, **kwargs: Any) -> Any:
        if chat_id >= ROUTINE_USERS_FROM:
            run.submitted[chat_id].append(time.time())
        return submit(chat_id, *args, **kwargs)

    coach.sweep = timed_sweep  # type: ignore[method-assign]
    dispatcher.submit = timed_submit  # type: ignore[method-assign]


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes have used since boot (Linux's /proc/stat), None elsewhere."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait
    except (OSError, ValueError, IndexError):
        return None


def _take_stats(run: Run, bot: Running) -> None:
    stats = bot.dispatcher.stats
    run.dispatcher = {name: getattr(stats, name) for name in vars(stats)}
    courier = bot.courier.stats
    run.courier = {name: getattr(courier, name) for name in vars(courier)}


async def read_database(database_url: str, routine_id: str) -> tuple[list[Any], dict[str, int]]:
    db = await Database.open(database_url, migrate=False)
    try:
        sessions = [
            dict(row._mapping)
            for row in await db.fetch_all(
                sa.text(
                    "SELECT user_id, status, started_at, ended_at, steps_done, steps_skipped, cards_missed "
                    "FROM sessions WHERE routine_id = :routine"
                ),
                {"routine": routine_id},
            )
        ]
        rows = await db.fetch_all(sa.text("SELECT status, count(*) AS n FROM deliveries GROUP BY status"))
    finally:
        await db.close()
    return sessions, {row.status: int(row.n) for row in rows}


# -- the report ----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return math.nan
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("| " + " | ".join("-" * (w - 1) + ":" for w in widths) + " |")
    lines += ["| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    return "\n".join(lines)


def clock(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).strftime("%H:%M:%S.%f")[:-3]


def verdict(ok: bool, goal: str, detail: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {goal}: {detail}"


def report(run: Run) -> str:
    messages = [(int(c), float(w), m, t) for c, w, m, t in run.log["messages"]]
    refusals = run.log["refusals"]
    due = run.due.timestamp()
    reminder_hi = REMINDER_USERS_FROM + run.users
    routine_hi = ROUTINE_USERS_FROM + run.routines

    # (3) the reminders
    per_chat: Counter[int] = Counter()
    reminder_times: list[float] = []
    other_to_reminded = 0
    for chat, wall, _, text in messages:
        if REMINDER_USERS_FROM <= chat < reminder_hi:
            if REMINDER_TEXT in text:
                per_chat[chat] += 1
                reminder_times.append(wall)
            else:
                other_to_reminded += 1
    reminder_times.sort()
    delivered = len(per_chat)
    duplicates = sum(count - 1 for count in per_chat.values())
    missing = run.users - delivered
    first, last = (reminder_times[0], reminder_times[-1]) if reminder_times else (math.nan, math.nan)
    seconds = last - first
    reminders_per_s = (len(reminder_times) - 1) / seconds if seconds > 0 else math.nan
    in_burst = sorted(w for _, w, _, _ in messages if first <= w <= last)
    all_per_s = (len(in_burst) - 1) / seconds if seconds > 0 else math.nan
    edits_in_burst = sum(1 for _, w, _ in run.log["edits"] if first <= w <= last)
    windows = _window_counts(in_burst, first, last, 10.0)
    slowest_10s = min(windows) / 10.0 if windows else math.nan
    busiest_1s = busiest_second(sorted(w for _, w, _, _ in messages) + sorted(w for _, w, _ in run.log["edits"]))

    # (4) the poses
    steps = run.routine.steps
    offsets = [sum(step.seconds for step in steps[:index]) for index in range(len(steps))]
    started = {int(row["user_id"]): float(row["started_at"]) for row in run.sessions}
    first_card: dict[int, float] = {}
    seen: set[tuple[int, int]] = set()
    lateness: list[float] = []
    lateness_first: list[float] = []
    lateness_clock: list[float] = []
    pose_duplicates = summaries = 0
    sweeps = sorted(run.sweeps)
    tick_wait: list[float] = []  # due -> the session sweep that noticed it started
    bot_work: list[float] = []  # that sweep's start -> the card handed to the dispatcher
    sending: list[float] = []  # handed to the dispatcher -> arrived at the server
    summary_lateness: list[float] = []
    for chat, wall, _, text in messages:
        if not ROUTINE_USERS_FROM <= chat < routine_hi:
            continue
        match = POSE_HEADER.search(text)
        if match is None:
            if "done!" in text or "Stopped" in text:
                summaries += 1
                if chat in started:
                    summary_lateness.append(wall - started[chat] - run.routine.total_seconds)
            continue
        index = int(match.group(1)) - 1
        if (chat, index) in seen:
            pose_duplicates += 1
            continue
        seen.add((chat, index))
        if chat not in started:
            continue
        due_at = started[chat] + offsets[index]
        late = wall - due_at
        lateness.append(late)
        (lateness_first if index == 0 else lateness_clock).append(late)
        if index > 0:
            handed = [t for t in run.submitted.get(chat, []) if t <= wall]
            if handed:
                at = sweeps[bisect.bisect_right(sweeps, handed[-1]) - 1] if sweeps else math.nan
                tick_wait.append(at - due_at)
                bot_work.append(handed[-1] - at)
                sending.append(wall - handed[-1])
        if index == 0:
            first_card[chat] = wall
    for values in (lateness, lateness_first, lateness_clock, summary_lateness, tick_wait, bot_work, sending):
        values.sort()
    released = dict((chat, at) for at, chat in run.plan)
    intake = sorted(first_card[chat] - released[chat] for chat in first_card if chat in released)
    expected_poses = run.routines * len(steps)
    finished = sum(1 for row in run.sessions if row["status"] == "finished")
    cards_missed = sum(int(row["cards_missed"]) for row in run.sessions)
    off_schedule = sum(
        1
        for row in run.sessions
        if row["ended_at"] is not None
        and abs(float(row["ended_at"]) - float(row["started_at"]) - run.routine.total_seconds) > 0.5
    )

    bound = run.users / TELEGRAM_RATE * (1 + TIME_TOLERANCE)
    all_bound = (len(in_burst)) / TELEGRAM_RATE * (1 + TIME_TOLERANCE)
    burst_seconds = run.burst_wall[1] - run.burst_wall[0]
    settings = run.settings
    out: list[str] = []
    out.append(header_lines(run))
    out.append("")
    out.append(f"(3) {run.users:,} reminders due at {run.due:%H:%M:%S} UTC")
    out.append("")
    out.append(
        table(
            ["users", "delivered", "duplicates", "missing", "429s", "seconds first→last", "due→last s",
             "reminders/s", "all messages/s", "slowest 10 s", "first (after due)", "last (after due)"],
            [[
                f"{run.users:,}", f"{delivered:,}", f"{duplicates}", f"{missing}", f"{len(refusals)}",
                f"{seconds:.1f}", f"{last - due:.1f}", f"{reminders_per_s:.2f}", f"{all_per_s:.2f}",
                f"{slowest_10s:.1f}", f"{clock(first)} (+{first - due:.1f} s)", f"{clock(last)} (+{last - due:.1f} s)",
            ]],
        )
    )
    out.append("")
    out.append(
        f"Between the first and the last reminder the server took {len(in_burst):,} messages "
        f"({len(reminder_times):,} reminders, {len(in_burst) - len(reminder_times):,} for the routines) and "
        f"{edits_in_burst:,} edits; the busiest 1 s window held {busiest_1s} requests. "
        f"{other_to_reminded} other message(s) went to reminded chats."
    )
    reasons = Counter(reason for _, _, _, reason in refusals)
    methods = Counter(method for _, _, method, _ in refusals)
    if refusals:
        out.append(f"429s by limit: {dict(reasons)}; by method: {dict(methods)}")
    out.append(
        f"Bot side: dispatcher {_fmt(run.dispatcher)}; courier {_fmt(run.courier)}; deliveries in the "
        f"database {_fmt(run.deliveries)}; dispatcher queue at most {run.max_backlog} (sampled every 0.5 s)."
    )
    out.append(
        f"CPU over the {burst_seconds:.0f} s burst: bot {run.bot_cpu / burst_seconds:.0%} of one core, "
        f"fake API {run.server_cpu / burst_seconds:.0%}"
        + (
            f", everything else {max(0.0, run.machine_cpu - run.bot_cpu - run.server_cpu) / burst_seconds:.0%} "
            "(well above a few per cent: something else was running and the timings are noisy)."
            if run.machine_cpu is not None
            else "."
        )
    )
    if run.timed_out:
        out.append("The run TIMED OUT before every reminder arrived.")
    out.append("")
    if run.routines:
        out.append(
            f"(4) {run.routines:,} users doing '{run.routine.id}' ({' + '.join(str(s.seconds) for s in steps)} s), "
            f"started over {run.spread:.0f} s from the first reminder; lateness = arrival - instant due"
        )
        out.append("")
        rows = []
        for label, values in (
            ("all poses", lateness),
            ("pose 1 (on /stretch)", lateness_first),
            (f"poses 2-{len(steps)} (session clock)", lateness_clock),
            ("summary (after the last pose)", summary_lateness),
        ):
            rows.append([
                label, f"{len(values):,}", f"{percentile(values, 0.5):.3f}", f"{percentile(values, 0.99):.3f}",
                f"{values[-1] if values else math.nan:.3f}", f"{sum(1 for v in values if v >= 1.0):,}",
            ])
        out.append(table(["cards", "shown", "p50 s", "p99 s", "max s", "≥ 1 s late"], rows))
        out.append("")
        out.append(f"Where the lateness of poses 2-{len(steps)} comes from (instrumented in this process):")
        out.append("")
        rows = [
            [
                label,
                f"{percentile(values, 0.5):.3f}",
                f"{percentile(values, 0.99):.3f}",
                f"{values[-1] if values else math.nan:.3f}",
            ]
            for label, values in (
                ("pose due -> the session sweep that noticed it starts", tick_wait),
                ("sweep start -> card handed to the dispatcher", bot_work),
                ("handed to the dispatcher -> arrived at the server", sending),
            )
        ]
        out.append(table(["stage", "p50 s", "p99 s", "max s"], rows))
        out.append("")
        out.append(
            f"Poses shown: {len(seen):,} of {expected_poses:,} expected ({pose_duplicates} shown twice); "
            f"sessions finished {finished:,}/{run.routines:,}, {cards_missed} card(s) counted missed by the bot, "
            f"{off_schedule} session(s) ended more than 0.5 s off their schedule, {summaries:,} summaries. "
            f"/stretch released -> first card arrived: p50 {percentile(intake, 0.5):.3f} s, "
            f"p99 {percentile(intake, 0.99):.3f} s. Session sweep every {settings.session_tick_seconds:g} s."
        )
        out.append("")
    out.append("Verdicts")
    out.append(verdict(
        delivered == run.users and duplicates == 0 and missing == 0 and not run.timed_out,
        "(3) every reminder exactly once",
        f"{delivered:,} delivered, {duplicates} duplicates, {missing} missing",
    ))
    out.append(verdict(not refusals, "(3) zero 429s provoked", f"{len(refusals)} 429s"))
    out.append(verdict(
        all_per_s >= MIN_THROUGHPUT,
        f"(3) sustained throughput >= {MIN_THROUGHPUT:g} messages/s",
        f"{all_per_s:.2f} messages/s from the first reminder to the last (reminders alone {reminders_per_s:.2f}/s), "
        f"slowest 10 s window {slowest_10s:.1f}/s",
    ))
    note = ""
    if len(in_burst) > len(reminder_times):
        note = (
            f"; the routines' {len(in_burst) - len(reminder_times):,} messages shared the window: "
            f"all {len(in_burst):,} at 30/s +7% would take {all_bound:.0f} s "
            f"({'within' if seconds <= all_bound else 'beyond'} that)"
        )
    out.append(verdict(
        seconds <= bound,
        f"(3) all reminders within {bound:.0f} s ({run.users:,}/30 s + 7%)",
        f"{seconds:.1f} s first→last, {last - due:.1f} s from the due minute{note}",
    ))
    if run.routines:
        p99 = percentile(lateness, 0.99)
        out.append(verdict(
            p99 < LATENESS_P99 and len(seen) == expected_poses,
            f"(4) pose lateness p99 < {LATENESS_P99:g} s",
            f"p99 {p99:.3f} s, p50 {percentile(lateness, 0.5):.3f} s, "
            f"max {lateness[-1] if lateness else math.nan:.3f} s "
            f"over {len(lateness):,} poses shown of {expected_poses:,}",
        ))
    if run.warnings:
        out.append("")
        out.append(f"Bot log, WARNING and above ({sum(run.warnings.values())} lines), most frequent:")
        for text, count in run.warnings.most_common(5):
            out.append(f"  {count:>6} x {text}")
    return "\n".join(out)


def _window_counts(times: list[float], start: float, end: float, width: float) -> list[int]:
    """Messages in each whole ``width``-second window from ``start`` (a partial last one is left out)."""
    whole = int((end - start) // width)
    counts = [0] * whole
    for wall in times:
        index = int((wall - start) // width)
        if 0 <= index < whole:
            counts[index] += 1
    return counts


def _fmt(values: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in values.items() if value) or "nothing"


def header_lines(run: Run) -> str:
    versions = ", ".join(
        f"{name} {_version(name)}" for name in ("python-telegram-bot", "aiohttp", "aiosqlite", "APScheduler")
    )
    settings = run.settings
    return "\n".join([
        "Limber reminder burst benchmark (bench/burst.py)",
        f"machine: os.cpu_count()={os.cpu_count()}, {platform.platform()}, "
        f"Python {platform.python_version()}; {versions}",
        f"limber: {_revision()}",
        f"bot settings: SEND_RATE_PER_SECOND={settings.send_rate_per_second:g}, "
        f"REMINDER_SWEEP_SECONDS={settings.reminder_sweep_seconds:g}, "
        f"SESSION_TICK_SECONDS={settings.session_tick_seconds:g}, "
        "SystemClock (real time)",
        "fake Bot API (own process): 30 messages in any 1 s window (edits count too), 1 per 1 s per private chat, "
        "429 with retry_after beyond",
        f"seeding {run.users:,} users took {run.seed_seconds:.1f} s",
    ])


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def _revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "bot"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"{head}{' + uncommitted changes in bot/' if dirty else ''}"


class WarningCounter(logging.Handler):
    """Counts WARNING+ records by their message with numbers blanked out."""

    def __init__(self, counts: Counter[str]) -> None:
        super().__init__(logging.WARNING)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.counts[re.sub(r"\d+(\.\d+)?", "N", record.getMessage())[:160]] += 1
        except Exception:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="users with a reminder due at once (10,000)")
    parser.add_argument("--routines", type=int, default=1_000, help="users doing a routine during the burst (1,000)")
    parser.add_argument("--spread", type=float, default=None, help="seconds over which routines start (users/30)")
    parser.add_argument("--routine", default=str(BENCH_ROUTINE), help="routine file the users go through")
    parser.add_argument("--rate", type=float, default=TELEGRAM_RATE, help="SEND_RATE_PER_SECOND (30)")
    parser.add_argument("--session-tick", type=float, default=None, help="SESSION_TICK_SECONDS (the bot's default)")
    parser.add_argument("--sweep", type=float, default=None, help="REMINDER_SWEEP_SECONDS (the bot's default)")
    parser.add_argument("--lead", type=float, default=10.0, help="seconds at least between start-up and the due minute")
    parser.add_argument("--seed", type=int, default=1, help="seed of the routine start instants")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (database, logs)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_SERVER,
        metavar="SERVER_URL",
        help=f"run on a fresh PostgreSQL database on this server instead of SQLite (default {DEFAULT_SERVER})",
    )
    args = parser.parse_args()

    # Outside the event loop, SIGTERM and SIGHUP end the run like Ctrl-C (inside it, they cancel
    # the run: see drive_until_done_or_signalled). The fake server also dies with this process.
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)

    scratch = Path(tempfile.mkdtemp(prefix="limber-burst-"))
    warnings: Counter[str] = Counter()
    logging.basicConfig(
        filename=scratch / "bot.log", level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().addHandler(WarningCounter(warnings))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        with (
            fresh_database(args.postgres) if args.postgres else nullcontext(None) as args.postgres_database,
            LimitedApiProcess(scratch / "fakeapi.log") as api,
        ):
            run = asyncio.run(drive_until_done_or_signalled(args, api, scratch))
        for signum in (signal.SIGTERM, signal.SIGHUP):  # closing the loop reset them
            signal.signal(signum, interrupt)
        run.warnings = warnings
        print(report(run))
    except (KeyboardInterrupt, asyncio.CancelledError) as stop:
        print(
            f"interrupted ({str(stop) or type(stop).__name__}); the bot and the fake Bot API were stopped",
            file=sys.stderr,
        )
        sys.exit(130)
    finally:
        logging.shutdown()
        if args.keep:
            print(f"\nscratch folder kept: {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
