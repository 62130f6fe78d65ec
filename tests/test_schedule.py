"""Reminder arithmetic with an injected clock: weekdays, zones, DST, pauses, nudges."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.schedule import (
    DueSchedule,
    Kind,
    NudgeWindow,
    Skip,
    Weekdays,
    decide,
    end_of_local_day,
    next_daily,
    next_nudge,
    occurrence_key,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
WORKDAYS = Weekdays.workdays()
EVERY_DAY = Weekdays(0b1111111)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_next_daily_later_today_then_tomorrow() -> None:
    # Monday 2026-03-02, 10:00 in Berlin (09:00 UTC).
    now = local(BERLIN, 2026, 3, 2, 10, 0)
    assert next_daily(now, time(12, 30), WORKDAYS, BERLIN) == local(BERLIN, 2026, 3, 2, 12, 30)
    assert next_daily(now, time(9, 0), WORKDAYS, BERLIN) == local(BERLIN, 2026, 3, 3, 9, 0)


def test_next_daily_skips_the_weekend() -> None:
    friday_evening = local(BERLIN, 2026, 3, 6, 18, 0)
    assert next_daily(friday_evening, time(12, 30), WORKDAYS, BERLIN) == local(BERLIN, 2026, 3, 9, 12, 30)
    mon_wed_fri = Weekdays.of(0, 2, 4)
    tuesday = local(BERLIN, 2026, 3, 3, 8, 0)
    assert next_daily(tuesday, time(8, 5), mon_wed_fri, BERLIN) == local(BERLIN, 2026, 3, 4, 8, 5)


def test_the_same_instant_is_a_different_day_in_another_zone() -> None:
    now = utc(2026, 3, 6, 23, 30)  # Friday night in UTC, already Saturday in Kolkata
    assert next_daily(now, time(12, 0), WORKDAYS, NEW_YORK) == local(NEW_YORK, 2026, 3, 9, 12, 0)
    assert next_daily(now, time(12, 0), WORKDAYS, KOLKATA) == local(KOLKATA, 2026, 3, 9, 12, 0)
    assert next_daily(now, time(12, 0), EVERY_DAY, KOLKATA) == local(KOLKATA, 2026, 3, 7, 12, 0)


def test_an_occurrence_already_sent_is_not_offered_again() -> None:
    from bot.domain.schedule import next_unsent_daily

    after_lunch = local(BERLIN, 2026, 3, 2, 13, 0)  # Monday; today's 15:00 already went out
    assert next_unsent_daily(after_lunch, time(15, 0), WORKDAYS, BERLIN, "daily:2026-03-02T15:00") == local(
        BERLIN, 2026, 3, 3, 15, 0
    )
    # Another reminder of the same day (12:30) does not stand in the way of the 15:00 one.
    assert next_unsent_daily(after_lunch, time(15, 0), WORKDAYS, BERLIN, "daily:2026-03-02T12:30") == local(
        BERLIN, 2026, 3, 2, 15, 0
    )
    assert next_unsent_daily(after_lunch, time(15, 0), WORKDAYS, BERLIN, "daily:2026-02-27T15:00") == local(
        BERLIN, 2026, 3, 2, 15, 0
    )
    assert next_unsent_daily(after_lunch, time(15, 0), WORKDAYS, BERLIN, None) == local(BERLIN, 2026, 3, 2, 15, 0)


def test_no_days_means_no_occurrence() -> None:
    assert next_daily(utc(2026, 3, 2), time(9, 0), Weekdays(0), BERLIN) is None


def test_wall_clock_time_is_kept_across_dst() -> None:
    # Berlin springs forward on Sunday 2026-03-29: 09:00 local is 08:00 UTC before, 07:00 after.
    before = next_daily(local(BERLIN, 2026, 3, 27, 10, 0), time(9, 0), EVERY_DAY, BERLIN)
    after = next_daily(local(BERLIN, 2026, 3, 29, 10, 0), time(9, 0), EVERY_DAY, BERLIN)
    assert before is not None and after is not None
    assert before.astimezone(UTC) == utc(2026, 3, 28, 8, 0)
    assert after.astimezone(UTC) == utc(2026, 3, 30, 7, 0)
    assert after.astimezone(BERLIN).hour == 9


def test_a_time_in_the_spring_forward_gap_fires_once_an_hour_later() -> None:
    saturday = local(BERLIN, 2026, 3, 28, 12, 0)
    first = next_daily(saturday, time(2, 30), EVERY_DAY, BERLIN)
    assert first is not None
    assert first.astimezone(UTC) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert first.astimezone(BERLIN).strftime("%H:%M") == "03:30"
    second = next_daily(first, time(2, 30), EVERY_DAY, BERLIN)
    assert second == local(BERLIN, 2026, 3, 30, 2, 30)


def test_a_time_in_the_fall_back_overlap_fires_once() -> None:
    # 2026-10-25: 02:30 happens twice in Berlin. One occurrence, one key, then Monday.
    saturday = local(BERLIN, 2026, 10, 24, 12, 0)
    first = next_daily(saturday, time(2, 30), EVERY_DAY, BERLIN)
    assert first is not None and first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    second = next_daily(first, time(2, 30), EVERY_DAY, BERLIN)
    assert second is not None and second.astimezone(UTC) == utc(2026, 10, 26, 1, 30)
    # Even a computation started inside the repeated hour finds no second 02:30 that day.
    inside_repeat = utc(2026, 10, 25, 1, 0)  # the second 02:00-03:00, 02:00 CET
    assert next_daily(inside_repeat, time(2, 30), EVERY_DAY, BERLIN) == second
    assert occurrence_key(Kind.DAILY, first, BERLIN, time(2, 30)) == "daily:2026-10-25T02:30"


def test_nudges_fall_inside_work_hours_on_working_days() -> None:
    window = NudgeWindow(time(9, 0), time(17, 0), 60)
    assert [t.hour for t in window.times()] == [10, 11, 12, 13, 14, 15, 16]
    assert [t.strftime("%H:%M") for t in NudgeWindow(time(9, 30), time(11, 0), 30).times()] == ["10:00", "10:30"]
    monday_morning = local(BERLIN, 2026, 3, 2, 7, 0)
    assert next_nudge(monday_morning, window, WORKDAYS, BERLIN) == local(BERLIN, 2026, 3, 2, 10, 0)
    friday_late = local(BERLIN, 2026, 3, 6, 16, 30)
    assert next_nudge(friday_late, window, WORKDAYS, BERLIN) == local(BERLIN, 2026, 3, 9, 10, 0)


def due(kind: Kind = Kind.DAILY, due_at: datetime | None = None, **changes) -> DueSchedule:
    values = dict(
        user_id=1, chat_id=1, kind=kind, zone=BERLIN,
        due_at=due_at or local(BERLIN, 2026, 3, 2, 12, 30),
        at=time(12, 30), days=WORKDAYS,
        window=NudgeWindow(time(9, 0), time(17, 0), 60) if kind is Kind.NUDGE else None,
    )
    values.update(changes)
    return DueSchedule(**values)


def test_a_due_reminder_is_sent_and_the_next_one_is_tomorrow() -> None:
    item = due()
    decision = decide(item, item.due_at + timedelta(seconds=5))
    assert decision.send and decision.skip is None
    assert decision.key == "daily:2026-03-02T12:30"
    assert decision.next_due_at == local(BERLIN, 2026, 3, 3, 12, 30)


def test_late_reminders_go_out_up_to_thirty_minutes_then_are_skipped() -> None:
    item = due()
    late = decide(item, item.due_at + timedelta(minutes=29))
    assert late.send and late.late_by == timedelta(minutes=29)
    too_late = decide(item, item.due_at + timedelta(minutes=31))
    assert not too_late.send and too_late.skip is Skip.TOO_LATE


def test_after_a_long_outage_the_next_occurrence_is_in_the_future() -> None:
    item = due()
    now = item.due_at + timedelta(days=3, hours=2)  # Thursday 14:30
    decision = decide(item, now)
    assert decision.skip is Skip.TOO_LATE
    assert decision.next_due_at == local(BERLIN, 2026, 3, 6, 12, 30)


def test_the_same_occurrence_is_never_sent_twice() -> None:
    item = due(last_key="daily:2026-03-02T12:30")
    assert decide(item, item.due_at).skip is Skip.DUPLICATE


def test_paused_users_get_nothing_until_the_pause_ends() -> None:
    item = due(paused_until=local(BERLIN, 2026, 3, 2, 13, 0))
    assert decide(item, item.due_at).skip is Skip.PAUSED
    ended = due(paused_until=local(BERLIN, 2026, 3, 2, 12, 0))
    assert decide(ended, ended.due_at).send


def test_no_daily_reminder_after_a_finished_routine_that_local_day() -> None:
    this_morning = due(last_finished_at=local(BERLIN, 2026, 3, 2, 0, 30))
    assert decide(this_morning, this_morning.due_at).skip is Skip.ALREADY_STRETCHED
    # 23:30 UTC on Sunday is already Monday in Berlin ...
    utc_sunday = due(last_finished_at=utc(2026, 3, 1, 23, 30))
    assert decide(utc_sunday, utc_sunday.due_at).skip is Skip.ALREADY_STRETCHED
    # ... but 22:30 UTC is still Sunday there.
    yesterday = due(last_finished_at=utc(2026, 3, 1, 22, 30))
    assert decide(yesterday, yesterday.due_at).send


@pytest.mark.parametrize(
    ("finished", "sent"),
    [
        ((9, 0), True),  # before the 10:30 reminder: that one is answered, not the 15:00 one
        ((10, 45), True),  # the routine the 10:30 reminder started: the 15:00 one still comes
        ((12, 40), True),  # in the first half of the time between the two
        ((12, 45), False),  # from the half-way point on, it answers the 15:00 one
        ((14, 0), False),
    ],
)
def test_with_two_reminders_a_day_a_routine_answers_the_one_it_is_nearest(
    finished: tuple[int, int], sent: bool
) -> None:
    afternoon = local(BERLIN, 2026, 3, 2, 15, 0)
    item = due(due_at=afternoon, at=time(15, 0), others=((time(10, 30), WORKDAYS), (time(15, 0), WORKDAYS)),
               last_finished_at=local(BERLIN, 2026, 3, 2, *finished))
    decision = decide(item, afternoon)
    assert decision.send is sent and decision.skip is (None if sent else Skip.ALREADY_STRETCHED)


def test_an_earlier_reminder_that_does_not_run_that_day_is_not_the_previous_one() -> None:
    # 10:30 on workdays, 15:00 every day: on Saturday the 15:00 one is the first of the day,
    # so any routine that day answers it; on Monday only one after 12:45 does.
    others = ((time(10, 30), WORKDAYS), (time(15, 0), EVERY_DAY))
    saturday = local(BERLIN, 2026, 3, 7, 15, 0)
    item = due(due_at=saturday, at=time(15, 0), days=EVERY_DAY, others=others,
               last_finished_at=local(BERLIN, 2026, 3, 7, 11, 0))
    assert decide(item, saturday).skip is Skip.ALREADY_STRETCHED
    monday = local(BERLIN, 2026, 3, 9, 15, 0)
    weekday = due(due_at=monday, at=time(15, 0), days=EVERY_DAY, others=others,
                  last_finished_at=local(BERLIN, 2026, 3, 9, 11, 0))
    assert decide(weekday, monday).send


def test_two_snoozes_due_in_the_same_second_are_two_occurrences() -> None:
    moment = local(BERLIN, 2026, 3, 2, 11, 30)
    first = due(Kind.SNOOZE, moment, at=None, slot="10:30")
    second = due(Kind.SNOOZE, moment, at=None, slot="11:15")
    assert decide(first, moment).key != decide(second, moment).key


def test_two_reminders_a_day_are_two_occurrences() -> None:
    afternoon = local(BERLIN, 2026, 3, 2, 15, 0)
    early = due(due_at=afternoon, at=time(15, 0), others=((time(10, 30), WORKDAYS),))
    morning = due(due_at=local(BERLIN, 2026, 3, 2, 10, 30), at=time(10, 30))
    assert decide(morning, morning.due_at).key != decide(early, afternoon).key


def test_a_nudge_is_skipped_if_the_user_moved_within_the_interval() -> None:
    at = local(BERLIN, 2026, 3, 2, 11, 0)
    recent = due(Kind.NUDGE, at, last_active_at=at - timedelta(minutes=40))
    assert decide(recent, at).skip is Skip.RECENTLY_MOVED
    assert decide(recent, at).next_due_at == local(BERLIN, 2026, 3, 2, 12, 0)
    earlier = due(Kind.NUDGE, at, last_active_at=at - timedelta(minutes=61))
    assert decide(earlier, at).send
    assert decide(earlier, at).key == "nudge:2026-03-02T11:00"


def test_a_snooze_goes_out_once_and_then_is_done() -> None:
    at = utc(2026, 3, 2, 11, 45)
    decision = decide(due(Kind.SNOOZE, at), at)
    assert decision.send and decision.next_due_at is None
    assert decision.key == "snooze:2026-03-02T11:45:00"


def test_weekday_descriptions() -> None:
    from bot.presentation.texts import days_text

    assert days_text(WORKDAYS) == "Mon-Fri"
    assert days_text(EVERY_DAY) == "every day"
    assert days_text(Weekdays.of(0, 2, 4)) == "Mon, Wed, Fri"
    assert days_text(Weekdays.of(5, 6)) == "Sat, Sun"
    assert days_text(Weekdays.of(0, 1, 2, 5)) == "Mon-Wed, Sat"


def test_describe_when_and_end_of_day() -> None:
    from bot.presentation.texts import when_text as describe_when

    now = local(BERLIN, 2026, 3, 2, 10, 0)  # Monday
    assert describe_when(local(BERLIN, 2026, 3, 2, 12, 30), now, BERLIN) == "today 12:30"
    assert describe_when(local(BERLIN, 2026, 3, 3, 8, 5), now, BERLIN) == "tomorrow 08:05"
    assert describe_when(local(BERLIN, 2026, 3, 6, 12, 30), now, BERLIN) == "Fri 12:30"
    assert describe_when(local(BERLIN, 2026, 3, 16, 9, 0), now, BERLIN) == "Mon 16 Mar 09:00"
    assert end_of_local_day(now, BERLIN) == local(BERLIN, 2026, 3, 3, 0, 0)
