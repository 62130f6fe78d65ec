"""Reply latency for private users while another user floods and a group is busy, limits on.

Run by hand:  .venv/bin/python bench/latency.py [--quick] [--runs 1] [--p-users 6] [--p-messages 100]
                                                [--p-command help|tagged] [--flood 300] [--group 40]

The real bot (``python -m bot`` in a scratch folder, a fresh SQLite file, default limits:
``SEND_RATE_PER_SECOND=30``, ``FLOOD_LIMIT=20`` per ``FLOOD_PERIOD_SECONDS=10``) polls a fake Bot
API in its own process (``bench/liveapi.py``) that plays a timeline of messages live and
enforces Telegram's limits (30 sends/s overall, 1/s per private chat, 20/min per group, 429 with
``retry_after`` beyond), recording when each update was handed out and when each reply arrived.

The timeline (seconds after the bot is polling; the same for every run with one ``--seed``):

- P: ``--p-messages`` (100) commands from private users, one every 200-500 ms (``--p-interval``),
  taking turns over ``--p-users`` (6) private chats, from 0.5 s on. With 6 users each chat gets
  at most one message every 1.2 s; a single user sending every 200-500 ms (``--p-users 1``)
  outruns Telegram's own one-message-a-second limit into a private chat and Limber's flood
  control (20 updates per 10 s), so its latency measures those limits, not the load.
- F: ``--flood`` (300) ``/help`` from one private user within ``--flood-seconds`` (3) from
  ``--load-at`` (3 s). Limber answers some (20 by its flood control), says "slow down" once and
  drops the rest.
- the group: ``--group`` (40) ``/help@<bot username>`` from ``--group-members`` (8) members
  within ``--group-seconds`` (5) from ``--load-at``. Limber answers with its short intro, at
  most 20 a minute (its own group window), so with more than 20 the run lasts over a minute.

P's latency is, for each P message, the time from the ``getUpdates`` answer that handed it out
to the arrival of its reply at the fake server (both instants on the server's clock). Which reply
answers which message: with ``--p-command help`` (the default) P sends ``/help`` and replies are
matched in order, chat by chat, which is exact when Limber answers every P message (a chat where
it did not is reported and left out); with ``--p-command tagged`` P sends ``/p1``, ``/p2``...,
commands Limber does not know, and each answer names its command ("I don't know /p17." and the
help), so matching stays exact even when Limber drops some of P's messages. Nothing here
predicts Limber's rules: what was answered, dropped or warned is read from what arrived. The
run ends once the timeline is played, every update handed out, and no send arrived for
``--quiet-end`` seconds (but not before the group's second minute, when it has more than 20).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

if __package__ in (None, ""):  # run as a script: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fakeapi import BOT_USER, TOKEN, busiest_second, die_with_parent, stop_process
from bench.liveapi import TEXT_KEPT, LiveApiProcess
from bench.updates import CpuSnapshot, unwind_on_signal, wait_for_quiet
from bot.presentation import texts

ROOT = Path(__file__).resolve().parent.parent
FLOOD_LIMIT, FLOOD_PERIOD = 20, 10.0  # Limber's defaults, set explicitly
GROUP_PER_MINUTE = 20
GOAL_P99 = 0.5
FIRST_P_USER = 30_000_001
F_USER = 40_000_001
FIRST_MEMBER = 50_000_001
GROUP_ID = -1_001_700_000_001
POLL_SECONDS = 0.25
#: How a tagged P command shows in Limber's answer to it (``texts.unknown_command``).
TAG_IN_ANSWER = re.compile(r"I don't know (/p\d+)\b")
#: Lines of the bot's log (INFO and up) worth counting, by a fragment of their text.
LOG_MARKERS = (
    "sending too fast", "updates waiting", "Gave up", "asks to wait", "No answer from Telegram", "ERROR", "Traceback",
)


# -- the timeline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    p_messages: int
    p_users: int
    p_interval: tuple[float, float]
    flood: int
    flood_seconds: float
    group: int
    group_members: int
    group_seconds: float
    load_at: float
    seed: int
    p_command: str = "help"

    def timeline(self) -> list[dict[str, Any]]:
        rng = random.Random(self.seed)
        entries: list[dict[str, Any]] = []
        at = 0.5
        for number in range(self.p_messages):
            user_id = FIRST_P_USER + number % self.p_users
            text = f"/p{number + 1}" if self.p_command == "tagged" else "/help"
            entries.append(_entry(at, "P", _private(user_id), _user(user_id, f"P{number % self.p_users + 1}"), text))
            at += rng.uniform(*self.p_interval)
        for number in range(self.flood):
            at = self.load_at + number * self.flood_seconds / max(1, self.flood)
            entries.append(_entry(at, "F", _private(F_USER), _user(F_USER, "Flood"), "/help"))
        group_chat = {"id": GROUP_ID, "type": "supergroup", "title": "Desk crew"}
        for number in range(self.group):
            at = self.load_at + number * self.group_seconds / max(1, self.group) + rng.uniform(0, 0.05)
            member = FIRST_MEMBER + number % self.group_members
            entries.append(
                _entry(at, "G", group_chat, _user(member, f"Member{number % self.group_members + 1}"),
                       f"/help@{BOT_USER['username']}")
            )
        return sorted(entries, key=lambda entry: entry["at"])

    @property
    def p_chat_gap(self) -> float:
        """The shortest time between two P messages into one chat."""
        return self.p_users * self.p_interval[0]


def _entry(at: float, role: str, chat: dict[str, Any], sender: dict[str, Any], text: str) -> dict[str, Any]:
    return {"at": round(at, 4), "role": role, "chat": chat, "from": sender, "text": text}


def _private(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": f"U{user_id % 1000}"}


def _user(user_id: int, name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}


# -- one run -----------------------------------------------------------------------------------------


@dataclass
class ChatOutcome:
    """What one role's chats got, as seen at the fake server."""

    chats: int = 0
    sent: int = 0  # messages the users sent
    answered: int = 0  # replies other than "slow down" that arrived
    slow_downs: int = 0  # "slow down" warnings that arrived
    rate_limited: int = 0  # 429s the server answered into these chats
    unmatched_chats: int = 0  # P chats whose replies could not be matched to their messages
    first_reply: float | None = None  # seconds after start
    last_reply: float | None = None

    @property
    def unanswered(self) -> int:
        return max(0, self.sent - self.answered)


