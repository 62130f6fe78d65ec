"""Every word the bot shows a user, in one place. Messages use Telegram's HTML parse mode.

Routine files are operator data, so anything taken from them is escaped before it is shown.
Texts stay short: users read them on a phone, often mid-stretch.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from html import escape, unescape
from zoneinfo import ZoneInfo

from bot.domain.actions import Feeling
from bot.domain.countdown import clock_text
from bot.domain.reach import MDC_CM, Change, Doubt, Landmark, Measurement, Reach
from bot.domain.routines import Routine, RoutineBook, Side, Step, StepKind
from bot.domain.schedule import MENTION_LATE_AFTER, Kind, NudgeWindow, Weekdays
from bot.domain.session import Session, Status, completed
from bot.domain.timezones import ZoneChoice, ZoneFound, ZoneQuestion
from bot.domain.wording import Problem
from bot.presentation.i18n import DEFAULT, Words, words
from bot.services.notices import (
    HistoryView,
    Notice,
    NudgesSet,
    Overview,
    Paused,
    ProgressView,
    ReachLogged,
    ReminderSet,
    Resumed,
    SnoozedUntil,
    TimezoneSet,
    Toast,
    TooManyReminders,
    TurnedOff,
)


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
    flagship = book.in_language(book.default, _.language)
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
    lines.append(_("Reminders use your time zone, and stay quiet when you have just stretched."))
    return "\n".join(lines)


def language_menu(_: Words) -> str:
    return _("Which language shall I speak? You can also send /language de, es, pt or ru.")


def language_set(_: Words) -> str:
    """Said in the language just chosen."""
    return _("Done: I'll speak English with you from now on.")


def language_unknown(_: Words, typed: str) -> str:
    return _("I don't speak “{typed}” yet. Pick one of these:", typed=escape(typed[:20]))


def routine_list(book: RoutineBook, _: Words = ENGLISH) -> str:
    lines = [_("<b>Routines</b> - tap one to start:")]
    for routine in book.values():
        shown = book.in_language(routine, _.language)
        # The id too: it is what /remind 12:30 <id> and /stretch <id> take.
        lines.append(
            f"• <b>{escape(shown.title)}</b> ({duration(shown.total_seconds, _)}, <code>{escape(routine.id)}</code>): "
            f"{escape(shown.summary)}"
        )
    return "\n".join(lines)


def routine_button(routine: Routine, _: Words = ENGLISH) -> str:
    """``routine`` already in the user's language."""
    return f"{routine.title} · {duration(routine.total_seconds, _)}"


def unknown_routine(routine_id: str, _: Words = ENGLISH) -> str:
    shown = escape(routine_id[:30])
    return _("I don't know a routine called “{routine}”. Here are the ones I have:", routine=shown)


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
def reach_examples(_: Words = ENGLISH) -> str:
    return _("Send the gap in cm, like 12, 12.5 cm, 5 in, 0 (touching) or -3 (past the floor), or tap a landmark.")


def upper_first(text: str) -> str:
    """Capitalised as a sentence start; unlike str.capitalize, leaves the rest as written."""
    return text[:1].upper() + text[1:]


def landmark_text(landmark: Landmark, _: Words = ENGLISH) -> str:
    return {
        Landmark.KNEES: _("knees"),
        Landmark.MID_SHIN: _("mid-shin"),
        Landmark.ANKLES: _("ankles"),
        Landmark.FLOOR: _("fingertips touch the floor"),
        Landmark.KNUCKLES: _("knuckles touch the floor"),
        Landmark.PALMS: _("palms flat on the floor"),
    }[landmark]


def cm_text(cm: float, _: Words = ENGLISH) -> str:
    """"12 cm above the floor", "3 cm past the floor", "touching the floor"."""
    if abs(cm) < 0.05:
        return _("touching the floor")
    shown = _.number(abs(cm))
    return _("{cm} cm above the floor", cm=shown) if cm > 0 else _("{cm} cm past the floor", cm=shown)


def reach_text(reach: Reach, _: Words = ENGLISH) -> str:
    """An answer in words: a distance, or a landmark."""
    if reach.cm is None:
        assert reach.landmark is not None
        return landmark_text(reach.landmark, _)
    return cm_text(reach.cm, _)


