"""Every word the bot shows a user, in one place. Messages use Telegram's HTML parse mode.

Routine files are operator data, so anything taken from them is escaped before it is shown.
Texts stay short: users read them on a phone, often mid-stretch.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import escape, unescape
from zoneinfo import ZoneInfo

from bot.domain.actions import Feeling
from bot.domain.countdown import clock_text
from bot.domain.reach import MDC_CM, Change, Doubt, Measurement, Progress, Reach, describe_cm
from bot.domain.routines import Routine, RoutineBook, Side, Step, StepKind
from bot.domain.schedule import MENTION_LATE_AFTER, Kind, NudgeWindow, Weekdays
from bot.domain.session import Session, Status, completed
from bot.domain.timezones import ZoneChoice, ZoneFound, ZoneQuestion
from bot.presentation.i18n import DEFAULT, Words, words
from bot.services.notices import Notice, ReminderSet, SnoozedUntil, Toast


def _safety(_: Words) -> str:
    """The safety cue where a routine gives none of its own (and in the welcome)."""
    return _("Stretch to mild tension, never pain. Stop if anything feels sharp, numb or tingly.")


def safety_note(routine: Routine, _: Words | None = None) -> str:
    """Before a user's very first routine, as a message of its own: read once, standing up."""
    _ = _ or words(DEFAULT)
    safety = escape(routine.safety) if routine.safety else _safety(_)
    return "🛟 <b>" + _("Before you start") + f"</b>\n{safety}"


def commands(_: Words) -> list[tuple[str, str]]:
    """The command menu: every command with a short description, in the user's language."""
    return [
        ("stretch", _("Start the 10-minute hamstrings & hips routine")),
        ("routines", _("Pick a routine")),
        ("stop", _("End the routine you are in")),
        ("remind", _("Daily reminder, e.g. /remind 12:30 or /remind 12:30 desk-break")),
        ("nudges", _("Stand-up nudges, e.g. /nudges 9-17 every 60")),
        ("reminders", _("Your reminders and when the next one comes")),
        ("pause", _("Silence reminders, e.g. /pause 2h or /pause until 15:30")),
        ("timezone", _("Set your time zone, e.g. /timezone Berlin")),
        ("reach", _("Log how far you reach, e.g. /reach 12 (cm above the floor)")),
        ("progress", _("Your reach over time, with a chart")),
        ("history", _("Your last measurements and check-ins")),
        ("export", _("All your data as a CSV file")),
        ("forget", _("Delete everything I store about you")),
        ("language", _("Change my language")),
        ("help", _("What I can do")),
    ]


#: Localized aliases of commands (Telegram allows Latin letters, digits and _ in command names).
COMMAND_ALIASES: dict[str, str] = {
    "hilfe": "help", "ayuda": "help", "ajuda": "help", "pomosch": "help",
    "sprache": "language", "idioma": "language", "yazyk": "language",
    "dehnen": "stretch", "estirar": "stretch", "alongar": "stretch",
}

#: English words: the default wherever a text is not yet given the user's language.
ENGLISH = words(DEFAULT)
COMMANDS = commands(ENGLISH)



def duration(seconds: float, _: Words = ENGLISH) -> str:
    """Human length: "45 s", "2 min 40 s", "10 min" (abbreviations per language)."""
    total = round(seconds)
    minutes, secs = divmod(total, 60)
    if minutes == 0:
        return _("{seconds} s", seconds=secs)
    if secs == 0:
        return _("{minutes} min", minutes=minutes)
    return _("{minutes} min {seconds} s", minutes=minutes, seconds=secs)


def welcome(first_name: str, book: RoutineBook, _: Words = ENGLISH) -> str:
    name = escape(first_name.strip()[:40])
    flagship = book.default
    hello = _("Hi {name}!", name=name) if name else _("Hi there!")
    return (
        hello
        + " "
        + _("I'm Limber, a stretching coach for people who sit a lot.")
        + "\n\n"
        + _(
            "I'll walk you through short routines pose by pose, with a timer for each one. "
            "<b>{routine}</b> takes {length}.",
            routine=escape(flagship.title),
            length=duration(flagship.total_seconds, _),
        )
        + "\n\n<i>"
        + _safety(_)
        + "</i>"
    )


def help_text(_: Words = ENGLISH) -> str:
    lines = ["<b>" + _("What I can do") + "</b>"]
    lines += [f"/{name} - {escape(description)}" for name, description in commands(_)]
    lines.append("")
    lines.append(_("During a routine, use the buttons under each pose to pause, skip or stop."))
    lines.append(_("Reminders use your time zone and skip days you already stretched."))
    return "\n".join(lines)


