"""What the QA rules need arrives through CTI: the caller's name (from an IVR or typed on the
phone), "the caller was told" on a transfer (T4) with its reason, and a callback chosen
instead of a hold (H2)."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.calls import qa
from soporte.calls.models import Call, Callback, CallEvent, CallState, Hold, Transfer, Verdict

pytestmark = pytest.mark.django_db
S = dt.timedelta(seconds=1)


@pytest.fixture
def blanca(personas):
    return personas.agent.agent


def _talking(pbx, now, agent, call_id="q", **extra):
    pbx.post(event="newCall", **{"from": "5255501234"}, to="100", direction="in", callId=call_id, at=now, **extra)  # fmt: skip
    pbx.post(event="answer", callId=call_id, answeringNumber=str(agent.pk), at=now + 6 * S)


def _score(call_id: str, now) -> dict[str, tuple[str, str]]:
    call = Call.objects.get(call_id=call_id)
    card = qa.score_call(call=call, now=now)
    return {ln.rule: (ln.verdict, ln.evidence) for ln in card.lines.all()}


def test_the_ivr_gives_the_callers_name_on_the_new_call(pbx, now, blanca):
    _talking(pbx, now, blanca, callerName="Roberto Sánchez")
    pbx.post(event="hangup", callId="q", initiator="caller", at=now + 90 * S)
    assert Call.objects.get(call_id="q").caller_name == "Roberto Sánchez"
    assert _score("q", now + 91 * S)["T3"] == (Verdict.PASSED, "nombre anotado: Roberto Sánchez")


def test_the_agent_types_the_name_later_and_it_is_stored(pbx, now, blanca):
    _talking(pbx, now, blanca)
    assert Call.objects.get(call_id="q").caller_name == ""
    response = pbx.post(event="hold", callId="q", reason="reviso", choice="wait", callerName="Ana Ruiz", at=now + 20 * S)  # fmt: skip
    assert response.status_code == 200
    assert Call.objects.get(call_id="q").caller_name == "Ana Ruiz"


def test_a_too_long_name_is_refused_and_nothing_changes(pbx, now, blanca):
    _talking(pbx, now, blanca)
    response = pbx.post(event="unhold", callId="q", callerName="x" * 300, at=now + 9 * S)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "field_too_long"
    assert Call.objects.get(call_id="q").caller_name == ""


@pytest.mark.parametrize(("told", "verdict"), [(True, Verdict.PASSED), (False, Verdict.FAILED)])
def test_a_cti_transfer_carries_whether_the_caller_was_told(pbx, now, blanca, make_agent, told, verdict):  # fmt: skip
    gabriela = make_agent("gabriela.ruiz", level=2, first_name="Gabriela", last_name="Ruiz")
    _talking(pbx, now, blanca)
    pbx.post(
        event="transfer",
        callId="q",
        type="attended",
        target=str(gabriela.pk),
        answered=True,
        consultSeconds=20,
        callerTold=told,
        reason="necesita nivel 2",
        at=now + 40 * S,
    )
    transfer = Transfer.objects.get(call__call_id="q")
    assert (transfer.announced, transfer.reason) == (told, "necesita nivel 2")
    pbx.post(event="hangup", callId="q", initiator="caller", at=now + 90 * S)
    assert _score("q", now + 91 * S)["T4"][0] == verdict


def test_a_callback_chosen_without_a_hold_is_recorded(pbx, now, blanca):
    _talking(pbx, now, blanca, callerName="Roberto Sánchez")
    due = now + dt.timedelta(hours=2)
    body = {"event": "callback", "callId": "q", "reason": "reiniciar el servidor", "callbackAt": due.isoformat()}  # fmt: skip
    assert pbx.post(**body, at=now + 30 * S).status_code == 200
    assert pbx.post(**body, at=now + 31 * S).status_code == 200  # a retry changes nothing
    callback = Callback.objects.get(call__call_id="q")
    assert (callback.agent, callback.due_at, callback.phone) == (blanca, due, "5255501234")
    assert callback.caller_name == "Roberto Sánchez"
    assert callback.reason == "reiniciar el servidor"
    assert not Hold.objects.exists()
    assert Call.objects.get(call_id="q").state == CallState.TALKING
    assert CallEvent.objects.filter(kind="callback").count() == 1
    pbx.post(event="hangup", callId="q", initiator="caller", at=now + 60 * S)
    lines = _score("q", now + 61 * S)
    assert lines["H2"] == (Verdict.PASSED, "eligió que le devolvieran la llamada")
    assert lines["H1"][0] == Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "callback_time_required"),
        ({"callbackAt": "mañana"}, "invalid_timestamp"),
        ({"callbackAt": "2000-01-01T10:00:00Z"}, "callback_in_past"),
    ],
)
def test_a_bad_callback_is_refused_with_a_code(pbx, now, blanca, fields, code):
    _talking(pbx, now, blanca)
    response = pbx.post(event="callback", callId="q", at=now + 30 * S, **fields)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert not Callback.objects.exists()
