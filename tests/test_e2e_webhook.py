"""End to end in webhook mode: Telegram posts updates to the bot's own HTTP server, which checks
the secret token on every request, answers 200 only once an update is recorded, and serves a
health check beside it."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.app import _health, running
from bot.config import ConfigError, Settings, load_settings
from bot.domain.clock import ManualClock
from bot.telegram.webhook import WebServerError
from tests.conftest import POLL_TIMEOUT
from tests.fake_telegram import TOKEN, FakeTelegram

SECRET = "s3cret-token_for-the-webhook"
PUBLIC_URL = "https://limber.example.com/telegram/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook_bot(
    make_settings: Callable[..., Settings], telegram: FakeTelegram, clock: ManualClock
) -> AsyncIterator[tuple[Any, str]]:
    port = free_port()
    local = f"http://127.0.0.1:{port}"
    telegram.webhook_target = f"{local}/telegram/hook"
    settings = make_settings(webhook_url=PUBLIC_URL, webhook_secret=SECRET, port=port)
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT) as bot:
        yield bot, local


async def test_updates_arrive_by_webhook_and_are_answered(webhook_bot, telegram: FakeTelegram) -> None:
    _, _ = webhook_bot
    assert telegram.webhook["url"] == PUBLIC_URL
    assert telegram.webhook["secret_token"] == SECRET
    assert telegram.calls_to("getUpdates") == []  # no polling beside the webhook
    user = telegram.user()
    await user.send("/help")
    await user.next_message("What I can do")
    assert telegram.webhook_answers[-1] == 200


async def test_a_request_without_the_secret_is_refused_and_nothing_is_handled(
    webhook_bot, telegram: FakeTelegram
) -> None:
    _, local = webhook_bot
    intruder, user = telegram.user(2002, "Mallory"), telegram.user(1001, "Alex")
    forged = {
        "update_id": 999_001,
        "message": {"message_id": 1, "date": 0, "chat": intruder.chat_json, "from": intruder.json, "text": "/help"},
    }
    async with aiohttp.ClientSession() as session:
        for headers in (
            {},
            {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]},
        ):
            async with session.post(f"{local}/telegram/hook", json=forged, headers=headers) as response:
                assert response.status == 403
    # A real update after them is handled; the forged ones never were (not even recorded).
    await user.send("/help")
    await user.next_message("What I can do")
    assert intruder.messages == []


async def test_the_health_check_reports_database_and_clock(webhook_bot) -> None:
    _, local = webhook_bot
    async with aiohttp.ClientSession() as session, session.get(f"{local}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"database": "ok", "clock": "ok"}


async def test_the_health_check_fails_when_the_clock_has_not_ticked(make_settings) -> None:
    class Database:
        async def ping(self) -> None:
            return None

    class Coach:
        last_sweep_finished = None

    class Unreachable:
        async def ping(self) -> None:
            raise ConnectionRefusedError

    settings = make_settings()
    now = time.monotonic()
    assert await _health(Database(), Coach(), settings, since=now) == {"database": "ok", "clock": "ok"}  # type: ignore[arg-type]
    long_ago = now - 31  # started more than 30 s ago, and no sweep has completed since
    assert (await _health(Database(), Coach(), settings, since=long_ago))["clock"] == "stalled"  # type: ignore[arg-type]
    state = await _health(Unreachable(), Coach(), settings, since=now)  # type: ignore[arg-type]
    assert state["database"] == "unreachable (ConnectionRefusedError)"
    # A replica that does not run the clock is not stalled: it stands by (healthy).
    standby = await _health(Database(), Coach(), settings, since=long_ago, leading=False)  # type: ignore[arg-type]
    assert standby == {"database": "ok", "clock": "standby"}


async def test_a_port_already_taken_is_one_clear_error(make_settings, telegram: FakeTelegram, clock) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = make_settings(webhook_url=PUBLIC_URL, webhook_secret=SECRET, port=port)
        with pytest.raises(WebServerError) as raised:
            async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
                pass
    assert str(raised.value) == f"cannot listen on port {port} (Address already in use)"


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"WEBHOOK_URL": "http://limber.example.com/hook", "WEBHOOK_SECRET": "x"}, "WEBHOOK_URL must be the public https://"),
        ({"WEBHOOK_URL": PUBLIC_URL}, "WEBHOOK_SECRET must be set when WEBHOOK_URL is"),
        ({"WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_SECRET": "has spaces in it"}, "WEBHOOK_SECRET must be 1-256 characters"),
        ({"WEBHOOK_URL": PUBLIC_URL, "WEBHOOK_SECRET": "x" * 257}, "WEBHOOK_SECRET must be 1-256 characters"),
    ],
)
def test_webhook_settings_are_checked_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], problem: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    assert problem in str(raised.value)
    assert "has spaces" not in str(raised.value)


async def test_an_update_is_answered_only_once_recorded(
    webhook_bot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If recording fails (the database is briefly away), Telegram gets a 503 and posts the update
    again; it is handled once, when it could be recorded."""
    from bot.storage.inbox import InboxRepository

    failures_left = [2]
    real = InboxRepository.record_updates

    async def flaky(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if failures_left[0] > 0:
            failures_left[0] -= 1
            raise ConnectionResetError("database went away")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(InboxRepository, "record_updates", flaky)
    user = telegram.user()
    await user.send("/help")
    await user.next_message("What I can do")
    assert telegram.webhook_answers == [503, 503, 200]
    await user.send("/help")  # the next update's answer comes after any repeat of the first
    await user.next_message("What I can do")
    assert len([m for m in user.messages if "What I can do" in m.text]) == 2