def language_menu(_: Words) -> str:
    return _("Which language shall I speak? You can also send /language de, es, pt or ru.")


def language_set(_: Words) -> str:
    """Said in the language just chosen."""
    return _("Done: I'll speak English with you from now on.")


def language_unknown(_: Words, typed: str) -> str:
    return _("I don't speak “{typed}” yet. Pick one of these:", typed=escape(typed[:20]))


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
    noted: str | None = None,
    _: Words | None = None,
) -> str:
    """The live card for the session's current pose: what to do, the time left (redrawn in
    place as it runs), and ``noted`` acknowledging an answer on it."""
    _ = _ or words(DEFAULT)
    index = session.step_index
    step = routine.step(index)
    upcoming = routine.next_step(index)
    if upcoming is None or upcoming.optional:
        next_line = _("Next: you're done")
    else:
        next_line = _("Next: {pose}", pose=escape(step_label(upcoming, _)))
    position = _("Extra") if step.optional else f"{index + 1}/{routine.required_steps}"
    title = f"<b>{position} · {escape(_pose_title(step, _))}</b>"
    tail = f"\n\n✅ {escape(noted)}" if noted else ""
    head = f"<i>{escape(note)}</i>\n" if note else ""
    if session.awaiting_answer:  # the hold is over: just the question, short
        return f"{head}{title}\n{reach_question_waiting(_)}\n\n{next_line}{tail}"
    parts: list[str] = []
    if index == 0 and not note:
        parts.append(f"<b>{escape(routine.title)}</b> · {duration(routine.total_seconds, _)}")
        parts.append("<i>" + _("Mild tension, never pain.") + "</i>")
        parts.append("")
    parts.append(title)
    parts.append(_timer_line(session, step, seconds_left, _))
    parts.append("")
    parts += [f"• {escape(cue)}" for cue in step.cues]
    if session.halfway_sent and step.halfway:
        parts.append(f"💬 <i>{escape(step.halfway)}</i>")
    if step.kind is StepKind.ASSESS:
        parts.append("")
        parts.append(reach_question(_))
    parts.append("")
    parts.append(next_line)
    return f"{head}" + "\n".join(parts) + tail


#: Telegram's limit on a picture's caption, in characters.
CAPTION_LIMIT = 1024


def fit_caption(text: str) -> str:
    """A card's words as a picture's caption: as they are if they fit Telegram's limit (which
    counts the text shown, so tags and entities only make this check cautious), else shortened
    as plain text (tags dropped, so none is cut in half)."""
    if len(text) <= CAPTION_LIMIT:
        return text
    plain = unescape(re.sub(r"<[^>]+>", "", text))
    return escape(plain[: CAPTION_LIMIT - 1].rstrip() + "…")


def _timer_line(session: Session, step: Step, seconds_left: float, _: Words) -> str:
    """"⏱ 0:40 left · hold", "⏳ Get ready: 0:06, then hold 30 s", or paused."""
    left = clock_text(seconds_left)
    if session.paused:
        if session.getting_ready:
            return "⏸ " + _("<b>Paused</b> · get ready: {left}", left=left)
        return "⏸ " + _("<b>Paused</b> · {left} left", left=left)
    length = duration(step.seconds, _)
    if session.getting_ready:
        then = {
            StepKind.ASSESS: _("<b>Get ready: {left}</b>, then check {length}", left=left, length=length),
            StepKind.STRETCH: _("<b>Get ready: {left}</b>, then hold {length}", left=left, length=length),
            StepKind.DYNAMIC: _("<b>Get ready: {left}</b>, then move {length}", left=left, length=length),
            StepKind.REST: _("<b>Get ready: {left}</b>, then rest {length}", left=left, length=length),
        }
        return "⏳ " + then[step.kind]
    running = {
        StepKind.ASSESS: _("<b>{left} left</b> · check", left=left),
        StepKind.STRETCH: _("<b>{left} left</b> · hold", left=left),
        StepKind.DYNAMIC: _("<b>{left} left</b> · move", left=left),
        StepKind.REST: _("<b>{left} left</b> · rest", left=left),
    }
    return "⏱ " + running[step.kind]


def reach_question(_: Words) -> str:
    return "📏 " + _("Tap a landmark, or send the gap in cm: 12 above the floor, 0 touching, -3 past it.")


