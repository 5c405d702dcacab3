"""Calls stored the way the CTI intake leaves them, for the reports to read."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from soporte.calls.models import Call, CallState, Hold, PhoneLine, Transfer, TransferState

_numbers = itertools.count(1)


@pytest.fixture
def line(db, now) -> PhoneLine:
    return PhoneLine.objects.create(name="Conmutador Centro", cadence="mx", created_at=now)


@pytest.fixture
def store_call():
    """store_call(line, started_at, wait=…, outcome=…, talk=…, holds=[…], ring=…, agent=…,
    transfer="warm"|"blind"): one ended inbound call with its holds and transfer rows."""

    def make(
        line: PhoneLine,
        started_at: dt.datetime,
        *,
        wait: float,
        outcome: str = "answered",
        talk: float = 0.0,
        holds: tuple[float, ...] = (),
        ring: float | None = None,
        agent=None,
        transfer: str = "",
        direction: str = "in",
    ) -> Call:
        answered = outcome == "answered"
        answered_at = started_at + dt.timedelta(seconds=wait) if answered else None
        held = sum(holds)
        ended_at = (
            answered_at + dt.timedelta(seconds=talk + held)
            if answered_at
            else started_at + dt.timedelta(seconds=wait)
        )
        call = Call.objects.create(
            line=line,
            call_id=f"r{next(_numbers)}",
            direction=direction,
            from_number="5550001111",
            to_number="100",
            state=CallState.ENDED,
            agent=agent,
            answered_by=agent if answered else None,
            started_at=started_at,
            answered_at=answered_at,
            ended_at=ended_at,
            ring_seconds=ring,
            hold_count=len(holds),
            hold_seconds=held,
            holds_over_limit=sum(1 for h in holds if h > 60),
            transfer_count=1 if transfer else 0,
            outcome=outcome,
            updated_at=ended_at,
        )
        at = answered_at
        for seconds in holds:
            assert at is not None
            Hold.objects.create(
                call=call,
                agent=agent,
                started_at=at,
                ended_at=at + dt.timedelta(seconds=seconds),
                seconds=seconds,
                over_limit=seconds > 60,
                reason="Consulta",
                choice="wait",
            )
            at += dt.timedelta(seconds=seconds)
        if transfer:
            Transfer.objects.create(
                call=call,
                from_agent=agent,
                kind=transfer,
                state=TransferState.COMPLETED,
                started_at=ended_at,
                completed_at=ended_at,
            )
        return call

    return make
