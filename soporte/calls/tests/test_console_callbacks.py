"""H2: a caller who prefers a callback lands in the task list of the agent who took the call
(the console's panel and the callbacks page), never in another agent's; "hecho" closes it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from soporte.calls import services
from soporte.calls.models import Callback
from soporte.lib import clock

pytestmark = pytest.mark.django_db
S = dt.timedelta(seconds=1)


@pytest.fixture
def callback(personas, now, monkeypatch) -> Callback:
    monkeypatch.setattr(clock, "now", lambda: now + 60 * S)
    call = services.register_ringing(actor=personas.agent, number="5550001111", now=now)
    call = services.answer_call(actor=personas.agent, call=call, now=now + 2 * S)
    services.record_caller(actor=personas.agent, call=call, caller_name="Roberto", now=now + 5 * S)
    services.place_on_hold(
        actor=personas.agent,
        call=call,
        reason="consultar al proveedor",
        choice="callback",
        callback_at=now + dt.timedelta(hours=2),
        now=now + 10 * S,
    )
    return Callback.objects.get()


def test_the_callback_is_in_the_agents_console_and_page(personas, callback):
    client = personas.client("agent")
    console = client.get("/llamadas/consola/").content.decode()
    page = client.get("/llamadas/devoluciones/").content.decode()

    for body in (console, page):
        assert f'data-callback="{callback.pk}"' in body
        assert "Roberto" in body
        assert "consultar al proveedor" in body


def test_another_agent_does_not_see_it_nor_can_close_it(personas, callback, make_agent):
    other = Client()
    other.force_login(make_agent("rodrigo.villalobos", first_name="Rodrigo").user)

    console = other.get("/llamadas/consola/").content.decode()
    page = other.get("/llamadas/devoluciones/").content.decode()
    response = other.post(f"/llamadas/devoluciones/{callback.pk}/hecho/", {"result": "x"})

    assert f'data-callback="{callback.pk}"' not in console
    assert f'data-callback="{callback.pk}"' not in page
    assert response.status_code == 403
    callback.refresh_from_db()
    assert callback.done_at is None


def test_a_supervisor_sees_the_teams_callbacks(personas, callback):
    page = personas.client("supervisor").get("/llamadas/devoluciones/").content.decode()
    assert "Del equipo" in page
    assert f'data-callback="{callback.pk}"' in page


def test_hecho_completes_the_callback(personas, callback):
    response = personas.client("agent").post(
        f"/llamadas/devoluciones/{callback.pk}/hecho/",
        {"result": "Se resolvió por teléfono", "next": "/llamadas/devoluciones/"},
        follow=True,
    )

    callback.refresh_from_db()
    assert callback.done_at is not None
    assert callback.result == "Se resolvió por teléfono"
    assert "Devolución marcada como hecha." in response.content.decode()
    assert f'data-callback="{callback.pk}"' not in response.content.decode()


def test_a_callback_time_in_the_past_is_refused(personas, now, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: now)
    client = personas.client("agent")
    client.post("/llamadas/consola/sonando/", {"number": "5550001111"})
    call = services.access_call(personas.agent, services.live_calls()[0].pk)  # type: ignore[index]
    client.post(f"/llamadas/{call.pk}/contestar/")

    body = client.post(
        f"/llamadas/{call.pk}/espera/",
        {"reason": "x", "choice": "callback", "callback_at": "2026-11-23T09:00"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert "La hora de la devolución debe ser futura." in body
    assert Callback.objects.count() == 0