def reach_noted(reach: Reach | None, *, correctable: bool, _: Words = ENGLISH) -> str:
    """An answer acknowledged on the pose card (``correctable`` while its hold runs on)."""
    if reach is None:
        return _("Not measuring this time.")
    noted = _("Noted: {reach}.", reach=escape(reach_text(reach, _)))
    return noted + " " + _("Send another number to correct it.") if correctable else noted


def did_you_mean(typed: Reach, doubt: Doubt, _: Words = ENGLISH) -> str:
    """A value far from the user's recent ones: asked about before it counts as their best."""
    reach, usual = escape(upper_first(reach_text(typed, _))), cm_text(doubt.usual_cm, _)
    if doubt.suggestion_cm is not None:
        meant = cm_text(doubt.suggestion_cm, _)
        return "🤔 " + _(
            "{reach}? That's far from your recent {usual}. Did you mean {meant}?", reach=reach, usual=usual, meant=meant
        )
    return "🤔 " + _("{reach} is far from your recent {usual}. Is it right?", reach=reach, usual=usual)


def button_keep(typed: Reach, _: Words = ENGLISH) -> str:
    return "✅ " + _("{reach} is right", reach=reach_text(typed, _))


def doubt_settled(reach: Reach, _: Words = ENGLISH) -> str:
    return "✅ " + _("Saved: {reach}.", reach=escape(reach_text(reach, _)))


def reach_problem(problem: Problem, _: Words = ENGLISH) -> str:
    return _("Hmm, {problem}.", problem=problem_text(problem, _)) + " " + reach_examples(_)


def reach_logged_outside(reach: Reach, _: Words = ENGLISH) -> str:
    return "✅ " + _(
        "{reach} - saved. /progress shows how you're doing.", reach=escape(upper_first(reach_text(reach, _)))
    )


def reach_logged(outcome: ReachLogged, _: Words = ENGLISH) -> str:
    """/reach answered: saved, or (far from the recent values) asked about first."""
    if outcome.doubt is not None:
        return did_you_mean(outcome.reach, outcome.doubt, _)
    return reach_logged_outside(outcome.reach, _)


def reach_not_answered(_: Words) -> str:
    return _("No reach answer at the fold, so no measurement this time.")


def reach_usage(_: Words = ENGLISH) -> str:
    return _(
        "Send /reach and where your fingertips reach: /reach 12 (cm above the floor), /reach -3 (past it), "
        "/reach ankles."
    )


def reach_outside_routine(_: Words = ENGLISH) -> str:
    return _("To log a reach measurement outside a routine, send it with /reach, like /reach 12.")


def change_line(change: Change, _: Words = ENGLISH) -> str:
    """Before vs after, honest about noise: "Reach: 14 cm -> 9 cm: 5 cm further today."."""
    before, after = change.before, change.after
    pair = f"{escape(reach_text(before, _))} → {escape(reach_text(after, _))}"
    if change.further_cm is not None:
        amount = _.number(abs(change.further_cm))
        if change.within_noise:
            return _(
                "Reach: {change}. A {cm} cm difference is within measurement noise (under {noise} cm).",
                change=pair, cm=amount, noise=_.number(MDC_CM),
            )
        if change.further_cm > 0:
            return _("Reach: {change}: {cm} cm further today.", change=pair, cm=amount)
        return _("Reach: {change}: {cm} cm less far today.", change=pair, cm=amount)
    if change.further_levels is not None:
        if change.further_levels == 0:
            return _("Reach: {change}: the same landmark both times.", change=pair)
        steps = abs(change.further_levels)
        if change.further_levels > 0:
            return _.plural("Reach: {change}: {count} level further.", "Reach: {change}: {count} levels further.",
                            steps, change=pair)
        return _.plural("Reach: {change}: {count} level less far.", "Reach: {change}: {count} levels less far.",
                        steps, change=pair)
    return _("Reach: {change} (a landmark and a number can't be compared).", change=pair)


def _measured(measurement: Measurement, zone: ZoneInfo, _: Words) -> str:
    day = measurement.taken_at.astimezone(zone).date()
    return f"{escape(reach_text(measurement.reach, _))} ({_.weekday(day, with_date=True)})"


