"""The fast door of the CTI endpoint, in the ASGI server (`soporte/asgi.py`).

A CTI post is parsed on the event loop (`cti.make_request`) and handed to a batch writer
(`writer.current_writer()`): no thread hop per request, one commit per burst. Multipart
bodies, rare, go to Django (the API view), which applies the same rules (`cti.process`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.utils.translation import gettext as _

from soporte.calls.cti import error_body, make_request
from soporte.calls.events import MAX_BODY_BYTES, CtiError
from soporte.calls.writer import current_writer

PREFIX = "/api/v1/cti"

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def is_cti_request(scope: dict[str, Any]) -> bool:
    path: str = scope.get("path", "")
    return scope.get("method") == "POST" and (
        path.rstrip("/") == PREFIX or path.startswith(PREFIX + "/")
    )


async def asgi_endpoint(
    scope: dict[str, Any],
    receive: Receive,
    send: Send,
    fallback: Callable[[dict[str, Any], Receive, Send], Awaitable[None]],
) -> None:
    """The fast door: no thread hop per request, one commit per burst."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    content_type = headers.get("content-type", "")
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            await _respond(
                send,
                413,
                error_body(
                    CtiError(_("El cuerpo de la petición es demasiado grande."), code="too_large")
                ),
            )
            return
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        # Rare (some PBX scripts post multipart): Django's parser handles it.
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await fallback(scope, replay, send)
        return
    rest = scope["path"][len(PREFIX) :].strip("/")
    token = rest if rest else None
    request = make_request(token=token, headers=headers, body=body, content_type=content_type)
    if request.error is not None:
        await _respond(send, request.error.status, error_body(request.error))
        return
    status, payload = await current_writer().submit(request)
    await _respond(send, status, payload)


async def _respond(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