def reach_question_waiting(_: Words) -> str:
    return "📏 " + _(
        "Time's up: where did your fingertips reach? Tap a landmark, or send the gap in cm: "
        "12 above the floor, 0 touching, -3 past it. I'll move on in 3 min."
    )
REACH_EXAMPLES = "Send the gap in cm, like 12, 12.5 cm, 5 in, 0 (touching) or -3 (past the floor), or tap a landmark."


def reach_noted(reach: Reach | None, *, correctable: bool) -> str:
    """An answer acknowledged on the pose card (``correctable`` while its hold runs on)."""
    if reach is None:
        return "Not measuring this time."
    correction = " Send another number to correct it." if correctable else ""
    return f"Noted: {reach.describe()}.{correction}"


def did_you_mean(typed: Reach, doubt: Doubt) -> str:
    """A value far from the user's recent ones: asked about before it counts as their best."""
    usual = describe_cm(doubt.usual_cm)
    if doubt.suggestion_cm is not None:
        return (
            f"🤔 {escape(typed.describe()).capitalize()}? That's far from your recent {usual}. "
            f"Did you mean {describe_cm(doubt.suggestion_cm)}?"
        )
    return f"🤔 {escape(typed.describe()).capitalize()} is far from your recent {usual}. Is it right?"


def button_keep(typed: Reach) -> str:
    return f"✅ {typed.describe()} is right"


def doubt_settled(reach: Reach) -> str:
    return f"✅ Saved: {escape(reach.describe())}."


def reach_problem(problem: str) -> str:
    return f"Hmm, {escape(problem)}. {REACH_EXAMPLES}"


def reach_logged_outside(reach: Reach) -> str:
    return f"✅ {escape(reach.describe()).capitalize()} - saved. /progress shows how you're doing."


def reach_not_answered(_: Words) -> str:
    return _("No reach answer at the fold, so no measurement this time.")


REACH_USAGE = (
    "Send /reach and where your fingertips reach: /reach 12 (cm above the floor), /reach -3 (past it), /reach ankles."
)
REACH_OUTSIDE_ROUTINE = "To log a reach measurement outside a routine, send it with /reach, like /reach 12."


def change_line(change: Change) -> str:
    """Before vs after, honest about noise: "Reach: 14 cm -> 9 cm: 5 cm further today."."""
    before, after = change.before, change.after
    if change.further_cm is not None:
        assert before.cm is not None and after.cm is not None
        head = f"Reach: {describe_cm(before.cm)} → {describe_cm(after.cm)}"
        amount = abs(change.further_cm)
        shown = f"{amount:.1f}".rstrip("0").rstrip(".")
        if change.within_noise:
            return f"{head}. A {shown} cm difference is within measurement noise (under {MDC_CM:.0f} cm)."
        direction = "further" if change.further_cm > 0 else "less far"
        return f"{head}: {shown} cm {direction} today."
    if change.further_levels is not None:
        head = f"Reach: {escape(before.describe())} → {escape(after.describe())}"
        if change.further_levels == 0:
            return f"{head}: the same landmark both times."
        steps = abs(change.further_levels)
        word = "level" if steps == 1 else "levels"
        return f"{head}: {steps} {word} {'further' if change.further_levels > 0 else 'less far'}."
    return (
        f"Reach: {escape(before.describe())} → {escape(after.describe())} "
        f"(a landmark and a number can't be compared)."
    )


def _when_taken(measurement: Measurement, zone: ZoneInfo) -> str:
    return measurement.taken_at.astimezone(zone).strftime("%a %d %b")


def _measured(measurement: Measurement, zone: ZoneInfo) -> str:
    return f"{escape(measurement.reach.describe())} ({_when_taken(measurement, zone)})"


def progress(report: Progress, zone: ZoneInfo) -> str:
    if report.first is None:
        head = (
            "<b>Your progress</b>\nNo reach measurements yet. The flagship routine asks at its first "
            "and last forward fold, or log one any time with /reach 12."
        )
    else:
        assert report.latest is not None
        lines = ["<b>Your progress</b>", f"First: {_measured(report.first, zone)}"]
        if report.best is not None:
            lines.append(f"Best, not warmed up: {_measured(report.best, zone)}")
        lines.append(f"Latest: {_measured(report.latest, zone)}")
        if report.trend_cm is None:
            lines.append("Trend: needs “before” checks in at least two different weeks.")
        else:
            first, last = report.weekly_before[0], report.weekly_before[-1]
            amount = f"{abs(report.trend_cm):.1f}".rstrip("0").rstrip(".")
            span = f"week of {first.week_start:%d %b} → week of {last.week_start:%d %b}"
            if report.trend_within_noise:
                lines.append(f"Trend ({span}, before stretching): {amount} cm, within measurement noise.")
            else:
                direction = "further" if report.trend_cm > 0 else "less far"
                lines.append(f"Trend ({span}, before stretching): {amount} cm {direction}.")
        if report.landmark_only:
            lines.append(f"<i>{report.landmark_only} landmark answer(s) are listed in /history, not charted.</i>")
        head = "\n".join(lines)
    days = "day" if report.streak_days == 1 else "days"
    routines = "routine" if report.sessions_this_week == 1 else "routines"
    return f"{head}\n\nThis week: {report.sessions_this_week} {routines} finished. Streak: {report.streak_days} {days}."