def progress(view: ProgressView, _: Words = ENGLISH) -> str:
    report, zone = view.report, view.zone
    title = "<b>" + _("Your progress") + "</b>"
    if report.first is None:
        head = title + "\n" + _(
            "No reach measurements yet. The flagship routine asks at its first and last forward fold, "
            "or log one any time with /reach 12."
        )
    else:
        assert report.latest is not None
        lines = [title, _("First: {reach}", reach=_measured(report.first, zone, _))]
        if report.best is not None:
            lines.append(_("Best, not warmed up: {reach}", reach=_measured(report.best, zone, _)))
        lines.append(_("Latest: {reach}", reach=_measured(report.latest, zone, _)))
        if report.trend_cm is None:
            lines.append(_("Trend: needs “before” checks in at least two different weeks."))
        else:
            first, last = report.weekly_before[0], report.weekly_before[-1]
            amount = _.number(abs(report.trend_cm))
            span = _("week of {first} → week of {last}", first=_.short_date(first.week_start),
                     last=_.short_date(last.week_start))
            if report.trend_within_noise:
                lines.append(_("Trend ({span}, before stretching): {cm} cm, within measurement noise.",
                               span=span, cm=amount))
            elif report.trend_cm > 0:
                lines.append(_("Trend ({span}, before stretching): {cm} cm further.", span=span, cm=amount))
            else:
                lines.append(_("Trend ({span}, before stretching): {cm} cm less far.", span=span, cm=amount))
        if report.landmark_only:
            listed = _.plural(
                "{count} landmark answer is listed in /history, not charted.",
                "{count} landmark answers are listed in /history, not charted.",
                report.landmark_only,
            )
            lines.append(f"<i>{listed}</i>")
        head = "\n".join(lines)
    week = _.plural("This week: {count} routine finished.", "This week: {count} routines finished.",
                    report.sessions_this_week)
    streak = _.plural("Streak: {count} day.", "Streak: {count} days.", report.streak_days)
    return f"{head}\n\n{week} {streak}"


def chart_caption(_: Words = ENGLISH) -> str:
    return _(
        "Your reach by day, up is further: each routine's before and after are joined, "
        "and the grey band is measurement noise around your first check."
    )


def history(view: HistoryView, book: RoutineBook, _: Words = ENGLISH) -> str:
    """The last measurements, newest first, and how the last routines felt."""
    lines: list[str] = []
    if not view.measurements:
        lines.append(_("No measurements yet. Log one with /reach 12, or run /stretch: it asks at the forward folds."))
    else:
        shown = len(view.measurements)
        heading = _.plural("Last {shown} of {count} measurement", "Last {shown} of {count} measurements",
                           view.total, shown=shown)
        lines.append(f"<b>{heading}</b>")
        phases = {"before": _("before"), "after": _("after")}
        for m in reversed(view.measurements):
            local = m.taken_at.astimezone(view.zone)
            when = f"{_.short_date(local.date())} {_.time(local.time())}"
            phase = f" ({phases[m.phase]})" if m.phase in phases else ""
            lines.append(f"{when}: {escape(reach_text(m.reach, _))}{phase}")
    if view.check_ins:
        lines.append("\n<b>" + _("How your last routines felt") + "</b>")
        for ended_at, routine_id, feeling in reversed(view.check_ins):
            routine = book.get(routine_id)
            title = book.in_language(routine, _.language).title if routine is not None else routine_id
            day = _.short_date(ended_at.astimezone(view.zone).date())
            lines.append(f"{day}, {escape(title)}: {escape(feeling_word(feeling, _))}")
    if view.measurements or view.check_ins:
        lines.append("\n" + _("/export sends all of it as a CSV file."))
    return "\n".join(lines)


def feeling_word(feeling: str, _: Words = ENGLISH) -> str:
    words_ = {"fine": "🙂 " + _("fine"), "tight": "😬 " + _("tight"), "pain": "🤕 " + _("painful")}
    return words_.get(feeling, feeling)


def forget_question(_: Words = ENGLISH) -> str:
    return _(
        "This deletes everything I store about you: reminders, sessions and measurements. "
        "It can't be undone. Are you sure?"
    )


def forgotten(confirmed: bool, _: Words = ENGLISH) -> str:
    if confirmed:
        return _("Done. I've deleted everything I had about you. /start begins afresh whenever you like.")
    return _("Nothing deleted.")


