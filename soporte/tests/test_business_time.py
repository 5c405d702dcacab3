"""SLA clocks in business hours: weekends, holidays, the lunch pause and customer pauses."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from soporte.lib.business_time import Calendar, add_business_seconds, business_seconds, merge

MX = ZoneInfo("America/Mexico_City")
HOUR = 3600.0


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MX)


CAL = Calendar(holidays=frozenset({dt.date(2026, 11, 16)}))  # Revolution Day (third Monday)


def test_a_plain_morning_counts_every_minute():
    assert business_seconds(CAL, at(23, 9), at(23, 11, 30)) == 2.5 * HOUR


def test_lunch_is_not_counted():
    assert business_seconds(CAL, at(23, 13), at(23, 16)) == 2 * HOUR


def test_a_weekend_is_skipped():
    # Friday 17:00 → Monday 10:00 = 1 h Friday + 1 h Monday.
    assert business_seconds(CAL, at(20, 17), at(23, 10)) == 2 * HOUR


def test_a_holiday_is_skipped():
    # Friday 13 Nov 17:00 → Tuesday 17 Nov 10:00; Monday 16 is a holiday.
    assert business_seconds(CAL, at(13, 17), at(17, 10)) == 2 * HOUR


def test_waiting_for_the_customer_pauses_the_clock():
    pauses = [(at(23, 10), at(23, 12))]
    assert business_seconds(CAL, at(23, 9), at(23, 13), pauses) == 2 * HOUR


def test_overlapping_pauses_count_once():
    pauses = [(at(23, 10), at(23, 11)), (at(23, 10, 30), at(23, 12))]
    assert business_seconds(CAL, at(23, 9), at(23, 13), pauses) == 2 * HOUR


def test_a_target_reached_across_a_weekend_and_lunch():
    # 4 business hours from Friday 16:00: 2 h Friday, then Monday 9–11.
    assert add_business_seconds(CAL, at(20, 16), 4 * HOUR) == at(23, 11)
    # 6 business hours from Monday 11:00: 11–14 (3 h), lunch, 15–18 (3 h).
    assert add_business_seconds(CAL, at(23, 11), 6 * HOUR) == at(23, 18)


def test_a_target_moves_by_the_length_of_a_pause():
    pauses = [(at(23, 9, 30), at(23, 10, 30))]
    assert add_business_seconds(CAL, at(23, 9), 2 * HOUR, pauses) == at(23, 12)


def test_a_ticket_opened_at_night_starts_counting_next_morning():
    assert add_business_seconds(CAL, at(23, 22), HOUR) == at(24, 10)


def test_a_holiday_pushes_the_target():
    assert add_business_seconds(CAL, at(13, 17, 30), HOUR) == at(17, 9, 30)


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError, match="horizon"):
        add_business_seconds(Calendar(weekdays=frozenset()), at(23, 9), HOUR)


def test_daylight_saving_days_keep_wall_clock_hours():
    spain = Calendar(time_zone="Europe/Madrid", lunch_from=None, lunch_to=None)
    madrid = ZoneInfo("Europe/Madrid")
    # Sunday 29 March 2026 clocks go forward; Friday 17:00 → Monday 10:00 is 2 h of work.
    start = dt.datetime(2026, 3, 27, 17, tzinfo=madrid)
    end = dt.datetime(2026, 3, 30, 10, tzinfo=madrid)
    assert business_seconds(spain, start, end) == 2 * HOUR


def _day_by_day(calendar: Calendar, start: dt.datetime, end: dt.datetime, pauses) -> float:
    """The definition, one working interval at a time (what business_seconds shortcuts)."""
    total = 0.0
    for lo, hi in calendar.intervals(start, end):
        covered = sum(
            max(0.0, (min(hi, p_hi) - max(lo, p_lo)).total_seconds())
            for p_lo, p_hi in merge(pauses)
        )
        total += (hi - lo).total_seconds() - covered
    return total


@pytest.mark.parametrize("zone", ["America/Mexico_City", "Europe/Madrid", "America/New_York"])
def test_long_spans_counted_by_arithmetic_match_counting_every_day(zone):
    """A ticket open for months (weekends, holidays, lunch, pauses, DST changes) gets
    exactly the seconds a day-by-day count gives."""
    rng = random.Random(zone)
    base = dt.datetime(2025, 1, 1, tzinfo=ZoneInfo(zone))
    holidays = frozenset(
        dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(700)) for _ in range(30)
    )
    calendars = [
        Calendar(time_zone=zone, holidays=holidays),
        Calendar(
            time_zone=zone,
            weekdays=frozenset({0, 1, 2, 3, 4, 5}),
            lunch_from=None,
            lunch_to=None,
            opens=dt.time(8),
            closes=dt.time(20),
        ),
    ]
    for _ in range(150):
        calendar = rng.choice(calendars)
        start = base + dt.timedelta(minutes=rng.randrange(60 * 24 * 500))
        end = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 300))
        pauses = []
        for _p in range(rng.randrange(4)):
            lo = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 300))
            pauses.append((lo, lo + dt.timedelta(minutes=rng.randrange(60 * 24 * 20))))
        assert business_seconds(calendar, start, end, pauses) == pytest.approx(
            _day_by_day(calendar, start, end, pauses)
        ), (calendar, start, end, pauses)


def _target_day_by_day(calendar: Calendar, start: dt.datetime, seconds: float, pauses):
    remaining = seconds
    merged = merge(pauses)
    for a, b in calendar.intervals(start, start + dt.timedelta(days=400)):
        lo = a
        for p_lo, p_hi in [*merged, (b, b)]:
            hi = min(max(p_lo, lo), b)
            span = (hi - lo).total_seconds()
            if span > 0 and span >= remaining:
                return lo + dt.timedelta(seconds=remaining)
            remaining -= max(span, 0)
            lo = max(lo, min(p_hi, b))
    raise AssertionError("no target")


@pytest.mark.parametrize("zone", ["America/Mexico_City", "Europe/Madrid"])
def test_targets_taken_a_day_at_a_time_match_counting_every_interval(zone):
    rng = random.Random(f"target-{zone}")
    base = dt.datetime(2025, 1, 1, tzinfo=ZoneInfo(zone))
    holidays = frozenset(
        dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(400)) for _ in range(20)
    )
    calendar = Calendar(time_zone=zone, holidays=holidays)
    for _ in range(200):
        start = base + dt.timedelta(minutes=rng.randrange(60 * 24 * 300))
        seconds = rng.choice([60, 900, 8 * 3600, 3600 * rng.randrange(1, 200)]) + rng.random()
        pauses = []
        for _p in range(rng.randrange(4)):
            lo = start + dt.timedelta(minutes=rng.randrange(60 * 24 * 40))
            pauses.append((lo, lo + dt.timedelta(minutes=rng.randrange(60 * 24 * 5))))
        due = add_business_seconds(calendar, start, seconds, pauses)
        assert due == _target_day_by_day(calendar, start, seconds, pauses)
        assert business_seconds(calendar, start, due, pauses) == pytest.approx(seconds)
