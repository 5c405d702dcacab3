"""The supervisors' wallboard: ringing calls with their rings, holds with their timers,
transfers in progress, agents' states and today's figures; every call event reaches it."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from soporte.calls import services
from soporte.lib import clock
from soporte.routing import websocket_urlpatterns

S = dt.timedelta(seconds=1)
app = URLRouter(websocket_urlpatterns)


@pytest.mark.django_db
def test_the_wallboard_shows_live_calls_transfers_agents_and_figures(
    personas, now, monkeypatch, make_agent
):
    maria = make_agent("maria.lopez", level=2, first_name="María", last_name="López")
    ringing = services.register_ringing(actor=personas.agent, number="5559990000", now=now)
    talking = services.register_ringing(actor=maria.user, number="5558880000", now=now)
    talking = services.answer_call(actor=maria.user, call=talking, now=now + 3 * S)
    services.record_caller(actor=maria.user, call=talking, caller_name="Elena", now=now + 4 * S)
    monkeypatch.setattr(clock, "now", lambda: now + 12 * S)

    body = personas.client("supervisor").get("/llamadas/tablero/").content.decode()

    assert f'data-call="{ringing.pk}"' in body
    assert "data-ring-started" in body and 'data-ring-period="5.0"' in body
    # 12 s on the Mexican cadence (5 s): the third ring, shown late (T1).
    assert 'class="rings ring-late"' in body
    assert "timbre 3" in body
    assert "Elena" in body
    assert "María López" in body
    assert "Contestadas antes del 3.er timbre (T1)" in body
    assert "100 %" in body  # the one answered call rang once


@pytest.mark.django_db
def test_the_wallboard_partial_for_htmx(personas):
    response = personas.client("agent").get("/llamadas/tablero/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board">')
    assert "<html" not in body


@pytest.mark.django_db(transaction=True)
def test_every_call_event_reaches_the_wallboard(personas, now, settings):
    settings.RELAY_SOCKET = ""

    async def scenario() -> dict:
        communicator = WebsocketCommunicator(app, "/ws/llamadas/tablero/")
        communicator.scope["user"] = personas.supervisor
        connected, _ = await communicator.connect()
        assert connected
        await database_sync_to_async(services.register_ringing)(
            actor=personas.agent, number="5550001111", now=now
        )
        message = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return message

    message = asyncio.run(scenario())

    assert message["type"] == "call.event"
    assert message["event"] == "newCall"
    assert message["ring_period"] == 5.0
    assert message["started_at"] == now.isoformat()
