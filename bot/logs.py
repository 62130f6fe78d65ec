"""Logging set-up that keeps the bot token out of every log line.

httpx logs request URLs at INFO and python-telegram-bot logs its API URL at DEBUG; both contain
the token. Two guards: httpx is held at WARNING, and every handler's output is redacted as a
whole (message, arguments and tracebacks alike) by :class:`RedactingFormatter`.
"""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

#: Anything shaped like a bot token, even one that is not ours.
TOKEN_LIKE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}")
REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Formats a record, then removes the known secrets and anything token-shaped."""

    def __init__(self, fmt: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return TOKEN_LIKE.sub(REDACTED, text)


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line (time, level, logger, message, and a traceback if any), with the
    same redaction as :class:`RedactingFormatter`."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def configure_logging(level: str, secrets: tuple[str, ...] = (), fmt: str = "text") -> None:
    """Send logs to stdout, one line per event (``fmt`` "text" or "json"), through a redacting
    formatter, replacing earlier handlers. Errors that stop the bot go to stderr apart."""
    handler = logging.StreamHandler(sys.stdout)
    formatter: logging.Formatter
    if fmt == "json":
        formatter = RedactingJsonFormatter(secrets)
    else:
        formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Request URLs contain the token; only warnings from the HTTP stack are worth seeing.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # APScheduler logs every job run at INFO; the sweeps run every second.
    logging.getLogger("apscheduler").setLevel(max(logging.getLevelName(level), logging.WARNING))
