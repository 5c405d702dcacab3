"""The CTI batch writers: whoever commits the posts that the ASGI door (`endpoint`) parsed.

Under `soporte run` the web workers parse CTI posts and hand them, over a Unix socket
(`RemoteWriter`), to one writer process (`soporte cti_writer`, `WriterServer`), which commits
each burst in one transaction and answers after the commit. With one writer, a burst from every
worker lands in one batch, no lock is shared between writers, and the writer does not share its
interpreter lock with the event loops that parse the requests (bench/RESULTS.md, "Calls").
Without the writer process (tests, a lone granian), each process commits its own batches in a
thread (`BatchWriter`). Both take a burst off their queue and commit it the same way
(`take_burst`, `commit_burst`).

Frames are the relay's (`soporte.lib.relay`): a 4-byte length and a JSON object. A request is
`{"id", "token", "headers", "event", "content_type", "received_at"}`, plus `"body"` in signed
mode (the signature covers the exact body); the writer answers a batch with one frame per
connection, `{"answers": [[id, status, payload], …]}`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gc
import itertools
import json
import logging
import os
import queue
import socket
import struct
import threading
from typing import Any, BinaryIO, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.calls import cti, services
from soporte.calls.events import CtiEvent
from soporte.lib import compat, live
from soporte.lib.errors import DomainError, is_database_busy
from soporte.lib.relay import MAX_FRAME, encode_frame, read_frame
from soporte.lib.writelock import writers_take_turns

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")
FORWARDED_HEADERS = (cti.KEY_HEADER, cti.TIMESTAMP_HEADER, cti.SIGNATURE_HEADER)
IDLE_SECONDS = 0.2
GC_THRESHOLD = 20_000
# ~1.4 log pages per event: ~350 pages per checkpoint (SQLite's automatic one waits for 1,000).
CHECKPOINT_EVENTS = 256
MAX_BATCH = 512

_Item = TypeVar("_Item")


# --- One burst, the same in every writer ---------------------------------------------------


def take_burst(items: queue.SimpleQueue[_Item], first: _Item) -> list[_Item]:
    """`first` and every item waiting behind it, up to MAX_BATCH."""
    burst = [first]
    while len(burst) < MAX_BATCH:
        try:
            burst.append(items.get_nowait())
        except queue.Empty:
            break
    return burst


def commit_burst(requests: list[cti.Request]) -> list[tuple[int, dict[str, Any]]]:
    """One (status, body) per request, after the burst's commit.

    One bad event must not fail the good ones that share its batch (issue #19, defect 3: a
    lone surrogate that SQLite cannot encode, a NUL PostgreSQL refuses). When a batch fails,
    it is halved and each half committed on its own, in order, until the failing event is
    alone: it gets its own error and every other event is committed and acknowledged. A
    lone event that failed for a reason of its own (its data) is answered 422, which the
    phone system must not resend; a busy or broken database is 503 (not acknowledged, sent
    again)."""
    with writers_take_turns():
        return _commit_isolating(requests)


def _commit_isolating(requests: list[cti.Request]) -> list[tuple[int, dict[str, Any]]]:
    try:
        return cti.process(requests, now=timezone.now())
    except Exception as failure:
        if len(requests) > 1 and not _database_unavailable(failure):
            half = len(requests) // 2
            log.warning("CTI batch of %d failed; committing its halves apart", len(requests))
            return _commit_isolating(requests[:half]) + _commit_isolating(requests[half:])
        close_old_connections()
        if _database_unavailable(failure):
            log.exception("CTI batch of %d failed", len(requests))
            exc = DomainError(_("Error interno al guardar el evento."), code="internal_error")
            return [(503, cti.error_body(exc))] * len(requests)
        log.warning("CTI event refused by the database: %r", failure)
        refused = DomainError(
            _("El evento no se puede guardar: %(reason)s") % {"reason": type(failure).__name__},
            code="event_not_storable",
        )
        return [(422, cti.error_body(refused))]


def _database_unavailable(failure: BaseException) -> bool:
    """A failure of the database rather than of the events: every half would fail the same."""
    if is_database_busy(failure):
        return True
    return isinstance(failure, OperationalError | InterfaceError)


# --- In this process (tests, a lone server) ---------------------------------------------------


@dataclasses.dataclass
class _Waiting:
    request: cti.Request
    future: asyncio.Future[tuple[int, dict[str, Any]]]
    loop: asyncio.AbstractEventLoop


class BatchWriter:
    """Applies every waiting event in one transaction, then answers each sender."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, request: cti.Request) -> asyncio.Future[tuple[int, dict[str, Any]]]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, dict[str, Any]]] = loop.create_future()
        self._ensure_thread(loop)
        self._queue.put(_Waiting(request, future, loop))
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
            items = take_burst(self._queue, self._queue.get())
            results = commit_burst([item.request for item in items])
            # One wake-up of each event loop per batch, not one per event.
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any]]] = {}
            for item, result in zip(items, results, strict=True):
                by_loop.setdefault(item.loop, []).append((item.future, result))
            for loop, answers in by_loop.items():
                loop.call_soon_threadsafe(_resolve_all, answers)


