"""Inbound throughput: updates handled per second by Limber and two peer bots, in the same run.

Run by hand:  .venv/bin/python bench/updates.py [--updates 2000] [--runs 3] [--only limber]
                                                [--limber-at REV] [--quiet-wait 30]

Each contender is a separate process polling a fake Bot API server (``bench/fakeapi.py``, its own
process too) that holds a backlog of N updates from 500 private chats: 50% texts, 30% commands
(/help, /start, /reminders, /routines), 20% presses of a button the bot does not know. The clock
runs from the first ``getUpdates`` that hands out updates to the reply that leaves no update
unanswered (a message in its chat, or the answer to its callback query); start-up and shutdown
are not measured. Contenders take turns, R runs each, every run with a fresh server and a fresh
database; every run gets the same updates (one seed). Before each run the driver waits (up to
``--quiet-wait`` seconds) for a second in which the machine is nearly idle, and each run reports
the CPU used by the bot, by the fake server and by everything else, so a noisy run shows.

- ``limber``: this repository's bot as a black box: ``python -m bot``, settings from the
  environment only (``SEND_RATE_PER_SECOND=0``: Telegram's send limits off), run in a scratch
  folder so no ``.env`` is read. ``--limber-at REV`` runs a committed revision instead of the
  working tree (exported with ``git archive``; the repository is not touched).
- ``ptb``: a bare python-telegram-bot 22 echo bot, default settings (``bench/peers/ptb_echo.py``).
- ``aiogram``: a bare aiogram 3 echo bot, default settings (``bench/peers/aiogram_echo.py``).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import IO

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fakeapi import TOKEN, FakeApiProcess, busiest_chat, make_updates, stop_process
from bench.pgdb import DEFAULT_SERVER, fresh_database

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
POLL_SECONDS = 0.1
#: Limber's default flood control: a user's updates beyond this many in 10 s are dropped, even
#: from a backlog, so a mix that puts more on one chat can never be answered in full.
LIMBER_FLOOD_LIMIT = 20
#: A machine using less than this many cores (with nothing of ours running) counts as quiet.
QUIET_CORES = 0.25


@dataclass(frozen=True)
class Contender:
    """A bot to measure: its command line, and its environment for one run."""

    name: str
    command: list[str]
    #: Extra environment; ``{base_url}`` and ``{scratch}`` are filled in for each run.
    environment: dict[str, str]

    #: Runs on a fresh PostgreSQL database of its own (``{database_url}`` in its environment).
    on_postgres: bool = False

    def environment_for(self, base_url: str, scratch: Path, database_url: str = "") -> dict[str, str]:
        filled = {
            key: value.format(base_url=base_url, scratch=scratch, database_url=database_url)
            for key, value in self.environment.items()
        }
        return {**os.environ, **filled}


def contenders(limber_tree: Path) -> dict[str, Contender]:
    """Limber (its ``bot`` package taken from ``limber_tree``) and the two peers."""
    peer_environment = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "{base_url}"}
    limber_environment = {
        **peer_environment,
        "DATABASE_PATH": "{scratch}/limber.sqlite3",
        "SEND_RATE_PER_SECOND": "0",  # Telegram's send limits off: this measures intake
        "LOG_LEVEL": "WARNING",
        # That tree's bot, whatever is installed; the cwd is the scratch folder, so no .env is read.
        "PYTHONPATH": str(limber_tree),
    }
    return {
        "limber": Contender("limber", [sys.executable, "-m", "bot"], limber_environment),
        "limber-pg": Contender(
            "limber-pg",
            [sys.executable, "-m", "bot"],
            {**limber_environment, "DATABASE_URL": "{database_url}"},
            on_postgres=True,
        ),
        "ptb": Contender("ptb", [sys.executable, str(PEERS / "ptb_echo.py")], peer_environment),
        "aiogram": Contender("aiogram", [sys.executable, str(PEERS / "aiogram_echo.py")], peer_environment),
    }


NAMES = ("limber", "limber-pg", "ptb", "aiogram")


@contextmanager
def exported(revision: str | None) -> Iterator[Path]:
    """The working tree, or Limber's ``bot/`` and ``routines/`` at ``revision`` in a temporary folder."""
    if revision is None:
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="bench-limber-") as folder:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision, "bot", "routines"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)