def chart_caption() -> str:
    return (
        "Your reach by day, up is further: each routine's before and after are joined, "
        "and the grey band is measurement noise around your first check."
    )


def history(
    measurements: list[Measurement],
    total: int,
    zone: ZoneInfo,
    check_ins: list[tuple[datetime, str, str]] | None = None,
) -> str:
    """The last measurements, newest first, and how the last routines felt (``check_ins``:
    when, routine title, feeling)."""
    lines: list[str] = []
    if not measurements:
        lines.append("No measurements yet. Log one with /reach 12, or run /stretch: it asks at the forward folds.")
    else:
        lines.append(f"<b>Last {len(measurements)} of {total} measurements</b>")
        for m in reversed(measurements):
            when = m.taken_at.astimezone(zone).strftime("%d %b %H:%M")
            phase = {"before": " (before)", "after": " (after)"}.get(m.phase, "")
            lines.append(f"{when}: {escape(m.reach.describe())}{phase}")
    if check_ins:
        lines.append("\n<b>How your last routines felt</b>")
        for ended_at, title, feeling in reversed(check_ins):
            word = FEELING_WORDS.get(feeling, feeling)
            lines.append(f"{ended_at.astimezone(zone):%d %b}, {escape(title)}: {escape(word)}")
    if measurements or check_ins:
        lines.append("\n/export sends all of it as a CSV file.")
    return "\n".join(lines)


FEELING_WORDS = {"fine": "🙂 fine", "tight": "😬 tight", "pain": "🤕 painful"}


FORGET_QUESTION = (
    "This deletes everything I store about you: reminders, sessions and measurements. "
    "It can't be undone. Are you sure?"
)
FORGOTTEN = "Done. I've deleted everything I had about you. /start begins afresh whenever you like."
FORGET_CANCELLED = "Nothing deleted."
EXPORT_CAPTION = "All your Limber data as CSV."
NOTHING_TO_EXPORT = "I don't store anything about you yet."
BUTTON_FORGET_YES = "🗑 Yes, delete everything"
BUTTON_FORGET_NO = "Keep my data"


def summary(
    routine: Routine,
    session: Session,
    change: Change | None = None,
    *,
    ask_feeling: bool = False,
    feeling: Feeling | None = None,
    _: Words | None = None,
) -> str:
    """The end-of-routine message; it asks how it felt (``ask_feeling``), and once answered
    shows the answer instead (``feeling``)."""
    _ = _ or words(DEFAULT)
    poses = routine.required_steps
    title = escape(routine.title)
    if completed(session, routine):
        head = "🎉 " + _("<b>{routine}</b> done!", routine=title)
    elif session.status is Status.FINISHED:
        # Walked through by skipping most of it: said plainly, not celebrated or counted.
        head = _("<b>{routine}</b> ended early, so it doesn't count toward your streak.", routine=title)
    else:
        head = _("Stopped <b>{routine}</b>.", routine=title)
    shown_done = max(0, session.steps_done - session.cards_missed)
    held = duration(session.active_seconds, _)
    detail = _.plural(
        "You stretched for {length}: {done} of {count} pose done",
        "You stretched for {length}: {done} of {count} poses done",
        poses,
        length=held,
        done=shown_done,
    )
    if session.steps_skipped:
        detail += ", " + _("{skipped} skipped", skipped=session.steps_skipped)
    if session.extras_done:
        detail += ", " + _("plus the extra")
    text = f"{head}\n{detail}."
    if session.cards_missed:
        text += "\n⚠️ " + _.plural(
            "Telegram didn't let me show you {count} pose in time, so I haven't counted it.",
            "Telegram didn't let me show you {count} poses in time, so I haven't counted them.",
            session.cards_missed,
        )
    if change is not None:
        text += "\n" + change_line(change)
    if feeling is not None:
        text += "\n\n" + feeling_answered(feeling, _)
    elif ask_feeling:
        text += "\n\n" + _("How did that feel?")
    return text


