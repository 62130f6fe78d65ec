"""The session state machine, with time passed in by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import session as machine
from bot.domain.routines import parse_routine
from bot.domain.session import Countdown, Ended, HalfwayCue, PoseStarted, SessionError, Status

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ROUTINE = parse_routine(
    """
id = "three"
title = "Three"
summary = "Three steps."

[[steps]]
name = "One"
kind = "stretch"
seconds = 30
cues = ["a"]
halfway = "keep breathing"

[[steps]]
name = "Two"
kind = "stretch"
side = "left"
seconds = 10
cues = ["b"]

[[steps]]
name = "Three"
kind = "rest"
seconds = 20
cues = ["c"]
""",
    "three.toml",
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def started() -> machine.Session:
    session, events = machine.start(ROUTINE, user_id=7, chat_id=7, now=T0)
    assert events == [PoseStarted(0)]
    return replace(session, id=1)


def test_start_runs_the_first_step_with_its_full_hold() -> None:
    session = started()
    assert session.step_index == 0 and not session.paused
    assert session.step_ends_at() == at(30)
    # The card's first countdown redraw (at 0:20 left) is the first thing due.
    assert session.shown_left == 30
    assert session.next_event_at(ROUTINE) == at(10)


def test_tick_before_anything_is_due_changes_nothing() -> None:
    session = started()
    assert machine.tick(session, ROUTINE, at(9.9)) == (session, [])


def test_the_card_is_redrawn_at_coarse_marks_and_at_the_halfway_cue() -> None:
    session = started()
    session, events = machine.tick(session, ROUTINE, at(10))
    assert events == [Countdown(0)] and session.shown_left == 20
    assert session.next_event_at(ROUTINE) == at(15)  # the half-way cue
    session, events = machine.tick(session, ROUTINE, at(15))
    assert events == [HalfwayCue(0)] and session.shown_left == 15
    # 0:10 left is a mark; 0:05 left too; nothing in between.
    assert session.next_event_at(ROUTINE) == at(20)
    assert machine.tick(session, ROUTINE, at(19.9))[1] == []
    session, events = machine.tick(session, ROUTINE, at(20))
    assert events == [Countdown(0)]
    session, events = machine.tick(session, ROUTINE, at(25))
    assert events == [Countdown(0)] and session.shown_left == 5
    assert session.next_event_at(ROUTINE) == at(30)  # then the step ends


def test_halfway_cue_once_then_the_step_ends_and_the_next_begins() -> None:
    session = replace(started(), shown_left=None)  # no countdown, to see the cue alone
    session, events = machine.tick(session, ROUTINE, at(15))
    assert events == [HalfwayCue(0)]
    session = replace(session, shown_left=None)
    assert session.next_event_at(ROUTINE) == at(30)
    assert machine.tick(session, ROUTINE, at(16))[1] == []

    session, events = machine.tick(session, ROUTINE, at(30))
    assert events == [PoseStarted(1)]
    assert session.step_index == 1 and session.steps_done == 1
    assert session.step_ends_at() == at(40)


def test_a_late_tick_past_the_end_skips_the_halfway_cue() -> None:
    _session, events = machine.tick(started(), ROUTINE, at(31))
    assert events == [PoseStarted(1)]


def test_pause_freezes_the_remaining_time_and_resume_continues_it() -> None:
    session = machine.pause(started(), at(12))
    assert session.paused and session.remaining == 18
    assert session.next_event_at(ROUTINE) is None
    # Time passes while paused: nothing happens.
    assert machine.tick(session, ROUTINE, at(500)) == (session, [])
    session = machine.resume(session, at(100))
    assert session.step_ends_at() == at(118)
    assert session.remaining_at(at(110)) == 8
    # The half-way cue (15 s into the hold) is now due 3 s after resuming.
    assert session.halfway_due_at(ROUTINE.step(0)) == at(103)


def test_double_pause_and_resume_while_running_are_refused() -> None:
    paused = machine.pause(started(), at(5))
    with pytest.raises(SessionError) as error:
        machine.pause(paused, at(6))
    assert error.value.reason == machine.ALREADY_PAUSED
    with pytest.raises(SessionError) as error:
        machine.resume(started(), at(6))
    assert error.value.reason == machine.NOT_PAUSED


def test_skip_moves_on_at_once_and_counts_it() -> None:
    session, events = machine.skip(started(), ROUTINE, at(4), step_index=0)
    assert events == [PoseStarted(1)]
    assert session.steps_skipped == 1 and session.steps_done == 0
    assert session.active_seconds == 4


def test_a_second_skip_for_the_same_step_is_stale() -> None:
    session, _ = machine.skip(started(), ROUTINE, at(4), step_index=0)
    with pytest.raises(SessionError) as error:
        machine.skip(session, ROUTINE, at(4.1), step_index=0)
    assert error.value.reason == machine.STALE_STEP


def test_skipping_a_paused_step_works() -> None:
    paused = machine.pause(started(), at(5))
    session, events = machine.skip(paused, ROUTINE, at(50), step_index=0)
    assert events == [PoseStarted(1)] and not session.paused
    assert session.active_seconds == 5


def test_finishing_the_last_step_ends_with_totals() -> None:
    session = started()
    session, _ = machine.tick(session, ROUTINE, at(30))
    session, _ = machine.skip(session, ROUTINE, at(32), step_index=1)
    session, events = machine.tick(session, ROUTINE, at(52))
    assert events == [Ended(Status.FINISHED)]
    assert session.status is Status.FINISHED and not session.is_active
    assert (session.steps_done, session.steps_skipped) == (2, 1)
    assert session.active_seconds == 30 + 2 + 20
    assert session.ended_at == at(52)
    assert session.next_event_at(ROUTINE) is None


def test_stop_ends_and_counts_the_partial_step() -> None:
    session, events = machine.stop(started(), at(7))
    assert events == [Ended(Status.STOPPED)]
    assert session.status is Status.STOPPED and session.active_seconds == 7
    with pytest.raises(SessionError) as error:
        machine.pause(session, at(8))
    assert error.value.reason == machine.NOT_ACTIVE


def test_restore_keeps_time_left_when_the_step_had_not_ended() -> None:
    session, events = machine.restore(started(), ROUTINE, at(20))
    assert events == [PoseStarted(0, restored=True)]
    assert session.remaining_at(at(20)) == 10


def test_restore_restarts_a_step_whose_time_ran_out_while_down() -> None:
    session, events = machine.restore(started(), ROUTINE, at(90))
    assert events == [PoseStarted(0, restored=True)]
    assert session.step_index == 0
    assert session.step_ends_at() == at(120)
    assert not session.halfway_sent


def test_restore_of_a_paused_session_stays_paused() -> None:
    paused = machine.pause(started(), at(5))
    session, events = machine.restore(paused, ROUTINE, at(1000))
    assert session.paused and session.remaining == 25
    assert events == [PoseStarted(0, restored=True)]


def test_a_session_untouched_for_hours_counts_as_abandoned() -> None:
    paused = machine.pause(started(), at(5))
    assert not machine.is_abandoned(paused, at(5) + timedelta(hours=2))
    assert machine.is_abandoned(paused, at(5) + machine.ABANDON_AFTER)
    closed = machine.abandon(paused, at(5) + machine.ABANDON_AFTER)
    assert closed.status is Status.ABANDONED and not machine.is_abandoned(closed, at(99999))


ASSESSED = parse_routine(
    """
