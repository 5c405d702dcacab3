from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from soporte.calls.events import token_hash
from soporte.calls.models import (
    Call,
    CallDirection,
    CallState,
    Outcome,
    Party,
    PhoneLine,
    rings_for,
)
from soporte.lib import refcache

TOKEN = "zammad-token-0123456789abcdef"
KEY_ID = "pbx-norte"
SECRET = "s3cr3t-hmac-key-for-tests"
S = dt.timedelta(seconds=1)


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


# --- Finished calls for QA (test_qa_*) -------------------------------------------------


@pytest.fixture
def agent(personas):
    """Blanca, the level-1 agent of the personas."""
    return personas.agent.agent


def finished_call(
    line: Any,
    agent: Any,
    *,
    call_id: str,
    start: dt.datetime,
    ring: float = 7,
    talk: float = 120,
    answered: bool = True,
    caller_name: str = "Roberto Sánchez",
    hangup_by: str = Party.CALLER,
    direction: str = CallDirection.IN,
    **extra: Any,
) -> Call:
    """A finished call of `agent`; answered after `ring` seconds (7 s: the 2.º timbre)."""
    answered_at = start + ring * S if answered else None
    ended_at = (answered_at or start + ring * S) + talk * S
    return Call.objects.create(
        line=line,
        call_id=call_id,
        direction=direction,
        from_number="5255501234",
        to_number="100",
        state=CallState.ENDED,
        agent=agent if answered else None,
        answered_by=agent if answered else None,
        caller_name=caller_name,
        started_at=start,
        answered_at=answered_at,
        ended_at=ended_at,
        ring_seconds=ring if answered else None,
        rings=rings_for(ring, line.ring_period) if answered else None,
        hangup_by=hangup_by,
        outcome=Outcome.ANSWERED if answered else Outcome.ABANDONED,
        updated_at=ended_at,
        **extra,
    )


@pytest.fixture
def make_call(line, agent, now):
    """`make_call(start=…, **fields)`: a finished call of Blanca's (see `finished_call`)."""
    counter = iter(range(1, 10_000))

    def build(*, start: dt.datetime | None = None, **fields: Any) -> Call:
        return finished_call(
            line, agent, call_id=f"qa-{next(counter)}", start=start or now, **fields
        )

    return build


@pytest.fixture
def gabriela(make_agent):
    return make_agent("gabriela.ruiz", level=2, first_name="Gabriela", last_name="Ruiz")
