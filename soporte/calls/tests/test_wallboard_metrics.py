"""The wallboard's figures for today at the desk: T1 share, average hold, holds past 60 s,
abandoned calls — computed from stored timestamps of crafted calls."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from soporte.calls import metrics
from soporte.calls.models import Call, CallState, Hold, Outcome, PhoneLine

pytestmark = pytest.mark.django_db
MEXICO = ZoneInfo("America/Mexico_City")
NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=MEXICO)


@pytest.fixture
def line() -> PhoneLine:
    return PhoneLine.objects.create(name="Conmutador", created_at=NOW)


def make_call(line, n: int, *, at, rings=None, outcome="", state=CallState.ENDED, direction="in"):
    answered = at + dt.timedelta(seconds=5 * rings) if rings else None
    return Call.objects.create(
        line=line,
        call_id=f"c{n}",
        direction=direction,
        from_number="555",
        to_number="100",
        state=state,
        started_at=at,
        answered_at=answered,
        rings=rings,
        outcome=outcome,
        updated_at=at,
    )


def make_hold(call, *, start, seconds=None):
    return Hold.objects.create(
        call=call,
        started_at=start,
        ended_at=start + dt.timedelta(seconds=seconds) if seconds is not None else None,
        seconds=seconds,
        over_limit=seconds is not None and seconds > 60,
        reason="x",
        choice="wait",
    )


def test_day_bounds_are_the_desks_midnights(settings):
    settings.TIME_ZONE = "America/Mexico_City"
    start, end = metrics.day_bounds(
        dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)
    )  # 21:00 on the 23rd
    assert start == dt.datetime(2026, 11, 23, 0, 0, tzinfo=MEXICO)
    assert end == dt.datetime(2026, 11, 24, 0, 0, tzinfo=MEXICO)


def test_figures_of_the_day(settings, line):
    settings.TIME_ZONE = "America/Mexico_City"
    morning = NOW.replace(hour=9)
    a = make_call(line, 1, at=morning, rings=1, outcome=Outcome.ANSWERED)
    b = make_call(line, 2, at=morning, rings=2, outcome=Outcome.ANSWERED)
    c = make_call(line, 3, at=morning, rings=3, outcome=Outcome.ANSWERED)
    make_call(line, 4, at=morning, rings=4, outcome=Outcome.ANSWERED)
    make_call(line, 5, at=morning, outcome=Outcome.ABANDONED)
    make_call(line, 6, at=morning, outcome=Outcome.ABANDONED)
    make_call(line, 7, at=morning, outcome=Outcome.MISSED)
    # Yesterday (23:30 on the 22nd at the desk) and an outbound call do not count.
    make_call(
        line, 8, at=dt.datetime(2026, 11, 22, 23, 30, tzinfo=MEXICO), outcome=Outcome.ABANDONED
    )
    make_call(line, 9, at=morning, rings=5, outcome=Outcome.ANSWERED, direction="out")
    make_hold(a, start=morning + dt.timedelta(minutes=1), seconds=30)
    make_hold(b, start=morning + dt.timedelta(minutes=1), seconds=90)
    make_hold(c, start=morning + dt.timedelta(minutes=1), seconds=45)
    # A call on hold right now for 70 s: over the limit although the hold has not ended.
    live = make_call(line, 10, at=NOW - dt.timedelta(minutes=3), rings=1, state=CallState.ON_HOLD)
    make_hold(live, start=NOW - dt.timedelta(seconds=70))

    figures = metrics.day_figures(now=NOW)

    assert figures.calls == 8
    assert figures.answered == 5
    assert figures.answered_in_time == 3  # rings 1, 2 and the live call's 1
    assert figures.in_time_percent == 60
    assert figures.abandoned == 2
    assert figures.holds == 3
    assert figures.average_hold_seconds == pytest.approx(55)
    assert figures.holds_over_limit == 2


def test_an_empty_day_has_no_shares(settings, line):
    settings.TIME_ZONE = "America/Mexico_City"
    figures = metrics.day_figures(now=NOW)
    assert figures.in_time_share is None
    assert figures.average_hold_seconds is None
    assert (figures.calls, figures.abandoned, figures.holds_over_limit) == (0, 0, 0)
