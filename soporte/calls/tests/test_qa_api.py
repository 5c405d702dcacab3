"""The QA API: transcripts in, scorecards out; staff only (customers get 404 for any call).

Errors keep the API's shape `{"error": {code, message, details}}` with stable codes.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from soporte.calls import qa
from soporte.calls.models import (
    Call,
    CallState,
    ScoreLine,
    TranscriptTurn,
    Transfer,
    TransferKind,
    TransferState,
    Verdict,
)
from soporte.calls.services import record_call
from soporte.calls.tests.test_qa_rules import GOOD, ended, finished_call
from soporte.directory.services import create_api_token

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)


def body(rows=GOOD) -> str:
    return json.dumps(
        [
            {"speaker": s, "start_ms": int(a * 1000), "end_ms": int(b * 1000), "text": t}
            | ({"leg": more[0]} if more else {})
            for s, a, b, t, *more in rows
        ]
    )


@pytest.fixture
def call(line, personas, now) -> Call:
    """A finished, scored call of Blanca with Roberto of organisation A."""
    call = finished_call(
        line, personas.agent.agent, call_id="api-1", start=now, organisation=personas.org_a
    )
    qa.score_call(call=call, now=ended(call))
    return call


def post(client, call_id: int, data: str, **extra):
    return client.post(
        f"/api/v1/calls/{call_id}/transcript", data, content_type="application/json", **extra
    )


def test_agent_posts_a_transcript_and_gets_the_rescored_card(personas, call):
    response = post(personas.client("agent"), call.pk, body())
    assert response.status_code == 200, response.content
    card = response.json()
    assert card["transcript_turns"] == len(GOOD)
    lines = {ln["rule"]: ln for ln in card["lines"]}
    assert [ln["rule"] for ln in card["lines"]] == qa.RULE_ORDER
    assert lines["T2"]["verdict"] == "passed" and lines["T2"]["name"].startswith("Saludo")
    assert lines["D2"]["final"] == "pending"
    assert lines["T1"]["evidence"] == "contestó en el 2.º timbre (7.0 s)"
    assert card["score"] == 100.0

    again = personas.client("agent").get(f"/api/v1/calls/{call.pk}/scorecard")
    assert again.status_code == 200
    assert again.json()["lines"] == card["lines"]


def test_a_machine_posts_with_a_bearer_token(personas, call):
    _token, plain = create_api_token(user=personas.agent, name="transcriptor")
    from django.test import Client

    response = post(Client(), call.pk, body(), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200, response.content


def test_a_new_transcript_replaces_the_old_one(personas, call):
    client = personas.client("agent")
    post(client, call.pk, body())
    rows = [r for r in GOOD if r[0] == "agent"]
    response = post(client, call.pk, body(rows))
    assert response.json()["transcript_turns"] == len(rows)
    assert TranscriptTurn.objects.filter(call=call).count() == len(rows)
    lines = {ln["rule"]: ln for ln in response.json()["lines"]}
    assert lines["D1"]["verdict"] == "na"  # no caller turns any more


def test_a_supervisors_override_survives_a_new_transcript(personas, call):
    line = ScoreLine.objects.get(scorecard__call=call, rule="C3")
    qa.review_line(
        actor=personas.supervisor,
        line=line,
        verdict=Verdict.FAILED,
        comment="Colgó antes de que el cliente se despidiera.",
        now=call.ended_at,
    )
    response = post(personas.client("agent"), call.pk, body())
    c3 = next(ln for ln in response.json()["lines"] if ln["rule"] == "C3")
    assert (c3["verdict"], c3["override"], c3["final"]) == ("passed", "failed", "failed")
    assert c3["comment"] == "Colgó antes de que el cliente se despidiera."
    assert c3["reviewed_by"] == str(personas.supervisor)
    assert response.json()["score"] < 100


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([], "transcript_empty"),
        ([("robot", 1, 2, "hola")], "unknown_speaker"),
        ([("agent", 3, 2, "hola")], "turn_times_invalid"),
        ([("agent", 5, 6, "hola"), ("caller", 1, 2, "hola")], "turns_out_of_order"),
        ([("agent", 1, 200, "hola")], "turn_after_call_end"),
        ([("agent", 1, 2, "   ")], "turn_text_invalid"),
        ([("agent", 1, 2, "x" * 5001)], "turn_text_invalid"),
        ([("agent", 1, 2, "hola", "sidebar")], "unknown_leg"),
        ([("caller", 1, 2, "hola", "consult")], "caller_in_consult"),
    ],
)
def test_bad_transcripts_are_refused_with_a_code(personas, call, rows, code):
    response = post(personas.client("agent"), call.pk, body(rows))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert not TranscriptTurn.objects.filter(call=call).exists()


def test_a_consultation_leg_sent_by_the_api_decides_x2(personas, call, make_agent):
    """The consult leg's words (the caller is not on it) show the colleague got name and
    reason before the caller was connected; the caller's leg is scored as before."""
    gabriela = make_agent("gabriela.ruiz", level=2, first_name="Gabriela", last_name="Ruiz")
    assert call.answered_at is not None
    Transfer.objects.create(
        call=call,
        from_agent=call.agent,
        to_agent=gabriela,
        kind=TransferKind.WARM,
        state=TransferState.COMPLETED,
        consult_answered=True,
        consult_seconds=20,
        started_at=call.answered_at + 30 * S,
        completed_at=call.answered_at + 60 * S,
    )
    rows = [
        *GOOD[:6],
        ("agent", 31, 38, "Gabriela, te paso a Roberto Sánchez, su computadora está lenta.", "consult"),
        ("agent2", 38.5, 40, "Va, pásamelo.", "consult"),
        *GOOD[6:],
    ]  # fmt: skip
    response = post(personas.client("agent"), call.pk, body(rows))
    assert response.status_code == 200, response.content
    lines = {ln["rule"]: ln for ln in response.json()["lines"]}
    assert lines["X2"]["verdict"] == "passed"
    assert "te paso a Roberto Sánchez" in lines["X2"]["evidence"]
    assert lines["D1"]["verdict"] == "passed"  # the consultation is not talking over the caller
    legs = list(TranscriptTurn.objects.filter(call=call).values_list("leg", flat=True))
    assert legs.count("consult") == 2


