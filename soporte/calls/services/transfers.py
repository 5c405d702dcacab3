"""Transfers (T4, X1–X3): a transfer is the ticket's escalation, with its hand-off.

A warm transfer consults the colleague first (their console pops with the caller's name,
reason and summary); a blind one is allowed but recorded as such, and QA fails X2 for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.calls.models import Call, Transfer, TransferKind, TransferState
from soporte.calls.services.common import WALLBOARD_GROUP, CallError, agent_of, console_group
from soporte.calls.services.console import console_event, own
from soporte.directory.models import Agent, Area, Presence, User
from soporte.lib import live
from soporte.lib.errors import Forbidden
from soporte.tickets import services as tickets


def transfer_candidates(*, call: Call, level: int, area: Area | None) -> list[Agent]:
    """Colleagues of the level (and area) with their presence, available first."""
    agents = Agent.objects.select_related("user").filter(level=level, user__is_active=True)
    if area is not None:
        agents = agents.filter(areas=area)
    if call.agent_id:
        agents = agents.exclude(pk=call.agent_id)
    order: dict[str, int] = {
        Presence.AVAILABLE: 0,
        Presence.ON_CALL: 1,
        Presence.AWAY: 2,
        Presence.OFFLINE: 3,
    }
    return sorted(agents, key=lambda a: (order.get(a.presence, 9), a.user.get_full_name()))


def _escalate(
    *,
    actor: User,
    call: Call,
    to_agent: Agent | None,
    level: int,
    area: Area | None,
    reason: str,
    summary: str,
    now: dt.datetime,
) -> Any:
    if call.ticket is None:
        raise CallError(
            _("Abra o vincule el ticket antes de transferir: la transferencia es un escalamiento."),
            code="ticket_required",
        )
    return tickets.escalate_ticket(
        ticket=call.ticket,
        actor=actor,
        to_level=level,
        to_area=area,
        to_agent=to_agent,
        customer_name=call.caller_name,
        reason=reason,
        tried=summary,
        now=now,
    )


def _check_handoff(call: Call, reason: str, summary: str, announced: bool) -> None:
    if not call.caller_name.strip():
        raise CallError(
            _("Pregunte y anote el nombre de quien llama antes de transferir (T3)."),
            code="caller_name_required",
        )
    if not reason.strip() or not summary.strip():
        raise CallError(
            _("Escriba el motivo y el resumen: quien recibe no debe pedir que repitan (X2)."),
            code="handoff_incomplete",
        )
    if not announced:
        raise CallError(
            _("Antes de transferir, diga a quien llama que lo va a transferir y por qué (T4)."),
            code="not_announced",
        )


@transaction.atomic
def start_warm_transfer(
    *,
    actor: User,
    call: Call,
    to_agent: Agent,
    reason: str,
    summary: str,
    announced: bool,
    now: dt.datetime,
    area: Area | None = None,
) -> Transfer:
    """X2: the colleague's console pops with the caller's name, reason and summary first."""
    agent = own(actor, call)
    if call.ticket_id is None:
        # Checked before the offer goes out: connecting would fail without the ticket.
        raise CallError(
            _("Abra o vincule el ticket antes de transferir: la transferencia es un escalamiento."),
            code="ticket_required",
        )
    _check_handoff(call, reason, summary, announced)
    if to_agent.pk == agent.pk:
        raise CallError(_("Elija a otro colega."), code="same_agent")
    # Connecting makes the ticket's escalation: what would refuse it then is refused now,
    # before the colleague accepts and the agent is left with a consultation that cannot end.
    assert call.ticket is not None
    refusal = tickets.escalation_refusal(ticket=call.ticket, to_level=to_agent.level, to_area=area)
    if refusal is not None:
        if refusal.code == "escalation_direction":
            raise CallError(
                _(
                    "El ticket %(folio)s ya está en el nivel %(level)d: transfiera a un nivel "
                    "superior o, en el mismo nivel, a otra área."
                )
                % {"folio": call.ticket.folio, "level": call.ticket.level},
                code="escalation_direction",
            )
        raise refusal
    if call.transfers.filter(state=TransferState.CONSULTING).exists():
        raise CallError(_("Ya hay una consulta en curso."), code="already_consulting")
    transfer = Transfer.objects.create(
        call=call,
        from_agent=agent,
        to_agent=to_agent,
        target=str(to_agent.pk),
        to_level=to_agent.level,
        to_area=area,
        kind=TransferKind.WARM,
        state=TransferState.CONSULTING,
        announced=announced,
        reason=reason.strip(),
        summary=summary.strip(),
        started_at=now,
    )
    offer = {
        "type": "transfer.offer",
        "transfer_id": transfer.pk,
        "call_id": call.pk,
        "caller_name": call.caller_name,
        "organisation": str(call.organisation) if call.organisation else "",
        "from_agent": agent.name,
        "reason": transfer.reason,
        "summary": transfer.summary,
        "ticket": call.ticket.folio if call.ticket else "",
    }
    live.broadcast_on_commit(console_group(to_agent.pk), offer)
    live.broadcast_on_commit(WALLBOARD_GROUP, {**offer, "type": "transfer.changed"})
    return transfer


@transaction.atomic
def accept_transfer(*, actor: User, transfer: Transfer, now: dt.datetime) -> Transfer:
    """The colleague answers the consultation before the caller is connected (X2)."""
    agent = agent_of(actor)
    transfer = Transfer.objects.select_for_update().select_related("call").get(pk=transfer.pk)
    if transfer.to_agent_id != agent.pk:
        raise Forbidden(_("Esta consulta es para otro agente."))
    if transfer.state != TransferState.CONSULTING:
        raise CallError(_("La consulta ya no está en curso."), code="not_consulting")
    transfer.answered_at = now
    transfer.consult_answered = True
    transfer.save(update_fields=["answered_at", "consult_answered"])
    message = {"type": "transfer.accepted", "transfer_id": transfer.pk, "call_id": transfer.call_id}
    if transfer.from_agent_id:
        live.broadcast_on_commit(console_group(transfer.from_agent_id), message)
    return transfer


def complete_transfer(*, actor: User, transfer: Transfer, now: dt.datetime) -> Call:
    """Connect the caller: the transfer becomes the ticket's escalation with its hand-off."""
    with transaction.atomic():
        transfer = Transfer.objects.select_related("call__line", "call__ticket", "to_agent").get(
            pk=transfer.pk
        )
        call = transfer.call
        own(actor, call)
        if transfer.state != TransferState.CONSULTING:
            raise CallError(_("La consulta ya no está en curso."), code="not_consulting")
        escalation = _escalate(
            actor=actor,
            call=call,
            to_agent=transfer.to_agent,
            level=transfer.to_level or (transfer.to_agent.level if transfer.to_agent else 1),
            area=transfer.to_area,
            reason=transfer.reason,
            summary=transfer.summary,
            now=now,
        )
        Transfer.objects.filter(pk=transfer.pk).update(escalation=escalation)
        call = console_event(
            call,
            "transfer",
            now,
            transfer_type="attended",
            target=transfer.target,
            consult_answered=transfer.answered_at is not None,
        )
        if transfer.to_agent_id:
            live.broadcast_on_commit(
                console_group(transfer.to_agent_id),
                {
                    "type": "transfer.connected",
                    "transfer_id": transfer.pk,
                    "call_id": call.pk,
                    "caller_name": call.caller_name,
                    "reason": transfer.reason,
                    "summary": transfer.summary,
                },
            )
    return call


