"""API of tickets: the same services, rules and access as the pages."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from soporte.directory.api import ErrorOut
from soporte.directory.models import Agent, Area, Organisation, Person, User
from soporte.lib import clock, limits
from soporte.lib.errors import DomainError, NotFound
from soporte.lib.limits import TEXT_MAX_CHARS
from soporte.tickets import attachments, queues, search, services
from soporte.tickets.models import Attachment, Ticket

router = Router(tags=["tickets"])


class TicketOut(Schema):
    id: int
    folio: str
    number: int
    organisation_id: int
    requester_id: int
    decision_maker_id: int | None
    channel: str
    direction: str
    support_kind: str
    remote_tool: str
    remote_session_id: str
    level: int
    area: str | None
    priority: str
    status: str
    subject: str
    description: str
    equipment: str
    device_id: int | None
    assignee_id: int | None
    assignee_name: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    approval: str

    @staticmethod
    def of(t: Ticket) -> TicketOut:
        return TicketOut(
            id=t.pk,
            folio=t.folio,
            number=t.number,
            organisation_id=t.organisation_id,
            requester_id=t.requester_id,
            decision_maker_id=t.decision_maker_id,
            channel=t.channel,
            direction=t.direction,
            support_kind=t.support_kind,
            remote_tool=t.remote_tool,
            remote_session_id=t.remote_session_id,
            level=t.level,
            area=t.area.code if t.area_id else None,  # type: ignore[union-attr]
            priority=t.priority,
            status=t.status,
            subject=t.subject,
            description=t.description,
            equipment=t.equipment,
            device_id=t.device_id,
            assignee_id=t.assignee_id,
            assignee_name=t.assignee.name if t.assignee_id else None,  # type: ignore[union-attr]
            created_at=t.created_at,
            updated_at=t.updated_at,
            approval=t.approval,
        )


class TicketPageOut(Schema):
    results: list[TicketOut]
    next_cursor: str | None


class NoteOut(Schema):
    id: int
    author: str
    body: str
    internal: bool
    created_at: dt.datetime


class HandoffOut(Schema):
    from_level: int
    to_level: int
    customer_name: str = Field(..., max_length=200)
    reason: str = Field(..., max_length=TEXT_MAX_CHARS)
    tried: str = Field(..., max_length=TEXT_MAX_CHARS)
    at: dt.datetime
    to_agent: str | None


class TicketDetailOut(TicketOut):
    handoff: HandoffOut | None
    notes: list[NoteOut]
    attachments: list[dict[str, object]]


def _max(name: str) -> int:
    return limits.max_length(Ticket, name)


class TicketIn(Schema):
    """A new ticket. A customer opens one in their own name by the portal or e-mail channel,
    describing the problem: the level, priority, area, kind of support and billing are the
    desk's to set (a customer who sends others gets 403)."""

    organisation_id: int
    requester_id: int
    decision_maker_id: int | None = None
    subject: str = Field(..., min_length=1, max_length=_max("subject"))
    description: str = Field(..., min_length=1, max_length=TEXT_MAX_CHARS)
    channel: str
    support_kind: str = "distance"
    direction: str = "reactive"
    level: int = Field(1, ge=1, le=4)
    area: str | None = Field(None, description="Código del área de conocimiento")
    priority: str = "normal"
    equipment: str = Field("", max_length=_max("equipment"))
    device_id: int | None = Field(None, description="Equipo del registro de inventario")
    remote_tool: str = Field("", max_length=_max("remote_tool"))
    remote_session_id: str = Field("", max_length=_max("remote_session_id"))
    auxiliary_acknowledged: bool = False
    chargeable: bool = False


class StatusIn(Schema):
    status: str
    comment: str = Field("", max_length=300)


class PriorityIn(Schema):
    priority: str = Field(..., description="low, normal, high o urgent")
    reason: str = Field("", max_length=300)


class NoteIn(Schema):
    body: str = Field(..., min_length=1, max_length=TEXT_MAX_CHARS)
    internal: bool = False


class EscalateIn(Schema):
    to_level: int = Field(..., ge=1, le=4)
    to_area: str | None = None
    # The requester's when left out; otherwise one of the people of the ticket's organisation.
    customer_name: str | None = Field(None, max_length=200)
    reason: str = Field(..., max_length=TEXT_MAX_CHARS)
    tried: str = Field(..., max_length=TEXT_MAX_CHARS)


