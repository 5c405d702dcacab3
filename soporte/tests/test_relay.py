"""Live events cross worker processes through the local relay (no Redis needed)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import textwrap

from soporte.lib.relay import RelayChannelLayer, start_relay_thread


def relay(settings) -> tuple[str, RelayChannelLayer]:
    """A relay of its own and a layer that uses it."""
    path = os.path.join(tempfile.mkdtemp(prefix="relay-"), "relay.sock")
    start_relay_thread(path)
    settings.RELAY_SOCKET = path
    return path, RelayChannelLayer()


async def subscribed(layer: RelayChannelLayer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    assert layer.subscribed is not None
    await asyncio.wait_for(layer.subscribed.wait(), timeout=5)
    return channel


def test_a_message_published_in_another_process_reaches_a_subscriber(settings):
    path, layer = relay(settings)

    async def scenario() -> dict:
        channel = await subscribed(layer, "presence")
        publisher = textwrap.dedent(
            f"""
            import django, os
            os.environ["DJANGO_SETTINGS_MODULE"] = "soporte.settings"
            os.environ["SOPORTE_RELAY_SOCKET"] = {path!r}
            django.setup()
            from soporte.lib.live import broadcast
            broadcast("presence", {{"type": "presence.changed", "agent_id": 7}})
            """
        )
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", publisher)
        assert await proc.wait() == 0
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    message = asyncio.run(scenario())

    assert message == {"type": "presence.changed", "agent_id": 7}


def test_publishing_without_a_relay_does_not_fail(settings):
    settings.RELAY_SOCKET = ""
    RelayChannelLayer().publish_sync("presence", {"type": "x"})


def test_an_unreachable_relay_drops_the_hint_but_never_raises(settings, tmp_path):
    settings.RELAY_SOCKET = str(tmp_path / "missing.sock")
    RelayChannelLayer().publish_sync("presence", {"type": "x"})


def test_a_malformed_frame_is_skipped_and_the_next_one_still_arrives(settings):
    """The relay forwards what it receives without decoding it; a subscriber drops a bad
    frame and keeps its subscription."""
    import socket
    import struct

    path, layer = relay(settings)

    async def scenario() -> dict:
        channel = await subscribed(layer, "wallboard")
        with socket.socket(socket.AF_UNIX) as raw:
            raw.connect(path)
            garbage = b"{not json"
            raw.sendall(struct.pack(">I", len(garbage)) + garbage)
        layer.publish_sync("wallboard", {"type": "call.ringing", "rings": 2})
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    assert asyncio.run(scenario()) == {"type": "call.ringing", "rings": 2}
