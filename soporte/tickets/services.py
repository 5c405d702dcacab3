"""Use cases of tickets. Each writes its bitácora entry in the same transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from soporte.directory.models import (
    MANAGER_ROLES,
    STAFF_ROLES,
    Agent,
    Area,
    Organisation,
    Person,
    Presence,
    User,
)
from soporte.lib.business_time import Calendar
from soporte.lib.errors import DomainError, Forbidden
from soporte.logbook import services as logbook
from soporte.logbook.models import EntryKind, Logbook, LogbookKind
from soporte.tickets import attachments, reads, sla
from soporte.tickets.mail import notifications as mail
from soporte.tickets.mail import outbox
from soporte.tickets.mail.threads import ViaMail
from soporte.tickets.models import (
    AUXILIARY_WARNING,
    OPEN_STATUSES,
    TRANSITIONS,
    Approval,
    Attachment,
    Channel,
    Direction,
    Escalation,
    Note,
    Priority,
    Sequence,
    SlaAlert,
    Status,
    StatusChange,
    SupportKind,
    Survey,
    Ticket,
)

log = logging.getLogger(__name__)


class TicketError(DomainError):
    code = "ticket_rule"


@dataclass(frozen=True)
class NewTicket:
    organisation: Organisation
    requester: Person
    subject: str
    description: str
    channel: str
    support_kind: str = SupportKind.DISTANCE
    direction: str = Direction.REACTIVE
    decision_maker: Person | None = None
    level: int = 1
    area: Area | None = None
    priority: str = Priority.NORMAL
    equipment: str = ""
    # A device of the equipment registry (inventory), by id: tickets never import inventory.
    device_id: int | None = None
    remote_tool: str = ""
    remote_session_id: str = ""
    auxiliary_acknowledged: bool = False
    chargeable: bool = False


# What a customer's own request is (the portal's form, an e-mail): the desk sets the rest.
CUSTOMER_CHANNELS = frozenset({Channel.PORTAL, Channel.EMAIL})
CUSTOMER_REQUEST = {
    "direction": Direction.REACTIVE,
    "support_kind": SupportKind.DISTANCE,
    "level": 1,
    "area": None,
    "priority": Priority.NORMAL,
    "remote_tool": "",
    "remote_session_id": "",
    "auxiliary_acknowledged": False,
    "chargeable": False,
}


def _check_customer_request(actor: User, data: NewTicket) -> None:
    """A customer opens tickets in their own name and describes the problem; the channel,
    level, priority, area, kind of support and billing are the desk's to set."""
    if not Person.objects.filter(user=actor, pk=data.requester.pk).exists():
        raise Forbidden(_("Un cliente abre tickets a su propio nombre."))
    if data.channel not in CUSTOMER_CHANNELS or any(
        getattr(data, name) != value for name, value in CUSTOMER_REQUEST.items()
    ):
        raise Forbidden(
            _(
                "El canal, el nivel, la prioridad, el área, el tipo de soporte y el cobro de "
                "un ticket los fija la mesa: describa el problema y nosotros lo clasificamos."
            )
        )


def _next_number(name: str) -> int:
    # IMMEDIATE transactions (SQLite) and FOR UPDATE (PostgreSQL) serialise this read-modify-write.
    seq, _created = Sequence.objects.select_for_update().get_or_create(name=name)
    seq.value += 1
    seq.save(update_fields=["value"])
    return int(seq.value)


def ticket_logbook(ticket: Ticket, *, now: dt.datetime) -> Logbook:
    """The customer's open contract logbook, or the desk's internal one."""
    return organisation_logbook(ticket.organisation_id, now=now)


def organisation_logbook(organisation_id: int | None, *, now: dt.datetime) -> Logbook:
    """Where the desk's work for an organisation is logged (a ticket's, a call's): its open
    contract logbook, or the desk's internal one (also for a caller nobody knows)."""
    book = (
        Logbook.objects.filter(
            kind=LogbookKind.CUSTOMER,
            organisation_id=organisation_id,
            closed_at__isnull=True,
            head_number__gte=1,
        )
        .order_by("id")
        .first()
        if organisation_id
        else None
    )
    return book or logbook.desk_logbook(now=now)


def desk_language() -> AbstractContextManager[None]:
    """Bitácora entries are signed and kept for good, so they are written in the desk's
    language whatever language the person acting reads (their errors stay in theirs)."""
    return translation.override(settings.LANGUAGE_CODE)


def signer_in(book: Logbook, author: User, *, now: dt.datetime) -> User:
    """Who signs an entry: its author, with their own key; a customer's action that lands in
    the desk's internal logbook (an organisation with no contract logbook) is recorded there
    by the desk's system signer, since only the contract's parties sign a contract logbook."""
    if author.is_customer and book.kind != LogbookKind.CUSTOMER:
        return desk_author(now)
    return author