def export_caption(_: Words = ENGLISH) -> str:
    return _("All your Limber data as CSV.")


def nothing_to_export(_: Words = ENGLISH) -> str:
    return _("I don't store anything about you yet.")


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
        detail += ", " + _.plural("{count} skipped", "{count} skipped", session.steps_skipped)
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
        text += "\n" + change_line(change, _)
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


def in_progress(routine: Routine, session: Session, _: Words = ENGLISH) -> str:
    """``routine`` already in the user's language."""
    title = escape(routine.title)
    if routine.step(session.step_index).optional:
        return _("You're in the middle of <b>{routine}</b> (at the end). Carry on, or start over?", routine=title)
    return _(
        "You're in the middle of <b>{routine}</b> (pose {number} of {count}). Carry on, or start over?",
        routine=title, number=session.step_index + 1, count=routine.required_steps,
    )


def restored_note(step: Step, _: Words = ENGLISH) -> str:
    """``step`` already in the user's language."""
    pose = escape(step_label(step, _))
    return _("I was offline for a moment. We were at {pose}; picking up from here.", pose=pose)


def nothing_to_stop(_: Words = ENGLISH) -> str:
    return _("You're not in a routine right now. /stretch starts one.")


def unknown_command(command: str, _: Words = ENGLISH) -> str:
    shown = escape(command[:32])
    return _("I don't know {command}.", command=shown) + f"\n\n{help_text(_)}"


def unexpected_message(routine: Routine | None, _: Words = ENGLISH) -> str:
    """``routine``: the one running, already in the user's language."""
    if routine is not None:
        return _(
            "You're in <b>{routine}</b>: use the buttons under the pose, or /stop to end it.",
            routine=escape(routine.title),
        )
    return _("I'm a stretching coach. /stretch starts a routine, /routines lists them, /help shows the rest.")


def something_went_wrong(_: Words = ENGLISH) -> str:
    return _("Sorry, something went wrong on my side. Please try again in a moment.")


# -- reminders -----------------------------------------------------------------------------------


# Example commands: each line is translated, so that it shows the words of the user's language
# (every shipped language's day names, "until", "tomorrow" are understood).


def remind_examples(_: Words = ENGLISH) -> str:
    return "\n".join([
        _("For example:"), "/remind 12:30", _("/remind 8:05 mon,wed,fri"), _("/remind 9am weekdays"),
        _("/remind 12:30 desk-break (a routine id from /routines)"), "/remind off",
    ])


def nudge_examples(_: Words = ENGLISH) -> str:
    return "\n".join([
        _("For example:"), _("/nudges 9-17 every 60"), _("/nudges 9:30-17:30 every 45 mon-thu"), "/nudges off",
    ])


def pause_examples(_: Words = ENGLISH) -> str:
    return "\n".join([
        _("For example:"), _("/pause 2h"), _("/pause 45m"), _("/pause until 15:30"), _("/pause until tomorrow"),
        "/pause off",
    ])


def timezone_examples(_: Words = ENGLISH) -> str:
    return _(
        "For example: /timezone Paris, /timezone Paris, Texas, /timezone Europe/Berlin or /timezone UTC+2. "
        "You can also share your location."
    )


def problem_text(problem: Problem, _: Words = ENGLISH) -> str:
    """Why some input can't be used, in the user's words (it names what they typed, escaped)."""
    values = {
        name: _.number(value) if isinstance(value, float) else escape(str(value))
        for name, value in problem.values.items()
    }
    return _(problem.template, **values)


def input_problem(problem: Problem, examples: str, _: Words = ENGLISH) -> str:
    return _("Hmm, {problem}.", problem=problem_text(problem, _)) + f"\n\n{examples}"


