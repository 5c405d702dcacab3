"""Live presence of agents for the agents page (staff only)."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class PresenceConsumer(AsyncJsonWebsocketConsumer):
    group = "presence"

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_desk_staff):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def presence_changed(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "agent_id": event["agent_id"],
                "presence": event["presence"],
                "label": event["label"],
            }
        )