def _log(
    ticket: Ticket,
    *,
    kind: str,
    author: User,
    summary: str,
    fields: dict[str, str],
    now: dt.datetime,
) -> None:
    """Call under `desk_language()`, with the summary and fields built there too."""
    book = ticket_logbook(ticket, now=now)
    logbook.append_entry(
        logbook=book,
        kind=kind,
        author=signer_in(book, author, now=now),
        summary=summary,
        fields=fields,
        subject=logbook.Subject("ticket", ticket.folio, ticket.subject),
        now=now,
    )


# Channels where the customer is on the line or in front of the agent as the ticket opens.
LIVE_CHANNELS = (Channel.PHONE, Channel.IN_PERSON, Channel.REMOTE, Channel.PROACTIVE)


@transaction.atomic
def open_ticket(
    *,
    actor: User,
    data: NewTicket,
    now: dt.datetime,
    files: Collection[FileIn] = (),
    via_mail: ViaMail | None = None,
) -> Ticket:
    """Open a ticket from any channel; records both people when attention is indirect.

    `files` arrive with it (the portal's form, an e-mail's attachments): checked against the
    limits (`attachments.check_upload`; a refused file opens no ticket), stored and named in
    the bitácora with their size and SHA-256. `via_mail`: opened from a customer's e-mail."""
    if actor.is_customer and actor.organisation_id != data.organisation.pk:
        raise Forbidden(_("Solo puede abrir tickets de su organización."))
    if actor.is_customer:
        _check_customer_request(actor, data)
    if not data.organisation.is_active:
        raise TicketError(
            _("La organización está dada de baja: no se le abren tickets."),
            code="organisation_inactive",
        )
    if data.requester.organisation_id != data.organisation.pk:
        raise TicketError(_("El solicitante no pertenece a la organización."), code="requester_org")
    if data.decision_maker and data.decision_maker.organisation_id != data.organisation.pk:
        raise TicketError(_("El decisor no pertenece a la organización."), code="decider_org")
    if not data.subject.strip() or not data.description.strip():
        raise TicketError(_("Escriba el asunto y la descripción."), code="text_required")
    if data.level not in (1, 2, 3, 4):
        raise TicketError(_("El nivel debe ser 1, 2, 3 o 4."), code="invalid_level")
    for value, choices, label in (
        (data.channel, Channel, _("canal")),
        (data.support_kind, SupportKind, _("tipo de soporte")),
        (data.direction, Direction, _("dirección")),
        (data.priority, Priority, _("prioridad")),
    ):
        if value not in choices.values:
            raise TicketError(
                _("Valor no válido para %(field)s.") % {"field": label}, code="invalid_choice"
            )
    if data.support_kind == SupportKind.REMOTE_ACCESS and not (
        data.remote_tool.strip() and data.remote_session_id.strip()
    ):
        raise TicketError(
            _("El soporte remoto necesita la herramienta y el id de la sesión."),
            code="remote_session",
        )
    if data.support_kind == SupportKind.AUXILIARY and not data.auxiliary_acknowledged:
        raise TicketError(str(AUXILIARY_WARNING), code="auxiliary_acknowledgement")
    device = _device_of(data)
    decision_maker = data.decision_maker if data.decision_maker != data.requester else None
    if decision_maker is not None and not decision_maker.can_decide:
        # Nobody could ever approve the work: the portal lets only decision-makers decide.
        raise TicketError(
            _("%(name)s no autoriza trabajos con costo: elija a un decisor de la organización.")
            % {"name": decision_maker.full_name},
            code="not_a_decider",
        )
    # An agent who opens the ticket while talking with the customer (on the phone, in
    # person, in a remote session, or calling them first) has already answered: the
    # first-response clock is met as the ticket opens. A ticket typed in from an e-mail or
    # the portal still waits for its first answer.
    answered = now if actor.is_desk_staff and data.channel in LIVE_CHANNELS else None
    ticket = Ticket.objects.create(
        number=_next_number("ticket"),
        organisation=data.organisation,
        requester=data.requester,
        decision_maker=decision_maker,
        channel=data.channel,
        direction=Direction.PROACTIVE if data.channel == Channel.PROACTIVE else data.direction,
        support_kind=data.support_kind,
        remote_tool=data.remote_tool.strip(),
        remote_session_id=data.remote_session_id.strip(),
        auxiliary_acknowledged_at=now if data.support_kind == SupportKind.AUXILIARY else None,
        level=data.level,
        area=data.area,
        priority=data.priority,
        subject=data.subject.strip()[:200],
        description=data.description.strip(),
        equipment=(data.equipment.strip() or (str(device) if device else ""))[:200],
        device=device,
        created_by=actor,
        created_at=now,
        updated_at=now,
        first_response_at=answered,
        last_update_at=answered,
        chargeable=data.chargeable,
        approval=Approval.PENDING if data.chargeable else Approval.NOT_REQUIRED,
    )
    sla.refresh(ticket, now=now)
    fields = {
        "folio": ticket.folio,
        "requester": data.requester.full_name,
        "channel": ticket.get_channel_display(),
        "support_kind": ticket.get_support_kind_display(),
        "level": str(ticket.level),
        "description": ticket.description[:2000],
    }
    if decision_maker:
        fields["decision_maker"] = decision_maker.full_name
    if ticket.equipment:
        fields["equipment"] = ticket.equipment
    if data.support_kind == SupportKind.AUXILIARY:
        fields["warning"] = str(AUXILIARY_WARNING)
    if data.support_kind == SupportKind.REMOTE_ACCESS:
        fields["remote"] = f"{ticket.remote_tool} · {ticket.remote_session_id}"
    with desk_language():
        _log(
            ticket,
            kind=EntryKind.NOTE,
            # A portal request is signed by the customer who made it, with their own key.
            author=actor,
            summary=_("Ticket %(folio)s abierto: %(subject)s")
            % {"folio": ticket.folio, "subject": ticket.subject},
            fields=fields,
            now=now,
        )
    if files:
        attach_files(ticket=ticket, actor=actor, files=files, now=now)
    mail.notify_ticket_opened(ticket, via_mail=via_mail)
    return ticket