def reminder_set(outcome: ReminderSet | TooManyReminders, book: RoutineBook, _: Words = ENGLISH) -> str:
    """A daily reminder set: when, which days, when next, what it offers, and the others kept."""
    if isinstance(outcome, TooManyReminders):
        times = _times(outcome.times, _)
        return "⏰ " + _(
            "You already have {count} daily reminders ({times}). Remove one in /reminders first.",
            count=len(outcome.times), times=times,
        )
    at = _.time(outcome.at)
    offer = ""
    if outcome.chosen is not None:
        chosen = book.in_language(outcome.chosen, _.language)
        length = duration(chosen.total_seconds, _)
        offer = _("I'll offer <b>{routine}</b> ({length}).", routine=escape(chosen.title), length=length)
    elif not outcome.others:  # said with the first reminder; not again with every one added
        fallback = book.in_language(outcome.fallback, _.language)
        length = duration(fallback.total_seconds, _)
        offer = _(
            "I'll offer the routine you last finished (<b>{routine}</b>, {length}, if you haven't finished one yet). "
            "To pick one: /remind {time} and an id from /routines.",
            routine=escape(fallback.title), length=length, time=at,
        )
    days = days_text(outcome.days, _)
    if outcome.changed:
        head = _("Daily reminder changed: {time}, {days}.", time=at, days=days)
    elif outcome.others:
        head = _("Daily reminder added: {time}, {days}.", time=at, days=days)
    else:
        head = _("Daily reminder set: {time}, {days}.", time=at, days=days)
    text = "⏰ " + head + "\n" + _("Next: {when}.", when=_next(outcome.next_due, outcome.now, outcome.zone, _))
    if offer:
        text += " " + offer
    if outcome.others:
        every = tuple(sorted((*outcome.others, outcome.at)))
        times = _times(every, _)  # computed first: a call inside _.plural's arguments hides it from extraction
        text += "\n" + _.plural(
            "You now have {count} daily reminder: {times}. /reminders to remove one.",
            "You now have {count} daily reminders: {times}. /reminders to remove one.",
            len(every), times=times,
        )
    if outcome.zone_hint is not None:
        text += "\n\n" + timezone_hint(outcome.zone_hint, _)
    return text


def _times(times: tuple[time, ...], _: Words) -> str:
    return ", ".join(_.time(at) for at in times)


def _next(moment: datetime | None, now: datetime, zone: ZoneInfo, _: Words) -> str:
    return when_text(moment, now, zone, _) if moment is not None else _("never (no days chosen)")


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


def _window_text(window: NudgeWindow, _: Words) -> str:
    return f"{_.time(window.start)}-{_.time(window.end)}"


def nudges_set(outcome: NudgesSet, _: Words = ENGLISH) -> str:
    text = "🚶 " + _(
        "Stand-up nudges every {minutes} min, {hours}, {days}.",
        minutes=outcome.window.every_minutes, hours=_window_text(outcome.window, _), days=days_text(outcome.days, _),
    ) + "\n" + _("Next: {when}.", when=_next(outcome.next_due, outcome.now, outcome.zone, _))
    text += " " + _("I skip a nudge if you moved recently.")
    if outcome.zone_hint is not None:
        text += "\n\n" + timezone_hint(outcome.zone_hint, _)
    return text


def turned_off(outcome: TurnedOff, _: Words = ENGLISH) -> str:
    if outcome.kind is Kind.DAILY:
        if not outcome.count:
            return _("You had no daily reminder.")
        return _.plural("Daily reminder off.", "All {count} daily reminders off.", outcome.count)
    return _("Stand-up nudges off.") if outcome.count else _("Stand-up nudges weren't on.")


def removed(at: time | None, was_there: bool, _: Words = ENGLISH) -> str:
    """The toast of a remove button under /reminders."""
    if not was_there:
        return _("Already removed.")
    if at is None:
        return _("Stand-up nudges off.")
    return _("Removed the {time} reminder.", time=_.time(at))


def timezone_hint(zone: str, _: Words = ENGLISH) -> str:
    return "<i>" + _(
        "I'm using {zone} time for you. If that's wrong, send /timezone and your city.", zone=escape(zone)
    ) + "</i>"


def timezone_set(outcome: TimezoneSet, _: Words = ENGLISH) -> str:
    text = "🌍 " + _(
        "Time zone set to {zone} (it's {time} there now).", zone=escape(outcome.zone), time=_.time(outcome.local_now)
    )
    if outcome.has_reminders:
        text += " " + _("Your reminders follow it.")
    return text


