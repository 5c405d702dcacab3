"""The console: desks without CTI, and the agent's side of every call (T1, T3, H1–H4, C1–C3).

Each button is an event through `apply_events`, like a phone system's, so the metrics and the
QA rules are the same with or without CTI. The state each button needs is checked in
`states`, the same rules the batch applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from soporte.calls.events import CtiEvent, truncate_ms
from soporte.calls.models import (
    Call,
    CallbackQuerySet,
    CallDirection,
    CallState,
    EventSource,
    HoldChoice,
    Party,
    PhoneLine,
)
from soporte.calls.models import Callback as CallbackTask
from soporte.calls.services import states
from soporte.calls.services.common import (
    WALLBOARD_GROUP,
    CallError,
    agent_of,
    console_group,
    snapshot,
)
from soporte.calls.services.ingest import Submission, apply_one
from soporte.directory.models import Agent, Organisation, Person, User
from soporte.lib import live
from soporte.lib.errors import Forbidden, NotFound


def console_line(*, now: dt.datetime) -> PhoneLine:
    """The desk's own line: calls registered with the console's buttons."""
    line = PhoneLine.objects.filter(is_console=True).order_by("id").first()
    if line is None:
        line = PhoneLine.objects.create(name=_("Consola"), is_console=True, created_at=now)
    return line


def access_call(actor: User, call_id: int) -> Call:
    call = (
        Call.objects.visible_to(actor)
        .select_related("line", "person", "organisation", "agent__user", "ticket")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise NotFound(_("No existe esa llamada."))
    return call


def console_event(call: Call, kind: str, now: dt.datetime, **fields: Any) -> Call:
    raw = {"event": kind, "callId": call.call_id, **{k: v for k, v in fields.items() if v}}
    event = CtiEvent(kind=kind, call_id=call.call_id, at=truncate_ms(now), raw=raw, **fields)
    result = apply_one(
        Submission(line=call.line, event=event, source=EventSource.CONSOLE, received_at=now),
        now=now,
    )
    assert result.call is not None
    return result.call


def register_ringing(*, actor: User, number: str, now: dt.datetime) -> Call:
    """Without CTI: the agent's desk phone rings and the agent presses "Está sonando"."""
    agent = agent_of(actor)
    number = number.strip() or "anonymous"
    line = console_line(now=now)
    call_id = f"consola-{agent.pk}-{int(now.timestamp() * 1000)}"
    event = CtiEvent(
        kind="newCall",
        call_id=call_id,
        direction=CallDirection.IN,
        from_number=number,
        to_number=agent.extension or "consola",
        users=(str(agent.pk),),
        at=truncate_ms(now),
        raw={"event": "newCall", "callId": call_id, "from": number, "direction": "in"},
    )
    result = apply_one(
        Submission(line=line, event=event, source=EventSource.CONSOLE, received_at=now), now=now
    )
    assert result.call is not None
    return result.call


def answer_call(*, actor: User, call: Call, now: dt.datetime) -> Call:
    """T1: the answer time fixes the ring seconds (and so the rings) of the call."""
    agent = agent_of(actor)
    states.check(states.answer_refused(call))
    return console_event(call, "answer", now, answering_number=str(agent.pk))


def own(actor: User, call: Call) -> Agent:
    agent = agent_of(actor)
    if call.agent_id != agent.pk:
        raise Forbidden(_("Esta llamada la atiende otro agente."))
    states.check(states.action_refused(call))
    return agent


@transaction.atomic
def record_caller(
    *, actor: User, call: Call, caller_name: str = "", need: str = "", now: dt.datetime
) -> Call:
    """T3: after the need, the caller's name is asked and recorded."""
    own(actor, call)
    fields = []
    if need.strip():
        call.need = need.strip()
        fields.append("need")
    if caller_name.strip():
        call.caller_name = caller_name.strip()[:200]
        fields.append("caller_name")
    if not fields:
        raise CallError(_("Escriba la necesidad o el nombre de quien llama."), code="empty")
    call.updated_at = now
    call.save(update_fields=[*fields, "updated_at"])
    live.broadcast_on_commit(WALLBOARD_GROUP, snapshot(call, call.line, "caller"))
    return call


