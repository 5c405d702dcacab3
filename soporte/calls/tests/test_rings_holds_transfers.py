"""T1 ring counts by cadence; H3 holds against the limit; X2 warm vs blind transfers."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.calls.models import Cadence, Call, Hold, Transfer, TransferKind, rings_for

pytestmark = pytest.mark.django_db
S = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("cadence", "seconds", "rings"),
    [
        # research/domain.md §1.7: 14 s of ringing is 3 rings in Mexico and the US, 4 in Spain/Chile.
        (Cadence.MX, 14, 3),
        (Cadence.US, 14, 3),
        (Cadence.ES, 14, 4),
        (Cadence.CL, 14, 4),
        (Cadence.MX, 5, 1),
        (Cadence.MX, 5.001, 2),
        (Cadence.MX, 10, 2),
        (Cadence.MX, 10.5, 3),
        (Cadence.ES, 4.5, 1),
        (Cadence.ES, 9, 2),
        (Cadence.ES, 9.1, 3),
        (Cadence.US, 6, 1),
        (Cadence.US, 12, 2),
        (Cadence.US, 12.2, 3),
        (Cadence.MX, 0, 0),
    ],
)
def test_rings_follow_the_line_cadence(pbx, line, now, cadence, seconds, rings):
    line.cadence = cadence
    line.save()
    pbx.post(event="newCall", **{"from": "1"}, to="2", direction="in", callId="c", at=now)
    pbx.post(event="answer", direction="in", callId="c", at=now + dt.timedelta(seconds=seconds))
    call = Call.objects.get(call_id="c")
    assert call.rings == rings
    assert rings_for(seconds, line.ring_period) == rings


def test_custom_cadence(line):
    line.cadence = Cadence.CUSTOM
    line.ring_on_seconds, line.ring_off_seconds = 0.4, 2.6
    assert line.ring_period == pytest.approx(3.0)
    assert rings_for(7, line.ring_period) == 3


def _talking(pbx, now, call_id="h"):
    pbx.post(event="newCall", **{"from": "1"}, to="2", direction="in", callId=call_id, at=now)
    pbx.post(event="answer", direction="in", callId=call_id, at=now + 2 * S)


def test_a_hold_over_sixty_seconds_is_recorded_as_overrun(pbx, now):
    _talking(pbx, now)
    pbx.post(event="hold", callId="h", reason="reviso el equipo", choice="wait", at=now + 10 * S)
    pbx.post(event="unhold", callId="h", at=now + 84 * S)
    hold = Hold.objects.get(call__call_id="h")
    assert hold.seconds == 74.0 and hold.over_limit
    assert hold.reason == "reviso el equipo" and hold.choice == "wait"
    call = Call.objects.get(call_id="h")
    assert call.holds_over_limit == 1 and call.hold_seconds == 74.0


def test_a_hold_of_exactly_sixty_seconds_is_within_the_limit(pbx, now):
    _talking(pbx, now)
    pbx.post(event="hold", callId="h", at=now + 10 * S)
    pbx.post(event="unhold", callId="h", at=now + 70 * S)
    assert not Hold.objects.get(call__call_id="h").over_limit


def test_hanging_up_on_hold_closes_the_hold(pbx, now):
    _talking(pbx, now)
    pbx.post(event="hold", callId="h", at=now + 10 * S)
    pbx.post(
        event="hangup", callId="h", cause="normalClearing", initiator="caller", at=now + 95 * S
    )
    hold = Hold.objects.get(call__call_id="h")
    assert hold.ended_by_hangup and hold.over_limit and hold.seconds == 85.0
    assert Call.objects.get(call_id="h").hangup_by == "caller"


def test_two_holds_with_event_ids_are_two_holds(pbx, now):
    _talking(pbx, now)
    for i, start in enumerate((10, 40)):
        pbx.post(event="hold", callId="h", eventId=f"h{i}", at=now + start * S)
        pbx.post(event="unhold", callId="h", eventId=f"u{i}", at=now + (start + 5) * S)
        # A retried hold with the same eventId is not a third hold.
        pbx.post(event="hold", callId="h", eventId=f"h{i}", at=now + start * S)
    assert Call.objects.get(call_id="h").hold_count == 2


def test_attended_transfer_with_consultation_is_warm(pbx, personas, now):
    _talking(pbx, now)
    pbx.post(
        event="transfer",
        callId="h",
        type="attended",
        target="hector.dominguez",
        answered=True,
        consultSeconds=25,
        at=now + 60 * S,
    )
    transfer = Transfer.objects.get(call__call_id="h")
    assert transfer.kind == TransferKind.WARM
    assert transfer.to_agent == personas.supervisor.agent
    assert Call.objects.get(call_id="h").agent == personas.supervisor.agent


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "blind"},
        {"type": "attended", "answered": False, "consultSeconds": 30},
        {"type": "attended", "answered": True, "consultSeconds": 3},  # under the 10 s minimum
    ],
)
def test_blind_or_unanswered_or_too_short_transfer_is_blind(pbx, personas, now, fields):
    _talking(pbx, now)
    pbx.post(event="transfer", callId="h", target="hector.dominguez", at=now + 60 * S, **fields)
    assert Transfer.objects.get(call__call_id="h").kind == TransferKind.BLIND


def test_transfer_needs_a_known_type_and_a_target(pbx, now):
    _talking(pbx, now)
    r = pbx.post(event="transfer", callId="h", type="sideways", target="x")
    assert r.json()["error"]["code"] == "invalid_transfer_type"
    r = pbx.post(event="transfer", callId="h", type="blind")
    assert r.json()["error"]["code"] == "target_required"