def timezone_unknown(
    typed: str, suggestions: tuple[ZoneChoice, ...], reason: Problem | None = None, _: Words = ENGLISH
) -> str:
    shown_text = escape(" ".join(typed.split())[:40])
    if reason is not None:
        text = _(
            "I can't use “{typed}”: {reason}. Send your city instead, it follows daylight saving.",
            typed=shown_text, reason=problem_text(reason, _),
        )
    else:
        text = _("I don't know a time zone or city called “{typed}”.", typed=shown_text)
    if suggestions:
        places = ", ".join(f"{escape(s.place)} ({escape(s.zone)})" for s in suggestions)
        text += " " + _("Did you mean: {places}?", places=places)
    return text + "\n\n" + timezone_examples(_)


def timezone_reading(found: ZoneFound, _: Words = ENGLISH) -> str:
    """After "Time zone set": how the text was read, and a warning for a fixed offset."""
    instead = _("If your clocks change in summer, send /timezone and your city instead.")
    if found.fixed_offset is not None:
        offset = escape(found.fixed_offset)
        if found.zone == "UTC" or found.zone.startswith("Etc/"):
            if found.zone.startswith("Etc/GMT"):
                fixed = _(
                    "{offset} is a fixed offset (the name {zone} has its sign reversed, by convention): "
                    "it won't follow daylight saving.", offset=offset, zone=escape(found.zone),
                )
            else:
                fixed = _("{offset} is a fixed offset: it won't follow daylight saving.", offset=offset)
            return f"\n⚠️ {fixed} {instead}"
        kept = _(
            "For {offset} I use {zone} ({place}), which keeps that offset all year: no daylight saving.",
            offset=offset, zone=escape(found.zone), place=escape(found.place or ""),
        )
        return f"\n⚠️ {kept} {instead}"
    if found.place is not None:
        read = _("Read as {place}. Wrong place? Add the country or US state after a comma.", place=escape(found.place))
        return f"\n📍 {read}"
    return ""


def timezone_question(question: ZoneQuestion, now: datetime, _: Words = ENGLISH) -> str:
    """Which zone for an abbreviation or a country with several: names each, with its time now."""
    def line(choice: ZoneChoice) -> str:
        local = _.time(now.astimezone(ZoneInfo(choice.zone)).time())
        return _("{place} ({zone}), now {time}", place=escape(choice.place), zone=escape(choice.zone), time=local)

    typed = escape(question.typed)
    if len(question.choices) == 1:
        return "🌍 " + _("{typed} → {choice}. Use it?", typed=typed, choice=line(question.choices[0]))
    lines = "\n".join(f"• {line(c)}" for c in question.choices)
    return "🌍 " + _("{typed} could be:", typed=typed) + f"\n{lines}\n" + _("Which one?")


def timezone_choice_button(choice: ZoneChoice, now: datetime, only: bool, _: Words = ENGLISH) -> str:
    place = choice.place.split(",")[0]
    if only:
        return "✅ " + _("Yes, {place} time", place=place)
    return f"{place} · {_.time(now.astimezone(ZoneInfo(choice.zone)).time())}"


def timezone_prompt(_: Words = ENGLISH) -> str:
    return _("Send /timezone and your city (like /timezone Berlin), or tap the button to share your location.")


def location_unknown(_: Words = ENGLISH) -> str:
    return _("I couldn't find a time zone at that spot. Try /timezone and your city instead.")


