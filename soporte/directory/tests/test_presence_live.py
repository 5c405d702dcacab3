"""Presence changes reach the agents page live; customers cannot listen in."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from soporte.directory import services
from soporte.directory.models import Agent, Presence
from soporte.routing import websocket_urlpatterns

app = URLRouter(websocket_urlpatterns)


def communicator_for(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, "/ws/presence/")
    communicator.scope["user"] = user
    return communicator


@pytest.mark.django_db(transaction=True)
def test_staff_receive_presence_changes_after_commit(personas, settings, now):
    settings.RELAY_SOCKET = ""
    agent = Agent.objects.get(user=personas.agent)

    async def scenario() -> dict:
        communicator = communicator_for(personas.supervisor)
        connected, _ = await communicator.connect()
        assert connected
        await database_sync_to_async(services.set_presence)(
            agent=agent, presence=Presence.ON_CALL, now=now
        )
        message = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return message

    message = asyncio.run(scenario())

    assert message == {"agent_id": agent.pk, "presence": "on_call", "label": "En llamada"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["customer_a", "anonymous"])
def test_customers_and_anonymous_cannot_subscribe(personas, who):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else getattr(personas, who)

    async def scenario() -> bool:
        communicator = communicator_for(user)
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    assert asyncio.run(scenario()) is False


def test_unknown_presence_is_refused(personas, now):
    agent = Agent.objects.get(user=personas.agent)
    with pytest.raises(services.DomainError):
        services.set_presence(agent=agent, presence="de vacaciones", now=now)
