"""A minimal WSGI->ASGI bridge that costs ONE thread hop per request.

a2wsgi.WSGIMiddleware hands every piece of the response (start, each body
chunk, the final empty chunk) from the worker thread back to the event loop
with `run_coroutine_threadsafe(...).result()`, i.e. >= 3 blocking cross-thread
round trips per request.  This bridge instead:

  1. reads the whole request body on the event loop (spooled to disk above
     1 MiB, so uploads do not sit in RAM),
  2. runs the Django WSGI app in a worker thread and collects status, headers
     and the body there,
  3. sends the response from the event loop.

Streaming responses (Django's StreamingHttpResponse / FileResponse, marked by
`response.streaming`) are not buffered: their chunks are pulled one by one
from the worker pool.

Only here to measure whether the bridge matters (setup c-thin in RESULTS.md).
"""

import asyncio
import contextvars
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ

_DONE = object()
SPOOL_MAX = 1024 * 1024


class BufferedWSGIMiddleware:
    def __init__(self, app, workers: int = 1):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="WSGI")

    async def __call__(self, scope, receive, send):
        assert scope["type"] == "http"
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                return
            chunk = message.get("body", b"")
            if chunk:
                body.write(chunk)
            more = message.get("more_body", False)
        body.seek(0)
        environ = build_environ(scope, body)
        environ["wsgi.errors"] = sys.stderr
        loop = asyncio.get_running_loop()
        ctx = contextvars.copy_context()
        try:
            status, headers, payload, stream = await loop.run_in_executor(
                self.executor, ctx.run, self._call_app, environ
            )
        finally:
            body.close()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if stream is None:
            await send({"type": "http.response.body", "body": payload})
            return
        try:
            if payload:
                await send({"type": "http.response.body", "body": payload, "more_body": True})
            while True:
                chunk = await loop.run_in_executor(self.executor, next, stream, _DONE)
                if chunk is _DONE:
                    break
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                await loop.run_in_executor(self.executor, close)

    def _call_app(self, environ):
        state = {}
        written = []

        def start_response(status, response_headers, exc_info=None):
            if exc_info is not None and "status" in state:
                raise exc_info[1].with_traceback(exc_info[2])
            state["status"] = int(status.split(" ", 1)[0])
            state["headers"] = [
                (k.strip().lower().encode("latin1"), v.strip().encode("latin1"))
                for k, v in response_headers
            ]
            return written.append

        iterable = self.app(environ, start_response)
        if getattr(iterable, "streaming", False):
            # Django streaming response: do not buffer, hand the iterator over.
            return state["status"], state["headers"], b"".join(written), iter(iterable)
        try:
            for chunk in iterable:
                if chunk:
                    written.append(chunk)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        return state["status"], state["headers"], b"".join(written), None