def blind_transfer(
    *,
    actor: User,
    call: Call,
    level: int,
    area: Area | None,
    to_agent: Agent | None,
    reason: str,
    summary: str,
    announced: bool,
    now: dt.datetime,
) -> Call:
    """Allowed, but recorded as blind: QA marks X2 as failed for it."""
    with transaction.atomic():
        own(actor, call)
        _check_handoff(call, reason, summary, announced)
        escalation = _escalate(
            actor=actor,
            call=call,
            to_agent=to_agent,
            level=level,
            area=area,
            reason=reason,
            summary=summary,
            now=now,
        )
        target_agent = escalation.to_agent
        transfer = Transfer.objects.create(
            call=call,
            from_agent_id=call.agent_id,
            to_agent=target_agent,
            target=str(target_agent.pk) if target_agent else f"nivel-{level}",
            to_level=level,
            to_area=area,
            kind=TransferKind.BLIND,
            state=TransferState.CONSULTING,
            announced=announced,
            reason=reason.strip(),
            summary=summary.strip(),
            escalation=escalation,
            started_at=now,
        )
        return console_event(call, "transfer", now, transfer_type="blind", target=transfer.target)


@transaction.atomic
def cancel_transfer(*, actor: User, transfer: Transfer, now: dt.datetime) -> Transfer:
    own(actor, transfer.call)
    if transfer.state != TransferState.CONSULTING:
        raise CallError(_("La consulta ya no está en curso."), code="not_consulting")
    transfer.state = TransferState.CANCELLED
    transfer.save(update_fields=["state"])
    if transfer.to_agent_id:
        live.broadcast_on_commit(
            console_group(transfer.to_agent_id),
            {"type": "transfer.cancelled", "transfer_id": transfer.pk},
        )
    return transfer
