"""Assembling and running the bot: one lifecycle shared by `python -m bot` and the tests.

Start-up order matters: routines are validated before anything touches the network; the
database is opened and migrated; the Telegram connection is checked (getMe); sessions that were
running when the process stopped are picked up again and reminders that fell due meanwhile are
claimed; only then do the clock sweeps start and updates flow in.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot import handlers
from bot.clock import Clock, SystemClock
from bot.coach import Coach
from bot.config import Settings
from bot.courier import Courier
from bot.progress import ProgressReport
from bot.reminders import Reminders
from bot.routines import RoutineBook, load_routines
from bot.storage import Storage
from bot.telegram_messenger import TelegramMessenger

log = logging.getLogger(__name__)

#: How often sessions left paused for hours are closed and old delivery records pruned.
CLEANUP_INTERVAL_SECONDS = 600

# Sweeps must run however late they are (APScheduler's default grace of 1 s silently drops
# late runs; PLATFORM.md) and never pile up.
_SWEEP_JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .rate_limiter(AIORateLimiter(max_retries=3))
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url).base_file_url(settings.base_file_url or "")
    application = builder.build()
    handlers.register(application)
    return application


@asynccontextmanager
async def running(
    settings: Settings, clock: Clock | None = None, *, poll_timeout: float = 10.0
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the bot until the block exits, then shut it down cleanly.

    ``poll_timeout`` is how long one getUpdates long poll may wait; stopping waits for the poll
    in flight, so tests use a short one.
    """
    # Opt in to python-telegram-bot's coming behaviour (retry_after and other durations as
    # timedelta) instead of its deprecation warning on every 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    clock = clock or SystemClock()
    routines = load_routines(settings.routines_dir)
    storage = await Storage.open(settings.database_path)
    try:
        application = build_application(settings)
        services = _assemble(application, storage, routines, clock, settings)
        async with application:
            await application.bot.set_my_commands(handlers.bot_commands())
            await application.start()
            resumed = await services.coach.recover()
            if resumed:
                log.info("Picked up %d session(s) that were running before the restart", resumed)
            await services.courier.start()
            # Claim what fell due while we were down before the first update is handled.
            await services.reminders.sweep()
            _schedule_clock(application, services, settings)
            await application.updater.start_polling(  # type: ignore[union-attr]
                allowed_updates=Update.ALL_TYPES, timeout=timedelta(seconds=poll_timeout)
            )
            log.info("Limber is running as @%s with %d routines", application.bot.username, len(routines))
            try:
                yield application
            finally:
                await application.updater.stop()  # type: ignore[union-attr]
                await services.courier.stop()
                await application.stop()
    finally:
        await storage.close()


@dataclass(frozen=True, slots=True)
class _Running:
    coach: Coach
    reminders: Reminders
    courier: Courier


def _assemble(
    application: Application,  # type: ignore[type-arg]
    storage: Storage,
    routines: RoutineBook,
    clock: Clock,
    settings: Settings,
) -> _Running:
    """Build the services and hand them to the handlers."""

    async def chat_blocked(chat_id: int) -> None:
        await reminders.chat_blocked(chat_id)

    messenger = TelegramMessenger(application.bot, on_blocked=chat_blocked)
    coach = Coach(storage, routines, messenger, clock)
    reminders = Reminders(
        storage, routines, messenger, clock, settings.default_timezone, wake_courier=lambda: courier.wake()
    )
    courier = Courier(storage, messenger, reminders.render, clock, settings.reminder_rate_per_second)
    application.bot_data["services"] = handlers.Services(
        coach=coach,
        reminders=reminders,
        progress=ProgressReport(storage, clock, settings.default_timezone),
        messenger=messenger,
        routines=routines,
        default_timezone=settings.default_timezone,
    )
    return _Running(coach, reminders, courier)


def _schedule_clock(application: Application, services: _Running, settings: Settings) -> None:  # type: ignore[type-arg]
    """The only jobs: sweeps over indexed "next due" columns, never one job per user."""
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    coach, reminders = services.coach, services.reminders

    async def sweep_sessions(context: ContextTypes.DEFAULT_TYPE) -> None:
        # The sweeps run as their own tasks so a long batch never delays the scheduler.
        context.application.create_task(coach.sweep(), name="session-sweep")

    async def sweep_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
        context.application.create_task(reminders.sweep(), name="reminder-sweep")

    async def tidy_up(context: ContextTypes.DEFAULT_TYPE) -> None:
        await coach.close_abandoned()
        await reminders.prune()

    job_queue.run_repeating(
        sweep_sessions, interval=settings.session_tick_seconds, first=0, name="session-sweep",
        job_kwargs=_SWEEP_JOB_KWARGS,
    )
    job_queue.run_repeating(
        sweep_reminders, interval=settings.reminder_sweep_seconds, first=0, name="reminder-sweep",
        job_kwargs=_SWEEP_JOB_KWARGS,
    )
    job_queue.run_repeating(
        tidy_up, interval=CLEANUP_INTERVAL_SECONDS, first=CLEANUP_INTERVAL_SECONDS, name="tidy-up",
        job_kwargs=_SWEEP_JOB_KWARGS,
    )