def feeling_answered(feeling: Feeling, _: Words) -> str:
    return {
        Feeling.FINE: "🙂 " + _("Felt fine. Nice work."),
        Feeling.TIGHT: "😬 " + _("Felt tight. That eases with regular practice; go gently."),
        Feeling.PAIN: "🤕 " + _("It hurt."),
    }[feeling]


def pain_advice(gentler: Routine | None, _: Words | None = None) -> str:
    """After "pain" at the check-in: what to do, what to watch for, when to get it seen."""
    _ = _ or words(DEFAULT)
    text = "\n".join([
        "🛟 " + _("<b>Sorry it hurt.</b> Stretching should feel like mild tension, never pain."),
        "• " + _("Stop any move that hurts, and don't push through it next time."),
        "• " + _(
            "Sharp or shooting pain, numbness, tingling, or pain still there tomorrow: "
            "see a doctor or physiotherapist before you stretch that area again."
        ),
        "• " + _("Recent injury or surgery? Get the go-ahead from a clinician first."),
    ])
    if gentler is not None:
        text += "\n\n" + _(
            "Next time, try <b>{routine}</b> ({length}): easier on the body.",
            routine=escape(gentler.title),
            length=duration(gentler.total_seconds, _),
        )
    return text


def gentler_offer(usual: Routine, gentler: Routine, _: Words | None = None) -> str:
    """Starting a routine that hurt last time: the gentler one is offered first."""
    _ = _ or words(DEFAULT)
    return _(
        "Last time <b>{usual}</b> hurt. How about <b>{gentler}</b> ({length}) today? It's easier on the body.",
        usual=escape(usual.title),
        gentler=escape(gentler.title),
        length=duration(gentler.total_seconds, _),
    )


def button_usual(routine: Routine, _: Words | None = None) -> str:
    _ = _ or words(DEFAULT)
    return _("{routine} anyway", routine=routine.title)


def optional_offer(routine: Routine, step: Step, _: Words | None = None) -> str:
    _ = _ or words(DEFAULT)
    return _(
        "That's all of <b>{routine}</b>. One more to finish? <b>{pose}</b>, {length}: {cue}",
        routine=escape(routine.title),
        pose=escape(step_label(step, _)),
        length=duration(step.seconds, _),
        cue=escape(step.cues[0]),
    )


def in_progress(routine: Routine, session: Session) -> str:
    where = (
        "at the end"
        if routine.step(session.step_index).optional
        else f"pose {session.step_index + 1} of {routine.required_steps}"
    )
    return f"You're in the middle of <b>{escape(routine.title)}</b> ({where}). Carry on, or start over?"


def restored_note(step: Step) -> str:
    return f"I was offline for a moment. We were at {step.label}; picking up from here."


def nothing_to_stop() -> str:
    return "You're not in a routine right now. /stretch starts one."


def unknown_command(command: str, _: Words = ENGLISH) -> str:
    shown = escape(command[:32])
    return _("I don't know {command}.", command=shown) + f"\n\n{help_text(_)}"


def unexpected_message(routine: Routine | None) -> str:
    if routine is not None:
        return (
            f"You're in <b>{escape(routine.title)}</b>: use the buttons under the pose, "
            f"or /stop to end it."
        )
    return "I'm a stretching coach. /stretch starts a routine, /routines lists them, /help shows the rest."


def something_went_wrong() -> str:
    return "Sorry, something went wrong on my side. Please try again in a moment."


# -- reminders -----------------------------------------------------------------------------------

REMIND_EXAMPLES = (
    "For example:\n/remind 12:30\n/remind 8:05 mon,wed,fri\n/remind 12:30pm mon-fri\n"
    "/remind 12:30 desk-break (a routine id from /routines)\n/remind off"
)
NUDGE_EXAMPLES = "For example:\n/nudges 9-17 every 60\n/nudges 9:30-17:30 every 45 mon-thu\n/nudges off"
PAUSE_EXAMPLES = "For example:\n/pause 2h\n/pause 45m\n/pause until 15:30\n/pause off"
TIMEZONE_EXAMPLES = (
    "For example: /timezone Paris, /timezone Paris, Texas, /timezone Europe/Berlin or /timezone UTC+2. "
    "You can also share your location."
)


def input_problem(problem: str, examples: str) -> str:
    return f"Hmm, {escape(problem)}.\n\n{examples}"