@dataclass
class RunResult:
    """One contender's run: how many updates were answered, and in how long."""

    contender: str
    updates: int
    answered: int
    seconds: float | None  # first update handed out -> last update answered; None if not all were
    api_calls: int  # requests other than getUpdates during the whole run
    messages_sent: int
    server_cpu_seconds: float | None  # the fake server's own CPU time over ``seconds``
    #: CPU used while the updates were handled, as a share of one core: the bot's process (all its
    #: threads), and everything else on the machine (other than the bot and the fake server).
    bot_cpu: float | None = None
    other_cpu: float | None = None
    stop_seconds: float = 0.0  # from SIGTERM to exit
    problem: str = ""

    @property
    def per_second(self) -> float | None:
        return self.updates / self.seconds if self.seconds else None


# -- running one contender ----------------------------------------------------------------------------


def run_once(
    contender: Contender, updates: int, users: int, seed: int, timeout: float, server: str = DEFAULT_SERVER
) -> RunResult:
    """Start a fresh fake server (and database) and the contender, wait until every update is
    answered, stop both."""
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{contender.name}-") as folder,
        fresh_database(server) if contender.on_postgres else nullcontext("") as database_url,
    ):
        scratch = Path(folder)
        bot_log = scratch / "bot.log"
        with FakeApiProcess(updates, users, seed, scratch / "fakeapi.log") as api:
            environment = contender.environment_for(api.base_url, scratch, database_url)
            with bot_log.open("w") as log, _started(contender.command, environment, scratch, log) as bot:
                problem, usage = _wait_until_answered(api, bot, timeout)
                stats = api.stats()
                api.release()
                handled_log_size = bot_log.stat().st_size  # what it logged before being stopped
                stopping = time.monotonic()
                code = stop_process(bot, grace=20.0)
                stop_seconds = time.monotonic() - stopping
                if not problem.startswith("exited") and code not in (0, -signal.SIGTERM):
                    problem = "; ".join(filter(None, [problem, f"exit code {code} after SIGTERM"]))
        problem = _with_log_findings(problem, bot_log.read_bytes(), handled_log_size)
    responses: dict[str, int] = stats["responses"]
    seconds = None
    if stats["done"]:
        seconds = stats["last_answered"] - stats["first_handed_out"]
    return RunResult(
        contender=contender.name,
        updates=updates,
        answered=stats["answered"],
        seconds=seconds,
        api_calls=sum(count for method, count in responses.items() if method != "getUpdates"),
        messages_sent=stats["messages_sent"],
        server_cpu_seconds=stats["server_cpu_seconds"],
        bot_cpu=usage.get("bot"),
        other_cpu=usage.get("other"),
        stop_seconds=stop_seconds,
        problem=problem,
    )


def _with_log_findings(problem: str, log: bytes, handled_size: int) -> str:
    """A failed run gets the log's tail; a good one, any error lines (while handling or stopping)."""
    if problem:
        tail = log[-1500:].decode(errors="replace").strip()
        return f"{problem}\n      log tail: {tail or '(empty)'}"
    findings = [_errors_in(log[:handled_size], "while handling"), _errors_in(log[handled_size:], "while stopping")]
    return "; ".join(finding for finding in findings if finding)


def _errors_in(log: bytes, when: str) -> str:
    """'N error line(s) <when>, first: ...' for ERROR and Traceback lines in ``log``; '' if none."""
    lines = log.decode(errors="replace").splitlines()
    errors = [line for line in lines if "ERROR" in line or "Traceback" in line]
    return f"{len(errors)} error line(s) in its log {when}, first: {errors[0][:160]}" if errors else ""


