"""What every family of call use cases shares: the live groups, the error, the snapshot."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from soporte.calls.models import Call, PhoneLine
from soporte.directory.models import Agent, User
from soporte.lib.errors import DomainError, Forbidden

WALLBOARD_GROUP = "calls.wallboard"


def console_group(agent_id: int) -> str:
    return f"calls.agent.{agent_id}"


class CallError(DomainError):
    code = "call_rule"


def agent_of(actor: User) -> Agent:
    agent = Agent.objects.select_related("user").filter(user=actor).first()
    if agent is None:
        raise Forbidden(_("Solo los agentes atienden llamadas."))
    return agent


def snapshot(call: Call, line: PhoneLine, kind: str) -> dict[str, Any]:
    """What a console or the wallboard needs to draw a call (times as ISO 8601, UTC)."""

    def iso(moment: dt.datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "type": "call.event",
        "event": kind,
        "id": call.pk,
        "call_id": call.call_id,
        "state": call.state,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "queue": call.queue,
        "person_id": call.person_id,
        "person": str(call.person) if Call.person.is_cached(call) and call.person else "",
        "organisation": str(call.organisation)
        if Call.organisation.is_cached(call) and call.organisation
        else "",
        "caller_name": call.caller_name,
        "agent_id": call.agent_id,
        "ringing_agent_ids": list(call.ringing_agent_ids),
        "started_at": iso(call.started_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "rings": call.rings,
        "ring_period": line.ring_period,
        "hold_limit": line.hold_limit_seconds,
        "hold_warn": line.hold_warn_seconds,
        "hangup_by": call.hangup_by,
        "outcome": call.outcome,
        "ticket_id": call.ticket_id,
    }