def reminder_set(outcome: ReminderSet, book: RoutineBook, _: Words = ENGLISH) -> str:
    """A daily reminder set: when, which days, when next, what it offers."""
    at = _.time(outcome.at)
    if outcome.chosen is not None:
        chosen = book.in_language(outcome.chosen, _.language)
        length = duration(chosen.total_seconds, _)
        offer = _("I'll offer <b>{routine}</b> ({length}).", routine=escape(chosen.title), length=length)
    else:
        fallback = book.in_language(outcome.fallback, _.language)
        length = duration(fallback.total_seconds, _)
        offer = _(
            "I'll offer the routine you last finished (<b>{routine}</b>, {length}, until you finish one). "
            "To pick one: /remind {time} and an id from /routines.",
            routine=escape(fallback.title), length=length, time=at,
        )
    if outcome.next_due is not None:
        next_when = when_text(outcome.next_due, outcome.now, outcome.zone, _)
    else:
        next_when = _("never (no days chosen)")
    text = (
        "⏰ " + _("Daily reminder set: {time}, {days}.", time=at, days=days_text(outcome.days, _)) + "\n"
        + _("Next: {when}.", when=next_when) + " " + offer
    )
    if outcome.zone_hint is not None:
        text += "\n\n" + timezone_hint(outcome.zone_hint, _)
    return text


def when_text(moment: datetime, now: datetime, zone: ZoneInfo, _: Words = ENGLISH) -> str:
    """"today 12:30", "tomorrow 08:05", "Fri 12:30", "Mon 3 Mar 12:30", in the user's words."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    clock = _.time(local.time())
    days_ahead = (local.date() - today).days
    if days_ahead == 0:
        return _("today {time}", time=clock)
    if days_ahead == 1:
        return _("tomorrow {time}", time=clock)
    day = _.weekday(local.date(), with_date=not 1 < days_ahead < 7)
    return f"{day} {clock}"


def days_text(days: Weekdays, _: Words = ENGLISH) -> str:
    """"Mon-Fri", "every day", "Mon, Wed, Fri", in the user's words."""
    chosen = [day for day in range(7) if day in days]
    if len(chosen) == 7:
        return _("every day")
    if not chosen:
        return _("no days")
    names = _.day_names()
    runs: list[list[int]] = []
    for day in chosen:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [f"{names[run[0]]}-{names[run[-1]]}" if len(run) >= 3 else ", ".join(names[d] for d in run) for run in runs]
    return ", ".join(parts)


def nudges_set(window: NudgeWindow, days: Weekdays, next_when: str | None) -> str:
    return (
        f"🚶 Stand-up nudges every {window.every_minutes} min, "
        f"{window.start.strftime('%H:%M')}-{window.end.strftime('%H:%M')}, {days_text(days)}.\n"
        f"Next: {next_when or 'never (no days chosen)'}. I skip a nudge if you moved recently."
    )


def turned_off(kind: Kind, existed: bool) -> str:
    if kind is Kind.DAILY:
        return "Daily reminder off." if existed else "You had no daily reminder."
    return "Stand-up nudges off." if existed else "Stand-up nudges weren't on."


def timezone_hint(zone: str, _: Words = ENGLISH) -> str:
    return "<i>" + _(
        "I'm using {zone} time for you. If that's wrong, send /timezone and your city.", zone=escape(zone)
    ) + "</i>"


def timezone_set(zone: str, local_now: str, has_reminders: bool) -> str:
    text = f"🌍 Time zone set to {escape(zone)} (it's {local_now} there now)."
    if has_reminders:
        text += " Your reminders follow it."
    return text


def timezone_unknown(typed: str, suggestions: tuple[ZoneChoice, ...], reason: str | None = None) -> str:
    shown_text = escape(" ".join(typed.split())[:40])
    if reason:
        text = f"I can't use “{shown_text}”: {escape(reason)}. Send your city instead, it follows daylight saving."
    else:
        text = f"I don't know a time zone or city called “{shown_text}”."
    if suggestions:
        text += " Did you mean: " + ", ".join(f"{escape(s.place)} ({escape(s.zone)})" for s in suggestions) + "?"
    return text + "\n\n" + TIMEZONE_EXAMPLES