@transaction.atomic
def register_caller(
    *,
    actor: User,
    call: Call,
    full_name: str,
    organisation: Organisation | None = None,
    new_organisation: str = "",
    email: str = "",
    now: dt.datetime,
) -> Call:
    """An unknown caller becomes a person of the directory, in an existing organisation or a
    new one; the call is theirs, and the next call from that number pops their record."""
    own(actor, call)
    if call.person_id is not None:
        raise CallError(_("Quien llama ya está registrado."), code="already_registered")
    full_name = " ".join(full_name.split())
    if not full_name or len(full_name) > 200:
        raise CallError(
            _("Escriba el nombre completo de quien llama (hasta 200 caracteres)."),
            code="name_required",
        )
    new_organisation = " ".join(new_organisation.split())
    if organisation is None:
        if not new_organisation or len(new_organisation) > 200:
            raise CallError(
                _("Elija la organización o escriba el nombre de una nueva (hasta 200 caracteres)."),
                code="organisation_required",
            )
        organisation = Organisation.objects.filter(name__iexact=new_organisation).order_by(
            "id"
        ).first() or Organisation.objects.create(name=new_organisation)
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise CallError(_("El correo no es válido."), code="invalid_email") from None
    number = call.from_number if call.direction == CallDirection.IN else call.to_number
    person = Person.objects.create(
        organisation=organisation,
        full_name=full_name,
        email=email,
        phone="" if number in ("", "anonymous") else number[:32],
    )
    call.person = person
    call.organisation = organisation
    call.caller_name = call.caller_name or full_name
    call.updated_at = now
    call.save(update_fields=["person", "organisation", "caller_name", "updated_at"])
    live.broadcast_on_commit(WALLBOARD_GROUP, snapshot(call, call.line, "caller"))
    return call


def place_on_hold(
    *,
    actor: User,
    call: Call,
    reason: str,
    choice: str,
    callback_at: dt.datetime | None = None,
    now: dt.datetime,
) -> Call:
    """H1 says why, H2 lets the caller choose: wait on the line or be called back."""
    agent = own(actor, call)
    if not reason.strip():
        raise CallError(_("Diga a quien llama por qué lo pone en espera."), code="reason_required")
    if choice not in HoldChoice.values:
        raise CallError(
            _("Pregunte a quien llama si prefiere esperar o que le devuelvan la llamada."),
            code="choice_required",
        )
    if choice == HoldChoice.CALLBACK:
        schedule_callback(
            actor=actor,
            call=call,
            agent=agent,
            due_at=callback_at,
            reason=reason,
            now=now,
        )
        return call
    states.check(states.hold_refused(call))
    return console_event(call, "hold", now, reason=reason.strip(), choice=choice)


def resume_call(*, actor: User, call: Call, now: dt.datetime) -> Call:
    """H4: the console shows the caller's name and "Gracias por su amable espera"."""
    own(actor, call)
    states.check(states.resume_refused(call))
    return console_event(call, "unhold", now)


@transaction.atomic
def schedule_callback(
    *,
    actor: User,
    call: Call | None,
    agent: Agent,
    due_at: dt.datetime | None,
    reason: str,
    phone: str = "",
    person: Person | None = None,
    now: dt.datetime,
) -> CallbackTask:
    """H2: the caller prefers a call back; it lands in the agent's task list (proactive)."""
    if due_at is None:
        raise CallError(_("Indique a qué hora devolver la llamada."), code="callback_time_required")
    if due_at <= now:
        raise CallError(_("La hora de la devolución debe ser futura."), code="callback_in_past")
    phone = phone or (
        (call.from_number if call.direction == CallDirection.IN else call.to_number) if call else ""
    )
    if not phone.strip():
        raise CallError(_("Falta el teléfono para devolver la llamada."), code="phone_required")
    person = person or (call.person if call else None)
    task = CallbackTask.objects.create(
        call=call,
        agent=agent,
        person=person,
        organisation=person.organisation if person else (call.organisation if call else None),
        ticket=call.ticket if call else None,
        caller_name=(call.caller_name if call else "") or (str(person) if person else ""),
        phone=phone.strip()[:64],
        reason=reason.strip()[:300],
        due_at=due_at,
        created_at=now,
        created_by=actor,
    )
    live.broadcast_on_commit(
        console_group(agent.pk), {"type": "callback.scheduled", "callback_id": task.pk}
    )
    return task


def pending_callbacks(*, agent: Agent) -> CallbackQuerySet:
    return (
        CallbackTask.objects.filter(agent=agent, done_at__isnull=True)
        .select_related("person", "organisation", "ticket")
        .order_by("due_at", "id")
    )


@transaction.atomic
def complete_callback(
    *, actor: User, callback: CallbackTask, result: str, now: dt.datetime
) -> CallbackTask:
    agent = agent_of(actor)
    if callback.agent_id != agent.pk and not actor.is_manager:
        raise Forbidden(_("Esta devolución es de otro agente."))
    if callback.done_at is not None:
        raise CallError(_("La devolución ya se hizo."), code="already_done")
    callback.done_at = now
    callback.result = result.strip()[:300]
    callback.save(update_fields=["done_at", "result"])
    return callback


def hang_up(*, actor: User, call: Call, by: str, now: dt.datetime) -> Call:
    """C1 is said, C3 recorded: who hung up first."""
    agent_of(actor)
    states.check(states.action_refused(call))
    if by not in (Party.CALLER, Party.AGENT):
        raise CallError(_("Indique quién colgó primero."), code="initiator_required")
    cause = "normalClearing" if call.answered_at else "cancel"
    return console_event(call, "hangup", now, cause=cause, initiator=by)


def live_calls() -> Iterable[Call]:
    return (
        Call.objects.exclude(state=CallState.ENDED)
        .select_related("line", "person", "organisation", "agent__user")
        .order_by("started_at", "id")
    )