id = "assessed"
title = "Assessed"
summary = "Fold, stretch, fold."

[[steps]]
name = "Fold"
kind = "assess"
seconds = 10
cues = ["down"]

[[steps]]
name = "Lunge"
kind = "stretch"
seconds = 10
cues = ["low"]

[[steps]]
name = "Fold again"
kind = "assess"
seconds = 10
cues = ["down"]
""",
    "assessed.toml",
)


def assessing() -> machine.Session:
    session, _ = machine.start(ASSESSED, user_id=7, chat_id=7, now=T0)
    return replace(session, id=2)


def test_an_assessment_hold_ends_by_asking_and_waiting_for_the_reach() -> None:
    session, events = machine.tick(assessing(), ASSESSED, at(10))
    assert events == [machine.ReachAsked(0)]
    assert session.awaiting_answer and not session.paused and session.step_index == 0
    assert session.next_event_at(ASSESSED) == at(10) + machine.ANSWER_WAIT
    assert session.active_seconds == 10
    # Waiting is not pausing.
    with pytest.raises(SessionError) as error:
        machine.pause(session, at(11))
    assert error.value.reason == machine.WAITING_FOR_ANSWER
    assert machine.tick(session, ASSESSED, at(60)) == (session, [])


def test_an_answer_during_the_hold_is_noted_and_the_hold_runs_to_its_end() -> None:
    noted, events = machine.answer(assessing(), ASSESSED, at(4), step_index=0)
    assert events == [] and noted.step_index == 0 and noted.reach_answered
    corrected, events = machine.answer(noted, ASSESSED, at(6), step_index=0)  # a correction
    assert events == [] and corrected.step_index == 0
    assert machine.tick(corrected, ASSESSED, at(9.9))[0].step_index == 0  # the hold goes on
    moved, events = machine.tick(corrected, ASSESSED, at(10))
    assert events == [PoseStarted(1)] and moved.steps_done == 1  # no question: it was answered
    assert not moved.reach_answered and moved.active_seconds == 10


def test_an_answer_after_the_hold_moves_on_at_once() -> None:
    waiting, _ = machine.tick(assessing(), ASSESSED, at(10))
    late, events = machine.answer(waiting, ASSESSED, at(30), step_index=0)
    assert events == [PoseStarted(1)] and late.step_index == 1
    with pytest.raises(SessionError) as error:
        machine.answer(late, ASSESSED, at(31), step_index=0)
    assert error.value.reason == machine.STALE_STEP
    with pytest.raises(SessionError) as error:
        machine.answer(late, ASSESSED, at(31), step_index=1)
    assert error.value.reason == machine.NOT_ASSESSING


def test_no_answer_in_time_moves_on_without_getting_stuck() -> None:
    waiting, _ = machine.tick(assessing(), ASSESSED, at(10))
    moved, events = machine.tick(waiting, ASSESSED, at(10) + machine.ANSWER_WAIT)
    assert events == [machine.ReachNotAnswered(0), PoseStarted(1)]
    assert moved.step_index == 1 and moved.steps_done == 1


def test_waiting_on_the_last_assessment_then_finishing() -> None:
    session = assessing()
    session, _ = machine.answer(session, ASSESSED, at(1), step_index=0)
    session, _ = machine.tick(session, ASSESSED, at(10))
    session, _ = machine.tick(session, ASSESSED, at(20))
    session, events = machine.tick(session, ASSESSED, at(30))
    assert events == [machine.ReachAsked(2)]
    session, events = machine.answer(session, ASSESSED, at(35), step_index=2)
    assert events == [Ended(Status.FINISHED)] and session.steps_done == 3


def test_a_restart_while_waiting_waits_again() -> None:
    waiting, _ = machine.tick(assessing(), ASSESSED, at(10))
    restored, events = machine.restore(waiting, ASSESSED, at(500))
    assert events == [PoseStarted(0, restored=True)]
    assert restored.awaiting_answer and restored.awaiting_answer_until == at(500) + machine.ANSWER_WAIT


def test_reach_phases() -> None:
    assert machine.reach_phase(ASSESSED, 0) == "before"
    assert machine.reach_phase(ASSESSED, 2) == "after"


def test_a_routine_counts_as_done_only_with_half_its_hold_time_held() -> None:
    half = machine.HELD_ENOUGH * ROUTINE.total_seconds
    assert machine.held_enough(half, ROUTINE)
    assert not machine.held_enough(half - 0.5, ROUTINE)


READY_THEN_EXTRA = parse_routine(
    """