class AssignIn(Schema):
    agent_id: int


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _ticket(request: HttpRequest, number: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.visible_to(request.user).select_related("area", "assignee__user"),
        number=number,
    )


def _area(code: str | None) -> Area | None:
    if not code:
        return None
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise DomainError(_("Área desconocida: %(code)s.") % {"code": code}, code="invalid_area")
    return area


def detail(ticket: Ticket, request: HttpRequest) -> TicketDetailOut:
    handoff = services.handoff_for(ticket)
    notes = ticket.notes.select_related("author").order_by("created_at", "id")
    if not request.user.is_desk_staff:  # type: ignore[union-attr]
        notes = notes.filter(internal=False)
    base = TicketOut.of(ticket).model_dump()
    return TicketDetailOut(
        **base,
        handoff=HandoffOut(
            from_level=handoff.from_level,
            to_level=handoff.to_level,
            customer_name=handoff.customer_name,
            reason=handoff.reason,
            tried=handoff.tried,
            at=handoff.at,
            to_agent=handoff.to_agent.name if handoff.to_agent_id else None,  # type: ignore[union-attr]
        )
        if handoff
        else None,
        notes=[
            NoteOut(
                id=n.pk,
                author=str(n.author),
                body=n.body,
                internal=n.internal,
                created_at=n.created_at,
            )
            for n in notes
        ],
        attachments=[
            {"id": a.pk, "name": a.original_name, "size": a.size, "content_type": a.content_type}
            for a in visible_attachments(ticket, request).order_by("id")
        ],
    )


