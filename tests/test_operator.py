"""What an operator sees: clear start-up errors, and logs that never show the token."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.logs import RedactingFormatter, configure_logging
from tests.conftest import TEST_ROUTINES
from tests.fake_telegram import TOKEN

ROOT = Path(__file__).resolve().parent.parent
SECRET = TOKEN.split(":")[1]


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,  # no .env there
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_missing_token_stops_at_once_with_one_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "limber: configuration error: TELEGRAM_BOT_TOKEN is not set. See .env.example."
    ]


def test_malformed_token_is_explained_without_being_printed(tmp_path: Path) -> None:
    bad = "12345:" + SECRET[:10] + " oops"
    result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN=bad)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN does not look like a bot token" in result.stderr
    assert SECRET[:10] not in result.stderr + result.stdout


def test_every_bad_setting_is_named(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        DEFAULT_TIMEZONE="Mars/Olympus",
        LOG_LEVEL="chatty",
        TELEGRAM_BASE_URL="ftp://example",
        SESSION_TICK_SECONDS="-1",
    )
    assert result.returncode == 2
    for variable in ("DEFAULT_TIMEZONE", "LOG_LEVEL", "TELEGRAM_BASE_URL", "SESSION_TICK_SECONDS"):
        assert variable in result.stderr
    assert SECRET not in result.stderr


def test_a_broken_routine_file_stops_the_bot_naming_file_and_problem(tmp_path: Path) -> None:
    routines = tmp_path / "routines"
    routines.mkdir()
    (routines / "quick.toml").write_text(
        (TEST_ROUTINES / "quick.toml").read_text().replace("seconds = 2\n", "seconds = 0\n", 1)
    )
    result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, ROUTINES_DIR=str(routines),
                     TELEGRAM_BASE_URL="http://127.0.0.1:9/bot")
    assert result.returncode == 2
    assert "routine error:" in result.stderr
    assert "quick.toml: steps[0].seconds: Input should be greater than or equal to 1" in result.stderr


def test_settings_read_from_dotenv_and_derive_the_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BASE_URL", "DATABASE_PATH"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nTELEGRAM_BASE_URL=http://127.0.0.1:8081/bot/\n")
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert SECRET not in repr(settings)
    with pytest.raises(ConfigError):
        load_settings(database_path=None)


def test_env_example_documents_every_setting() -> None:
    from bot.config import Settings

    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert name.upper() in example, f"{name.upper()} is not documented in .env.example"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logs_redact_the_token_everywhere_even_at_debug(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    configure_logging("DEBUG", secrets=(TOKEN,), fmt=fmt)
    try:
        log = logging.getLogger("telegram.ext.ExtBot")
        # What python-telegram-bot and httpx log, with the token inside.
        log.debug("Set Bot API URL: https://api.telegram.org/bot%s", TOKEN)
        logging.getLogger("httpx").warning('HTTP Request: POST https://api.telegram.org/bot%s/getMe "429"', TOKEN)
        try:
            raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
        except RuntimeError:
            log.exception("boom")
        # Someone else's token-shaped string is masked too.
        log.info("other 987654321:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ")
    finally:
        logging.getLogger().handlers.clear()
    out = capsys.readouterr().out
    assert out.count("[REDACTED]") == 4
    assert SECRET not in out and "ZZZZZZZZZZ" not in out
    assert "Set Bot API URL" in out and "Traceback" in out
    if fmt == "json":  # one object per event, the traceback inside it
        events = [json.loads(line) for line in out.splitlines()]
        assert [event["level"] for event in events] == ["DEBUG", "WARNING", "ERROR", "INFO"]
        assert "Traceback" in events[2]["exc_info"]


def test_redacting_formatter_masks_a_configured_secret_of_any_shape() -> None:
    formatter = RedactingFormatter("%(message)s", secrets=("hunter2",))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "password is %s", ("hunter2",), None)
    assert formatter.format(record) == "password is [REDACTED]"


def test_webhook_mode_without_its_address_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--webhook"],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN},
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "limber: configuration error: --webhook needs WEBHOOK_URL (the public https:// address) and "
        "WEBHOOK_SECRET. See .env.example."
    ]



def test_a_database_path_that_cannot_be_used_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("in the way")
    result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_PATH=str(tmp_path / "a-file" / "limber.sqlite3"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"limber: database error: DATABASE_PATH {tmp_path / 'a-file' / 'limber.sqlite3'}: "
        f"cannot create the folder {tmp_path / 'a-file'} (a file is in the way)"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unreachable_database_url_stops_the_bot_with_one_line_and_no_password(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL="postgresql://limber:hunter2@127.0.0.1:9/limber"
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "limber: database error: DATABASE_URL (postgresql://127.0.0.1:9/limber): no database server answers there"
    ]
    assert "hunter2" not in result.stdout + result.stderr


def test_a_refused_password_and_a_missing_database_are_named() -> None:
    import asyncpg

    from bot.storage.database import _reason

    assert _reason(asyncpg.InvalidPasswordError("password authentication failed for user")) == (
        "the server refused the user name or password"
    )
    assert _reason(asyncpg.InvalidCatalogNameError('database "limber" does not exist')) == (
        "that database does not exist on the server"
    )


def test_a_database_url_of_another_kind_is_refused(tmp_path: Path) -> None:
    result = run_bot(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL="mysql://root@localhost/limber")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "limber: configuration error: DATABASE_URL must start with postgresql:// "
        "(leave it unset for SQLite at DATABASE_PATH). See .env.example."
    ]


async def test_the_heartbeat_says_how_busy_the_bot_is(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    from datetime import UTC, datetime

    from bot.app import _heartbeat
    from bot.domain import session as machine
    from bot.storage import Database, Repositories
    from tests.test_session import ROUTINE

    db = await Database.open(database_url)
    try:
        stores = Repositories.over(db)
        now = datetime.now(UTC)
        for user_id in (7, 8, 9):
            await stores.users.upsert_user(user_id, "u", now)
        session, _ = machine.start(ROUTINE, 7, 7, now)
        await stores.sessions.insert_session(session, None)
        with caplog.at_level(logging.INFO):
            await _heartbeat(stores)
    finally:
        await db.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.app"]
    assert lines == ["Heartbeat: 3 users, 1 active sessions, 0 reminders queued"]


def test_database_url_parameters_the_bot_cannot_pass_on_are_one_clear_line(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path, TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL="postgres://limber:hunter2@db.example.com/limber?sslmode=require&channel_binding=require",
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "limber: configuration error: DATABASE_URL has parameters the bot does not understand: channel_binding "
        "(it takes sslmode). See .env.example."
    ]
    assert "hunter2" not in result.stdout + result.stderr
