from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from soporte.calls.events import token_hash
from soporte.calls.models import PhoneLine
from soporte.lib import refcache

TOKEN = "zammad-token-0123456789abcdef"
KEY_ID = "pbx-norte"
SECRET = "s3cr3t-hmac-key-for-tests"


@pytest.fixture
def line(db, now) -> PhoneLine:
    """A PBX integrated the Zammad way (token in the URL), also able to sign."""
    return PhoneLine.objects.create(
        name="Conmutador Norte",
        token_hash=token_hash(TOKEN),
        token_hint=TOKEN[-4:],
        key_id=KEY_ID,
        hmac_secret=SECRET,
        created_at=now,
    )


class Pbx:
    """Posts CTI events the way a PBX does, with the time passed in when given."""

    def __init__(self, client: Client, token: str = TOKEN) -> None:
        self.client = client
        self.token = token

    def post(self, as_form: Any = False, at: Any = None, **fields: Any) -> Any:
        if at is not None:
            fields["timestamp"] = at.isoformat()
        url = f"/api/v1/cti/{self.token}"
        if as_form:
            return self.client.post(url, fields)
        return self.client.post(url, json.dumps(fields), content_type="application/json")


@pytest.fixture
def pbx(line) -> Pbx:
    refcache.forget_all()
    return Pbx(Client())
