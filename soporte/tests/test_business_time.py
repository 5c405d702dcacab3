"""SLA clocks in business hours: weekends, holidays, the lunch pause and customer pauses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from soporte.lib.business_time import Calendar, add_business_seconds, business_seconds

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
