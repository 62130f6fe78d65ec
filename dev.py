#!/usr/bin/env python3
"""Set up and run Limber with nothing but Python installed.

    python3 dev.py run     # create .venv, install, run the bot (reads .env)
    python3 dev.py test    # create .venv, install with test tools, lint, type-check, run all tests

Extra arguments go to the bot or to pytest. Dependencies come from the lock files
(requirements.txt for the bot, requirements-test.txt for the tests), so every machine runs the
same versions; the virtual environment is rebuilt only when one of them or pyproject.toml changes.
Ctrl-C or SIGTERM reach the bot (or pytest), and this script exits with its exit code.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".limber-installed"
LOCKS = {"run": ROOT / "requirements.txt", "test": ROOT / "requirements-test.txt"}


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment(command: str) -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older Python: say so plainly
        sys.exit(f"Limber needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    lock = LOCKS[command]
    python = venv_python()
    installed = STAMP.read_text() if python.exists() and STAMP.exists() else ""
    # The test environment holds everything the bot needs too.
    if installed in {_stamp(command), _stamp("test")}:
        return python
    if not python.exists():
        print("Creating virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print(f"Installing Limber and its dependencies from {lock.name} ...", flush=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True)
    subprocess.run([*pip, "--no-deps", "--editable", str(ROOT)], check=True)
    STAMP.write_text(_stamp(command))
    return python


def _stamp(command: str) -> str:
    """What an environment installed for ``command`` from today's files is marked with."""
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + LOCKS[command].read_bytes()).hexdigest()


def run_forwarding_signals(args: list[str]) -> int:
    """Run ``args`` as a child that receives our SIGINT/SIGTERM, and return its exit code.

    The child runs in its own process group, so a Ctrl-C in the terminal reaches it once (from
    us), and a SIGTERM sent to this script (by a process manager) stops the bot too instead of
    leaving it running alone.
    """
    child = subprocess.Popen(args, cwd=ROOT, process_group=0)

    def forward(signum: int, _frame: FrameType | None) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    code = child.wait()
    return 128 - code if code < 0 else code  # killed by signal N: the shell's 128 + N


def check(python: Path, rest: list[str]) -> int:
    """The test command: lint and strict type checks first (seconds, and a failure says exactly
    where), then every test."""
    for step in (
        [str(python), "-m", "ruff", "check", "--quiet", "bot", "tests", "bench", "dev.py"],
        [str(python), "-m", "mypy", "bot"],
    ):
        code = run_forwarding_signals(step)
        if code != 0:
            return code
    return run_forwarding_signals([str(python), "-m", "pytest", *rest])


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__.strip())
        return 2
    command, rest = argv[0], argv[1:]
    try:
        python = ensure_environment(command)
    except subprocess.CalledProcessError as failed:
        print(f"dev.py: installing dependencies failed (exit {failed.returncode})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if command == "run":
        return run_forwarding_signals([str(python), "-m", "bot", *rest])
    return check(python, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
