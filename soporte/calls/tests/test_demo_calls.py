"""The demo desk comes with a day of calls: the wallboard, scorecards and bitácora are not empty."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from django.test import Client
from django.utils import timezone

from soporte import demo
from soporte.calls import metrics
from soporte.calls.models import (
    Call,
    Callback,
    Hold,
    Outcome,
    Party,
    PhoneLine,
    Scorecard,
    ScoreLine,
    TranscriptTurn,
    Transfer,
    TransferKind,
    Verdict,
)
from soporte.lib import refcache
from soporte.logbook.models import Entry, EntryKind

AFTERNOON = dt.datetime(2026, 11, 23, 22, 0, tzinfo=dt.UTC)  # 16:00 in Mexico City


@pytest.mark.parametrize("hour", [0, 3, 8, 10, 12, 16, 17, 18, 20, 23])
def test_the_demos_calls_reach_the_last_minutes_at_any_hour(hour):
    # Given the demo loaded at any hour of the desk's day, when it picks its window of calls,
    # then the window ends minutes before, and spans a working day's worth of hours.
    local_now = timezone.localtime(AFTERNOON).replace(hour=hour, minute=30)
    start, end = demo.demo_call_window(local_now)
    assert dt.timedelta(minutes=1) <= local_now - end <= dt.timedelta(minutes=10)
    assert dt.timedelta(hours=3) <= end - start <= dt.timedelta(hours=9)
    if 12 <= hour < 18:  # business hours: the day since opening
        assert timezone.localtime(start).hour == 9
        assert timezone.localtime(start).date() == local_now.date()


@pytest.mark.django_db
def test_a_demo_opened_at_half_past_eight_has_todays_calls_on_the_wallboard():
    morning = timezone.localtime(AFTERNOON).replace(hour=8, minute=30)
    demo.load_demo(now=morning)

    figures = metrics.day_figures(now=morning)
    assert figures.calls > 20  # today's, not only yesterday's
    latest = Call.objects.exclude(call_id__startswith="historia-").order_by("-ended_at").first()
    assert latest is not None and latest.ended_at is not None
    assert morning - latest.ended_at < dt.timedelta(minutes=15)


@pytest.mark.django_db
def test_demo_has_a_day_of_calls_with_every_outcome_and_their_records():
    demo.load_demo(now=AFTERNOON)

    start, end = demo.demo_call_window(AFTERNOON)
    assert timezone.localtime(start).hour == 9 and end <= AFTERNOON
    # Today's calls (the reports' four weeks of history, "historia-…", are checked there).
    calls = list(Call.objects.exclude(call_id__startswith="historia-"))
    assert 150 <= len(calls) <= 250
    assert all(start <= c.started_at and c.ended_at and c.ended_at <= end for c in calls)
    outcomes = Counter(c.outcome for c in calls)
    assert {Outcome.ANSWERED, Outcome.ABANDONED, Outcome.MISSED} <= set(outcomes)
    assert {Party.CALLER, Party.AGENT} <= {c.hangup_by for c in calls}
    assert any(c.rings and c.rings >= 3 for c in calls)  # some answered after the 3rd ring
    answered = [c for c in calls if c.outcome == Outcome.ANSWERED and c.direction == "in"]
    assert sum(bool(c.caller_name) for c in answered) > len(answered) * 0.7
    assert Hold.objects.filter(over_limit=True).exists()
    assert Hold.objects.filter(over_limit=False).exists()
    assert {TransferKind.WARM, TransferKind.BLIND} <= set(
        Transfer.objects.values_list("kind", flat=True)
    )
    assert Callback.objects.filter(done_at__isnull=True, due_at__gt=AFTERNOON).exists()
    assert Call.objects.filter(ticket__isnull=False).exists()
    # The worker's job ran: every call has its scorecard and its bitácora CALL entry.
    assert Scorecard.objects.count() == len(calls)
    assert all(c.recorded_at is not None for c in calls)
    assert Entry.objects.filter(kind=EntryKind.CALL).count() == len(calls)
    # Some calls have a transcript, so the text rules give real verdicts, both ways.
    assert TranscriptTurn.objects.values("call").distinct().count() >= 10
    for rule in ("T2", "C1"):
        heard = ScoreLine.objects.filter(rule=rule).exclude(verdict=Verdict.NOT_APPLICABLE)
        assert heard.filter(verdict=Verdict.PASSED).exists(), rule
        assert heard.exclude(verdict=Verdict.PASSED).exists(), rule


@pytest.mark.django_db
def test_demo_line_token_is_the_documented_one_and_accepts_events():
    demo.load_demo(now=AFTERNOON)
    line = PhoneLine.objects.get(name=demo.DEMO_CTI_LINE_NAME)
    assert line.token_hint == demo.DEMO_CTI_TOKEN[-4:]
    refcache.forget_all()

    response = Client().post(
        f"/api/v1/cti/{demo.DEMO_CTI_TOKEN}",
        json.dumps(
            {"event": "newCall", "callId": "x-1", "from": "5550", "to": "100", "direction": "in"}
        ),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert Call.objects.filter(line=line, call_id="x-1").exists()