def _device_of(data: NewTicket) -> Any:
    """The registered device the ticket is about: one of the ticket's organisation, in
    service. Read through the app registry: tickets do not import inventory."""
    if data.device_id is None:
        return None
    device_model = Ticket._meta.get_field("device").related_model
    device = (
        device_model._default_manager.filter(  # type: ignore[union-attr]
            pk=data.device_id, organisation=data.organisation, retired_at__isnull=True
        )
        .select_related("organisation")
        .first()
    )
    if device is None:
        raise TicketError(
            _("Ese equipo no es de la organización del ticket o está dado de baja."),
            code="device_org",
        )
    return device


def desk_author(now: dt.datetime) -> User:
    """The desk's named system signer: what no person of the desk did themself (an e-mail
    from a contact without a portal account, an automatic escalation) is signed by it, never
    by whichever administrator comes first."""
    return logbook.system_signer()


# The statuses of a ticket being worked on: each needs the agent working on it.
NEEDS_ASSIGNEE = frozenset(
    {Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED}
)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def record_status_change(
    *,
    ticket: Ticket,
    from_status: str,
    to_status: str,
    actor: User,
    now: dt.datetime,
    comment: str = "",
) -> StatusChange:
    """Write one status change in commit order (issue 21, item 4). The caller holds the
    ticket's row lock, so changes are inserted one after another: the id orders them, and the
    time is never earlier than the ticket's last change. `now` was read before the lock; a
    change that waited for another's lock would otherwise be stamped before the one it
    waited for, and history would list them out of order."""
    last_at = (
        StatusChange.objects.filter(ticket=ticket)
        .order_by("-id")
        .values_list("at", flat=True)
        .first()
    )
    at = max(now, last_at) if last_at is not None else now
    return StatusChange.objects.create(
        ticket=ticket,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        at=at,
        comment=comment,
    )