@contextmanager
def _started(
    command: list[str], environment: dict[str, str], cwd: Path, log: IO[str]
) -> Iterator[subprocess.Popen[bytes]]:
    """The contender's process, stopped (SIGTERM, then SIGKILL) however the block ends."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a Ctrl-C in the terminal is ours to handle, in order
    )
    try:
        yield process
    finally:
        stop_process(process, grace=5.0)


def _wait_until_answered(
    api: FakeApiProcess, bot: subprocess.Popen[bytes], timeout: float
) -> tuple[str, dict[str, float]]:
    """Poll the server's stats until every update is answered.

    Returns a problem description ('' if none) and the CPU use over the measured window (from
    the first poll that sees updates handed out to the poll that sees all answered), when the
    platform shows it.
    """
    deadline = time.monotonic() + timeout
    first: CpuSnapshot | None = None
    while True:
        stats = api.stats()
        if first is None and stats["handed_out"]:
            first = CpuSnapshot.take(bot.pid, api.pid)
        if stats["done"]:
            last = CpuSnapshot.take(bot.pid, api.pid)
            return "", first.usage_until(last) if first is not None and last is not None else {}
        if bot.poll() is not None:
            return f"exited with code {bot.returncode} after {stats['answered']}/{stats['updates']} answered", {}
        if time.monotonic() > deadline:
            return f"timed out after {timeout:.0f} s with {stats['answered']}/{stats['updates']} answered", {}
        time.sleep(POLL_SECONDS)


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far by the whole machine, the bot and the fake server (Linux /proc)."""

    at: float
    machine: float
    bot: float
    server: float

    @classmethod
    def take(cls, bot_pid: int, server_pid: int) -> CpuSnapshot | None:
        machine = machine_busy_seconds()
        if machine is None:
            return None
        try:
            ticks = os.sysconf("SC_CLK_TCK")
            return cls(time.monotonic(), machine, _process_cpu(bot_pid, ticks), _process_cpu(server_pid, ticks))
        except (OSError, ValueError):
            return None

    def usage_until(self, later: CpuSnapshot) -> dict[str, float]:
        wall = later.at - self.at
        if wall <= 0:
            return {}
        bot, server = later.bot - self.bot, later.server - self.server
        other = max(0.0, later.machine - self.machine - bot - server)
        return {"bot": bot / wall, "other": other / wall}


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (all cores), or None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        # user nice system idle iowait irq softirq steal: everything but idle and iowait is busy
        busy = sum(int(value) for index, value in enumerate(fields[:8]) if index not in (3, 4))
        return busy / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def wait_for_quiet(max_wait: float, threshold: float = QUIET_CORES) -> bool:
    """Wait (up to ``max_wait`` s) for a second in which the machine uses under ``threshold`` cores.

    Other people's test runs on a shared machine skew a run badly; this lets them pass first.
    True if such a second came (or the machine's load cannot be read), False on giving up.
    """
    deadline = time.monotonic() + max_wait
    while True:
        before = machine_busy_seconds()
        if before is None:
            return True
        time.sleep(1.0)
        after = machine_busy_seconds()
        if after is not None and after - before < threshold:
            return True
        if time.monotonic() >= deadline:
            return False


def _process_cpu(pid: int, ticks: int) -> float:
    """User plus system CPU seconds of a process, all its threads included."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / ticks  # utime and stime


# -- the report ------------------------------------------------------------------------------------


def describe_machine(limber_at: str | None) -> str:
    """Cores, Python and library versions, and which code ran as Limber."""
    versions = []
    for package in ("python-telegram-bot", "aiogram", "aiohttp", "httpx", "pydantic"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{', '.join(versions)}; Limber at {_describe_revision(limber_at)}"
    )


def _describe_revision(limber_at: str | None) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    try:
        if limber_at is not None:
            return f"{git('rev-parse', '--short', limber_at)} ({limber_at}, exported)"
        dirty = git("status", "--porcelain", "--", "bot")
        return f"{git('rev-parse', '--short', 'HEAD')}{' + uncommitted changes in bot/' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"


COLUMNS = (
    ("contender", 10), ("runs", 5), ("updates/s min-max", 17), ("median", 6), ("s (median)", 10),
    ("calls/update", 12), ("bot CPU", 7), ("fake API CPU", 12), ("other CPU", 9),
)


def print_table(results: list[RunResult], names: list[str], updates: int) -> None:
    """One row per contender: complete runs, the spread and median of updates/s, and context.

    CPU columns are medians, as a share of one core, over the measured window: "other CPU" is
    everything on the machine but the bot and the fake server; much of it means a noisy run.
    """
    print(_row([title for title, _ in COLUMNS]))
    print("-" * (sum(width for _, width in COLUMNS) + len(COLUMNS) - 1))
    for name in names:
        mine = [result for result in results if result.contender == name]
        timed = [result for result in mine if result.seconds]
        cells = [name, f"{len(timed)}/{len(mine)}"]
        if timed:
            rates = [updates / result.seconds for result in timed if result.seconds]
            cells += [
                f"{min(rates):,.0f}-{max(rates):,.0f}",
                f"{statistics.median(rates):,.0f}",
                f"{statistics.median(result.seconds for result in timed if result.seconds):.2f}",
                f"{statistics.median(result.api_calls / updates for result in timed):.2f}",
                _median_share(result.bot_cpu for result in timed),
                _median_share(_server_share(result) for result in timed),
                _median_share(result.other_cpu for result in timed),
            ]
        cells += ["-"] * (len(COLUMNS) - len(cells))
        print(_row(cells))


def _row(cells: list[str]) -> str:
    """Cells padded to the column widths: the first left-aligned, the others right-aligned."""
    widths = [width for _, width in COLUMNS]
    first, *rest = zip(cells, widths, strict=True)
    return " ".join([f"{first[0]:<{first[1]}}", *(f"{cell:>{width}}" for cell, width in rest)])


def _median_share(shares: Iterable[float | None]) -> str:
    known = [share for share in shares if share is not None]
    return f"{statistics.median(known):.0%}" if known else "?"


def _server_share(result: RunResult) -> float | None:
    """The fake server's CPU time as a share of the measured wall time (1.0 = one core busy)."""
    if not result.seconds or result.server_cpu_seconds is None:
        return None
    return result.server_cpu_seconds / result.seconds


