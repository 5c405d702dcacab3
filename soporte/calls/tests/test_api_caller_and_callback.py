"""The caller's name and a callback arrive through the REST API too (a softphone, an IVR):
the same rules as the console (T3 on the agent's own live call, H2 a future time)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from soporte.calls.models import Call, Callback
from soporte.calls.tests import test_console_buttons as buttons

pytestmark = pytest.mark.django_db
NUMBER = "5557776655"


@pytest.fixture
def clock_(monkeypatch, now) -> buttons.Clock:
    return buttons.Clock(monkeypatch, now)


def _post(client: Client, path: str, body: dict[str, object]):
    return client.post(path, json.dumps(body), content_type="application/json")


def _answered(personas, clock_: buttons.Clock) -> Call:
    client = personas.client("agent")
    buttons.htmx(client, "/llamadas/consola/sonando/", {"number": NUMBER})
    call = Call.objects.order_by("-id").first()
    assert call is not None
    clock_.advance(3)
    buttons.htmx(client, f"/llamadas/{call.pk}/contestar/")
    return call


def test_the_agent_records_the_callers_name_and_need_through_the_api(personas, clock_):
    call = _answered(personas, clock_)
    client = personas.client("agent")

    response = _post(
        client,
        f"/api/v1/calls/{call.pk}/caller",
        {"need": "La impresora no imprime", "caller_name": " Lucía Méndez "},
    )

    assert response.status_code == 200
    assert response.json()["caller_name"] == "Lucía Méndez"
    call.refresh_from_db()
    assert (call.caller_name, call.need) == ("Lucía Méndez", "La impresora no imprime")
    empty = _post(client, f"/api/v1/calls/{call.pk}/caller", {})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty"


def test_only_the_agent_on_the_call_records_its_caller(personas, clock_):
    call = _answered(personas, clock_)
    other = _post(
        personas.client("supervisor"), f"/api/v1/calls/{call.pk}/caller", {"caller_name": "X"}
    )
    assert other.status_code in (403, 404)
    customer = _post(
        personas.client("customer_a"), f"/api/v1/calls/{call.pk}/caller", {"caller_name": "X"}
    )
    assert customer.status_code == 404
    callback = _post(
        personas.client("customer_b"),
        f"/api/v1/calls/{call.pk}/callback",
        {"due_at": "2030-01-01T10:00:00Z", "reason": "Llamar"},
    )
    assert callback.status_code == 404
    call.refresh_from_db()
    assert call.caller_name == ""
    assert not Callback.objects.exists()


def test_a_callback_chosen_without_a_hold_lands_in_the_agents_list(personas, clock_, now):
    call = _answered(personas, clock_)
    client = personas.client("agent")
    due = now + dt.timedelta(hours=1)

    response = _post(
        client,
        f"/api/v1/calls/{call.pk}/callback",
        {"due_at": due.isoformat(), "reason": "Prefiere que le llamemos"},
    )

    assert response.status_code == 201
    task = Callback.objects.get(pk=response.json()["id"])
    assert (task.call_id, task.phone, task.agent.user) == (call.pk, NUMBER, personas.agent)
    assert not call.holds.exists()  # no hold was needed
    past = _post(
        client,
        f"/api/v1/calls/{call.pk}/callback",
        {"due_at": (now - dt.timedelta(minutes=1)).isoformat(), "reason": "Tarde"},
    )
    assert past.status_code == 422 and past.json()["error"]["code"] == "callback_in_past"
