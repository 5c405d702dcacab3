"""One bad CTI event does not fail the good ones of its batch (issue #19, defect 3).

A lone surrogate in `callId` (SQLite cannot encode it) or a NUL (PostgreSQL refuses it) made
the writer refuse every event of the batch it shared: 29 of 310 valid events in one test. The
endpoint now refuses such text when it parses a post; these tests hand the writer events that
slipped past parsing, as any event the database refuses would, and check that only the bad
one is refused. CI runs this file on SQLite and on PostgreSQL (`make pytest-postgres`).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from soporte.calls import cti, writer
from soporte.calls.events import parse_event
from soporte.calls.models import Call, CallEvent
from soporte.calls.tests.conftest import TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

S = dt.timedelta(seconds=1)

# Text each database refuses: a lone surrogate fails on both (UTF-8 cannot encode it); a NUL
# only on PostgreSQL (SQLite stores it).
BAD_TEXT = "c-\ud800" if connection.vendor == "sqlite" else "c-\x00"


def request(call_id: str, at: dt.datetime, **extra: str) -> cti.Request:
    data = {
        "event": "newCall",
        "callId": call_id,
        "from": "5255501234",
        "to": "5255509999",
        "direction": "in",
        "timestamp": at.isoformat(),
        **extra,
    }
    body = json.dumps(data).encode("utf-8", "surrogatepass")
    # Parsed without the endpoint's text check: the writer sees what the database refuses.
    return cti.Request(TOKEN, {}, body, parse_event(data), None, timezone.now())


@pytest.mark.parametrize("bad_at", [0, 7, 30])
def test_the_bad_event_alone_is_refused_and_every_good_one_is_committed(line, now, bad_at):
    requests = [request(f"good-{n}", now + n * S) for n in range(31)]
    requests[bad_at] = request(BAD_TEXT, now + bad_at * S)

    answers = writer.commit_burst(requests)

    statuses = [status for status, _body in answers]
    assert statuses[bad_at] == 422
    assert answers[bad_at][1]["error"]["code"] == "event_not_storable"
    assert statuses[:bad_at] + statuses[bad_at + 1 :] == [200] * 30
    stored = set(Call.objects.values_list("call_id", flat=True))
    assert stored == {f"good-{n}" for n in range(31) if n != bad_at}
    assert CallEvent.objects.count() == 30


def test_two_bad_events_and_events_of_one_call_keep_their_order(line, now):
    requests = [
        request("c-1", now),
        request(BAD_TEXT, now + S),
        request("c-2", now + 2 * S),
        request(BAD_TEXT, now + 3 * S, **{"from": "5255500000"}),
        request("c-3", now + 4 * S),
    ]
    answers = writer.commit_burst(requests)
    assert [status for status, _body in answers] == [200, 422, 200, 422, 200]
    assert sorted(Call.objects.values_list("call_id", flat=True)) == ["c-1", "c-2", "c-3"]


def test_the_endpoint_refuses_the_bad_text_itself(pbx, client):
    bad = json.dumps({"event": "newCall", "callId": "x", "from": "1", "to": "2"})
    bad = bad.replace('"x"', '"c\\u0000"' if connection.vendor != "sqlite" else '"c\\ud800"')
    response = client.post(f"/api/v1/cti/{TOKEN}", bad, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_text"