def timezone_reading(found: ZoneFound) -> str:
    """After "Time zone set": how the text was read, and a warning for a fixed offset."""
    if found.fixed_offset is not None:
        if found.zone == "UTC" or found.zone.startswith("Etc/"):
            where = ""
            if found.zone.startswith("Etc/GMT"):
                where = f" (the name {escape(found.zone)} has its sign reversed, by convention)"
            return (
                f"\n⚠️ {escape(found.fixed_offset)} is a fixed offset{where}: it won't follow daylight saving. "
                "If your clocks change in summer, send /timezone and your city instead."
            )
        return (
            f"\n⚠️ For {escape(found.fixed_offset)} I use {escape(found.zone)} ({escape(found.place or '')}), "
            "which keeps that offset all year: no daylight saving. "
            "If your clocks change in summer, send /timezone and your city instead."
        )
    if found.place is not None:
        return f"\n📍 Read as {escape(found.place)}. Wrong place? Add the country or US state after a comma."
    return ""


def timezone_question(question: ZoneQuestion, now: datetime) -> str:
    """Which zone for an abbreviation or a country with several: names each, with its time now."""
    def line(choice: ZoneChoice) -> str:
        local = now.astimezone(ZoneInfo(choice.zone)).strftime("%H:%M")
        return f"{escape(choice.place)} ({escape(choice.zone)}), now {local}"

    if len(question.choices) == 1:
        return f"🌍 {escape(question.typed)} → {line(question.choices[0])}. Use it?"
    lines = "\n".join(f"• {line(c)}" for c in question.choices)
    return f"🌍 {escape(question.typed)} could be:\n{lines}\nWhich one?"


def timezone_choice_button(choice: ZoneChoice, now: datetime, only: bool) -> str:
    local = now.astimezone(ZoneInfo(choice.zone)).strftime("%H:%M")
    if only:
        return f"✅ Yes, {choice.place.split(',')[0]} time"
    return f"{choice.place.split(',')[0]} · {local}"


def timezone_prompt() -> str:
    return "Send /timezone and your city (like /timezone Berlin), or tap the button to share your location."


def location_unknown() -> str:
    return "I couldn't find a time zone at that spot. Try /timezone and your city instead."


def daily_line(local_time: str, days: Weekdays, next_when: str | None, routine: Routine | None) -> str:
    """``routine``: the one the reminder offers (None: the one the user last finished)."""
    offer = f"<b>{escape(routine.title)}</b>" if routine is not None else "your last finished routine"
    return f"⏰ Daily reminder: {local_time}, {days_text(days)} (next: {next_when or 'never'}), {offer}"


def nudge_line(window: NudgeWindow, days: Weekdays, next_when: str | None) -> str:
    return (
        f"🚶 Nudges: every {window.every_minutes} min, {window.start.strftime('%H:%M')}-"
        f"{window.end.strftime('%H:%M')}, {days_text(days)} (next: {next_when or 'never'})"
    )


def snooze_line(next_when: str | None) -> str:
    return f"💤 Snoozed reminder: {next_when or 'soon'}"


def overview(lines: list[str], zone: str, zone_is_default: bool, paused_until: str | None) -> str:
    body = "\n".join(lines) if lines else "No reminders yet. Try /remind 12:30 or /nudges 9-17 every 60."
    zone_line = f"Time zone: {escape(zone)}" + (" (default; change with /timezone)" if zone_is_default else "")
    text = f"<b>Your reminders</b>\n{body}\n\n{zone_line}"
    if paused_until:
        text += f"\n⏸ Paused until {paused_until} (/pause off to resume)."
    return text


def paused(until_when: str | None) -> str:
    return f"⏸ Reminders and nudges paused until {until_when}. /pause off ends it sooner."


def resumed(was_paused: bool) -> str:
    return "▶️ Reminders are back on." if was_paused else "Reminders weren't paused."