def _resolve_all(answers: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, result in answers:
        if not future.done():
            future.set_result(result)


# --- The writer process ------------------------------------------------------------------------


def _no_checkpoint_on_commit(db: BaseDatabaseWrapper) -> None:
    """The writer's connection does not checkpoint inside COMMIT (WriterServer._checkpoint)."""
    if db.vendor == "sqlite":
        with db.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=0")


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()

    def send(self, payload: dict[str, Any]) -> None:
        with self.lock:
            self.sock.sendall(encode_frame(payload))


def _read_frame(stream: BinaryIO) -> dict[str, Any]:
    """One frame from a web worker's buffered stream: a burst of posts arrives in a few reads
    (and a few turns of the interpreter lock), not two `recv` calls per event."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise ConnectionError("closed")
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ConnectionError("frame too large")
    data = stream.read(length)
    if len(data) < length:
        raise ConnectionError("closed")
    result: dict[str, Any] = json.loads(data)
    return result


_TIMES = ("at", "callback_at")


def event_fields(event: CtiEvent) -> dict[str, Any]:
    """The web worker's parsed event, for the frame (the writer does not parse the body again)."""
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    for name in _TIMES:
        if fields[name] is not None:
            fields[name] = fields[name].isoformat()
    return fields


def to_request(frame: dict[str, Any]) -> cti.Request:
    """Rebuild the request in the writer from the worker's parsed event."""
    fields = frame["event"]
    for name in _TIMES:
        if fields[name] is not None:
            fields[name] = dt.datetime.fromisoformat(fields[name])
    fields["users"] = tuple(fields["users"])
    return cti.Request(
        frame["token"],
        frame["headers"],
        frame.get("body", "").encode("latin-1"),
        CtiEvent(**fields),
        None,
        dt.datetime.fromisoformat(frame["received_at"]),
        frame.get("content_type", "application/json"),
    )


class WriterServer:
    """Reads requests from every web worker; commits each burst; answers after the commit."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: queue.SimpleQueue[tuple[_Connection, int, cti.Request]] = queue.SimpleQueue()
        self.stopped = threading.Event()
        self._unchecked = 0  # events committed since the last checkpoint
        self._writer_thread: threading.Thread | None = None

    def stop(self) -> None:
        self.stopped.set()

    def serve_forever(self, ready: threading.Event | None = None) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.path)
        os.chmod(self.path, 0o600)
        server.listen(64)
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="cti-writer-loop", daemon=True).start()
        live.publish_from_thread_via(loop)  # Redis: live events go out on that loop
        # Django and the models are loaded: keep them out of the collector's full passes, and
        # collect young objects less often (a burst allocates many short-lived rows).
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 100)
        self._writer_thread = threading.current_thread()
        connection_created.connect(self._connection_created)
        if compat.driver_connection(connection) is not None:
            _no_checkpoint_on_commit(connection)
        if ready is not None:
            ready.set()
        self._write_forever()

    def _connection_created(self, *, connection: BaseDatabaseWrapper, **_kwargs: Any) -> None:
        if threading.current_thread() is self._writer_thread:
            _no_checkpoint_on_commit(connection)

    def _accept(self, server: socket.socket) -> None:
        while True:
            sock, _address = server.accept()
            threading.Thread(target=self._read, args=(_Connection(sock),), daemon=True).start()

    def _read(self, conn: _Connection) -> None:
        stream = conn.sock.makefile("rb")
        try:
            while True:
                frame = _read_frame(stream)
                self.items.put((conn, int(frame["id"]), to_request(frame)))
        except (ConnectionError, OSError, ValueError, KeyError):
            stream.close()
            conn.sock.close()

    def _write_forever(self) -> None:
        while not self.stopped.is_set():
            try:
                first = self.items.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if self._unchecked:
                    self._checkpoint()
                if not self.stopped.is_set():
                    self._record_when_idle()
                continue
            items = take_burst(self.items, first)
            results = commit_burst([r for _c, _i, r in items])
            by_conn: dict[_Connection, list[list[Any]]] = {}
            for (conn, request_id, _r), (status, payload) in zip(items, results, strict=True):
                by_conn.setdefault(conn, []).append([request_id, status, payload])
            for conn, answers in by_conn.items():
                try:
                    conn.send({"answers": answers})
                except OSError:
                    log.warning("a web worker left before its CTI answers were sent")
            self._unchecked += len(items)
            if self._unchecked >= CHECKPOINT_EVENTS:
                self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database file after the answers have gone out.

        SQLite would do it inside the COMMIT of whichever batch crosses 1,000 log pages, and
        that batch's senders would wait for it (a few ms every ~20 batches: the p99). Here it
        is a PASSIVE checkpoint, as SQLite's own, every CHECKPOINT_EVENTS events (fewer pages
        each time) and in every lull; other processes keep SQLite's automatic one.
        """
        self._unchecked = 0
        if connection.vendor != "sqlite":
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.exception("checkpoint of the write-ahead log failed")
            close_old_connections()

    def _record_when_idle(self) -> None:
        """In a lull, finished calls get their record (ticket note, bitácora entry, scorecard)
        one at a time, so a burst of events never waits behind a backlog of records."""
        while self.items.empty():
            try:
                if not services.record_finished_calls(now=timezone.now(), limit=1):
                    return
            except Exception:
                log.exception("recording finished calls failed")
                close_old_connections()
                return


# --- The web worker's side ---------------------------------------------------------------------


class RemoteWriter:
    """Same interface as `BatchWriter`; falls back to it when the writer is unreachable."""

    def __init__(self, path: str, fallback: BatchWriter) -> None:
        self.path = path
        self.fallback = fallback
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[tuple[int, dict[str, Any]]]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._lock: asyncio.Lock | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def _connect(self) -> asyncio.StreamWriter | None:
        if self._writer is not None and not self._writer.is_closing():
            return self._writer
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            try:
                reader, writer = await asyncio.open_unix_connection(self.path)
            except OSError:
                return None
            self._writer = writer
            task = asyncio.get_running_loop().create_task(self._read_answers(reader))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return writer

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                frame = await read_frame(reader)
                for request_id, status, payload in frame["answers"]:
                    future = self._pending.pop(request_id, None)
                    if future is not None and not future.done():
                        future.set_result((status, payload))
        except (asyncio.IncompleteReadError, ConnectionError, OSError, ValueError):
            pass
        finally:
            self._writer = None
            # The writer went away: these were not acknowledged, and may or may not have been
            # committed; the phone system retries them (a retry is never applied twice).
            exc = DomainError(_("El servicio de escritura no respondió."), code="writer_gone")
            for future in self._pending.values():
                if not future.done():
                    future.set_result((503, cti.error_body(exc)))
            self._pending.clear()

    async def submit(self, request: cti.Request) -> tuple[int, dict[str, Any]]:
        writer = await self._connect()
        if writer is None:
            return await self.fallback.submit(request)
        request_id = next(self._ids)
        future: asyncio.Future[tuple[int, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[request_id] = future
        frame = {
            "id": request_id,
            "token": request.token,
            "headers": {h: request.headers[h] for h in FORWARDED_HEADERS if h in request.headers},
            "event": event_fields(request.event) if request.event else None,
            "content_type": request.content_type,
            "received_at": request.received_at.isoformat(),
        }
        if request.token is None:
            # Signed mode: the writer checks the signature over the exact body. A token line
            # needs only the parsed event (its `raw` is what is stored).
            frame["body"] = request.body.decode("latin-1")
        writer.write(encode_frame(frame))
        return await future


# --- Which writer ------------------------------------------------------------------------------

WRITER = BatchWriter()
_chosen_writer: RemoteWriter | BatchWriter | None = None


def current_writer() -> RemoteWriter | BatchWriter:
    """The writer process of `soporte run` when there is one, else this process's own."""
    global _chosen_writer
    if _chosen_writer is None:
        path = getattr(settings, "CTI_WRITER_SOCKET", "")
        _chosen_writer = RemoteWriter(path, WRITER) if path else WRITER
    return _chosen_writer
