"""Assembling and running the bot: one lifecycle shared by `python -m bot` and the tests.

Start-up order matters: routines are validated before anything touches the network; the
database is opened and migrated; the Telegram connection is checked (getMe, retried while the
network or Telegram hiccups); sessions that were running when the process stopped are picked up
again and reminders that fell due meanwhile are claimed; updates recorded but not handled before
a crash are handled; only then does polling start.

Something that cannot be fixed by waiting (Telegram rejecting the token, at start-up or later)
resolves :attr:`Running.fatal`, and ``python -m bot`` ends with that one line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.config import Settings
from bot.domain.clock import Clock, SystemClock
from bot.domain.routines import load_routines
from bot.presentation import texts
from bot.services.coach import Coach, check_pictures
from bot.services.courier import Courier
from bot.services.languages import Languages
from bot.services.leadership import Leadership
from bot.services.progress import ProgressReport
from bot.services.reminders import Reminders
from bot.storage import Database, Repositories
from bot.telegram import handlers
from bot.telegram.dispatcher import Dispatcher
from bot.telegram.handlers.common import words_without_query
from bot.telegram.intake import ALLOWED_UPDATES, ChatOrderedProcessor, FloodGuard, Poller
from bot.telegram.messenger import TelegramMessenger
from bot.telegram.retrying import backoff, retry_after_seconds
from bot.telegram.transport import AiohttpRequest
from bot.telegram.webhook import WebServer, webhook_app

log = logging.getLogger(__name__)

#: How often sessions left paused for hours are closed and old records pruned.
CLEANUP_INTERVAL_SECONDS = 600
#: Handled updates are kept this long (a redelivered one is recognised), then pruned.
INBOX_KEPT = timedelta(days=2)
#: At shutdown, how long updates being handled get to finish.
WIND_DOWN_SECONDS = 3.0
#: At shutdown, how long queued messages get to go out. Together under the 10 s that container
#: platforms wait between SIGTERM and SIGKILL.
DRAIN_SECONDS = 4.0
#: How long start-up keeps retrying Telegram before giving up with one line.
STARTUP_PATIENCE_SECONDS = 120.0
#: A new holder of the clock shows each running session where it was only if the clock went
#: unattended longer than this (a restart); after a quicker hand-over sessions just go on.
RESTORE_AFTER_SECONDS = 60.0
#: With several replicas in webhook mode, a new clock holder handles unfinished updates only
#: once they are this old: younger ones may still be in the hands of the replica that took them.
LEFTOVERS_AFTER = timedelta(seconds=60)
LEFTOVERS_EVERY_SECONDS = 30.0
#: /healthz: the longest a database ping may take, and the longest the session clock may go
#: without completing a sweep, before the bot reports itself unhealthy.
HEALTH_TIMEOUT_SECONDS = 2.0
CLOCK_STALL_SECONDS = 30.0

# Sweeps must run however late they are (APScheduler's default grace of 1 s silently drops
# late runs) and never pile up.
_SWEEP_JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}

T = TypeVar("T")


class TelegramUnreachable(Exception):
    """Start-up could not reach the Bot API within its patience; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class Running:
    application: Application  # type: ignore[type-arg]
    dispatcher: Dispatcher
    courier: Courier
    coach: Coach
    reminders: Reminders
    #: Resolves with a one-line reason when the bot must stop (e.g. its token was revoked).
    fatal: asyncio.Future[str]

    async def observe(self, timeout: float = 30.0) -> None:
        """Let the bot see the clock as it is now, and wait until it has acted on it: every
        update it has fetched handled, a whole reminder sweep and a session sweep after this
        call, every queued reminder settled and no message left to send. The deterministic signal
        tests wait for before asserting that something did *not* happen."""
        async def settled() -> None:
            await self.application.update_queue.join()
            await self.reminders.next_sweep()
            await self.coach.next_sweep()
            await self.courier.idle()
            await self.dispatcher.idle()

        await asyncio.wait_for(settled(), timeout)


def build_application(
    settings: Settings, processor: ChatOrderedProcessor, request: AiohttpRequest, updates_request: AiohttpRequest
) -> Application:  # type: ignore[type-arg]
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .request(request)
        .get_updates_request(updates_request)
        .updater(None)  # our Poller fetches updates: it records them before confirming them
        .concurrent_updates(processor)
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url).base_file_url(settings.base_file_url or "")
    application = builder.build()
    handlers.register(application)
    return application


