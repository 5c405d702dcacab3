"""The ASGI entry point: pages and the API at WSGI speed, websockets on the same origin.

Django's own ASGI handler runs every request through thread hops and is 5–10× slower than
WSGI on this class of machine (research/performance.md §2). So HTTP goes to Django's WSGI
handler through a2wsgi's thread pool, and only websockets go through Channels. The choice
is measured in bench/serving/.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")

import django

django.setup()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from soporte.calls import endpoint as cti_endpoint  # noqa: E402
from soporte.routing import websocket_urlpatterns  # noqa: E402

# Everything loaded at start-up stays out of the garbage collector's full passes: shorter pauses
# in the middle of requests (bench/calls: the CTI endpoint's p99).
gc.collect()
gc.freeze()

# How long a thread may hold the GIL while another waits for it; Python's 5 ms unless set.
# A trade-off measured in bench/RESULTS.md ("GIL switch interval"): at 0.5 ms the heavier pages
# serve 10–25 % more requests per second (a2wsgi's hops to the event loop no longer wait behind
# a thread rendering a page), but the CTI endpoint's p99 met its 50 ms bar in 1 run of 5
# instead of 3 of 5. The desk's phones come first, so the default stays.
if switch_ms := os.environ.get("SOPORTE_GIL_SWITCH_MS"):
    sys.setswitchinterval(float(switch_ms) / 1000)

Scope = dict[str, Any]

http_application = WSGIMiddleware(
    get_wsgi_application(),  # type: ignore[arg-type]
    # Two threads per worker (bench/serving/RESULTS.md, quiet machine): as fast as one, and a
    # slow request (an export, an upload) does not stall the worker's other pages.
    workers=int(os.environ.get("SOPORTE_HTTP_THREADS", "2")),
)
websocket_application = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
)


def _as_coroutine(receive: Any) -> Any:
    """a2wsgi hands `receive()` to run_coroutine_threadsafe, which needs a real coroutine;
    granian's receive returns another awaitable, so request bodies (every POST) failed."""

    async def receive_coroutine() -> Any:
        return await receive()

    return receive_coroutine


async def _wsgi(scope: Scope, receive: Any, send: Any) -> None:
    await http_application(scope, _as_coroutine(receive), send)  # type: ignore[arg-type]


async def application(scope: Scope, receive: Any, send: Any) -> None:
    kind = scope["type"]
    if kind == "http" and cti_endpoint.is_cti_request(scope):
        # CTI events skip the thread hop: parsed on the loop, committed in batches.
        await cti_endpoint.asgi_endpoint(scope, receive, send, _wsgi)
    elif kind == "http":
        await http_application(scope, _as_coroutine(receive), send)  # type: ignore[arg-type]
    elif kind == "websocket":
        await websocket_application(scope, receive, send)
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