# -- main ----------------------------------------------------------------------------------------------


def unwind_on_signal(signum: int, frame: FrameType | None) -> None:
    """Unwind (stopping every child on the way out); a second Ctrl-C cannot cut that short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates per run (default 2000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per contender, taking turns (default 3)")
    parser.add_argument("--only", action="append", choices=NAMES, help="measure only this contender (repeatable)")
    parser.add_argument("--users", type=int, default=500, help="distinct users sending the updates (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the update mix, the same for every run")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds one run may take before it counts as failed (300)"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="before each run, wait up to this many seconds for the machine to be quiet (default 30; 0: never)",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_SERVER,
        help=f"PostgreSQL server for limber-pg (a database is created per run; default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--limber-at", metavar="REV", help="run Limber as committed at this git revision instead of the working tree"
    )
    args = parser.parse_args(argv)
    names = [name for name in NAMES if not args.only or name in args.only]

    # Ctrl-C (even where a shell started us with SIGINT ignored) and SIGTERM stop the children.
    signal.signal(signal.SIGINT, unwind_on_signal)
    signal.signal(signal.SIGTERM, unwind_on_signal)
    print(describe_machine(args.limber_at))
    busiest = busiest_chat(make_updates(args.updates, args.users, args.seed))
    print(
        f"{args.updates:,} updates from {args.users} private chats per run (seed {args.seed}; "
        f"at most {busiest} from one chat), {args.runs} run(s) each"
    )
    if busiest > LIMBER_FLOOD_LIMIT and "limber" in names:
        print(
            f"  note: Limber drops a user's updates beyond {LIMBER_FLOOD_LIMIT} in 10 s (FLOOD_LIMIT), so it cannot "
            "answer them all; raise --users"
        )
    print()
    results: list[RunResult] = []
    try:
        with exported(args.limber_at) as limber_tree:
            bots = contenders(limber_tree)
            for run in range(1, args.runs + 1):
                for name in names:
                    if args.quiet_wait > 0 and not wait_for_quiet(args.quiet_wait):
                        print(f"  (the machine stayed busy for {args.quiet_wait:.0f} s; running anyway)")
                    result = run_once(bots[name], args.updates, args.users, args.seed, args.timeout, args.database_url)
                    results.append(result)
                    _print_run(run, args.runs, result)
    except KeyboardInterrupt:
        print("\ninterrupted; the runs so far:")
    print()
    print_table(results, names, args.updates)
    return 0 if results and all(result.seconds is not None for result in results) else 1


def _print_run(run: int, runs: int, result: RunResult) -> None:
    rate = "incomplete"
    if result.per_second and result.seconds:
        rate = f"{result.per_second:,.0f} updates/s in {result.seconds:.2f} s"
        shares = {"bot": result.bot_cpu, "fake API": _server_share(result), "other": result.other_cpu}
        known = [f"{label} {share:.0%}" for label, share in shares.items() if share is not None]
        if known:
            rate += f" (CPU: {', '.join(known)})"
    problem = f"; {result.problem}" if result.problem else ""
    print(
        f"  run {run}/{runs} {result.contender:<8} {result.answered}/{result.updates} answered, {rate}, "
        f"{result.messages_sent} messages sent, stopped in {result.stop_seconds:.1f} s{problem}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