@asynccontextmanager
async def running(
    settings: Settings, clock: Clock | None = None, *, poll_timeout: float = 10.0
) -> AsyncIterator[Running]:
    """Run the bot until the block exits, then shut it down cleanly.

    ``poll_timeout`` is how long one getUpdates long poll may wait; stopping cancels the poll in
    flight (its updates are not confirmed, so Telegram sends them again).
    """
    # Opt in to python-telegram-bot's coming behaviour (retry_after and other durations as
    # timedelta) instead of its deprecation warning on every 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    clock = clock or SystemClock()
    routines = load_routines(settings.routines_dir)
    check_pictures(routines)
    db = await Database.open(settings.database)
    stores = Repositories.over(db)
    loop = asyncio.get_running_loop()
    fatal: asyncio.Future[str] = loop.create_future()

    def stop_with(reason: str) -> None:
        if not fatal.done():
            log.error("%s", reason)
            fatal.set_result(reason)

    try:
        processor = ChatOrderedProcessor(
            concurrency=settings.update_concurrency,
            flood=FloodGuard(settings.flood_limit, settings.flood_period_seconds),
            on_flood=lambda update: _slow_down(update, messenger, languages),
            # A chat holding as many updates as one user may send per period is full.
            max_waiting_per_chat=settings.flood_limit,
        )
        timeout = settings.request_timeout_seconds
        request = AiohttpRequest(connection_pool_size=256, read_timeout=timeout, pool_timeout=timeout)
        updates_request = AiohttpRequest(connection_pool_size=1, read_timeout=timeout)
        application = build_application(settings, processor, request, updates_request)

        async def blocked(chat_id: int) -> None:
            # Telegram refused a message (403): a user who blocked the bot gets no more
            # reminders and their routine ends; a group only affects that group.
            await reminders.chat_blocked(chat_id)
            if chat_id > 0:
                await coach.stop_quietly(chat_id)

        # Telegram's limits hold for the bot as a whole: each replica sends its share.
        dispatcher = Dispatcher(
            settings.send_rate_per_second / settings.replicas, on_blocked=blocked, on_fatal=stop_with
        )
        messenger = TelegramMessenger(application.bot, dispatcher, request)
        languages = Languages(stores.users, clock)
        coach = Coach(
            sessions=stores.sessions, users=stores.users, measurements=stores.measurements, transactions=db,
            routines=routines, messenger=messenger, clock=clock, only_process=settings.replicas == 1,
            languages=languages,
        )
        reminders = Reminders(
            users=stores.users, schedules=stores.schedules, deliveries=stores.deliveries, routines=routines,
            messenger=messenger, clock=clock, default_zone=settings.default_timezone,
            wake_courier=lambda: courier.wake(), languages=languages,
        )
        # Unique per process: a deploy that overlaps old and new processes (even of a single
        # replica) must not have both believe they hold the clock.
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        courier = Courier(stores.deliveries, messenger, reminders.render, clock, holder=holder)
        application.bot_data["services"] = handlers.Services(
            coach=coach,
            reminders=reminders,
            progress=ProgressReport(
                users=stores.users, user_data=stores.user_data, sessions=stores.sessions,
                measurements=stores.measurements, routines=routines, clock=clock,
                default_zone=settings.default_timezone,
            ),
            messenger=messenger,
            routines=routines,
            default_timezone=settings.default_timezone,
            languages=languages,
        )
        webhook = settings.webhook_url is not None
        started = time.monotonic()
        poller = Poller(
            application, stores.inbox, updates_request, poll_timeout=poll_timeout, on_fatal=stop_with,
            polling=not webhook,
        )
        processor.on_done = poller.handled  # an update handled is marked done in the inbox
        web: WebServer | None = None
        if webhook:
            assert settings.webhook_secret is not None
            web = WebServer(
                webhook_app(
                    path=settings.webhook_path,
                    secret=settings.webhook_secret.get_secret_value(),
                    accept=poller.accept,
                    health=lambda: _health(db, coach, settings, since=started, leading=leadership.leading),
                ),
                host="0.0.0.0",  # a hosting platform routes $PORT from outside
                port=settings.port,
            )

        async def gained(fence: int, away: float | None) -> None:
            # The clock is ours: sessions and reminders continue from the database. After a
            # quick hand-over between replicas, running sessions just go on (their cards are on
            # screen); after a restart, each shows where it was.
            if away is None or away > RESTORE_AFTER_SECONDS:
                resumed = await coach.recover()
                if resumed:
                    log.info("Picked up %d session(s) that were running before the restart", resumed)
            await reminders.revive_parked()
            await courier.start(fence)
            # Claim what fell due while nobody ran the clock before the first update is handled.
            await reminders.sweep()
            # Updates recorded but not finished: all of them if only this process receives
            # updates; with several replicas, those old enough that no live one still holds them.
            alone = web is None or settings.replicas == 1
            await poller.resume_leftovers(None if alone else datetime.now(UTC) - LEFTOVERS_AFTER)
            poller.start_polling()

        async def lost() -> None:
            await poller.stop_polling()
            await courier.stop(DRAIN_SECONDS)

        leadership = Leadership(
            stores.leases, holder=holder, ttl=settings.leader_lease_seconds, on_gain=gained, on_loss=lost
        )
        dispatcher.start()
        try:
            await _patiently("connect to Telegram (getMe)", application.initialize)
            try:
                if web is None:
                    await _patiently("clear the webhook", lambda: application.bot.delete_webhook())
                await _patiently("register the command menus", lambda: handlers.register_menus(application.bot))
                await application.start()
                try:
                    await reminders.load_blocked()
                    await poller.start()
                    await leadership.start()
                    if not leadership.leading:
                        log.info("Another replica runs the clock; this one serves updates and stands by")
                    _schedule_clock(application, coach, reminders, stores, settings, leadership)
                    if web is not None and settings.replicas > 1:
                        _resume_leftovers_regularly(application, poller, leadership)
                    if web is not None:
                        await web.start()
                        # Same URL and secret from every replica: setting it again changes nothing,
                        # and pending updates are kept (never dropped).
                        await _patiently(
                            "register the webhook",
                            lambda: application.bot.set_webhook(
                                settings.webhook_url or "", secret_token=settings.webhook_secret.get_secret_value()
                                if settings.webhook_secret else None, allowed_updates=ALLOWED_UPDATES,
                            ),
                        )
                    mode = f"webhook on port {settings.port}" if web is not None else "polling"
                    log.info(
                        "Limber is running as @%s with %d routines (%s, %s)",
                        application.bot.username, len(routines), mode, db.engine_name,
                    )
                    yield Running(application, dispatcher, courier, coach, reminders, fatal)
                finally:
                    # Stop taking updates in, let those in hand finish (briefly), stop handing
                    # out reminders, and send what is queued while the connection is still open.
                    if web is not None:
                        await web.stop()
                    await poller.stop_polling()
                    await _wind_down(application, processor)
                    await leadership.stop()  # stops the courier, hands the clock lease back
                    await dispatcher.stop(DRAIN_SECONDS)
                    await poller.close()
            finally:
                await application.shutdown()
        finally:
            await dispatcher.stop()
    finally:
        await db.close()