def test_the_turn_is_named_in_the_error(personas, call):
    rows = [("agent", 1, 2, "hola"), ("caller", 2, 3, "hola"), ("jefe", 3, 4, "hola")]
    error = post(personas.client("agent"), call.pk, body(rows)).json()["error"]
    assert error["details"] == {"turn": 2}
    assert "Turno 3" in error["message"]


def test_too_many_turns_are_refused(personas, call, monkeypatch):
    monkeypatch.setattr(qa.scoring, "MAX_TURNS", 3)
    response = post(personas.client("agent"), call.pk, body())
    assert response.json()["error"]["code"] == "transcript_too_long"


def test_malformed_json_is_invalid_input(personas, call):
    response = post(personas.client("agent"), call.pk, json.dumps([{"speaker": "agent"}]))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_live_call_takes_no_transcript(personas, call):
    Call.objects.filter(pk=call.pk).update(state=CallState.TALKING)
    response = post(personas.client("agent"), call.pk, body())
    assert response.json()["error"]["code"] == "call_not_finished"


def test_an_unanswered_call_takes_no_transcript(personas, line, now):
    missed = finished_call(line, None, call_id="api-missed", start=now, answered=False)
    response = post(personas.client("agent"), missed.pk, body())
    assert response.json()["error"]["code"] == "call_not_answered"


def test_a_call_without_scorecard_says_so(personas, line, now):
    fresh = finished_call(line, personas.agent.agent, call_id="api-new", start=now)
    response = personas.client("agent").get(f"/api/v1/calls/{fresh.pk}/scorecard")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_scored"


# --- access ---------------------------------------------------------------------------


def test_anonymous_gets_401(personas, call):
    client = personas.client("anonymous")
    assert post(client, call.pk, body()).status_code == 401
    response = client.get(f"/api/v1/calls/{call.pk}/scorecard")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert client.get("/api/v1/calls").status_code == 401


@pytest.mark.parametrize("who", ["customer_a", "customer_b"])
def test_customers_never_see_qa_not_even_of_their_own_calls(personas, call, who):
    client = personas.client(who)
    scorecard = client.get(f"/api/v1/calls/{call.pk}/scorecard")
    transcript = post(client, call.pk, body())
    assert scorecard.status_code == transcript.status_code == 404
    assert scorecard.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/calls").json() == []
    assert not TranscriptTurn.objects.exists()


def test_a_missing_call_is_404(personas):
    assert personas.client("agent").get("/api/v1/calls/999999/scorecard").status_code == 404


# --- list -----------------------------------------------------------------------------


def test_staff_list_calls_by_agent_and_date(personas, call, line, now):
    other = finished_call(
        line, personas.supervisor.agent, call_id="api-2", start=now - dt.timedelta(days=1)
    )
    client = personas.client("supervisor")
    everything = client.get("/api/v1/calls").json()
    assert [c["id"] for c in everything] == [call.pk, other.pk]
    mine = client.get(f"/api/v1/calls?agent={personas.agent.agent.pk}").json()
    assert [(c["id"], c["score"]) for c in mine] == [(call.pk, call.scorecard.score)]
    yesterday = client.get("/api/v1/calls?date=2026-11-22").json()
    assert [c["id"] for c in yesterday] == [other.pk]


# --- end to end: PBX events, the call record, then the transcript ---------------------


def test_a_call_from_pbx_events_is_scored_then_rescored_with_its_transcript(pbx, personas, now):
    fields = {"from": "5255501234", "to": "100", "direction": "in", "callId": "e2e"}
    pbx.post(event="newCall", user=["Blanca Herrera"], at=now, **fields)
    pbx.post(event="answer", user="Blanca Herrera", at=now + 7 * S, **fields)
    pbx.post(event="hold", reason="reviso su equipo", choice="wait", at=now + 27 * S, **fields)
    pbx.post(event="unhold", at=now + 82 * S, **fields)
    pbx.post(event="hangup", cause="normalClearing", initiator="caller", at=now + 127 * S, **fields)
    call = Call.objects.get(call_id="e2e")
    call.caller_name = "Roberto Sánchez"
    call.save(update_fields=["caller_name"])
    record_call(call=call, now=now + 130 * S)

    before = personas.client("agent").get(f"/api/v1/calls/{call.pk}/scorecard").json()
    lines = {ln["rule"]: ln for ln in before["lines"]}
    assert lines["T1"]["evidence"].startswith("contestó en el 2.º timbre")
    assert lines["H4"]["evidence"] == "sin transcripción"

    after = post(personas.client("agent"), call.pk, body()).json()
    lines = {ln["rule"]: ln for ln in after["lines"]}
    assert lines["H4"]["verdict"] == "passed"
    assert lines["T2"]["verdict"] == "passed"
    assert lines["C3"]["verdict"] == "passed"
