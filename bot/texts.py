"""Every word the bot shows a user, in one place. Messages use Telegram's HTML parse mode.

Routine files are operator data, so anything taken from them is escaped before it is shown.
Texts stay short: users read them on a phone, often mid-stretch.
"""

from __future__ import annotations

from html import escape

from bot.routines import Routine, RoutineBook, Step, StepKind
from bot.session import Session, Status

SAFETY = "Stretch to mild tension, never pain. Stop if anything feels sharp, numb or tingly."

COMMANDS: list[tuple[str, str]] = [
    ("stretch", "Start the 10-minute hamstrings & hips routine"),
    ("routines", "Pick a routine"),
    ("stop", "End the routine you are in"),
    ("help", "What I can do"),
]

_ACTION_WORD = {
    StepKind.ASSESS: "Check",
    StepKind.STRETCH: "Hold",
    StepKind.DYNAMIC: "Move",
    StepKind.REST: "Rest",
}


def duration(seconds: float) -> str:
    """Human length: "45 s", "2 min 40 s", "10 min"."""
    total = int(round(seconds))
    minutes, secs = divmod(total, 60)
    if minutes == 0:
        return f"{secs} s"
    return f"{minutes} min" if secs == 0 else f"{minutes} min {secs} s"


def welcome(first_name: str, book: RoutineBook) -> str:
    name = escape(first_name.strip()[:40]) or "there"
    flagship = book.default
    return (
        f"Hi {name}! I'm Limber, a stretching coach for people who sit a lot.\n\n"
        f"I'll walk you through short routines pose by pose, with a timer for each one. "
        f"<b>{escape(flagship.title)}</b> takes {duration(flagship.total_seconds)}.\n\n"
        f"<i>{SAFETY}</i>"
    )


def help_text() -> str:
    lines = ["<b>What I can do</b>"]
    lines += [f"/{name} - {escape(description)}" for name, description in COMMANDS]
    lines.append("")
    lines.append("During a routine, use the buttons under each pose to pause, skip or stop.")
    return "\n".join(lines)


def routine_list(book: RoutineBook) -> str:
    lines = ["<b>Routines</b> - tap one to start:"]
    for routine in book.values():
        lines.append(
            f"• <b>{escape(routine.title)}</b> ({duration(routine.total_seconds)}): "
            f"{escape(routine.summary)}"
        )
    return "\n".join(lines)


def routine_button(routine: Routine) -> str:
    return f"{routine.title} · {duration(routine.total_seconds)}"


def unknown_routine(routine_id: str) -> str:
    shown = escape(routine_id[:30])
    return f"I don't know a routine called “{shown}”. Here are the ones I have:"


def pose(
    routine: Routine,
    session: Session,
    *,
    seconds_left: float,
    note: str | None = None,
    paused: bool = False,
) -> str:
    """The message for the session's current pose."""
    index = session.step_index
    step = routine.step(index)
    parts: list[str] = []
    if note:
        parts.append(f"<i>{escape(note)}</i>")
    if index == 0 and not note:
        parts.append(f"<b>{escape(routine.title)}</b> · {duration(routine.total_seconds)}")
        parts.append(f"<i>{escape(routine.safety or SAFETY)}</i>")
        parts.append("")
    parts.append(f"<b>{index + 1}/{len(routine.steps)} · {escape(_pose_title(step))}</b>")
    parts.append(f"{_ACTION_WORD[step.kind]} {duration(seconds_left)}")
    parts.append("")
    parts += [f"• {escape(cue)}" for cue in step.cues]
    upcoming = routine.next_step(index)
    parts.append("")
    parts.append(f"Next: {escape(upcoming.label)}" if upcoming else "Next: you're done")
    if paused:
        parts.append("")
        parts.append(f"⏸ <b>Paused</b> - {duration(seconds_left)} left")
    return "\n".join(parts)


def halfway(step: Step) -> str:
    return f"Halfway: {escape(step.halfway or '')}"


def summary(routine: Routine, session: Session) -> str:
    poses = len(routine.steps)
    if session.status is Status.FINISHED:
        head = f"🎉 <b>{escape(routine.title)}</b> done!"
    else:
        head = f"Stopped <b>{escape(routine.title)}</b>."
    detail = f"You stretched for {duration(session.active_seconds)}: {session.steps_done} of {poses} poses done"
    if session.steps_skipped:
        detail += f", {session.steps_skipped} skipped"
    return f"{head}\n{detail}."


def in_progress(routine: Routine, session: Session) -> str:
    return (
        f"You're in the middle of <b>{escape(routine.title)}</b> "
        f"(pose {session.step_index + 1} of {len(routine.steps)}). Carry on, or start over?"
    )


def restored_note(step: Step) -> str:
    return f"I was offline for a moment. We were at {step.label}; picking up from here."


def nothing_to_stop() -> str:
    return "You're not in a routine right now. /stretch starts one."


def unknown_command(command: str) -> str:
    shown = escape(command[:32])
    return f"I don't know {shown}.\n\n{help_text()}"


def unexpected_message(routine: Routine | None) -> str:
    if routine is not None:
        return (
            f"You're in <b>{escape(routine.title)}</b>: use the buttons under the pose, "
            f"or /stop to end it."
        )
    return "I'm a stretching coach. /stretch starts a routine, /routines lists them, /help shows the rest."


def something_went_wrong() -> str:
    return "Sorry, something went wrong on my side. Please try again in a moment."


# Toasts: the short pop-ups after a button press.
TOAST_EXPIRED = "That button has expired."
TOAST_NOT_YOURS = "That button belongs to someone else."
TOAST_PAUSED = "Paused"
TOAST_ALREADY_PAUSED = "Already paused"
TOAST_RESUMED = "Go!"
TOAST_NOT_PAUSED = "Already running"
TOAST_SKIPPED = "Skipped"
TOAST_STOPPED = "Stopped"
TOAST_STALE_STEP = "That pose is already over."

# Button labels.
BUTTON_PAUSE = "⏸ Pause"
BUTTON_RESUME = "▶️ Resume"
BUTTON_SKIP = "⏭ Skip"
BUTTON_STOP = "⏹ Stop"
BUTTON_CONTINUE = "▶️ Continue"
BUTTON_START_OVER = "🔄 Start over"
BUTTON_AGAIN = "🔁 Go again"
BUTTON_ALL_ROUTINES = "📋 Routines"


def _pose_title(step: Step) -> str:
    return f"{step.name} - {step.side.value} side" if step.side else step.name
