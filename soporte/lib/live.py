"""Push live events to websocket consumers, only after the transaction that caused them commits."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from soporte.lib.relay import RelayChannelLayer


def broadcast(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, RelayChannelLayer):
        layer.publish_sync(group, event)
    else:
        async_to_sync(layer.group_send)(group, event)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    """A screen never announces a change that rolled back."""
    transaction.on_commit(lambda: broadcast(group, event))
