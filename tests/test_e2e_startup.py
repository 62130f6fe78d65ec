"""End to end: starting up and staying up when Telegram hiccups, and stopping with one clear
line when it cannot work (the token was rejected), in the tests' process and as a real
`python -m bot` process."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.app import running
from tests.conftest import POLL_TIMEOUT, TEST_ROUTINES
from tests.fake_telegram import TOKEN, FakeTelegram, Status

ROOT = Path(__file__).resolve().parent.parent


async def test_a_bad_gateway_on_get_me_is_retried(make_settings, telegram: FakeTelegram, clock) -> None:
    telegram.inject("getMe", Status(502))
    user = telegram.user()
    async with running(make_settings(), clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/help")
        await user.next_message("What I can do")
    assert [c.status for c in telegram.calls_to("getMe")][:2] == [502, 200]


async def test_a_429_on_the_command_menu_is_waited_out(make_settings, telegram: FakeTelegram, clock) -> None:
    telegram.inject("setMyCommands", Status(429, retry_after=1))
    user = telegram.user()
    async with running(make_settings(), clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/help")
        await user.next_message("What I can do")
    # The first try is refused; then the default menu and one per language go through.
    assert [c.status for c in telegram.calls_to("setMyCommands")] == [429, 200, 200, 200, 200, 200, 200]
    assert telegram.commands  # the menu was registered after all


async def test_another_instance_polling_is_reported_once_and_waited_for(
    make_settings, telegram: FakeTelegram, clock, caplog
) -> None:
    telegram.inject("getUpdates", Status(409), Status(409), Status(409))
    user = telegram.user()
    with caplog.at_level(logging.INFO, logger="bot.telegram.intake"):
        async with running(make_settings(), clock, poll_timeout=POLL_TIMEOUT):
            await user.send("/help")
            await user.next_message("What I can do")
    reports = [r.getMessage() for r in caplog.records if "Another process is polling" in r.getMessage()]
    assert len(reports) == 1
    assert any("takes over" in r.getMessage() for r in caplog.records)


async def test_a_token_revoked_mid_run_stops_the_bot_with_a_reason(
    make_settings, telegram: FakeTelegram, clock
) -> None:
    user = telegram.user()
    async with running(make_settings(), clock, poll_timeout=POLL_TIMEOUT) as bot:
        await user.send("/help")
        await user.next_message("What I can do")
        telegram.inject("getUpdates", Status(401))
        reason = await asyncio.wait_for(asyncio.shield(bot.fatal), 10)
    assert "Telegram rejected the bot token" in reason


def bot_env(tmp_path: Path, telegram: FakeTelegram) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "DATABASE_PATH": str(tmp_path / "limber.sqlite3"),
        "ROUTINES_DIR": str(TEST_ROUTINES),
        "SEND_RATE_PER_SECOND": "0",
    }


async def start_bot(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def test_the_process_ends_with_one_line_when_the_token_is_revoked(tmp_path: Path, telegram: FakeTelegram) -> None:
    user = telegram.user()
    process = await start_bot(tmp_path, bot_env(tmp_path, telegram))
    try:
        await user.send("/help")
        await user.next_message("What I can do")
        telegram.inject_always("getUpdates", Status(401))
        out, err = await asyncio.wait_for(process.communicate(), 30)
        err = out + err  # logs on stdout, the one-line verdict on stderr
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 2
    lines = err.decode().strip().splitlines()
    assert lines[-1] == "limber: Telegram rejected the bot token; check TELEGRAM_BOT_TOKEN (from @BotFather)."
    assert "Traceback" not in err.decode()
    assert TOKEN.split(":")[1] not in err.decode()


async def test_sigterm_stops_the_process_cleanly(tmp_path: Path, telegram: FakeTelegram) -> None:
    user = telegram.user()
    process = await start_bot(tmp_path, bot_env(tmp_path, telegram))
    try:
        await user.send("/help")
        await user.next_message("What I can do")
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        err = out + err  # logs on stdout, the one-line verdict on stderr
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in err.decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_dev_py_passes_a_stop_signal_to_the_bot_and_exits_with_its_code(
    tmp_path: Path, telegram: FakeTelegram, signum: signal.Signals
) -> None:
    """A process manager's SIGTERM (or Ctrl-C) to `python3 dev.py run` stops the bot too, and
    the script exits as the bot did (0), without a traceback."""
    user = telegram.user()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "dev.py"), "run", cwd=tmp_path, env=bot_env(tmp_path, telegram),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await user.send("/help")
        await user.next_message("What I can do")
        process.send_signal(signum)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        err = out + err  # logs on stdout, the one-line verdict on stderr
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
    assert "Stopping" in err.decode()  # the bot's own clean stop, not the script dying alone


async def test_dev_py_exits_with_the_bots_code_for_bad_settings(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "dev.py"), "run", cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "TELEGRAM_BOT_TOKEN": "nonsense"},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    err = out + err  # logs on stdout, the one-line verdict on stderr
    assert process.returncode == 2
    assert err.decode().strip().splitlines()[-1].startswith("limber: configuration error: TELEGRAM_BOT_TOKEN")


async def test_nothing_a_user_sent_is_lost_when_the_process_is_killed(tmp_path: Path, telegram: FakeTelegram) -> None:
    """SIGKILL while forty quick measurements are being handled: after a restart every one of
    them is stored, each exactly once."""
    user = telegram.user()
    env = bot_env(tmp_path, telegram) | {"FLOOD_LIMIT": "100"}  # quick, but not a flood here
    process = await start_bot(tmp_path, env)
    try:
        await user.send("/help")
        await user.next_message("What I can do")
        for value in range(1, 41):
            await user.send(f"/reach {value}")
        await telegram.wait_until(
            lambda: len([m for m in user.messages if "saved" in m.text]) >= 5, what="the first answers"
        )
    finally:
        process.kill()
        await process.communicate()
    answered_before_the_kill = len([m for m in user.messages if "saved" in m.text])

    process = await start_bot(tmp_path, env)
    try:
        def stored() -> list[float]:
            with sqlite3.connect(tmp_path / "limber.sqlite3") as db:
                return [row[0] for row in db.execute("SELECT value_cm FROM measurements ORDER BY value_cm")]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while len(set(stored())) < 40 and loop.time() < deadline:  # noqa: ASYNC110 - polls another process's database
            await asyncio.sleep(0.1)
        values = stored()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    assert values == [float(v) for v in range(1, 41)], f"{answered_before_the_kill} answered before the kill"


async def test_an_update_cut_off_at_shutdown_is_handled_after_the_restart(
    make_settings, telegram: FakeTelegram, clock, monkeypatch
) -> None:
    """Telegram fails every send while the bot stops: the update being answered is cut off after
    a short grace, stays recorded as not done, and is answered after the restart."""
    import bot.app as app_module

    monkeypatch.setattr(app_module, "WIND_DOWN_SECONDS", 0.2)
    monkeypatch.setattr(app_module, "DRAIN_SECONDS", 0.2)
    settings = make_settings()
    user = telegram.user()
    telegram.inject_always("sendMessage", Status(502))
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.send("/help")
        await telegram.wait_until(lambda: telegram.calls_to("sendMessage"), what="the answer being tried")
    telegram.clear_faults()
    async with running(settings, clock, poll_timeout=POLL_TIMEOUT):
        await user.next_message("What I can do")
    with sqlite3.connect(settings.database_path) as db:
        assert db.execute("SELECT status FROM inbox").fetchall() == [("done",)]


async def test_sigterm_while_start_up_waits_for_telegram_stops_at_once(tmp_path: Path, telegram: FakeTelegram) -> None:
    telegram.inject_always("getMe", Status(502))
    process = await start_bot(tmp_path, bot_env(tmp_path, telegram))
    try:
        await telegram.wait_until(lambda: len(telegram.calls_to("getMe")) >= 1, what="start-up trying getMe")
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)  # not the 120 s of patience
        err = out + err
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in err.decode()