def _late_note(late: timedelta, _: Words) -> str:
    if late < MENTION_LATE_AFTER:
        return ""
    minutes = int(late.total_seconds() // 60)
    return "\n<i>" + _("This comes {minutes} min late: I was offline for a while.", minutes=minutes) + "</i>"


def _takes(routine: Routine, _: Words) -> str:
    length = duration(routine.total_seconds, _)
    return _("<b>{routine}</b> takes {length}.", routine=escape(routine.title), length=length)


def daily_reminder(routine: Routine, late: timedelta, snoozed: bool, _: Words = ENGLISH) -> str:
    head = "⏰ " + (_("Snoozed reminder: time to stretch!") if snoozed else _("Time to stretch!"))
    takes = _takes(routine, _)
    return f"{head} {takes}{_late_note(late, _)}"


def nudge(routine: Routine, late: timedelta, snoozed: bool = False, _: Words = ENGLISH) -> str:
    head = "🚶 " + (_("Snoozed nudge: time to stand up!") if snoozed else _("You've been sitting a while."))
    takes = _takes(routine, _)
    return f"{head} " + _("Stand up and move for a minute?") + f" {takes}{_late_note(late, _)}"


def onboarding_reminder(zone: str, _: Words = ENGLISH) -> str:
    """Offered once the user's zone is known: a daily reminder in one tap."""
    return _("Want a daily nudge to stretch? Pick a time (Mon-Fri, {zone} time).", zone=escape(zone))


def onboarding_zone(_: Words = ENGLISH) -> str:
    """At /start, before any reminder time is offered: where is the user?"""
    return _(
        "First, where are you? Tap the button to share your location, or send your city, "
        "like /timezone Berlin. Then I can remind you at the right time."
    )




def snoozed_note(until_when: str | None, _: Words = ENGLISH) -> str:
    """On a reminder that was snoozed: when it comes back."""
    return "💤 " + _("Snoozed until {when}.", when=until_when)


def toast(result: Toast, _: Words = ENGLISH) -> str | None:
    """A button's outcome as the short pop-up over the chat, in the user's words."""
    if result is None:
        return None
    if isinstance(result, SnoozedUntil):
        return _("Snoozed until {when}", when=result.when)
    return {
        Notice.EXPIRED: _("That button has expired."),
        Notice.NOT_YOURS: _("That button belongs to someone else."),
        Notice.PAUSED: _("Paused"),
        Notice.ALREADY_PAUSED: _("Already paused"),
        Notice.RESUMED: _("Go!"),
        Notice.NOT_PAUSED: _("Already running"),
        Notice.SKIPPED: _("Skipped"),
        Notice.STOPPED: _("Stopped"),
        Notice.STALE_STEP: _("That pose is already over."),
        Notice.WAITING: _("Waiting for your reach: tap a landmark or “Not now”."),
        Notice.SAVED: _("Saved"),
        Notice.THANKS: _("Thanks!"),
        Notice.SKIPPED_TODAY: _("OK, no more reminders today."),
        Notice.MOVED: _("Nice! Next nudge skipped if it's soon."),
    }[result]


# -- traffic, groups, edits ------------------------------------------------------------------------

SLOW_DOWN = "Easy there - that's a lot of messages at once. I'll skip a few; give me a few seconds."
SLOW_DOWN_TOAST = "Too many taps at once - give me a few seconds."
EDITS_NOT_READ = "✏️ I only read new messages, not edits. Send it again as a new message."
GROUP_INTRO = (
    "🧘 I'm Limber, a stretching coach for desk workers. Routines, reminders and your progress "
    "are personal, so they live in a private chat with me."
)
BUTTON_OPEN_PRIVATE_CHAT = "Open a private chat"
TOAST_USE_PRIVATE_CHAT = "Routines run in a private chat with me."


def group_pointer(command: str) -> str:
    shown = escape(command[:32])
    return f"/{shown} is personal, so it works in a private chat with me. Nothing here was changed."


# Button labels.
BUTTON_CONTINUE = "▶️ Continue"
BUTTON_START_OVER = "🔄 Start over"
BUTTON_SHARE_LOCATION = "📍 Share my location"


def landmark_buttons(_: Words) -> dict[str, str]:
    """The measuring row at a fold: one row, short labels (knuckles and other values are typed)."""
    return {"knees": _("Knees"), "shin": _("Shins"), "ankles": _("Ankles"), "floor": _("Floor"), "palms": _("Palms")}


def button_snooze(minutes: int, _: Words = ENGLISH) -> str:
    return "💤 " + (_("{minutes} min", minutes=minutes) if minutes < 60 else _("{hours} h", hours=minutes // 60))


def _side_text(step: Step, _: Words) -> str | None:
    """"right side", "left leg forward" (see Step.side_means), or None."""
    if step.side is None:
        return None
    if step.side_means == "leg forward":
        return _("right leg forward") if step.side is Side.RIGHT else _("left leg forward")
    return _("right side") if step.side is Side.RIGHT else _("left side")


def _pose_title(step: Step, _: Words) -> str:
    """"Low lunge sway - right leg forward": the pose with its side, on the card."""
    side = _side_text(step, _)
    return f"{step.name} - {side}" if side else step.name


def step_label(step: Step, _: Words) -> str:
    """"Side bend (right)", "Low lunge sway (right leg forward)": a pose named elsewhere."""
    if step.side is None:
        return step.name
    if step.side_means == "side":
        side = _("right") if step.side is Side.RIGHT else _("left")
    else:
        side = _side_text(step, _) or ""
    return f"{step.name} ({side})"