@dataclass
class RunResult:
    latencies: list[float] = field(default_factory=list)  # P: handed out -> reply arrived
    from_created: list[float] = field(default_factory=list)  # P: message created -> reply arrived
    by_time: list[tuple[float, float]] = field(default_factory=list)  # (created, latency) per P reply
    roles: dict[str, ChatOutcome] = field(default_factory=dict)
    sends: int = 0
    rate_limited: int = 0
    busiest_second: int = 0
    seconds: float = 0.0
    bot_cpu: float | None = None
    other_cpu: float | None = None
    log_counts: Counter[str] = field(default_factory=Counter)
    stop_seconds: float = 0.0  # from SIGTERM to the bot's exit
    exit_code: int | None = None
    problem: str = ""


def run_once(scenario: Scenario, timeout: float, quiet_end: float, min_seconds: float) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder:
        scratch = Path(folder)
        timeline = scenario.timeline()
        (scratch / "timeline.json").write_text(json.dumps(timeline))
        bot_log = scratch / "bot.log"
        with LiveApiProcess(scratch / "timeline.json", scratch / "liveapi.log") as api:
            environment = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": api.base_url,
                "DATABASE_PATH": str(scratch / "limber.sqlite3"),
                "SEND_RATE_PER_SECOND": "30",
                "FLOOD_LIMIT": str(FLOOD_LIMIT),
                "FLOOD_PERIOD_SECONDS": str(FLOOD_PERIOD),
                "LOG_LEVEL": "INFO",  # drop notices are INFO
                "PYTHONPATH": str(ROOT),  # this tree's bot; the cwd is the scratch folder, so no .env is read
            }
            with bot_log.open("w") as log, _started([sys.executable, "-m", "bot"], environment, scratch, log) as bot:
                problem = _wait_until_polling(api, bot, 60.0)
                first = last = None
                if not problem:
                    api.start_timeline()
                    first = CpuSnapshot.take(bot.pid, api.pid)
                    problem = _wait_until_settled(api, bot, timeout, quiet_end, min_seconds)
                    last = CpuSnapshot.take(bot.pid, api.pid)
                report = api.report()
                api.release()
                stopping = time.monotonic()
                code = stop_process(bot, grace=30.0)
                stop_seconds = time.monotonic() - stopping
        log_text = bot_log.read_text(errors="replace")
    result = analyse(timeline, report)
    result.problem = problem
    result.stop_seconds, result.exit_code = stop_seconds, code
    if first is not None and last is not None:
        usage = first.usage_until(last)
        result.bot_cpu, result.other_cpu = usage.get("bot"), usage.get("other")
    for line in log_text.splitlines():
        for marker in LOG_MARKERS:
            if marker in line:
                result.log_counts[marker] += 1
    if result.log_counts["ERROR"] or result.log_counts["Traceback"]:
        errors = [line for line in log_text.splitlines() if "ERROR" in line or "Traceback" in line]
        result.problem = "; ".join(filter(None, [result.problem, f"bot log: {errors[0][:200]}"]))
    return result


