"""Operator settings, read once from the environment and `.env` in ``main``.

Every setting here is documented in `.env.example`. A bad value stops the bot at start-up with
a one-line explanation per problem; the explanation never repeats the value itself, so a
mistyped token is not printed either.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.storage.database import engine_url, sqlite_url

#: Shape of a Bot API token as issued by @BotFather: "<bot id>:<secret>".
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")

class ConfigError(Exception):
    """The configuration cannot be used; ``str()`` is safe to print (no secret values)."""


class Settings(BaseSettings):
    """What an operator can set. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr
    database_path: Path = Path("data/limber.sqlite3")
    #: PostgreSQL instead of the SQLite file (a secret: it may hold a password).
    database_url: SecretStr | None = None
    #: A folder of routine files to use instead of the ones shipped with the bot.
    routines_dir: Path | None = None
    telegram_base_url: str | None = None
    log_level: str = "INFO"
    default_timezone: str = "UTC"
    #: Seconds between two sweeps of the session clock (how late a pose may start at most).
    session_tick_seconds: float = Field(default=0.25, gt=0, le=10)
    #: Seconds between two sweeps for due reminders (how late a reminder may start at most).
    reminder_sweep_seconds: float = Field(default=15.0, gt=0, le=60)
    #: Messages per second the bot sends at most, all chats together (Telegram allows about 30;
    #: up to 1,000 with paid broadcasts). 0 switches every sending limit of ours off.
    send_rate_per_second: float = Field(default=30.0, ge=0, le=1000)
    #: Seconds to wait for Telegram's answer to one request before counting it as unanswered.
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    #: Updates handled at once, across different chats (one chat's are always in order).
    update_concurrency: int = Field(default=64, ge=1, le=1024)
    #: Per user: more than FLOOD_LIMIT updates within FLOOD_PERIOD_SECONDS are dropped.
    flood_limit: int = Field(default=20, ge=1, le=1000)
    flood_period_seconds: float = Field(default=10.0, gt=0, le=3600)
    #: Webhook mode: the public HTTPS address Telegram posts updates to (unset: polling).
    webhook_url: str | None = None
    #: Sent by Telegram with every webhook request and checked by the bot.
    webhook_secret: SecretStr | None = None
    #: Port the webhook and /healthz listen on (hosting platforms set PORT).
    port: int = Field(default=8080, ge=1, le=65535)
    #: "text" (one line per event) or "json" (one JSON object per line, for hosts that parse logs).
    log_format: Literal["text", "json"] = "text"
    #: How many replicas of the bot run on one database (PostgreSQL). Each sends at most
    #: SEND_RATE_PER_SECOND / REPLICAS; one of them, the lease holder, runs the clock.
    replicas: int = Field(default=1, ge=1, le=64)
    #: Seconds a replica holds the clock lease without renewing it; another replica takes over
    #: within this plus a third of it after the holder dies.
    leader_lease_seconds: float = Field(default=15.0, ge=3, le=60)
    #: Minutes between two heartbeat log lines (users, active sessions, reminders queued). 0: none.
    heartbeat_minutes: float = Field(default=5.0, ge=0, le=1440)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value().strip()):
            raise ValueError(
                "does not look like a bot token (expected '<digits>:<35 or so letters>' "
                "from @BotFather)"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not re.match(r"^https://[^\s/?#]+(/[^\s?#]*)?$", value):
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_URL is (Telegram sends it with every update)")
        return self

    @property
    def webhook_path(self) -> str:
        """The path the webhook is served at: the path of WEBHOOK_URL."""
        assert self.webhook_url is not None
        return urlsplit(self.webhook_url).path or "/"

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        url = value.get_secret_value().strip()
        if not re.match(r"^(postgres|postgresql)(\+asyncpg)?://", url):
            raise ValueError("must start with postgresql:// (leave it unset for SQLite at DATABASE_PATH)")
        try:
            engine_url(url)
        except ValueError as problem:
            if "parameters" in str(problem):
                raise
            raise ValueError("is not a database URL such as postgresql://user:password@host:5432/limber") from None
        except Exception:
            raise ValueError("is not a database URL such as postgresql://user:password@host:5432/limber") from None
        return SecretStr(url)

    @field_validator("telegram_base_url")
    @classmethod
    def _base_url_shape(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+(/\S*)?$", value) or not value.endswith("/bot"):
            raise ValueError("must look like 'http://127.0.0.1:8081/bot' (ending in /bot)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level_known(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        value = value.strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone such as 'Europe/Berlin' or 'UTC'") from None
        return value

    @property
    def token(self) -> str:
        return self.telegram_bot_token.get_secret_value()

    @model_validator(mode="after")
    def _replicas_need_a_server(self) -> Settings:
        if self.replicas > 1 and self.database_url is None:
            raise ValueError("REPLICAS above 1 needs DATABASE_URL (PostgreSQL): an SQLite file has one writer")
        return self

    @property
    def database(self) -> str:
        """Where the data lives: DATABASE_URL if set, else the SQLite file at DATABASE_PATH."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return sqlite_url(self.database_path)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values no log line may show: the token, the webhook secret, the database password."""
        password = engine_url(self.database).password if self.database_url is not None else None
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else None
        return tuple(s for s in (self.token, password, secret) if s)

    @property
    def base_file_url(self) -> str | None:
        """The file download URL that belongs to :attr:`telegram_base_url`."""
        if self.telegram_base_url is None:
            return None
        return self.telegram_base_url[: -len("/bot")] + "/file/bot"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (and `.env`), or raise :class:`ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, naming the variable and never echoing the value."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        variable = "_".join(str(part) for part in error["loc"]).upper() or "configuration"
        message = error["msg"]
        if error["type"] == "missing":
            message = "is not set"
        message = message.removeprefix("Value error, ")
        lines.append(f"{variable} {message}" if error["loc"] else message)
    return "; ".join(lines)