@transaction.atomic
def change_status(
    *, ticket: Ticket, actor: User, to_status: str, now: dt.datetime, comment: str = ""
) -> Ticket:
    """Move the ticket along the workflow; only legal transitions, each recorded."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa cambia el estado de un ticket."))
    if to_status not in Status.values:
        raise TicketError(_("Estado desconocido."), code="invalid_status")
    if not can_transition(ticket.status, to_status):
        raise TicketError(
            _("No se puede pasar de «%(from)s» a «%(to)s».")
            % {"from": Status(ticket.status).label, "to": Status(to_status).label},
            code="illegal_transition",
        )
    if to_status in NEEDS_ASSIGNEE and ticket.assignee_id is None:
        # A ticket waiting in a level's queue is somebody's before it is worked on.
        raise TicketError(
            _("Asigne un agente antes de marcar el ticket como «%(to)s».")
            % {"to": Status(to_status).label},
            code="no_assignee",
        )
    previous = ticket.status
    ticket.status = to_status
    ticket.updated_at = now
    if to_status == Status.RESOLVED:
        ticket.resolved_at = now
    elif previous == Status.RESOLVED and to_status != Status.CLOSED:
        # Reopened by the desk: the resolution clock runs again, as on a customer's reply.
        # Closing keeps the resolution time: the ticket was resolved then, and resolution
        # metrics (reports, SLA) read it.
        ticket.resolved_at = None
    if to_status == Status.CLOSED:
        ticket.closed_at = now
    if (
        to_status in (Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED)
        and ticket.first_response_at is None
    ):
        ticket.first_response_at = now
    ticket.last_update_at = now
    ticket.save()
    record_status_change(
        ticket=ticket,
        from_status=previous,
        to_status=to_status,
        actor=actor,
        now=now,
        comment=comment[:300],
    )
    sla.refresh(ticket, now=now)
    with desk_language():
        _log(
            ticket,
            kind=EntryKind.NOTE,
            author=actor,
            summary=_("Ticket %(folio)s: %(from)s → %(to)s")
            % {
                "folio": ticket.folio,
                "from": Status(previous).label,
                "to": Status(to_status).label,
            },
            fields={"comment": comment} if comment else {},
            now=now,
        )
    mail.notify_status_changed(ticket, previous=previous)
    return ticket


FINISHED = frozenset({Status.CLOSED, Status.CANCELLED})


def _refuse_customer_on_finished(ticket: Ticket, author: User) -> None:
    """A customer adds nothing to a closed or cancelled ticket: nobody at the desk reads one
    (the portal and e-mail intake say the same)."""
    if author.is_customer and ticket.status in FINISHED:
        raise TicketError(
            _("Este ticket ya está cerrado: si el problema sigue, abra un ticket nuevo."),
            code="ticket_closed",
        )


def route_to_agent(*, level: int, area: Area | None, exclude: Agent | None = None) -> Agent | None:
    """An available agent of the level (and area) with the fewest open tickets, or None."""
    candidates = Agent.objects.filter(
        level=level, presence=Presence.AVAILABLE, user__is_active=True
    )
    if area is not None:
        candidates = candidates.filter(areas=area)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    return (
        candidates.annotate(
            open_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES))
        )
        .order_by("open_count", "id")
        .first()
    )


def escalation_refusal(
    *, ticket: Ticket, to_level: int, to_area: Area | None
) -> TicketError | None:
    """Why this escalation cannot be made, or None: an open ticket, a real level, and up a
    level or sideways to another area (X1). Checked before a warm transfer consults the
    colleague, so the agent is never left with a consultation that cannot connect."""
    if not ticket.is_open:
        return TicketError(_("El ticket ya no está abierto."), code="not_open")
    if to_level not in (1, 2, 3, 4):
        return TicketError(_("El nivel debe ser 1, 2, 3 o 4."), code="invalid_level")
    sideways = to_area is not None and to_area.pk != ticket.area_id
    if to_level < ticket.level or (to_level == ticket.level and not sideways):
        return TicketError(
            _("Se escala a un nivel superior o, en el mismo nivel, a otra área."),
            code="escalation_direction",
        )
    return None


# A pick list stays a pick list: an organisation with more contacts than this is searched on
# its own page, and the hand-off offers the requester and the first names in order.
HANDOFF_NAMES_MAX = 200


def handoff_customer_names(ticket: Ticket) -> list[str]:
    """The names a hand-off may give as the customer's (X2): the ticket's requester first,
    then the other people of the ticket's organisation. Never free text, so the receiver
    greets the person on record, not a spelling that differs from the requester."""
    names = [ticket.requester.full_name]
    for name in (
        Person.objects.filter(organisation_id=ticket.organisation_id)
        .exclude(pk=ticket.requester_id)
        .order_by("full_name", "id")
        .values_list("full_name", flat=True)[:HANDOFF_NAMES_MAX]
    ):
        if name not in names:
            names.append(name)
    return [name for name in names if name.strip()]


def handoff_customer(*, actor: User, ticket: Ticket, name: str | None) -> str:
    """The customer's name for a hand-off written through the API: the requester's when none
    is given, else one of `handoff_customer_names` (refused otherwise). Only the desk
    escalates, so a customer is refused before their input is judged."""
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa escala tickets."))
    names = handoff_customer_names(ticket)
    if name is None or not name.strip():
        return ticket.requester.full_name
    if name.strip() not in names:
        raise TicketError(
            _(
                "El nombre del cliente se elige entre el solicitante y las personas de "
                "%(organisation)s."
            )
            % {"organisation": ticket.organisation.name},
            code="customer_not_on_ticket",
            field="customer_name",
        )
    return name.strip()


@transaction.atomic
def escalate_ticket(
    *,
    ticket: Ticket,
    actor: User,
    to_level: int,
    to_area: Area | None,
    customer_name: str,
    reason: str,
    tried: str,
    now: dt.datetime,
    automatic: bool = False,
    to_agent: Agent | None = None,
) -> Escalation:
    """Escalate up a level or sideways to an area, always with a hand-off note (rule X2)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=ticket.pk)
    )
    if not (actor.is_desk_staff or (automatic and logbook.is_system_signer(actor))):
        raise Forbidden(_("Solo el personal de la mesa escala tickets."))
    refusal = escalation_refusal(ticket=ticket, to_level=to_level, to_area=to_area)
    if refusal is not None and refusal.code == "not_open":
        raise refusal
    missing = [
        (field, label)
        for value, field, label in (
            (customer_name, "customer_name", _("el nombre del cliente")),
            (reason, "reason", _("el motivo")),
            (tried, "tried", _("lo que ya se intentó")),
        )
        if not value.strip()
    ]
    if missing:
        raise TicketError(
            _(
                "La nota de traspaso necesita %(missing)s: quien recibe nunca le pide al cliente que repita."
            )
            % {"missing": ", ".join(str(label) for _field, label in missing)},
            code="handoff_incomplete",
            missing=[field for field, _label in missing],
        )
    if refusal is not None:
        raise refusal
    # A warm transfer names the colleague who already took the consultation (X2). Otherwise
    # the chosen area's agents; with "any area of the level", the ticket's own area first.
    target = to_agent or route_to_agent(
        level=to_level, area=to_area or ticket.area, exclude=ticket.assignee
    )
    if target is None and to_area is None and ticket.area_id is not None:
        target = route_to_agent(level=to_level, area=None, exclude=ticket.assignee)
    escalation = Escalation.objects.create(
        ticket=ticket,
        from_level=ticket.level,
        to_level=to_level,
        from_area_id=ticket.area_id,
        to_area=to_area,
        from_agent=ticket.assignee,
        to_agent=target,
        customer_name=customer_name.strip(),
        reason=reason.strip(),
        tried=tried.strip(),
        by=actor,
        at=now,
        automatic=automatic,
    )
    previous = ticket.status
    ticket.level = to_level
    ticket.area = to_area or ticket.area
    ticket.assignee = target
    ticket.status = Status.ASSIGNED if target else Status.ESCALATED
    ticket.updated_at = now
    ticket.save()
    record_status_change(
        ticket=ticket,
        from_status=previous,
        to_status=ticket.status,
        actor=actor,
        now=now,
        comment=_("Escalamiento a nivel %(level)d") % {"level": to_level},
    )
    sla.refresh(ticket, now=now)
    with desk_language():
        summary = _("Ticket %(folio)s escalado de nivel %(from)d a %(to)d") % {
            "folio": ticket.folio,
            "from": escalation.from_level,
            "to": to_level,
        }
        handoff = {
            "customer_name": escalation.customer_name,
            "reason": escalation.reason,
            "tried": escalation.tried,
            "to_agent": str(target)
            if target
            else _("cola del nivel %(level)d") % {"level": to_level},
            "to_area": str(to_area) if to_area else "",
        }
        book = ticket_logbook(ticket, now=now)
        subject = logbook.Subject("ticket", ticket.folio, ticket.subject)
        if book.kind == LogbookKind.CUSTOMER:
            # The customer's logbook says what they live (their ticket moved up a level); the
            # hand-off note between colleagues is the desk's, in its internal logbook.
            logbook.append_entry(
                logbook=book,
                kind=EntryKind.ESCALATION,
                author=actor,
                summary=summary,
                fields={},
                subject=subject,
                now=now,
            )
            book = logbook.desk_logbook(now=now)
        logbook.append_entry(
            logbook=book,
            kind=EntryKind.ESCALATION,
            author=actor,
            summary=summary,
            fields=handoff,
            subject=subject,
            now=now,
        )
    mail.notify_ticket_escalated(escalation)
    return escalation


