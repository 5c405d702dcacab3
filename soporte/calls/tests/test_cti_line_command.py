"""An admin connects a PBX: the command prints the URL token and the HMAC key once."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from soporte.calls.models import Call, PhoneLine
from soporte.lib import refcache

pytestmark = pytest.mark.django_db


def test_add_prints_working_credentials_and_stores_only_a_hash():
    out = io.StringIO()
    call_command("cti_line", "add", "Conmutador Sur", "--cadence", "es", stdout=out)
    text = out.getvalue()
    token = re.search(r"/api/v1/cti/(\S+)", text).group(1)
    line = PhoneLine.objects.get(name="Conmutador Sur")
    assert line.cadence == "es"
    assert token not in line.token_hash and line.token_hint == token[-4:]
    response = Client().post(
        f"/api/v1/cti/{token}",
        json.dumps({"event": "newCall", "callId": "1", "from": "1", "to": "2", "direction": "in"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Call.objects.get().line == line


def test_rotate_invalidates_the_old_token():

    out = io.StringIO()
    call_command("cti_line", "add", "PBX", stdout=out)
    old = re.search(r"/api/v1/cti/(\S+)", out.getvalue()).group(1)
    line = PhoneLine.objects.get()
    call_command("cti_line", "rotate", str(line.pk), stdout=io.StringIO())
    refcache.forget_all()
    response = Client().post(
        f"/api/v1/cti/{old}",
        json.dumps({"event": "newCall", "callId": "1", "direction": "in"}),
        content_type="application/json",
    )
    assert response.status_code == 401
