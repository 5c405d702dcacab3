"""Signed mode: an HMAC over timestamp and body; no token in the URL; no replays."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from soporte.calls.events import sign
from soporte.calls.models import Call
from soporte.calls.tests.conftest import KEY_ID, SECRET
from soporte.lib import refcache

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(line):

    refcache.forget_all()
    client = Client()

    def post(body: dict, *, secret: str = SECRET, ts: int | None = None, key: str = KEY_ID):
        import time

        raw = json.dumps(body).encode()
        stamp = str(ts if ts is not None else int(time.time()))
        return (
            client.post(
                "/api/v1/cti",
                raw,
                content_type="application/json",
                headers={
                    "X-Soporte-Key": key,
                    "X-Soporte-Timestamp": stamp,
                    "X-Soporte-Signature": sign(secret, stamp, raw),
                },
            ),
            raw,
            stamp,
        )

    return post


NEW_CALL = {
    "event": "newCall",
    "from": "5255501234",
    "to": "100",
    "direction": "in",
    "callId": "s1",
}


def test_a_correct_signature_is_accepted(signed):
    response, _raw, _ts = signed(NEW_CALL)
    assert response.status_code == 200 and response.json() == {}
    assert Call.objects.filter(call_id="s1").exists()


def test_a_bad_signature_is_rejected(signed):
    response, _raw, _ts = signed(NEW_CALL, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert not Call.objects.exists()


def test_a_body_changed_after_signing_is_rejected(line):
    import time

    client = Client()
    stamp = str(int(time.time()))
    signature = sign(SECRET, stamp, json.dumps(NEW_CALL).encode())
    tampered = json.dumps({**NEW_CALL, "from": "5299999999"})
    response = client.post(
        "/api/v1/cti",
        tampered,
        content_type="application/json",
        headers={
            "X-Soporte-Key": KEY_ID,
            "X-Soporte-Timestamp": stamp,
            "X-Soporte-Signature": signature,
        },
    )
    assert response.status_code == 401
    assert not Call.objects.exists()


def test_a_replayed_request_is_rejected(signed, line):
    response, raw, stamp = signed(NEW_CALL)
    assert response.status_code == 200
    again = Client().post(
        "/api/v1/cti",
        raw,
        content_type="application/json",
        headers={
            "X-Soporte-Key": KEY_ID,
            "X-Soporte-Timestamp": stamp,
            "X-Soporte-Signature": sign(SECRET, stamp, raw),
        },
    )
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "replay"
    assert Call.objects.filter(call_id="s1").count() == 1


@pytest.mark.parametrize("offset", [-310, 310])  # clear of the ±5 min window: int() truncates
def test_a_stale_or_future_timestamp_is_rejected(signed, offset):
    import time

    response, _raw, _ts = signed(NEW_CALL, ts=int(time.time()) + offset)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "stale_timestamp"
    assert not Call.objects.exists()


def test_missing_headers_and_unknown_key(signed, line):
    response = Client().post("/api/v1/cti", json.dumps(NEW_CALL), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_required"
    response, _raw, _ts = signed(NEW_CALL, key="otra-clave")
    assert response.json()["error"]["code"] == "unknown_key"


def test_a_signed_only_line_refuses_the_token_in_the_url(pbx, line):

    line.signed_only = True
    line.save()
    refcache.forget_all()
    response = pbx.post(**NEW_CALL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_required"


def test_the_token_never_reaches_the_logs(pbx, caplog):
    from soporte.calls.tests.conftest import TOKEN

    with caplog.at_level("DEBUG"):
        pbx.post(**NEW_CALL)
        pbx.post(event="answer", callId="nope", direction="in")
    assert TOKEN not in caplog.text
