"""The one CTI writer of `soporte run`: web workers forward, it commits, they answer after."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from soporte.calls import cti
from soporte.calls.models import Call, CallEvent
from soporte.calls.tests.conftest import TOKEN
from soporte.calls.writer import BatchWriter, RemoteWriter, WriterServer
from soporte.lib import refcache

pytestmark = pytest.mark.django_db(transaction=True)


def _request(body: dict, token: str = TOKEN) -> cti.Request:
    return cti.make_request(
        token=token, headers={}, body=json.dumps(body).encode(), content_type="application/json"
    )


@pytest.fixture
def writer_socket(tmp_path, line):
    refcache.forget_all()
    path = str(tmp_path / "w.sock")
    ready = threading.Event()
    server = WriterServer(path)
    thread = threading.Thread(target=server.serve_forever, args=(ready,), daemon=True)
    thread.start()
    assert ready.wait(5)
    yield path
    server.stop()
    thread.join(5)


def test_forwarded_events_are_committed_once_and_answered(writer_socket):
    async def run():
        remote = RemoteWriter(writer_socket, BatchWriter())
        bodies = [
            {
                "event": "newCall",
                "from": f"55{i:08d}",
                "to": "1",
                "direction": "in",
                "callId": f"w{i}",
            }
            for i in range(100)
        ]
        answers = await asyncio.gather(*(remote.submit(_request(b)) for b in bodies + bodies))
        bad = await remote.submit(
            _request({"event": "answer", "callId": "nope", "direction": "in"})
        )
        wrong = await remote.submit(_request(bodies[0], token="wrong"))
        return answers, bad, wrong

    answers, bad, wrong = asyncio.run(run())
    assert all(a == (200, {}) for a in answers)
    assert Call.objects.count() == 100 and CallEvent.objects.count() == 100
    assert bad[0] == 422 and bad[1]["error"]["code"] == "unknown_call"
    assert wrong[0] == 401


def test_without_a_writer_process_the_worker_commits_itself(tmp_path, line):
    refcache.forget_all()

    async def run():
        remote = RemoteWriter(str(tmp_path / "missing.sock"), BatchWriter())
        return await remote.submit(
            _request({"event": "newCall", "from": "1", "to": "2", "direction": "in", "callId": "f"})
        )

    assert asyncio.run(run()) == (200, {})
    assert Call.objects.filter(call_id="f").exists()


def test_signed_requests_are_verified_by_the_writer(writer_socket):
    import time

    from soporte.calls.events import sign
    from soporte.calls.tests.conftest import KEY_ID, SECRET

    body = json.dumps(
        {"event": "newCall", "from": "1", "to": "2", "direction": "in", "callId": "signed"}
    ).encode()
    stamp = str(int(time.time()))

    def signed(signature: str) -> cti.Request:
        headers = {
            "x-soporte-key": KEY_ID,
            "x-soporte-timestamp": stamp,
            "x-soporte-signature": signature,
        }
        return cti.make_request(
            token=None, headers=headers, body=body, content_type="application/json"
        )

    async def run():
        remote = RemoteWriter(writer_socket, BatchWriter())
        good = await remote.submit(signed(sign(SECRET, stamp, body)))
        replay = await remote.submit(signed(sign(SECRET, stamp, body)))
        forged = await remote.submit(signed(sign("other", stamp, body)))
        return good, replay, forged

    good, replay, forged = asyncio.run(run())
    assert good == (200, {})
    assert (replay[0], replay[1]["error"]["code"]) == (401, "replay")
    assert (forged[0], forged[1]["error"]["code"]) == (401, "bad_signature")
    assert Call.objects.filter(call_id="signed").count() == 1


def test_the_log_is_checkpointed_after_the_answers_and_in_lulls_not_inside_commits(
    writer_socket, monkeypatch
):
    from django.db import connection

    from soporte.calls import writer

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log; PostgreSQL checkpoints by itself")
    # (wal_autocheckpoint of the writer's connection, answers sent) at each checkpoint
    seen: list[tuple[int, int]] = []
    sent = 0
    original_checkpoint = WriterServer._checkpoint
    original_send = writer._Connection.send

    def checkpoint(self):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            seen.append((cursor.fetchone()[0], sent))
        original_checkpoint(self)

    def send(self, payload):
        nonlocal sent
        original_send(self, payload)
        sent += len(payload["answers"])

    monkeypatch.setattr(WriterServer, "_checkpoint", checkpoint)
    monkeypatch.setattr(writer._Connection, "send", send)

    def new_call(call_id: str) -> cti.Request:
        return _request(
            {"event": "newCall", "from": "1", "to": "2", "direction": "in", "callId": call_id}
        )

    async def burst(count: int, prefix: str):
        remote = RemoteWriter(writer_socket, BatchWriter())
        results = await asyncio.gather(
            *(remote.submit(new_call(f"{prefix}{i}")) for i in range(count))
        )
        await asyncio.sleep(writer.IDLE_SECONDS * 3)  # a lull
        return results

    many = asyncio.run(burst(writer.CHECKPOINT_EVENTS + 50, "k"))
    after_many = len(seen)
    few = asyncio.run(burst(3, "f"))

    assert all(r == (200, {}) for r in many + few)
    assert after_many >= 1, "a burst past CHECKPOINT_EVENTS is checkpointed"
    assert all(autocheckpoint == 0 for autocheckpoint, _sent in seen)
    # Three events are not enough for a checkpoint by count: the lull's came after the answers.
    assert len(seen) == after_many + 1 and seen[-1][1] == len(many) + len(few)
