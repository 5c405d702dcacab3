"""The wallboard's agents and its calls agree: an agent is "En llamada" exactly when a live
call of theirs is listed (talking or on hold)."""

from __future__ import annotations

import pytest

from soporte.calls import services
from soporte.directory.models import Agent, Presence

pytestmark = pytest.mark.django_db


def _state(body: str, agent: Agent) -> str:
    row = body.split(f'data-agent="{agent.pk}"', 1)[1].split("</li>", 1)[0]
    return row.split('class="presence ', 1)[1].split('"', 1)[0]


def test_an_agent_marked_on_call_without_a_live_call_shows_available(personas, make_agent):
    idle = make_agent("carla.mena", level=1, first_name="Carla")
    Agent.objects.filter(pk=idle.pk).update(presence=Presence.ON_CALL)  # left behind
    body = personas.client("supervisor").get("/llamadas/tablero/").content.decode()
    assert _state(body, idle) == Presence.AVAILABLE
    assert "En llamada" not in body.split('id="agents-title"', 1)[1]


def test_an_agent_with_a_live_call_is_on_call_and_the_call_is_listed(personas, now):
    blanca = personas.agent.agent
    call = services.register_ringing(actor=personas.agent, number="5550001111", now=now)
    services.answer_call(actor=personas.agent, call=call, now=now)
    body = personas.client("supervisor").get("/llamadas/tablero/").content.decode()
    assert _state(body, blanca) == Presence.ON_CALL
    talking = body.split('id="talking-title"', 1)[1].split("</section>", 1)[0]
    assert f'data-call="{call.pk}"' in talking
