"""The CTI endpoint: `POST /api/v1/cti/{token}` (Zammad mode) and `POST /api/v1/cti` (signed).

Two doors, one room. Under `soporte run` the ASGI server answers CTI posts itself
(`asgi_endpoint`): it parses the body on the event loop and hands the event to this process's
batch writer, a thread that applies every event waiting at that moment in one transaction and
answers each sender after the commit (group commit: a burst costs one fsync, not one each).
Everywhere else (the Django test client, a WSGI deployment) the Django view `handle_request`
applies the event by itself. Both go through `process()`, so the rules are the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.calls import services
from soporte.calls.events import (
    KEY_HEADER,
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    SIGNATURE_WINDOW_SECONDS,
    TIMESTAMP_HEADER,
    CtiAuthError,
    CtiError,
    CtiEvent,
    check_signature,
    parse_event,
    token_hash,
)
from soporte.calls.models import EventSource, PhoneLine, SignedNonce
from soporte.lib import live
from soporte.lib.errors import DomainError
from soporte.lib.writelock import writers_take_turns

log = logging.getLogger(__name__)

PREFIX = "/api/v1/cti"
LINE_CACHE_SECONDS = 5.0
MAX_BATCH = 512


def error_body(exc: DomainError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": str(exc.message), "details": exc.details}}


# --- Parsing (pure) --------------------------------------------------------------------------


def parse_body(content_type: str, body: bytes) -> CtiEvent:
    """JSON (Zammad's recommendation) or form-urlencoded with repeated `user[]`."""
    if len(body) > MAX_BODY_BYTES:
        raise CtiError(_("El cuerpo de la petición es demasiado grande."), code="too_large")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" or (not kind and body[:1] == b"{"):
        try:
            data = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise CtiError(_("El cuerpo no es JSON válido."), code="invalid_json") from None
        if not isinstance(data, dict):
            raise CtiError(_("Se esperaba un objeto JSON."), code="invalid_json")
        return parse_event(data)
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise CtiError(_("El formulario no está en UTF-8."), code="invalid_form") from None
        users = fields.pop("user[]", []) + fields.pop("user", [])
        return parse_event({k: v[-1] for k, v in fields.items()}, form_users=users)
    raise CtiError(
        _("Tipo de contenido no admitido: %(type)s.") % {"type": kind},
        code="unsupported_media_type",
    )


# --- Authentication and processing (database, in one thread) --------------------------------


class _LineCache:
    """Lines by token hash and by key id, re-read every few seconds (revocation applies fast)."""

    def __init__(self) -> None:
        self._lines: dict[str, tuple[float, PhoneLine | None]] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, value: str) -> PhoneLine | None:
        cache_key = f"{kind}:{value}"
        moment = time.monotonic()
        with self._lock:
            hit = self._lines.get(cache_key)
        if hit and hit[0] > moment:
            return hit[1]
        query = PhoneLine.objects.filter(active=True, is_console=False)
        line = (
            query.filter(token_hash=value).first()
            if kind == "token"
            else query.filter(key_id=value).exclude(hmac_secret="").first()
        )
        with self._lock:
            if len(self._lines) > 10_000:
                self._lines.clear()
            self._lines[cache_key] = (moment + LINE_CACHE_SECONDS, line)
        return line

    def clear(self) -> None:
        with self._lock:
            self._lines.clear()


LINES = _LineCache()


@dataclass
class Request:
    """One CTI post as received."""

    token: str | None
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    event: CtiEvent | None
    error: DomainError | None
    received_at: dt.datetime
    content_type: str = "application/json"


def authenticate(req: Request, *, now: dt.datetime) -> tuple[PhoneLine, str]:
    """The line and, in signed mode, the signature digest (the replay key)."""
    if req.token is not None:
        line = LINES.get("token", token_hash(req.token)) if req.token else None
        if line is None:
            raise CtiAuthError("Invalid token, please contact your admin!", code="invalid_token")
        if line.signed_only:
            raise CtiAuthError(
                _("Esta línea solo acepta peticiones firmadas."), code="signature_required"
            )
        return line, ""
    key = req.headers.get(KEY_HEADER, "")
    timestamp = req.headers.get(TIMESTAMP_HEADER, "")
    signature = req.headers.get(SIGNATURE_HEADER, "")
    if not (key and timestamp and signature):
        raise CtiAuthError(
            _("Faltan las cabeceras de firma (X-Soporte-Key, -Timestamp, -Signature)."),
            code="signature_required",
        )
    line = LINES.get("key", key)
    if line is None:
        raise CtiAuthError(_("Clave desconocida."), code="unknown_key")
    digest = check_signature(
        secret=line.hmac_secret, timestamp=timestamp, signature=signature, body=req.body, now=now
    )
    return line, digest


def process(requests: list[Request], *, now: dt.datetime) -> list[tuple[int, dict[str, Any]]]:
    """Authenticate, refuse replays, apply the batch; one (status, body) per request, in order.

    Returns only after the transaction has committed: every 2xx is on disk.
    """
    answers: list[tuple[int, dict[str, Any]] | None] = [None] * len(requests)
    pending: list[tuple[int, services.Submission, str]] = []
    for i, req in enumerate(requests):
        if req.error is not None:
            answers[i] = (req.error.status, error_body(req.error))
            continue
        try:
            line, digest = authenticate(req, now=now)
        except DomainError as exc:
            answers[i] = (exc.status, error_body(exc))
            continue
        assert req.event is not None
        pending.append(
            (
                i,
                services.Submission(
                    line=line, event=req.event, source=EventSource.CTI, received_at=req.received_at
                ),
                digest,
            )
        )
    if pending:
        with transaction.atomic():
            accepted = _refuse_replays(pending, answers, now=now)
            outcomes = services.apply_events([sub for _i, sub, _d in accepted], now=now)
        for (i, _sub, _digest), outcome in zip(accepted, outcomes, strict=True):
            if outcome.error is not None:
                answers[i] = (outcome.error.status, error_body(outcome.error))
            else:
                answers[i] = (200, outcome.reply)
    return [a if a is not None else (500, {}) for a in answers]


def _refuse_replays(
    pending: list[tuple[int, services.Submission, str]],
    answers: list[tuple[int, dict[str, Any]] | None],
    *,
    now: dt.datetime,
) -> list[tuple[int, services.Submission, str]]:
    signed = [(i, sub, d) for i, sub, d in pending if d]
    if not signed:
        return pending
    seen = set(
        SignedNonce.objects.filter(digest__in=[d for _i, _s, d in signed]).values_list(
            "line_id", "digest"
        )
    )
    accepted = []
    fresh: list[SignedNonce] = []
    for i, sub, digest in pending:
        if digest and (sub.line.pk, digest) in seen:
            exc = CtiAuthError(_("Petición repetida (posible reenvío)."), code="replay")
            answers[i] = (exc.status, error_body(exc))
            continue
        if digest:
            seen.add((sub.line.pk, digest))
            fresh.append(SignedNonce(line=sub.line, digest=digest, seen_at=now))
        accepted.append((i, sub, digest))
    SignedNonce.objects.bulk_create(fresh)
    return accepted


def prune_nonces(*, now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(seconds=2 * SIGNATURE_WINDOW_SECONDS)
    deleted, _detail = SignedNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def make_request(
    *, token: str | None, headers: Mapping[str, str], body: bytes, content_type: str
) -> Request:
    received_at = timezone.now()
    try:
        event = parse_body(content_type, body)
        return Request(token, headers, body, event, None, received_at, content_type)
    except DomainError as exc:
        return Request(token, headers, body, None, exc, received_at, content_type)


# --- The batch writer (one thread per server process) -----------------------------------------


@dataclass
class _Item:
    request: Request
    future: asyncio.Future[tuple[int, dict[str, Any]]]
    loop: asyncio.AbstractEventLoop


class BatchWriter:
    """Applies every waiting event in one transaction, then answers each sender."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, request: Request) -> asyncio.Future[tuple[int, dict[str, Any]]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, dict[str, Any]]] = loop.create_future()
        self._ensure_thread(loop)
        self._queue.put(_Item(request, future, loop))
        return future

    def _ensure_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(loop,), name="cti-writer", daemon=True
                )
                self._thread.start()

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        live.publish_from_thread_via(loop)
        while True:
            items = [self._queue.get()]
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with writers_take_turns():
                    results = process([item.request for item in items], now=timezone.now())
            except Exception:
                log.exception("CTI batch of %d failed", len(items))
                close_old_connections()
                exc = DomainError(_("Error interno al guardar el evento."), code="internal_error")
                results = [(503, error_body(exc))] * len(items)
            # One wake-up of each event loop per batch, not one per event.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any]]] = {}
            for item, result in zip(items, results, strict=True):
                by_loop.setdefault(item.loop, []).append((item.future, result))
            for loop, answers in by_loop.items():
                loop.call_soon_threadsafe(_resolve_all, answers)


def _resolve(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _resolve_all(answers: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, result in answers:
        _resolve(future, result)


WRITER = BatchWriter()
_chosen_writer: Any = None


def current_writer() -> Any:
    """The writer process of `soporte run` when there is one, else this process's own."""
    global _chosen_writer
    if _chosen_writer is None:
        path = getattr(settings, "CTI_WRITER_SOCKET", "")
        if path:
            from soporte.calls.writer import RemoteWriter

            _chosen_writer = RemoteWriter(path, WRITER)
        else:
            _chosen_writer = WRITER
    return _chosen_writer


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
