"""Push live events to websocket consumers, only after the transaction that caused them commits."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from soporte.lib.relay import RelayChannelLayer


class _ServerLoop(threading.local):
    loop: asyncio.AbstractEventLoop | None = None


_server_loop = _ServerLoop()


def publish_from_thread_via(loop: asyncio.AbstractEventLoop | None) -> None:
    """A worker thread of an async server sends on the server's loop instead of creating
    an event loop per message (the CTI batch writer publishes thousands per second)."""
    _server_loop.loop = loop


def broadcast(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, RelayChannelLayer):
        layer.publish_sync(group, event)
    elif _server_loop.loop is not None and _server_loop.loop.is_running():
        asyncio.run_coroutine_threadsafe(layer.group_send(group, event), _server_loop.loop)
    else:
        async_to_sync(layer.group_send)(group, event)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    """A screen never announces a change that rolled back."""
    transaction.on_commit(lambda: broadcast(group, event))