@transaction.atomic
def assign_ticket(*, ticket: Ticket, actor: User, agent: Agent, now: dt.datetime) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa asigna tickets."))
    if not ticket.is_open:
        raise TicketError(_("El ticket ya no está abierto."), code="not_open")
    if not agent.user.is_active:
        raise TicketError(
            _("%(agent)s ya no trabaja en la mesa: elija a otro agente.") % {"agent": agent.name},
            code="agent_inactive",
        )
    if agent.level < ticket.level:
        raise TicketError(
            _("%(agent)s es de nivel %(agent_level)d y el ticket es de nivel %(level)d.")
            % {"agent": agent.name, "agent_level": agent.level, "level": ticket.level},
            code="level_too_low",
        )
    ticket.assignee = agent
    ticket.updated_at = now
    if ticket.status in (Status.NEW, Status.ESCALATED):
        record_status_change(
            ticket=ticket,
            from_status=ticket.status,
            to_status=Status.ASSIGNED,
            actor=actor,
            now=now,
        )
        ticket.status = Status.ASSIGNED
    ticket.save()
    sla.refresh(ticket, now=now)
    with desk_language():
        _log(
            ticket,
            kind=EntryKind.NOTE,
            author=actor,
            summary=_("Ticket %(folio)s asignado a %(agent)s")
            % {"folio": ticket.folio, "agent": agent.name},
            fields={},
            now=now,
        )
    return ticket


@transaction.atomic
def assign_tickets(
    *, tickets: Iterable[Ticket], actor: User, agent: Agent, now: dt.datetime
) -> list[Ticket]:
    """Bulk assignment: every ticket to one agent, all of them or none (one transaction).
    A refusal names the ticket it stopped at in its details (`folio`)."""
    done = []
    for ticket in tickets:
        try:
            done.append(assign_ticket(ticket=ticket, actor=actor, agent=agent, now=now))
        except DomainError as exc:
            exc.details.setdefault("folio", ticket.folio)
            raise
    return done


