"""The ASGI fast path: concurrent posts are committed in batches and answered after commit."""

from __future__ import annotations

import asyncio
import json

import pytest

from soporte.calls import cti, endpoint
from soporte.calls.models import Call, CallEvent
from soporte.calls.tests.conftest import TOKEN
from soporte.lib import refcache

pytestmark = pytest.mark.django_db(transaction=True)


async def _post(path: str, body: bytes, content_type: str = "application/json"):
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"content-type", content_type.encode())],
    }
    sent: list[dict] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def fallback(scope, receive, send):  # pragma: no cover - not reached for JSON
        raise AssertionError("JSON must not fall back to Django")

    await endpoint.asgi_endpoint(scope, receive, send, fallback)
    status = sent[0]["status"]
    return status, json.loads(sent[1]["body"])


def test_a_burst_is_stored_once_each_and_acknowledged(line, monkeypatch):
    refcache.forget_all()
    batches: list[int] = []
    original = cti.process

    def counting(requests, *, now):
        batches.append(len(requests))
        return original(requests, now=now)

    monkeypatch.setattr(cti, "process", counting)

    async def burst():
        bodies = [
            json.dumps(
                {
                    "event": "newCall",
                    "from": f"55{i:08d}",
                    "to": "100",
                    "direction": "in",
                    "callId": f"b{i}",
                }
            ).encode()
            for i in range(200)
        ]
        # Each event twice: the retry must not be applied again.
        return await asyncio.gather(*(_post(f"/api/v1/cti/{TOKEN}", b) for b in bodies + bodies))

    results = asyncio.run(burst())
    assert all(status == 200 and body == {} for status, body in results)
    assert Call.objects.count() == 200
    assert CallEvent.objects.count() == 200
    assert sum(batches) == 400
    assert max(batches) > 1, "concurrent events are committed together, not one transaction each"


def test_bad_input_and_bad_token_on_the_fast_path(line):
    refcache.forget_all()

    async def run():
        return await asyncio.gather(
            _post(f"/api/v1/cti/{TOKEN}", b"{not json"),
            _post("/api/v1/cti/wrong", b'{"event":"newCall","callId":"1","direction":"in"}'),
            _post(f"/api/v1/cti/{TOKEN}", b"x" * (70 * 1024)),
            _post(
                f"/api/v1/cti/{TOKEN}",
                b"event=newCall&callId=f1&direction=in&from=1&to=2&user%5B%5D=A&user%5B%5D=B",
                "application/x-www-form-urlencoded",
            ),
        )

    (s1, b1), (s2, b2), (s3, b3), (s4, b4) = asyncio.run(run())
    assert (s1, b1["error"]["code"]) == (422, "invalid_json")
    assert (s2, b2["error"]["code"]) == (401, "invalid_token")
    assert (s3, b3["error"]["code"]) == (413, "too_large")
    assert (s4, b4) == (200, {})
    assert list(Call.objects.values_list("call_id", flat=True)) == ["f1"]


def test_is_cti_request_only_for_posts_under_the_prefix():
    assert endpoint.is_cti_request({"method": "POST", "path": "/api/v1/cti/abc"})
    assert endpoint.is_cti_request({"method": "POST", "path": "/api/v1/cti"})
    assert not endpoint.is_cti_request({"method": "GET", "path": "/api/v1/cti/abc"})
    assert not endpoint.is_cti_request({"method": "POST", "path": "/api/v1/ctis"})
    assert not endpoint.is_cti_request({"method": "POST", "path": "/api/v1/tickets"})