def _resume_leftovers_regularly(
    application: Application,  # type: ignore[type-arg]
    poller: Poller,
    leadership: Leadership,
) -> None:
    """Several webhook replicas: an update a replica recorded but never finished (it died) is
    handled by the clock's holder once it is old enough that no live replica still holds it."""
    job_queue = application.job_queue
    assert job_queue is not None

    async def resume(context: ContextTypes.DEFAULT_TYPE) -> None:
        if leadership.leading:
            await poller.resume_leftovers(datetime.now(UTC) - LEFTOVERS_AFTER)

    job_queue.run_repeating(
        resume, interval=LEFTOVERS_EVERY_SECONDS, first=LEFTOVERS_EVERY_SECONDS, name="leftovers",
        job_kwargs=_SWEEP_JOB_KWARGS,
    )


async def _heartbeat(stores: Repositories) -> None:
    """One log line that says the bot is alive, and how busy."""
    try:
        users = await stores.users.count_users()
        active = await stores.sessions.count_active()
        queued = await stores.deliveries.count_deliveries("pending")
    except Exception as exc:  # the heartbeat reports, it never stops the bot
        log.warning("Heartbeat: the database did not answer (%s)", type(exc).__name__)
        return
    log.info("Heartbeat: %d users, %d active sessions, %d reminders queued", users, active, queued)