@transaction.atomic
def set_priority(
    *, ticket: Ticket, actor: User, priority: str, now: dt.datetime, reason: str = ""
) -> Ticket:
    """The desk classifies a ticket's urgency (a customer's request arrives as normal); the
    SLA targets follow the new priority's policy from the ticket's opening."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa cambia la prioridad de un ticket."))
    if not ticket.is_open:
        raise TicketError(_("El ticket ya no está abierto."), code="not_open")
    if priority not in Priority.values:
        raise TicketError(_("Prioridad desconocida."), code="invalid_priority")
    previous = ticket.priority
    if priority == previous:
        return ticket
    ticket.priority = priority
    ticket.updated_at = now
    ticket.save(update_fields=["priority", "updated_at"])
    sla.refresh(ticket, now=now)
    with desk_language():
        _log(
            ticket,
            kind=EntryKind.NOTE,
            author=actor,
            summary=_("Ticket %(folio)s: prioridad %(from)s → %(to)s")
            % {
                "folio": ticket.folio,
                "from": Priority(previous).label,
                "to": Priority(priority).label,
            },
            fields={"reason": reason.strip()[:300]} if reason.strip() else {},
            now=now,
        )
    return ticket


@transaction.atomic
def add_note(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    now: dt.datetime,
    internal: bool = False,
    log: bool = True,
    files: Collection[FileIn] = (),
    from_customer: bool = False,
    via_mail: ViaMail | None = None,
) -> Note:
    """A reply or an internal note, with its bitácora entry: a public note goes to the
    customer's logbook, an internal one to the desk's (the customer never reads it).
    `files` are checked against the limits, stored with the note and named in its entry
    with their size and SHA-256 (a refused file leaves no note). `log=False` is for callers
    that write their own, richer entry (a call's record). `from_customer`: the words are a
    customer's though the author is the desk's (an e-mail from a contact without a portal
    account): they answer nothing of the desk's targets and bring the ticket back.
    `via_mail`: the note is a customer's e-mail (its notification threads under it)."""
    if files:
        attachments.check_upload(
            ticket, [(f.name, f.data) for f in files], uploader=author, now=now
        )
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    customer = author.is_customer or from_customer
    if not body.strip():
        raise TicketError(_("La nota está vacía."), code="empty_note")
    if author.is_customer and internal:
        raise Forbidden(_("Los clientes no escriben notas internas."))
    _refuse_customer_on_finished(ticket, author)
    note = Note.objects.create(
        ticket=ticket, author=author, body=body.strip(), internal=internal, created_at=now
    )
    if customer and ticket.status in (Status.WAITING_CUSTOMER, Status.RESOLVED):
        # The customer answered (or came back): the clock runs again and the desk sees it.
        record_status_change(
            ticket=ticket,
            from_status=ticket.status,
            to_status=Status.IN_PROGRESS,
            actor=author,
            now=now,
            comment=_("Respuesta del cliente"),
        )
        ticket.status = Status.IN_PROGRESS
        ticket.resolved_at = None
    ticket.updated_at = now
    if author.is_desk_staff and not customer and not internal:
        ticket.last_update_at = now
        ticket.first_response_at = ticket.first_response_at or now
    ticket.save(
        update_fields=["updated_at", "last_update_at", "first_response_at", "status", "resolved_at"]
    )
    sla.refresh(ticket, now=now)
    stored = _store(ticket, author, files, now=now, note=note)
    if log:
        with desk_language():
            book = logbook.desk_logbook(now=now) if internal else ticket_logbook(ticket, now=now)
            logbook.append_entry(
                logbook=book,
                kind=EntryKind.NOTE,
                author=signer_in(book, author, now=now),
                summary=(
                    _("Nota interna en %(folio)s: %(text)s")
                    if internal
                    else _("Nota en %(folio)s: %(text)s")
                )
                % {"folio": ticket.folio, "text": note.body[:200]},
                fields={"body": note.body[:4000]}
                | ({"files": _files_field(stored)} if stored else {}),
                subject=logbook.Subject("ticket", ticket.folio, ticket.subject),
                now=now,
            )
    mail.notify_note_added(note, via_mail=via_mail)
    return note


@dataclass(frozen=True)
class FileIn:
    name: str
    data: bytes
    content_type: str = ""


@transaction.atomic
def attach_files(
    *, ticket: Ticket, actor: User, files: Collection[FileIn], now: dt.datetime
) -> list[Attachment]:
    """Files added to the ticket itself (not to a note), checked against the limits
    (`attachments.check_upload`), each named in the bitácora with its size and SHA-256."""
    attachments.check_upload(ticket, [(f.name, f.data) for f in files], uploader=actor, now=now)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _refuse_customer_on_finished(ticket, actor)
    stored = _store(ticket, actor, files, now=now)
    with desk_language():
        _log(
            ticket,
            kind=EntryKind.NOTE,
            author=actor,
            summary=_("Archivos adjuntos a %(folio)s: %(names)s")
            % {"folio": ticket.folio, "names": ", ".join(a.original_name for a in stored)[:200]},
            fields={"files": _files_field(stored)},
            now=now,
        )
    return stored


def _store(
    ticket: Ticket,
    author: User,
    files: Iterable[FileIn],
    *,
    now: dt.datetime,
    note: Note | None = None,
) -> list[Attachment]:
    return [
        attachments.store(
            ticket=ticket,
            uploaded_by=author,
            name=file.name,
            data=file.data,
            content_type=file.content_type,
            now=now,
            note=note,
        )
        for file in files
    ]


def _files_field(stored: list[Attachment]) -> str:
    """Each file as the bitácora names it: its name, size and SHA-256."""
    return "\n".join(f"{a.original_name} · {a.size} B · SHA-256 {a.sha256}" for a in stored)


def handoff_for(ticket: Ticket) -> Escalation | None:
    """The latest hand-off note, with its agents and area: the receiving agent reads it
    first (one SELECT, `reads.handoff`)."""
    return reads.handoff(ticket)


def _notify(recipients: list[str], subject: str, body: str) -> None:
    addresses = [r for r in recipients if r]
    if addresses:
        # Through the job queue, in this transaction: sent by a worker once it commits.
        outbox.queue(
            [EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)]
        )


