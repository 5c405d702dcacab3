"""The CTI endpoint speaks Zammad's generic CTI exactly as Zammad documents it."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.calls.models import Call, CallEvent, CallState, Outcome, Party

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)


def test_new_call_answer_hangup_in_json_builds_the_call(pbx, personas, now):
    personas.person_a.phone = "5255501234"
    personas.person_a.save()
    agent = personas.agent.agent

    r = pbx.post(
        event="newCall",
        **{"from": "5255501234"},
        to="5255509999",
        direction="in",
        callId="c-1",
        user=["Blanca Herrera"],
        queue="soporte",
        at=now,
    )
    assert r.status_code == 200 and r.json() == {}
    r = pbx.post(
        event="answer",
        **{"from": "5255501234"},
        to="5255509999",
        direction="in",
        callId="c-1",
        user="Blanca Herrera",
        answeringNumber="",
        at=now + 7 * S,
    )
    assert r.status_code == 200 and r.json() == {}
    r = pbx.post(
        event="hangup",
        **{"from": "5255501234"},
        to="5255509999",
        direction="in",
        callId="c-1",
        cause="normalClearing",
        answeringNumber="",
        at=now + 100 * S,
    )
    assert r.status_code == 200 and r.json() == {}

    call = Call.objects.get(call_id="c-1")
    assert call.person == personas.person_a
    assert call.organisation == personas.org_a
    assert call.agent == agent and call.answered_by == agent
    assert call.queue == "soporte"
    assert call.ring_seconds == 7.0
    assert call.rings == 2  # Mexico: 5 s per ring
    assert call.state == CallState.ENDED
    assert call.outcome == Outcome.ANSWERED
    assert call.hangup_by == Party.UNKNOWN  # Zammad does not say who hung up
    assert [e.kind for e in call.events.order_by("at", "id")] == ["newCall", "answer", "hangup"]


def test_form_encoded_with_repeated_user_brackets(pbx, personas, now):
    r = pbx.post(
        as_form=True,
        event="newCall",
        **{"from": "5255500000", "user[]": ["Blanca Herrera", "hector.dominguez"]},
        to="100",
        direction="in",
        callId="c-form",
    )
    assert r.status_code == 200, r.content
    assert r.json() == {}
    call = Call.objects.get(call_id="c-form")
    ringing = set(call.ringing_agent_ids)
    assert personas.agent.agent.pk in ringing
    assert personas.supervisor.agent.pk in ringing
    assert call.queue == "100"  # Zammad defaults the queue to `to` for inbound calls


def test_answering_number_is_looked_up_by_phone_then_login_then_id(pbx, personas, now):
    agent = personas.agent.agent
    agent.user.phone = "201"
    agent.user.save()
    for i, number in enumerate(["201", "blanca.herrera", str(agent.pk)]):
        pbx.post(event="newCall", **{"from": "1"}, to="2", direction="in", callId=f"n{i}")
        pbx.post(event="answer", direction="in", callId=f"n{i}", answeringNumber=number)
        assert Call.objects.get(call_id=f"n{i}").agent == agent


def test_blocked_caller_gets_reject_busy(pbx, line, now):
    line.blocked_numbers = "5255511111\n"
    line.save()
    r = pbx.post(event="newCall", **{"from": "5255511111"}, to="1", direction="in", callId="b")
    assert r.json() == {"action": "reject", "reason": "busy"}
    # The PBX still sends the hangup; the call is stored as rejected.
    pbx.post(event="hangup", direction="in", callId="b", cause="busy")
    assert Call.objects.get(call_id="b").outcome == Outcome.REJECTED


def test_outbound_with_caller_id_gets_dial(pbx, line):
    line.outbound_caller_id = "496990009111"
    line.save()
    r = pbx.post(event="newCall", **{"from": "201"}, to="492214710334", direction="out", callId="o")
    assert r.json() == {"action": "dial", "caller_id": "496990009111", "number": "492214710334"}


def test_caller_hanging_up_before_pickup_is_an_abandon(pbx, now):
    pbx.post(event="newCall", **{"from": "1"}, to="2", direction="in", callId="a", at=now)
    pbx.post(event="hangup", direction="in", callId="a", cause="cancel", at=now + 12 * S)
    call = Call.objects.get(call_id="a")
    assert call.outcome == Outcome.ABANDONED
    assert call.hangup_by == Party.CALLER
    assert call.ring_seconds == 12.0


def test_invalid_token_is_401_and_nothing_is_stored(pbx):
    from soporte.calls.tests.conftest import Pbx

    r = Pbx(pbx.client, token="wrong").post(
        event="newCall", **{"from": "1"}, to="2", direction="in", callId="x"
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_token"
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"event": "ring", "callId": "1"}, "unknown_event"),
        ({"event": "newCall", "direction": "in"}, "call_id_required"),
        ({"event": "newCall", "callId": "1", "direction": "sideways"}, "invalid_direction"),
        ({"event": "hangup", "callId": "1", "cause": "boredom"}, "invalid_cause"),
        ({"event": "answer", "callId": "never-seen", "direction": "in"}, "unknown_call"),
    ],
)
def test_bad_events_get_422_with_a_stable_code(pbx, fields, code):
    r = pbx.post(**fields)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]


def test_retried_events_are_not_applied_twice(pbx, now):
    for _ in range(3):
        assert (
            pbx.post(
                event="newCall", **{"from": "1"}, to="2", direction="in", callId="r", at=now
            ).status_code
            == 200
        )
        pbx.post(event="answer", direction="in", callId="r", at=now + 3 * S)
        pbx.post(event="hold", callId="r", reason="consulto", choice="wait", at=now + 10 * S)
    pbx.post(event="unhold", callId="r", at=now + 20 * S)
    pbx.post(event="unhold", callId="r", at=now + 21 * S)
    pbx.post(event="hangup", direction="in", callId="r", cause="normalClearing", at=now + 30 * S)
    pbx.post(event="hangup", direction="in", callId="r", cause="normalClearing", at=now + 31 * S)
    call = Call.objects.get(call_id="r")
    assert call.hold_count == 1 and call.hold_seconds == 10.0
    assert CallEvent.objects.filter(call=call).count() == 5
    assert call.ended_at == now + 30 * S


def test_answer_after_hangup_is_ignored_like_zammad(pbx, now):
    pbx.post(event="newCall", **{"from": "1"}, to="2", direction="in", callId="z", at=now)
    pbx.post(event="hangup", direction="in", callId="z", cause="cancel", at=now + 5 * S)
    r = pbx.post(event="answer", direction="in", callId="z", at=now + 6 * S)
    assert r.status_code == 200
    assert Call.objects.get(call_id="z").answered_at is None


def test_url_encoded_form_as_zammad_documents_it(pbx, personas):
    from soporte.calls.tests.conftest import TOKEN

    body = (
        "event=newCall&from=4930609854180&to=4930609811111&direction=in"
        "&callId=f-url&user%5B%5D=Blanca+Herrera&queue=helpdesk"
    )
    r = pbx.client.post(
        f"/api/v1/cti/{TOKEN}", body, content_type="application/x-www-form-urlencoded"
    )
    assert r.status_code == 200 and r.json() == {}
    call = Call.objects.get(call_id="f-url")
    assert call.from_number == "4930609854180" and call.queue == "helpdesk"
    assert call.ringing_agent_ids == [personas.agent.agent.pk]


def test_call_id_alias_and_answering_number_on_hangup(pbx, personas, now):
    r = pbx.post(event="newCall", **{"from": "1"}, to="2", direction="in", call_id="alias", at=now)
    assert r.status_code == 200
    pbx.post(event="answer", direction="in", call_id="alias", answeringNumber="blanca.herrera")
    r = pbx.post(
        event="hangup",
        direction="in",
        call_id="alias",
        cause="normalClearing",
        answeringNumber="blanca.herrera",
    )
    assert r.status_code == 200
    assert Call.objects.get(call_id="alias").agent == personas.agent.agent