def overview(view: Overview, book: RoutineBook, _: Words = ENGLISH) -> str:
    """/reminders: every schedule with when it next comes, the zone, a pause."""
    def next_time(moment: datetime | None) -> str:
        return when_text(moment, view.now, view.zone, _) if moment is not None else _("never")

    lines = []
    for daily in view.dailies:
        if daily.routine is not None:
            offer = "<b>" + escape(book.in_language(daily.routine, _.language).title) + "</b>"
        else:
            offer = _("your last finished routine")
        lines.append("⏰ " + _(
            "Daily reminder: {time}, {days} (next: {when}), {routine}",
            time=_.time(daily.at), days=days_text(daily.days, _), when=next_time(daily.next_due), routine=offer,
        ))
    if view.nudges is not None:
        lines.append("🚶 " + _(
            "Nudges: every {minutes} min, {hours}, {days} (next: {when})",
            minutes=view.nudges.window.every_minutes, hours=_window_text(view.nudges.window, _),
            days=days_text(view.nudges.days, _), when=next_time(view.nudges.next_due),
        ))
    for snooze in view.snoozes:
        when = when_text(snooze.next_due, view.now, view.zone, _) if snooze.next_due else _("soon")
        if snooze.nudge:
            lines.append("💤 " + _("Nudge snoozed until {when}", when=when))
        elif snooze.reminder_at is not None:
            at = _.time(snooze.reminder_at)
            lines.append("💤 " + _("The {time} reminder, snoozed until {when}", time=at, when=when))
        else:
            lines.append("💤 " + _("Snoozed reminder: {when}", when=when))
    empty = _("No reminders yet. Try /remind 12:30 or /nudges 9-17 every 60.")
    body = empty if view.empty else "\n".join(lines)
    zone = escape(view.zone_name)
    if view.zone_is_default:
        zone_line = _("Time zone: {zone} (default; change with /timezone)", zone=zone)
    else:
        zone_line = _("Time zone: {zone}", zone=zone)
    text = "<b>" + _("Your reminders") + f"</b>\n{body}\n\n{zone_line}"
    if view.paused_until is not None:
        until = when_text(view.paused_until, view.now, view.zone, _)
        text += "\n⏸ " + _("Paused until {when} (/pause off to resume).", when=until)
    if view.dailies or view.nudges is not None:
        text += "\n" + (_("Tap 🗑 to remove one; /remind adds another.") if view.room else _("Tap 🗑 to remove one."))
    return text


def paused(outcome: Paused, _: Words = ENGLISH) -> str:
    until = when_text(outcome.until, outcome.now, outcome.zone, _)
    return "⏸ " + _("Reminders and nudges paused until {when}. /pause off ends it sooner.", when=until)


def resumed(outcome: Resumed, _: Words = ENGLISH) -> str:
    if outcome.was_paused:
        return "▶️ " + _("Reminders and nudges are back on.")
    return _("Reminders and nudges weren't paused.")


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
    return _("Want a daily reminder to stretch? Pick a time (Mon-Fri, {zone} time).", zone=escape(zone))


def onboarding_zone(_: Words = ENGLISH) -> str:
    """At /start, before any reminder time is offered: where is the user?"""
    return _(
        "First, where are you? Tap the button to share your location, or send your city, "
        "like /timezone Berlin. Then I can remind you at the right time."
    )


def snoozed_note(snoozed: SnoozedUntil, _: Words = ENGLISH) -> str:
    """On a reminder that was snoozed: when it comes back."""
    return "💤 " + _("Snoozed until {when}.", when=when_text(snoozed.until, snoozed.now, snoozed.zone, _))


def toast(result: Toast, _: Words = ENGLISH) -> str | None:
    """A button's outcome as the short pop-up over the chat, in the user's words."""
    if result is None:
        return None
    if isinstance(result, SnoozedUntil):
        return _("Snoozed until {when}", when=when_text(result.until, result.now, result.zone, _))
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
        Notice.SKIPPED_TODAY: _("OK, no more reminders or nudges today."),
        Notice.MOVED: _("Nice! Next nudge skipped if it's soon."),
    }[result]


# -- traffic, groups, edits ------------------------------------------------------------------------

def slow_down(_: Words = ENGLISH) -> str:
    return _("Easy there - that's a lot of messages at once. I'll skip a few; give me a few seconds.")


def slow_down_toast(_: Words = ENGLISH) -> str:
    return _("Too many taps at once - give me a few seconds.")


def edits_not_read(_: Words = ENGLISH) -> str:
    return "✏️ " + _("I only read new messages, not edits. Send it again as a new message.")


def group_intro(_: Words = ENGLISH) -> str:
    return "🧘 " + _(
        "I'm Limber, a stretching coach for desk workers. Routines, reminders and your progress "
        "are personal, so they live in a private chat with me."
    )


def group_pointer(command: str, _: Words = ENGLISH) -> str:
    shown = escape(command[:32])
    return _("/{command} is personal, so it works in a private chat with me. Nothing here was changed.",
             command=shown)


def button_open_private_chat(_: Words = ENGLISH) -> str:
    return _("Open a private chat")


def toast_use_private_chat(_: Words = ENGLISH) -> str:
    return _("Routines run in a private chat with me.")


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