def sweep_sla(*, now: dt.datetime) -> dict[str, int]:
    """The background job: warn at 75 %, and on breach notify supervisors and escalate.

    Only tickets whose next threshold has come are read (`sla_check_at`, indexed): a desk
    with 200,000 open tickets sweeps the few that need it, not all of them every minute."""
    calendar = sla.desk_calendar(settings.TIME_ZONE)
    counts = {"warnings": 0, "breaches": 0, "escalations": 0, "failed": 0}
    supervisors = list(User.objects.filter(role__in=MANAGER_ROLES, is_active=True).order_by("id"))
    # One short transaction per ticket: a sweep over thousands of open tickets must not hold
    # SQLite's write lock for its whole run (bench/RESULTS.md, "Tickets").
    for pk in _due_ticket_ids(now):
        try:
            with transaction.atomic():
                # Read again under the row's lock: an agent may have changed the ticket
                # (its priority, its status) since the list was read, and the clocks and
                # snapshot must be those of the ticket as it is now.
                ticket = (
                    Ticket.objects.open()
                    .select_for_update(of=("self",))
                    .select_related("assignee__user", "requester")
                    .filter(pk=pk, sla_check_at__lte=now)
                    .first()
                )
                if ticket is None:
                    continue
                escalated = _sweep_ticket(
                    ticket, calendar=calendar, supervisors=supervisors, counts=counts, now=now
                )
                if not escalated:
                    # What was due is announced: the next look is at the next threshold. (An
                    # escalated ticket was refreshed by the escalation, under its new policy.)
                    sla.refresh(ticket, now=now, after=now)
        except Exception:
            # One ticket that cannot be announced (its row or a rule) must not keep every
            # other ticket's alerts waiting: it is logged and retried on the next sweep.
            log.exception("SLA sweep failed for ticket id %s", pk)
            counts["failed"] += 1
    return counts


def _due_ticket_ids(now: dt.datetime) -> list[int]:
    """The open tickets whose next threshold has come, oldest threshold first."""
    return list(
        Ticket.objects.open()
        .filter(sla_check_at__lte=now)
        .order_by("sla_check_at", "id")
        .values_list("id", flat=True)
    )


def _sweep_ticket(
    ticket: Ticket,
    *,
    calendar: Calendar,
    supervisors: list[User],
    counts: dict[str, int],
    now: dt.datetime,
) -> bool:
    """Announce the ticket's thresholds that have come; True when it was escalated. Every
    breached target is announced before the ticket escalates, once: two targets breached
    together (a worker that was down) move it one level, not two."""
    breached: list[str] = []
    for clock in sla.ticket_clocks(ticket, calendar=calendar, now=now):
        state = clock.state
        if state not in ("warning", "breached") or clock.met_at is not None:
            continue
        kind = SlaAlert.Kind.BREACH if state == "breached" else SlaAlert.Kind.WARNING
        _alert, created = SlaAlert.objects.get_or_create(
            ticket=ticket,
            target=clock.target,
            kind=kind,
            cycle_start_at=clock.started_at,
            defaults={"at": now},
        )
        if not created:
            continue
        label = str(sla.SlaTarget(clock.target).label)
        if kind == SlaAlert.Kind.WARNING:
            counts["warnings"] += 1
            # The assignee's to answer; a ticket nobody holds yet is the supervisors'.
            _notify(
                [ticket.assignee.user.email] if ticket.assignee else [s.email for s in supervisors],
                _("[%(folio)s] SLA al 75 %%: %(target)s")
                % {"folio": ticket.folio, "target": label},
                _("El ticket %(folio)s lleva el 75 %% del plazo de %(target)s.")
                % {"folio": ticket.folio, "target": label},
            )
            continue
        counts["breaches"] += 1
        breached.append(label)
        _notify(
            [s.email for s in supervisors],
            _("[%(folio)s] SLA vencido: %(target)s") % {"folio": ticket.folio, "target": label},
            _("El ticket %(folio)s venció su plazo de %(target)s.")
            % {"folio": ticket.folio, "target": label},
        )
    policy = sla.sla_policies().get((ticket.level, ticket.priority))
    if not (breached and policy and policy.escalate_on_breach and ticket.level < 4):
        return False
    escalate_ticket(
        ticket=ticket,
        actor=desk_author(now),  # the desk's system signer, shown as such
        to_level=ticket.level + 1,
        to_area=None,
        customer_name=ticket.requester.full_name or str(ticket.requester),
        reason=_("Plazo de %(target)s vencido (escalamiento automático).")
        % {"target": ", ".join(breached)},
        tried=_what_was_tried(ticket),
        now=now,
        automatic=True,
    )
    counts["escalations"] += 1
    return True  # the ticket moved; its clocks are read again on the next sweep


