"""Live call screens: an agent's console and the supervisors' wallboard.

Services publish after commit to `calls.agent.<id>` (screen-pops, transfer offers, callbacks;
a CTI burst's events for one agent as one `call.events` message) and to `calls.wallboard`
(every call change). Consumers only forward; the database is the record.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from soporte.calls.services import WALLBOARD_GROUP, console_group
from soporte.directory.models import Agent


@database_sync_to_async
def _agent_id(user: Any) -> int | None:
    return Agent.objects.filter(user=user).values_list("pk", flat=True).first()


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    """One agent's console: only that agent's calls and offers."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        agent_id = (
            await _agent_id(user) if user and user.is_authenticated and user.is_desk_staff else None
        )
        if agent_id is None:
            await self.close(code=4403)
            return
        self.group = console_group(agent_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def forward(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def call_events(self, event: dict[str, Any]) -> None:
        """A burst's events for this agent, in one group message: the browser gets each
        `call.event` on its own, in order, as if they had come one by one."""
        for each in event["events"]:
            await self.send_json(each)

    call_event = forward
    transfer_offer = forward
    transfer_accepted = forward
    transfer_connected = forward
    transfer_cancelled = forward
    callback_scheduled = forward


class WallboardConsumer(AsyncJsonWebsocketConsumer):
    """Supervisors (and the desk's staff) watch every live call."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_desk_staff):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(WALLBOARD_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(WALLBOARD_GROUP, self.channel_name)

    async def forward(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    call_event = forward
    call_recorded = forward
    transfer_changed = forward