@contextmanager
def _started(
    command: list[str], environment: dict[str, str], cwd: Path, log: IO[str]
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # a Ctrl-C in the terminal is ours to handle, in order
        preexec_fn=die_with_parent,  # and a killed driver leaves no bot behind
    )
    try:
        yield process
    finally:
        stop_process(process, grace=5.0)


def _wait_until_polling(api: LiveApiProcess, bot: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while api.stats()["get_updates_calls"] == 0:
        if bot.poll() is not None:
            return f"the bot exited with code {bot.returncode} before polling"
        if time.monotonic() > deadline:
            return f"the bot did not poll within {timeout:.0f} s"
        time.sleep(0.05)
    return ""


def _wait_until_settled(
    api: LiveApiProcess, bot: subprocess.Popen[bytes], timeout: float, quiet_end: float, min_seconds: float
) -> str:
    started = time.monotonic()
    next_note = started + 15.0
    while True:
        time.sleep(POLL_SECONDS)
        stats = api.stats()
        elapsed = time.monotonic() - started
        if bot.poll() is not None:
            return f"the bot exited with code {bot.returncode} after {elapsed:.0f} s"
        if stats["played"] and stats["handed_out"] == stats["created"] and elapsed >= min_seconds:
            last = stats["last_accepted"]
            if last is None or stats["now"] - last >= quiet_end:
                return ""
        if elapsed > timeout:
            return f"timed out after {timeout:.0f} s"
        if time.monotonic() >= next_note:
            print(
                f"    ... {elapsed:.0f} s: {stats['created']}/{stats['timeline']} messages played, "
                f"{stats['sends']} sends, {stats['rate_limited']} 429s",
                flush=True,
            )
            next_note += 15.0


def analyse(timeline: list[dict[str, Any]], report: dict[str, Any]) -> RunResult:
    """Count what each role's chats got, and match P's replies to P's messages."""
    result = RunResult()
    start = report["started_at"] or 0.0
    roles_by_user = {entry["from"]["id"]: entry["role"] for entry in timeline}
    sends = report["sends"]
    accepted = [send for send in sends if send["status"] == 200]
    result.sends = len(accepted)
    result.rate_limited = len(sends) - len(accepted)
    result.busiest_second = busiest_second([send["at"] for send in accepted if send["method"].startswith("send")])
    if accepted:
        result.seconds = max(send["at"] for send in accepted) - start

    messages: dict[int, list[dict[str, Any]]] = defaultdict(list)  # by chat, in update_id order
    role_of_chat: dict[int, str] = {}
    for update in report["updates"]:
        role = roles_by_user[update["user_id"]]
        if update["chat_id"] not in role_of_chat:
            role_of_chat[update["chat_id"]] = role
            result.roles.setdefault(role, ChatOutcome()).chats += 1
        result.roles[role].sent += 1
        messages[update["chat_id"]].append(update)

    answers: dict[int, list[dict[str, Any]]] = defaultdict(list)
    slow_prefix = texts.SLOW_DOWN[:TEXT_KEPT]
    for send in sends:
        role = role_of_chat.get(send["chat_id"])
        if role is None:
            continue
        outcome = result.roles[role]
        if send["status"] != 200:
            outcome.rate_limited += 1
            continue
        if not send["method"].startswith("send"):
            continue
        at = send["at"] - start
        outcome.first_reply = at if outcome.first_reply is None else min(outcome.first_reply, at)
        outcome.last_reply = at if outcome.last_reply is None else max(outcome.last_reply, at)
        if send["text"].startswith(slow_prefix):
            outcome.slow_downs += 1
        else:
            outcome.answered += 1
            answers[send["chat_id"]].append(send)

    for chat_id, chat_messages in messages.items():
        if role_of_chat[chat_id] != "P":
            continue
        for update, reply in _match(chat_messages, answers[chat_id]):
            if update["handed_out"] is None:
                continue
            latency = reply["at"] - update["handed_out"]
            result.latencies.append(latency)
            result.from_created.append(reply["at"] - update["created"])
            result.by_time.append((update["created"] - start, latency))
        if (
            chat_messages
            and not chat_messages[0]["text"].startswith("/p")
            and len(answers[chat_id]) != len(chat_messages)
        ):
            result.roles["P"].unmatched_chats += 1
    return result


def _match(
    chat_messages: list[dict[str, Any]], chat_answers: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(message, its answer) pairs of one P chat: by the command an answer names (tagged), else
    in order, and only if every message got exactly one answer."""
    if chat_messages and chat_messages[0]["text"].startswith("/p"):
        by_tag = {update["text"]: update for update in chat_messages}
        pairs = []
        for reply in chat_answers:
            found = TAG_IN_ANSWER.search(reply["text"])
            update = by_tag.pop(found.group(1), None) if found else None
            if update is not None:
                pairs.append((update, reply))
        return pairs
    if len(chat_answers) != len(chat_messages):
        return []
    return list(zip(chat_messages, chat_answers, strict=True))


# -- the report -----------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0-100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def describe_machine() -> str:
    versions = []
    for package in ("python-telegram-bot", "aiohttp", "aiosqlite"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    revision = "unknown commit"
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        revision = head + (" + uncommitted changes in bot/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        pass
    return (
        f"os.cpu_count() = {os.cpu_count()}, Python {platform.python_version()}, {', '.join(versions)}; "
        f"Limber at {revision}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def print_report(scenario: Scenario, results: list[RunResult]) -> bool:
    latencies = [value for result in results for value in result.latencies]
    created = [value for result in results for value in result.from_created]
    p = _sum_outcomes(result.roles.get("P") for result in results)
    print()
    print(
        f"P: {p.sent} messages from {scenario.p_users} private chat(s) over {len(results)} run(s): "
        f"{p.answered} answered, {p.unanswered} unanswered, {p.slow_downs} slow-downs, {p.rate_limited} 429s; "
        f"{len(latencies)} latencies matched"
        + (f"; {p.unmatched_chats} chat(s) left out: not every /help answered, so not matchable in order "
           "(use --p-command tagged)" if p.unmatched_chats else "")
    )
    met = False
    if latencies:
        print()
        print("P reply latency          p50        p90        p99        max   replies")
        print("-" * 72)
        for label, values in (("from getUpdates", latencies), ("from message created", created)):
            cells = [_ms(percentile(values, share)) for share in (50, 90, 99)] + [_ms(max(values))]
            print(f"{label:<21} " + " ".join(f"{cell:>10}" for cell in cells) + f" {len(values):>9}")
        p99 = percentile(latencies, 99)
        complete = p.unanswered == 0 and len(latencies) == p.sent
        met = p99 < GOAL_P99 and complete
        print()
        verdict = "meets" if met else "misses"
        print(
            f"verdict: P's p99 {_ms(p99)} (from getUpdates) {verdict} the goal of p99 < {_ms(GOAL_P99)}"
            + ("" if complete else f", with {p.sent - len(latencies)} of {p.sent} P messages unanswered or unmatched")
        )
        if len(results) > 1:
            per_run = ", ".join(_ms(percentile(result.latencies, 99)) for result in results if result.latencies)
            print(f"         p99 per run: {per_run}")
        _print_timeline(results)
    print()
    print("who          chats    sent  answered  unanswered  slow-downs  429s  first reply  last reply")
    print("-" * 91)
    for role, label in (("P", "P"), ("F", "F (flood)"), ("G", "group")):
        outcome = _sum_outcomes(result.roles.get(role) for result in results)
        if not outcome.sent:
            continue
        first = f"{outcome.first_reply:.1f} s" if outcome.first_reply is not None else "-"
        last = f"{outcome.last_reply:.1f} s" if outcome.last_reply is not None else "-"
        print(
            f"{label:<10} {outcome.chats:>7} {outcome.sent:>7} {outcome.answered:>9} {outcome.unanswered:>11} "
            f"{outcome.slow_downs:>11} {outcome.rate_limited:>5} {first:>12} {last:>11}"
        )
    print("(chats per run; other counts summed over runs; first/last reply: seconds after the timeline started)")
    print()
    for number, result in enumerate(results, 1):
        logs = ", ".join(f"{count} '{marker}'" for marker, count in result.log_counts.items()) or "nothing of note"
        cpu = (
            f"bot CPU {result.bot_cpu:.0%} of a core, other {result.other_cpu:.0%}"
            if result.bot_cpu is not None and result.other_cpu is not None else "CPU unknown"
        )
        print(
            f"run {number}: {result.sends} sends accepted in {result.seconds:.1f} s (at most {result.busiest_second} "
            f"in one second), {result.rate_limited} 429s in all; {cpu}; stopped in {result.stop_seconds:.1f} s "
            f"(exit code {result.exit_code}); bot log: {logs}"
            + (f"; PROBLEM: {result.problem}" if result.problem else "")
        )
    return met


def _print_timeline(results: list[RunResult]) -> None:
    """P's latency by when the message was sent, in 5-second slices: where the spikes are."""
    slices: dict[int, list[float]] = defaultdict(list)
    for result in results:
        for created, latency in result.by_time:
            slices[int(created // 5)].append(latency)
    print()
    print("P latency by when sent:  " + "  ".join(
        f"{index * 5}-{index * 5 + 5}s: med {_ms(statistics.median(values))} max {_ms(max(values))}"
        for index, values in sorted(slices.items())[:4]
    ))
    rest = sorted(slices.items())[4:]
    for chunk in range(0, len(rest), 4):
        print("                         " + "  ".join(
            f"{index * 5}-{index * 5 + 5}s: med {_ms(statistics.median(values))} max {_ms(max(values))}"
            for index, values in rest[chunk : chunk + 4]
        ))


def _sum_outcomes(outcomes: Any) -> ChatOutcome:
    total = ChatOutcome()
    for outcome in outcomes:
        if outcome is None:
            continue
        total.chats = max(total.chats, outcome.chats)  # per run: every run has the same chats
        for name in ("sent", "answered", "slow_downs", "rate_limited", "unmatched_chats"):
            setattr(total, name, getattr(total, name) + getattr(outcome, name))
        for name, pick in (("first_reply", min), ("last_reply", max)):
            mine, theirs = getattr(total, name), getattr(outcome, name)
            setattr(total, name, theirs if mine is None else mine if theirs is None else pick(mine, theirs))
    return total


# -- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small counts: 30 P messages, a flood of 100, 20 group commands; no quiet wait")
    parser.add_argument("--runs", type=int, default=1, help="runs, latencies pooled (default 1)")
    parser.add_argument("--p-messages", type=int, default=100, help="P's /help messages (default 100)")
    parser.add_argument("--p-users", type=int, default=6, help="private chats P's messages take turns over (default 6)")
    parser.add_argument("--p-command", choices=("help", "tagged"), default="help",
                        help="P sends /help, matched in order (default), or /p1, /p2... (unknown commands "
                             "whose answers name them: exact matching even when Limber drops some)")
    parser.add_argument("--p-interval", type=float, nargs=2, default=(0.2, 0.5), metavar=("MIN", "MAX"),
                        help="seconds between two P messages, drawn uniformly (default 0.2 0.5)")
    parser.add_argument("--flood", type=int, default=300, help="F's commands (default 300; 0: no flood)")
    parser.add_argument("--flood-seconds", type=float, default=3.0, help="F sends them within this many seconds (3)")
    parser.add_argument("--group", type=int, default=40, help="/help@bot commands in the group (default 40; 0: none)")
    parser.add_argument("--group-members", type=int, default=8, help="group members sending them (default 8)")
    parser.add_argument("--group-seconds", type=float, default=5.0, help="within this many seconds (default 5)")
    parser.add_argument("--load-at", type=float, default=3.0, help="F and the group start this many seconds in (3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the timeline (default 1)")
    parser.add_argument(
        "--quiet-end", type=float, default=5.0, help="end a run after this many seconds without sends (5)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a run may take at most (300)")
    parser.add_argument("--quiet-wait", type=float, default=30.0,
                        help="before each run, wait up to this many seconds for the machine to be quiet (30; 0: never)")
    args = parser.parse_args(argv)
    if args.quick:
        args.p_messages, args.flood, args.group, args.quiet_wait, args.quiet_end = 30, 100, 20, 0.0, 3.0
    scenario = Scenario(
        p_messages=args.p_messages, p_users=args.p_users, p_interval=(args.p_interval[0], args.p_interval[1]),
        flood=args.flood, flood_seconds=args.flood_seconds, group=args.group, group_members=args.group_members,
        group_seconds=args.group_seconds, load_at=args.load_at, seed=args.seed, p_command=args.p_command,
    )
    # More than 20 group commands: wait for the group's second minute before calling it settled.
    min_seconds = args.load_at + args.group_seconds + 66.0 if args.group > GROUP_PER_MINUTE else 0.0

    signal.signal(signal.SIGINT, unwind_on_signal)
    signal.signal(signal.SIGTERM, unwind_on_signal)
    print(describe_machine())
    print(
        f"P: {args.p_messages} {'/help' if args.p_command == 'help' else '/p<n>'}, "
        f"one every {args.p_interval[0]:g}-{args.p_interval[1]:g} s over {args.p_users} "
        f"private chat(s); F: {args.flood} /help in {args.flood_seconds:g} s; group: {args.group} "
        f"/help@{BOT_USER['username']} from {args.group_members} members in {args.group_seconds:g} s; "
        f"load from {args.load_at:g} s; seed {args.seed}; bot limits on (30/s, flood {FLOOD_LIMIT}/{FLOOD_PERIOD:g} s)"
    )
    if scenario.p_chat_gap < 1.0:
        print(
            f"  note: P's chats get a message every {scenario.p_chat_gap:.2f} s at the fastest, under Telegram's one "
            "message a second into a private chat: P's own replies queue, whatever the load"
            + (
                "; Limber may drop some of P's messages, so consider --p-command tagged"
                if args.p_command == "help"
                else ""
            )
        )
    results: list[RunResult] = []
    try:
        for number in range(1, args.runs + 1):
            if args.quiet_wait > 0 and not wait_for_quiet(args.quiet_wait):
                print(f"  (the machine stayed busy for {args.quiet_wait:.0f} s; running anyway)")
            print(f"  run {number}/{args.runs} ...", flush=True)
            result = run_once(scenario, args.timeout, args.quiet_end, min_seconds)
            results.append(result)
            if result.problem:
                print(f"  run {number}: {result.problem}")
    except KeyboardInterrupt:
        print("\ninterrupted; the runs so far:")
    if not results:
        return 1
    met = print_report(scenario, results)
    return 0 if met and not any(result.problem for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