def _what_was_tried(ticket: Ticket) -> str:
    """The hand-off's "what was already tried" for an automatic escalation (rule X2): the
    desk's latest notes on the ticket, newest first, or what the customer reported."""
    # The hand-off is written in the customer's logbook: public notes only, never internal.
    notes = list(
        ticket.notes.filter(author__role__in=STAFF_ROLES, internal=False).order_by(
            "-created_at", "-id"
        )[:3]
    )
    if not notes:
        return _("Aún sin notas de la mesa. El cliente reportó: %(text)s") % {
            "text": ticket.description[:500]
        }
    return "\n".join(
        f"{timezone.localtime(note.created_at):%d/%m %H:%M} · {note.body[:300]}" for note in notes
    )


@transaction.atomic
def decide_approval(
    *, ticket: Ticket, actor: User, approve: bool, now: dt.datetime, comment: str = ""
) -> Ticket:
    """The decision-maker approves or rejects chargeable work (indirect attention)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("decision_maker", "requester")
        .get(pk=ticket.pk)
    )
    person = Person.objects.filter(user=actor).first()
    if person is None or person.organisation_id != ticket.organisation_id or not person.can_decide:
        raise Forbidden(_("Solo el decisor de la organización aprueba el trabajo con costo."))
    decider = ticket.decision_maker
    if decider is not None and decider.pk != person.pk:
        raise Forbidden(_("Este ticket lo aprueba %(name)s.") % {"name": decider.full_name})
    if ticket.approval != Approval.PENDING:
        raise TicketError(
            _("Este ticket no tiene una aprobación pendiente."), code="no_pending_approval"
        )
    ticket.approval = Approval.APPROVED if approve else Approval.REJECTED
    ticket.updated_at = now
    ticket.save(update_fields=["approval", "updated_at"])
    with desk_language():
        _log(
            ticket,
            # An approval of chargeable work: signed by the decision-maker who decided, with
            # their key (their signature is the customer's; it needs no other).
            kind=EntryKind.APPROVAL,
            author=actor,
            summary=(
                _("Trabajo con costo aprobado por %(name)s")
                if approve
                else _("Trabajo con costo rechazado por %(name)s")
            )
            % {"name": person.full_name},
            fields={"comment": comment} if comment else {},
            now=now,
        )
    return ticket


@transaction.atomic
def answer_survey(
    *,
    ticket: Ticket,
    actor: User,
    satisfaction: int,
    resolved: bool,
    now: dt.datetime,
    comment: str = "",
) -> Survey:
    """The requester rates the resolution once (satisfaction 1–5, "¿se resolvió su problema?")."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    )
    if ticket.requester.user_id != actor.pk:
        raise Forbidden(_("La encuesta la responde quien hizo la solicitud."))
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TicketError(
            _("La encuesta se responde cuando el ticket está resuelto."), code="not_resolved"
        )
    if not 1 <= satisfaction <= 5:
        raise TicketError(_("La satisfacción va de 1 a 5."), code="invalid_satisfaction")
    if Survey.objects.filter(ticket=ticket).exists():
        raise TicketError(_("La encuesta ya fue respondida."), code="already_answered")
    survey = Survey.objects.create(
        ticket=ticket,
        satisfaction=satisfaction,
        resolved=resolved,
        comment=comment.strip()[:2000],
        answered_by=actor,
        answered_at=now,
    )
    with desk_language():
        _log(
            ticket,
            kind=EntryKind.NOTE,
            author=actor,
            summary=_("Encuesta de %(folio)s: satisfacción %(n)d de 5; ¿se resolvió? %(resolved)s")
            % {
                "folio": ticket.folio,
                "n": satisfaction,
                "resolved": _("sí") if resolved else _("no"),
            },
            fields={"comment": survey.comment},
            now=now,
        )
    return survey