@router.get(
    "tickets", response=TicketPageOut, summary="Colas y listas de tickets (paginación por cursor)"
)
def list_tickets(
    request: HttpRequest,
    queue: str = "all",
    status: str = "",
    level: str = "",
    priority: str = "",
    organisation: str = "",
    channel: str = "",
    sort: str = "-updated_at",
    cursor: str | None = None,
    limit: int = 25,
    q: str = "",
) -> TicketPageOut:
    if q.strip():
        found = search.search_tickets(request.user, q, limit=limit)
        return TicketPageOut(results=[TicketOut.of(t) for t in found], next_cursor=None)
    result = queues.page(
        request.user,
        queue=queue,
        filters={
            "status": status,
            "level": level,
            "priority": priority,
            "organisation": organisation,
            "channel": channel,
        },
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    return TicketPageOut(
        results=[TicketOut.of(t) for t in result.tickets], next_cursor=result.next_cursor
    )


@router.post(
    "tickets",
    response={201: TicketOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Abrir un ticket",
)
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[TicketOut]:
    organisation = get_object_or_404(
        Organisation.objects.visible_to(request.user), pk=payload.organisation_id
    )
    people = Person.objects.visible_to(request.user).filter(organisation=organisation)
    requester = people.filter(pk=payload.requester_id).first()
    if requester is None:
        raise NotFound(_("No existe ese solicitante."))
    decider = None
    if payload.decision_maker_id is not None:
        decider = people.filter(pk=payload.decision_maker_id).first()
        if decider is None:
            raise NotFound(_("No existe ese decisor."))
    data = payload.model_dump(
        exclude={"organisation_id", "requester_id", "decision_maker_id", "area"}
    )
    ticket = services.open_ticket(
        actor=_me(request),
        data=services.NewTicket(
            organisation=organisation,
            requester=requester,
            decision_maker=decider,
            area=_area(payload.area),
            **data,
        ),
        now=clock.now(),
    )
    return Status(201, TicketOut.of(_ticket(request, ticket.number)))


@router.get(
    "tickets/{number}",
    response={200: TicketDetailOut, 404: ErrorOut},
    summary="Un ticket con sus notas e historial",
)
def get_ticket(request: HttpRequest, number: int) -> TicketDetailOut:
    return detail(_ticket(request, number), request)


@router.post(
    "tickets/{number}/status",
    response={200: TicketOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Cambiar el estado",
)
def set_status(request: HttpRequest, number: int, payload: StatusIn) -> TicketOut:
    ticket = services.change_status(
        ticket=_ticket(request, number),
        actor=_me(request),
        to_status=payload.status,
        comment=payload.comment,
        now=clock.now(),
    )
    return TicketOut.of(_ticket(request, ticket.number))


@router.post(
    "tickets/{number}/priority",
    response={200: TicketOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Cambiar la prioridad (personal de la mesa)",
)
def set_priority(request: HttpRequest, number: int, payload: PriorityIn) -> TicketOut:
    services.set_priority(
        ticket=_ticket(request, number),
        actor=_me(request),
        priority=payload.priority,
        reason=payload.reason,
        now=clock.now(),
    )
    return TicketOut.of(_ticket(request, number))


@router.post(
    "tickets/{number}/notes",
    response={201: NoteOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Agregar una nota o respuesta",
)
def add_note(request: HttpRequest, number: int, payload: NoteIn) -> Status[NoteOut]:
    note = services.add_note(
        ticket=_ticket(request, number),
        author=_me(request),
        body=payload.body,
        internal=payload.internal,
        now=clock.now(),
    )
    return Status(
        201,
        NoteOut(
            id=note.pk,
            author=str(note.author),
            body=note.body,
            internal=note.internal,
            created_at=note.created_at,
        ),
    )


@router.post(
    "tickets/{number}/escalate",
    response={200: TicketDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Escalar con nota de traspaso",
)
def escalate(request: HttpRequest, number: int, payload: EscalateIn) -> TicketDetailOut:
    ticket = _ticket(request, number)
    services.escalate_ticket(
        ticket=ticket,
        actor=_me(request),
        to_level=payload.to_level,
        to_area=_area(payload.to_area),
        customer_name=services.handoff_customer(
            actor=_me(request), ticket=ticket, name=payload.customer_name
        ),
        reason=payload.reason,
        tried=payload.tried,
        now=clock.now(),
    )
    return detail(_ticket(request, number), request)


@router.post(
    "tickets/{number}/assign",
    response={200: TicketOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Asignar a un agente",
)
def assign(request: HttpRequest, number: int, payload: AssignIn) -> TicketOut:
    agent = get_object_or_404(Agent.objects.visible_to(request.user), pk=payload.agent_id)
    services.assign_ticket(
        ticket=_ticket(request, number), actor=_me(request), agent=agent, now=clock.now()
    )
    return TicketOut.of(_ticket(request, number))


@router.post(
    "tickets/{number}/attachments",
    response={201: list[dict[str, object]], 403: ErrorOut, 404: ErrorOut, 413: ErrorOut},
    summary="Adjuntar archivos (multipart)",
)
def upload(
    request: HttpRequest, number: int, files: list[UploadedFile] = File(...)
) -> Status[list[dict[str, object]]]:
    ticket = _ticket(request, number)
    blobs = [(f.name or "archivo", f.read(attachments.MAX_BYTES + 1)) for f in files]
    stored = services.attach_files(
        ticket=ticket,
        actor=_me(request),
        files=[
            services.FileIn(name, data, f.content_type or "")
            for (name, data), f in zip(blobs, files, strict=True)
        ],
        now=clock.now(),
    )
    return Status(201, [{"id": a.pk, "name": a.original_name, "size": a.size} for a in stored])


@router.get(
    "tickets/{number}/attachments/{attachment_id}",
    response={200: None, 404: ErrorOut, 410: ErrorOut},
    summary="Descargar un adjunto",
)
def download(request: HttpRequest, number: int, attachment_id: int) -> FileResponse:
    ticket = _ticket(request, number)
    attachment = get_object_or_404(visible_attachments(ticket, request), pk=attachment_id)
    return attachment_response(attachment)


def visible_attachments(ticket: Ticket, request: HttpRequest) -> QuerySet[Attachment]:
    """Files of internal notes are for the desk only."""
    files = ticket.attachments.all()
    if not _me(request).is_desk_staff:
        files = files.exclude(note__internal=True)
    return files


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download, with an inert type: never rendered inline (HTML/SVG included).
    A file whose bytes are gone raises `attachments.AttachmentMissing` (410)."""
    response = FileResponse(
        attachments.open_stored(attachment),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
