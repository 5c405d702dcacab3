"""An agent's console hears every CTI event of a burst, one message each, in order."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from soporte.calls import cti
from soporte.calls.tests.conftest import TOKEN
from soporte.lib import refcache
from soporte.routing import websocket_urlpatterns

app = URLRouter(websocket_urlpatterns)


def _request(body: dict) -> cti.Request:
    return cti.make_request(
        token=TOKEN, headers={}, body=json.dumps(body).encode(), content_type="application/json"
    )


@pytest.mark.django_db(transaction=True)
def test_a_burst_for_one_agent_reaches_the_console_event_by_event(line, personas, now, settings):
    settings.RELAY_SOCKET = ""
    refcache.forget_all()
    calls = [f"burst-{n}" for n in range(5)]
    bodies = [
        {
            "event": "newCall",
            "callId": call_id,
            "from": f"555000{n:04d}",
            "to": "5255509999",
            "direction": "in",
            "user": ["Blanca Herrera"],
        }
        for n, call_id in enumerate(calls)
    ]
    bodies.append(
        {"event": "answer", "callId": "burst-0", "direction": "in", "user": "Blanca Herrera"}
    )

    async def scenario() -> tuple[list, list]:
        console = WebsocketCommunicator(app, "/ws/llamadas/consola/")
        console.scope["user"] = personas.agent
        connected, _ = await console.connect()
        assert connected
        results = await database_sync_to_async(cti.process)([_request(b) for b in bodies], now=now)
        messages = [await console.receive_json_from(timeout=3) for _ in bodies]
        assert await console.receive_nothing(timeout=0.2)
        await console.disconnect()
        return results, messages

    results, messages = asyncio.run(scenario())

    assert results == [(200, {})] * len(bodies)
    assert [m["type"] for m in messages] == ["call.event"] * len(bodies)
    assert [(m["call_id"], m["event"]) for m in messages] == [
        *((call_id, "newCall") for call_id in calls),
        ("burst-0", "answer"),
    ]
    assert all(m["id"] for m in messages)
