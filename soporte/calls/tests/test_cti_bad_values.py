"""CTI values no rule can read (issue #19, defect 6): NaN, 1e400, a timestamp past year 9999,
a NUL or a lone surrogate. Each was a 500 with a plain-text body; now a 422 in the API's
error shape, and nothing of the event is stored."""

from __future__ import annotations

import json

import pytest

from soporte.calls.models import Call

from .conftest import TOKEN

pytestmark = pytest.mark.django_db


def raw_post(client, body: str):
    return client.post(f"/api/v1/cti/{TOKEN}", body, content_type="application/json")


NEW_CALL = '{"event": "newCall", "from": "5255501234", "to": "5255509999", "direction": "in"'


@pytest.mark.parametrize(
    ("tail", "code"),
    [
        (', "callId": "c-nan", "timestamp": NaN}', "invalid_json"),
        (', "callId": "c-inf", "timestamp": 1e400}', "invalid_json"),
        (', "callId": "c-inf2", "timestamp": Infinity}', "invalid_json"),
        (', "callId": "c-far", "timestamp": 99999999999999999}', "out_of_range"),
        (', "callId": "c-far2", "timestamp": "10000-01-01T00:00:00"}', "invalid_timestamp"),
        (', "callId": "c\\u0000nul"}', "invalid_text"),
        (', "callId": "c\\ud800x"}', "invalid_text"),
        (', "callId": "c-key", "\\ud800": "x"}', "invalid_text"),
    ],
    ids=[
        "nan",
        "1e400",
        "infinity",
        "epoch-past-9999",
        "iso-year-10000",
        "nul",
        "surrogate",
        "key",
    ],
)
def test_bad_value_is_a_422_with_the_error_shape(pbx, client, tail, code):
    response = raw_post(client, NEW_CALL + tail)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert Call.objects.count() == 0


def test_a_good_event_after_a_bad_one_is_stored(pbx, client, now):
    raw_post(client, NEW_CALL + ', "callId": "c-bad", "timestamp": NaN}')
    good = raw_post(client, NEW_CALL + f', "callId": "c-good", "timestamp": "{now.isoformat()}"}}')
    assert good.status_code == 200 and good.json() == {}
    assert list(Call.objects.values_list("call_id", flat=True)) == ["c-good"]


def test_form_encoded_nul_is_refused_too(pbx, client):
    response = client.post(
        f"/api/v1/cti/{TOKEN}",
        "event=newCall&from=52555%00&to=5255509999&direction=in&callId=c-form",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert json.loads(response.content)["error"]["code"] == "invalid_text"
