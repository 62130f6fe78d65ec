"""Assembling and running the bot: one lifecycle shared by `python -m bot` and the tests.

Start-up order matters: routines are validated before anything touches the network; the
database is opened and migrated; the Telegram connection is checked (getMe); sessions that were
running when the process stopped are picked up again; only then do the clock sweeps start and
updates flow in.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot import handlers
from bot.clock import Clock, SystemClock
from bot.coach import Coach
from bot.config import Settings
from bot.routines import load_routines
from bot.storage import Storage
from bot.telegram_messenger import TelegramMessenger

log = logging.getLogger(__name__)

#: How often sessions left paused for hours are closed.
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
    clock = clock or SystemClock()
    routines = load_routines(settings.routines_dir)
    storage = await Storage.open(settings.database_path)
    try:
        application = build_application(settings)
        coach = Coach(storage, routines, TelegramMessenger(application.bot), clock)
        application.bot_data["services"] = handlers.Services(coach=coach, routines=routines)
        async with application:
            await application.bot.set_my_commands(handlers.bot_commands())
            await application.start()
            resumed = await coach.recover()
            if resumed:
                log.info("Picked up %d session(s) that were running before the restart", resumed)
            _schedule_clock(application, coach, settings.session_tick_seconds)
            await application.updater.start_polling(  # type: ignore[union-attr]
                allowed_updates=Update.ALL_TYPES, timeout=poll_timeout
            )
            log.info("Limber is running as @%s with %d routines", application.bot.username, len(routines))
            try:
                yield application
            finally:
                await application.updater.stop()  # type: ignore[union-attr]
                await application.stop()
    finally:
        await storage.close()


def _schedule_clock(application: Application, coach: Coach, tick_seconds: float) -> None:  # type: ignore[type-arg]
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"

    async def sweep_sessions(context: ContextTypes.DEFAULT_TYPE) -> None:
        # The sweep runs as its own task so a long batch never delays the scheduler's next tick.
        context.application.create_task(coach.sweep(), name="session-sweep")

    async def close_abandoned(context: ContextTypes.DEFAULT_TYPE) -> None:
        await coach.close_abandoned()

    job_queue.run_repeating(
        sweep_sessions, interval=tick_seconds, first=0, name="session-sweep", job_kwargs=_SWEEP_JOB_KWARGS
    )
    job_queue.run_repeating(
        close_abandoned,
        interval=CLEANUP_INTERVAL_SECONDS,
        first=CLEANUP_INTERVAL_SECONDS,
        name="close-abandoned",
        job_kwargs=_SWEEP_JOB_KWARGS,
    )
