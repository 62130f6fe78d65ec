"""Logging set-up that keeps the bot token out of every log line.

httpx logs request URLs at INFO and python-telegram-bot logs its API URL at DEBUG; both contain
the token. Two guards: httpx is held at WARNING, and every handler's output is redacted as a
whole (message, arguments and tracebacks alike) by :class:`RedactingFormatter`.
"""

from __future__ import annotations

import logging
import re
import sys

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


def configure_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    """Send logs to stderr through the redacting formatter, replacing earlier handlers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
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
