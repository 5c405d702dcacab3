"""One batch of many events writes every call and event exactly as one event at a time would.

A batch's rows go to the database in several multi-row statements (SQLite) or one executemany
(PostgreSQL); sizes that do not fall on a statement's boundary must lose nothing.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from soporte.calls import cti
from soporte.calls.models import Call, CallEvent, CallState, Outcome
from soporte.calls.tests.conftest import TOKEN
from soporte.lib import rawsql, refcache

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)


def _requests(bodies: list[dict]) -> list[cti.Request]:
    return [
        cti.make_request(
            token=TOKEN, headers={}, body=json.dumps(b).encode(), content_type="application/json"
        )
        for b in bodies
    ]


def _event(kind: str, n: int, at: dt.datetime, **extra) -> dict:
    return {
        "event": kind,
        "callId": f"big-{n}",
        "from": f"55{n:08d}",
        "to": "5255509999",
        "direction": "in",
        "timestamp": at.isoformat(),
        **extra,
    }


@pytest.mark.parametrize("size", [1, 7, 33, 100, 203])
def test_a_batch_of_any_size_stores_every_call_and_event_once(line, personas, now, size):
    refcache.forget_all()
    new = [_event("newCall", n, now, user=["Blanca Herrera"]) for n in range(size)]
    answers = [_event("answer", n, now + 5 * S, user="Blanca Herrera") for n in range(size)]
    hangups = [
        _event("hangup", n, now + (60 + n) * S, cause="normalClearing")
        for n in range(size)
        if n % 2 == 0
    ]

    for bodies in (new, answers + hangups):
        results = cti.process(_requests(bodies), now=now + 120 * S)
        assert results == [(200, {})] * len(bodies)

    calls = {c.call_id: c for c in Call.objects.filter(line=line)}
    assert len(calls) == size
    agent = personas.agent.agent
    for n in range(size):
        call = calls[f"big-{n}"]
        assert call.agent_id == agent.pk and call.answered_by_id == agent.pk
        assert call.answered_at == now + 5 * S and call.ring_seconds == 5.0
        if n % 2 == 0:
            assert call.state == CallState.ENDED and call.outcome == Outcome.ANSWERED
            assert call.ended_at == now + (60 + n) * S
        else:
            assert call.state == CallState.TALKING and call.ended_at is None
    assert CallEvent.objects.filter(line=line).count() == size * 2 + len(hangups)
    keys = set(CallEvent.objects.filter(line=line).values_list("key", flat=True))
    assert f"big-{size - 1}|answer" in keys and "big-0|hangup" in keys


def test_statement_chunks_cover_every_row_once_within_the_parameter_limit():
    for width in (1, 8, 16, 29, 30):
        for count in range(0, 300):
            chunks = list(rawsql.chunks(count, width))
            assert [start for start, _size in chunks] == [
                sum(size for _start, size in chunks[:i]) for i in range(len(chunks))
            ]
            assert sum(size for _start, size in chunks) == count
            assert all(size * width <= 999 for _start, size in chunks)