id = "ready"
title = "Ready"
summary = "A lead-in and an optional finisher."

[[steps]]
name = "Stand"
kind = "stretch"
seconds = 20
cues = ["a"]

[[steps]]
name = "Kneel"
kind = "stretch"
seconds = 30
get_ready = 6
cues = ["b"]

[[steps]]
name = "Extra"
kind = "dynamic"
seconds = 20
optional = true
cues = ["c"]
""",
    "ready.toml",
)


def second_step_started() -> machine.Session:
    session, _ = machine.start(READY_THEN_EXTRA, user_id=7, chat_id=7, now=T0)
    session, events = machine.tick(replace(session, id=1), READY_THEN_EXTRA, at(20))
    assert events == [PoseStarted(1)]
    return session


def test_a_step_with_a_lead_in_gets_ready_first_and_that_time_is_not_held() -> None:
    session = second_step_started()
    assert session.getting_ready and session.step_ends_at() == at(26)
    assert session.next_event_at(READY_THEN_EXTRA) == at(26)  # no countdown redraws while getting ready
    session, events = machine.tick(session, READY_THEN_EXTRA, at(26))
    assert events == [machine.HoldStarted(1)]
    assert not session.getting_ready and session.step_ends_at() == at(56) and session.shown_left == 30
    assert session.active_seconds == 20  # the first step only


def test_skipping_while_getting_ready_holds_nothing() -> None:
    session, _ = machine.skip(second_step_started(), READY_THEN_EXTRA, at(24), step_index=1)
    assert session.active_seconds == 20 and session.steps_skipped == 1


def test_an_optional_step_is_offered_not_run() -> None:
    session = second_step_started()
    session, _ = machine.tick(session, READY_THEN_EXTRA, at(26))
    offered, events = machine.tick(session, READY_THEN_EXTRA, at(56))
    assert events == [machine.OptionalOffered(2)]
    assert offered.offering and offered.step_ends_at() is None and offered.active_seconds == 50
    assert offered.next_event_at(READY_THEN_EXTRA) == at(56) + machine.OFFER_WAIT
    with pytest.raises(SessionError):
        machine.pause(offered, at(57))

    added, events = machine.add_optional(offered, READY_THEN_EXTRA, at(60), step_index=2)
    assert events == [PoseStarted(2)] and not added.offering and added.step_ends_at() == at(80)
    done, events = machine.tick(added, READY_THEN_EXTRA, at(80))
    assert events == [Ended(Status.FINISHED)] and done.active_seconds == 70

    finished, events = machine.finish_here(offered, at(60), step_index=2)
    assert events == [Ended(Status.FINISHED)] and finished.active_seconds == 50
    assert machine.completed(finished, READY_THEN_EXTRA)  # the optional step is not owed

    lapsed, events = machine.tick(offered, READY_THEN_EXTRA, at(56) + machine.OFFER_WAIT)
    assert events == [Ended(Status.FINISHED)] and lapsed.status is Status.FINISHED


def test_the_offer_buttons_only_work_while_offered() -> None:
    with pytest.raises(SessionError) as error:
        machine.add_optional(second_step_started(), READY_THEN_EXTRA, at(21), step_index=1)
    assert error.value.reason == machine.NOT_OFFERED


def test_an_extra_done_or_skipped_is_not_counted_among_the_poses() -> None:
    session = second_step_started()
    session, _ = machine.tick(session, READY_THEN_EXTRA, at(26))
    offered, _ = machine.tick(session, READY_THEN_EXTRA, at(56))
    added, _ = machine.add_optional(offered, READY_THEN_EXTRA, at(60), step_index=2)
    done, _ = machine.tick(added, READY_THEN_EXTRA, at(80))
    assert (done.steps_done, done.steps_skipped, done.extras_done) == (2, 0, 1)
    skipped, _ = machine.skip(added, READY_THEN_EXTRA, at(61), step_index=2)
    assert (skipped.steps_done, skipped.steps_skipped, skipped.extras_done) == (2, 0, 0)
    assert skipped.status is Status.FINISHED


def test_a_routine_cannot_make_a_reach_check_optional() -> None:
    from bot.domain.routines import RoutineError

    with pytest.raises(RoutineError, match="a reach check cannot be optional"):
        parse_routine(
            """
id = "x"
title = "X"
summary = "x"

[[steps]]
name = "Fold"
kind = "stretch"
seconds = 20
cues = ["a"]

[[steps]]
name = "Check"
kind = "assess"
seconds = 30
optional = true
cues = ["b"]
""",
            "x.toml",
        )