async def _health(
    db: Database, coach: Coach, settings: Settings, since: float, leading: bool = True
) -> dict[str, str]:
    """What /healthz reports: can the database be reached, and is the session clock ticking
    (a sweep completed lately, or, just after start-up, ``since`` the bot started). A replica
    that does not hold the clock reports "standby", which is healthy."""
    state = {"database": "ok", "clock": "ok"}
    try:
        await asyncio.wait_for(db.ping(), HEALTH_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure is "unreachable" to a health check
        state["database"] = f"unreachable ({type(exc).__name__})"
    if not leading:
        state["clock"] = "standby"
        return state
    last = coach.last_sweep_finished or since
    allowed = max(CLOCK_STALL_SECONDS, 20 * settings.session_tick_seconds)
    if time.monotonic() - last > allowed:
        state["clock"] = "stalled"
    return state


async def _wind_down(application: Application, processor: ChatOrderedProcessor) -> None:  # type: ignore[type-arg]
    """Stop the clock, give updates already fetched a moment to finish, cut off those that do
    not (they stay recorded as not done and are handled after the restart), then stop the
    application."""
    if application.job_queue is not None:
        await application.job_queue.stop(wait=True)
    try:
        await asyncio.wait_for(asyncio.shield(application.update_queue.join()), WIND_DOWN_SECONDS)
    except TimeoutError:
        cut = processor.cut_off()
        log.warning("Stopped %d update(s) still being handled; they are handled after the restart", cut)
    if application.running:
        await application.stop()


async def _slow_down(update: Update, messenger: TelegramMessenger, languages: Languages) -> None:
    """The one warning a flooding user gets: a toast for a button, else a message (queued in
    the chat's order, not awaited: the dropped update is done either way)."""
    chat = update.effective_chat
    _ = words_without_query(update, languages)
    if update.callback_query is not None:
        await update.callback_query.answer(texts.slow_down_toast(_))
    elif chat is not None:
        messenger.post(chat.id, texts.slow_down(_))


async def _patiently(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """Start-up requests: retry network trouble, 5xx and 429 with backoff; a rejected token
    is raised at once (it will not fix itself)."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + STARTUP_PATIENCE_SECONDS
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except InvalidToken:
            raise
        except RetryAfter as exc:
            delay = retry_after_seconds(exc)
            problem = f"Telegram asked to wait {delay:.0f} s"
        except NetworkError as exc:
            delay = backoff(attempt, first=2.0, ceiling=30.0)
            problem = str(exc)
        if loop.time() + delay > give_up_at:
            raise TelegramUnreachable(f"could not {what}: {problem}")
        log.warning("Could not %s (%s); trying again in %.0f s", what, problem, delay)
        await asyncio.sleep(delay)


def _schedule_clock(
    application: Application,  # type: ignore[type-arg]
    coach: Coach,
    reminders: Reminders,
    stores: Repositories,
    settings: Settings,
    leadership: Leadership,
) -> None:
    """The only jobs: sweeps over indexed "next due" columns, never one job per user."""
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"

    # Every replica schedules the same jobs; only the holder of the clock lease runs them.
    async def sweep_sessions(context: ContextTypes.DEFAULT_TYPE) -> None:
        # The sweeps run as their own tasks so a long batch never delays the scheduler.
        if leadership.leading:
            context.application.create_task(coach.sweep(), name="session-sweep")

    async def sweep_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
        if leadership.leading:
            context.application.create_task(reminders.sweep(), name="reminder-sweep")

    async def tidy_up(context: ContextTypes.DEFAULT_TYPE) -> None:
        if not leadership.leading:
            return
        await coach.close_abandoned()
        await reminders.prune()
        # Operational records: kept by real time, whatever clock the services run on.
        await stores.inbox.prune_inbox(datetime.now(UTC) - INBOX_KEPT)

    async def heartbeat(context: ContextTypes.DEFAULT_TYPE) -> None:
        await _heartbeat(stores)

    if settings.heartbeat_minutes:
        job_queue.run_repeating(
            heartbeat, interval=settings.heartbeat_minutes * 60, first=settings.heartbeat_minutes * 60,
            name="heartbeat", job_kwargs=_SWEEP_JOB_KWARGS,
        )
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
