"""Restarts lose nothing: sessions continue after the bot comes back, even after kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.app import running
from tests.conftest import POLL_TIMEOUT, TEST_ROUTINES
from tests.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


async def test_a_restart_mid_session_continues_where_it_was(make_settings, telegram: FakeTelegram, clock) -> None:
    settings = make_settings()
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/stretch quick")
        await user.next_message(" · ")
        clock.advance(2)
        second = await user.next_message()
        assert "2/3 · Side bend" in second.text

    clock.advance(45)  # the bot is down longer than the pose lasts
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        back = await user.next_message()
        assert "I was offline for a moment. We were at Side bend (right)" in back.text
        assert "2/3 · Side bend - right side" in back.text and "⏱ 0:01 left" in back.text
        await telegram.wait_until(lambda: second.buttons == [], what="the old pose loses its buttons")
        clock.advance(1)
        assert "3/3 · Easy breathing" in (await user.next_message()).text


async def test_a_paused_session_comes_back_paused(make_settings, telegram: FakeTelegram, clock) -> None:
    settings = make_settings()
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/stretch quick")
        first = await user.next_message(" · ")
        await user.toast(await user.press(first, "Pause"))

    clock.advance(600)
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        back = await user.next_message()
        assert "We were at Reach up" in back.text and "Paused · 0:02 left" in back.text
        assert back.buttons[0] == "▶️ Resume"
        await user.toast(await user.press(back, "Resume"))
        clock.advance(2)
        assert "2/3 · Side bend" in (await user.next_message()).text


async def test_a_session_abandoned_for_hours_is_closed_quietly(make_settings, telegram: FakeTelegram, clock) -> None:
    settings = make_settings()
    user = telegram.user()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/stretch quick")
        first = await user.next_message(" · ")
        stale = first.callback_data("Pause")
        await user.toast(await user.press(first, "Pause"))

    clock.advance(4 * 3600)
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        assert await user.toast(await user.press_data(first, stale)) == "That button has expired."
        assert user.unseen() == []
        # No "continue or start over?" question: the old session is gone.
        await user.send("/stretch quick")
        assert "1/3 · Reach up" in (await user.next_message("1/3")).text


async def test_the_real_process_killed_mid_routine_resumes_and_never_logs_the_token(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "DATABASE_PATH": str(tmp_path / "limber.sqlite3"),
        "ROUTINES_DIR": str(TEST_ROUTINES),
        "LOG_LEVEL": "DEBUG",
        # The killed process's clock lease runs out this soon; the new one takes over then.
        "LEADER_LEASE_SECONDS": "3",
    }
    user = telegram.user()
    logs: list[bytes] = []
    readers: list[asyncio.Task[None]] = []

    async def start_bot() -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env | {"PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        # Read the log as it comes: a full pipe would stop a process that logs at DEBUG.
        readers.append(asyncio.create_task(read_all(process)))
        return process

    async def read_all(process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while chunk := await process.stdout.read(65536):
            logs.append(chunk)

    process = await start_bot()
    try:
        await user.send("/stretch quick")
        first = await user.next_message(" · ")
        await user.press(first, "Skip")
        await user.next_message("2/3")
        last = await user.next_message("3/3 · Easy breathing")  # 20 s hold: nothing moves for a while
    finally:
        process.kill()  # SIGKILL: no clean shutdown at all
        await process.wait()
        await readers[-1]

    process = await start_bot()
    try:
        # Back within seconds: the routine goes on where it was; its card, still on screen,
        # is not sent again, and its buttons work.
        await user.press(last, "Skip")
        summary = await user.next_message("Quick test")
        assert "done" in summary.text or "Stopped" in summary.text
        assert not [m for m in user.messages if "We were at" in m.text]
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await readers[-1]
    assert process.returncode == 0

    output = b"".join(logs).decode()
    assert "DEBUG" in output and "Limber is running" in output
    secret = TOKEN.split(":")[1]
    assert secret not in output, "the bot token leaked into the logs"
