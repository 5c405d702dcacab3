"""Setups (c)/(d): one ASGI app on one port.

  scope "http"      -> Django's *WSGI* handler in a thread pool (a2wsgi, or the
                       one-hop bridge in thinwsgi.py when SERVBENCH_BRIDGE=thin)
  scope "websocket" -> Channels URLRouter (echo consumer at /ws/echo)
  scope "lifespan"  -> answered here (startup/shutdown complete)

Env: SERVBENCH_WSGI_THREADS (default 1) = worker threads of the bridge per
process; SERVBENCH_BRIDGE = a2wsgi (default) | thin.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servbench.settings")

from django.core.wsgi import get_wsgi_application

django_wsgi = get_wsgi_application()  # runs django.setup() before Channels imports

from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import EchoConsumer  # noqa: E402

THREADS = int(os.environ.get("SERVBENCH_WSGI_THREADS", "1"))
BRIDGE = os.environ.get("SERVBENCH_BRIDGE", "a2wsgi")

if BRIDGE == "thin":
    from .thinwsgi import BufferedWSGIMiddleware

    http_app = BufferedWSGIMiddleware(django_wsgi, workers=THREADS)
else:
    from a2wsgi import WSGIMiddleware

    http_app = WSGIMiddleware(django_wsgi, workers=THREADS)

# In the product this would be wrapped in AllowedHostsOriginValidator(AuthMiddlewareStack(...)).
websocket_app = URLRouter([path("ws/echo", EchoConsumer.as_asgi())])


# a2wsgi reads the request body from its worker thread with
# run_coroutine_threadsafe(receive(), loop), which needs a real coroutine; granian's
# receive() returns another kind of awaitable, so without this wrapper every request
# body (POST) fails under granian. SERVBENCH_RECEIVE_FIX=0 shows the failure.
RECEIVE_FIX = BRIDGE == "a2wsgi" and os.environ.get("SERVBENCH_RECEIVE_FIX", "1") == "1"


def _as_coroutine(receive):
    async def receive_coroutine():
        return await receive()

    return receive_coroutine


async def application(scope, receive, send):
    kind = scope["type"]
    if kind == "http":
        await http_app(scope, _as_coroutine(receive) if RECEIVE_FIX else receive, send)
    elif kind == "websocket":
        await websocket_app(scope, receive, send)
    elif kind == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                http_app.executor.shutdown(wait=False)
                await send({"type": "lifespan.shutdown.complete"})
                return
    else:
        raise ValueError(f"unsupported ASGI scope type {kind!r}")
