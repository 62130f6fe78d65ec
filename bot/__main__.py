"""`python -m bot`: read the settings, then run until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from telegram.error import InvalidToken, NetworkError

from bot.app import TelegramUnreachable, running
from bot.config import ConfigError, Settings, load_settings
from bot.domain.routines import RoutineError
from bot.logs import configure_logging, redact
from bot.storage import StorageUnavailable
from bot.telegram.webhook import WebServerError

log = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments().parse_args(argv)
    try:
        settings = load_settings()
        if arguments.polling:
            settings = settings.model_copy(update={"webhook_url": None})
        elif arguments.webhook and settings.webhook_url is None:
            raise ConfigError("--webhook needs WEBHOOK_URL (the public https:// address) and WEBHOOK_SECRET")
    except ConfigError as problem:
        return _fail(f"configuration error: {problem}. See .env.example.")
    configure_logging(settings.log_level, secrets=settings.secrets, fmt=settings.log_format)
    try:
        reason = asyncio.run(_serve(settings))
    except RoutineError as problem:
        return _fail(f"routine error: {problem}")
    except StorageUnavailable as problem:
        return _fail(f"database error: {problem}")
    except WebServerError as problem:
        return _fail(f"webhook error: {problem}")
    except InvalidToken:
        return _fail("Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN (from @BotFather).")
    except (NetworkError, TelegramUnreachable) as problem:
        return _fail(f"cannot reach the Telegram Bot API: {redact(str(problem), settings.secrets)}")
    except KeyboardInterrupt:
        pass
    else:
        if reason is not None:
            return _fail(reason)
    return 0


async def _serve(settings: Settings) -> str | None:
    """Run until SIGINT/SIGTERM (returns None) or until the bot cannot go on (returns why)."""
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[str | None] = loop.create_future()
    starting = asyncio.current_task()

    def end(reason: str | None) -> None:
        if not ended.done():
            ended.set_result(reason)

    def on_signal() -> None:
        if starting is not None and not ended.done() and not started:
            starting.cancel()  # still starting (perhaps waiting for Telegram): stop at once
        end(None)

    started = False
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        async with running(settings) as bot:
            started = True
            bot.fatal.add_done_callback(lambda fatal: end(fatal.result()))
            reason = await ended
            log.info("Stopping")
            return reason
    except asyncio.CancelledError:
        if started:
            raise
        log.info("Stopped while starting")
        return None


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Run Limber until SIGINT or SIGTERM. Settings come from the environment."
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--webhook", action="store_true", help="serve Telegram's webhook on $PORT (needs WEBHOOK_URL)")
    mode.add_argument("--polling", action="store_true", help="poll Telegram, even if WEBHOOK_URL is set")
    return parser


def _fail(message: str) -> int:
    print(f"limber: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
