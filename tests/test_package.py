"""The deploy route `pip install .`: a wheel built from this tree, installed into a fresh virtual
environment, runs `python -m bot` from any folder, with its routines inside."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from the test venv (a path
    entry, so nothing is downloaded twice and the editable install of this tree is not seen)."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the sources alone: a build/ folder left in the tree by earlier builds
    # would otherwise slip stale files into the wheel.
    source = work / "source"
    shutil.copytree(
        ROOT, source,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "data", ".env"),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "dist"), str(source)],
        check=True, stdin=subprocess.DEVNULL, capture_output=True,
    )
    (wheel,) = (work / "dist").glob("limber-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    )
    (site_packages / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site_packages), str(wheel)],
        check=True, stdin=subprocess.DEVNULL, capture_output=True,
    )
    return python


def test_the_wheel_carries_the_bot_and_its_routines(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import bot, routines; from bot.domain.routines import load_routines; "
        "print(bot.__file__); print(sorted(load_routines())); "
        "from bot.presentation.figures import pose_names, render_pose; "
        "print(len(render_pose('forward-fold')) > 1000, sorted(pose_names()) == sorted(set(pose_names())))"
    )
    result = subprocess.run([str(installed), "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    location, ids, pictures = result.stdout.strip().splitlines()
    assert str(installed.parent.parent) in location  # the installed copy, not this tree
    shipped = sorted(path.stem for path in (Path(__file__).parent.parent / "routines").glob("*.toml"))
    assert len(shipped) >= 7 and ids == str(shipped)  # file names are the routine ids
    assert pictures == "True True"  # the pose drawings ship too, and render


async def test_the_installed_bot_runs_from_any_folder(installed: Path, tmp_path: Path, telegram: FakeTelegram) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "DATABASE_PATH": str(tmp_path / "data" / "limber.sqlite3"),
        "SEND_RATE_PER_SECOND": "0",
    }
    process = await asyncio.create_subprocess_exec(
        str(installed), "-m", "bot", cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    user = telegram.user()
    try:
        await user.send("/stretch")
        card = await user.next_message("Hamstrings")  # the shipped flagship, read from the wheel
        assert card.buttons
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, err.decode()[-2000:]
