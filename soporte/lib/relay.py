"""A local relay that carries live events between the server's worker processes.

`soporte run` serves HTTP and websockets from several worker processes. With Redis
(REDIS_URL) the channel layer crosses processes by itself; without it this relay does, so
one command runs the product with nothing else installed:

- the supervisor runs `serve_relay()` on a Unix socket;
- every process that holds websocket consumers subscribes once, and re-delivers what it
  receives to its local consumers (an in-memory layer);
- any process (a web worker thread, the background worker) publishes a group message with
  one framed write on a blocking socket.

Frames are a 4-byte big-endian length followed by a JSON object
`{"group": str, "message": dict}`; a subscriber first sends the frame `{"subscribe": true}`.
Nothing is stored: live events are hints for screens, never the record (the database is).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
import threading
from typing import Any

from channels.layers import InMemoryChannelLayer
from django.conf import settings

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 20


def encode_frame(payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return _HEADER.pack(len(body)) + body


async def read_body(reader: asyncio.StreamReader) -> bytes:
    """One frame's JSON body, undecoded."""
    header = await reader.readexactly(_HEADER.size)
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ValueError("relay frame too large")
    return await reader.readexactly(length)


async def read_frame(reader: asyncio.StreamReader) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(await read_body(reader))
    return result


def _is_subscription(body: bytes) -> bool:
    # A subscription is a tiny frame; published events are forwarded without decoding.
    return len(body) < 64 and b"subscribe" in body and bool(json.loads(body).get("subscribe"))


async def serve_relay(path: str, ready: threading.Event | None = None) -> None:
    """Fan every published frame out to every subscriber. Runs until cancelled."""
    subscribers: set[asyncio.StreamWriter] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                body = await read_body(reader)
                if _is_subscription(body):
                    subscribers.add(writer)
                    writer.write(encode_frame({"subscribed": True}))
                    continue
                if not subscribers:
                    continue
                data = _HEADER.pack(len(body)) + body  # as received: no decode, no encode
                for sub in list(subscribers):
                    try:
                        sub.write(data)
                    except (ConnectionError, RuntimeError):
                        subscribers.discard(sub)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):  # incl. bad JSON
            pass
        finally:
            subscribers.discard(writer)
            writer.close()

    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = await asyncio.start_unix_server(handle, path=path)
    os.chmod(path, 0o600)
    if ready is not None:
        ready.set()
    async with server:
        await server.serve_forever()


def start_relay_thread(path: str) -> threading.Thread:
    """Run the relay in a daemon thread of the calling process (the supervisor)."""
    ready = threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(serve_relay(path, ready)), name="soporte-relay", daemon=True
    )
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the live-event relay did not start")
    return thread


class _Publisher(threading.local):
    sock: socket.socket | None = None


class RelayChannelLayer(InMemoryChannelLayer):
    """In-memory layer for this process's consumers, plus the relay for group messages."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._publisher = _Publisher()
        self._subscribed_loops: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Set once the relay has acknowledged this process's subscription.
        self.subscribed: asyncio.Event | None = None
        # The event loop keeps only weak references to tasks: hold ours, or the
        # subscription is garbage-collected and live events silently stop.
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def relay_path(self) -> str:
        return str(getattr(settings, "RELAY_SOCKET", "") or "")

    # Publishing -------------------------------------------------------------------

    def publish_sync(self, group: str, message: dict[str, Any]) -> None:
        """Send a group message from synchronous code (a web request, the worker)."""
        if self.relay_path:
            self._write_frame({"group": group, "message": message})
        elif self._loop is not None and self._loop.is_running():
            # Same process as the consumers (tests, runserver): hand over to their loop.
            asyncio.run_coroutine_threadsafe(self._deliver(group, message), self._loop)

    def _write_frame(self, payload: dict[str, Any]) -> None:
        data = encode_frame(payload)
        for attempt in range(2):
            sock = self._publisher.sock
            try:
                if sock is None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.settimeout(2)
                    sock.connect(self.relay_path)
                    self._publisher.sock = sock
                sock.sendall(data)
                return
            except OSError:
                if sock is not None:
                    sock.close()
                self._publisher.sock = None
                if attempt:
                    log.warning("live event to %s dropped: relay unreachable", payload["group"])

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.relay_path:
            await asyncio.get_running_loop().run_in_executor(
                None, self._write_frame, {"group": group, "message": message}
            )
        else:
            await self._deliver(group, message)

    async def _deliver(self, group: str, message: dict[str, Any]) -> None:
        await InMemoryChannelLayer.group_send(self, group, message)

    # Subscribing ------------------------------------------------------------------

    async def group_add(self, group: str, channel: str) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        await super().group_add(group, channel)
        if self.relay_path and id(loop) not in self._subscribed_loops:
            self._subscribed_loops.add(id(loop))
            self.subscribed = asyncio.Event()
            self._tasks.add(loop.create_task(self._subscribe_forever(self.subscribed)))

    async def _subscribe_forever(self, subscribed: asyncio.Event) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(self.relay_path)
                writer.write(encode_frame({"subscribe": True}))
                await writer.drain()
                while True:
                    body = await read_body(reader)
                    try:
                        frame = json.loads(body)
                    except ValueError:  # the relay forwards bodies undecoded: skip a bad one
                        log.warning("relay: dropped a malformed frame (%d bytes)", len(body))
                        continue
                    if frame.get("subscribed"):
                        subscribed.set()
                        continue
                    await self._deliver(frame["group"], frame["message"])
            except (OSError, asyncio.IncompleteReadError, ValueError):
                await asyncio.sleep(0.5)
