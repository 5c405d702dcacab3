"""API of the bitácora: the same rules and access as the pages."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import tempfile
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import StringConstraints

from soporte.directory.api import ErrorOut
from soporte.lib import clock, limits
from soporte.lib.errors import DomainError, NotFound
from soporte.logbook import export, services
from soporte.logbook.models import (
    ENTRY_FIELDS_MAX,
    FIELD_KEY_MAX_CHARS,
    FIELD_VALUE_MAX_CHARS,
    Entry,
    EntryKind,
    Logbook,
    SignatureMethod,
)

router = Router(tags=["bitacora"])

MAX_PAGE = 200


class LogbookOut(Schema):
    id: int
    uid: str
    kind: str
    title: str
    organisation_id: int | None
    contract_reference: str
    countersign_days: int
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    head_number: int
    head_hash: str


class SignatureOut(Schema):
    signer_id: int
    signer_name: str
    role: str
    method: str
    signed_at: dt.datetime
    key_id: str
    signature: str
    has_drawing: bool


class EntryOut(Schema):
    number: int
    kind: str
    created_at: dt.datetime
    author_id: int
    author_name: str
    summary: str
    fields: dict[str, Any]
    references: int | None
    referenced_by: list[int]
    subject_type: str
    subject_id: str
    subject_label: str
    prev_hash: str
    entry_hash: str
    status: str
    signatures: list[SignatureOut]


# An entry's content as the model bounds it (`models.ENTRY_FIELDS_MAX` …), in the schema.
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=FIELD_KEY_MAX_CHARS)]
FieldValue = Annotated[str, StringConstraints(max_length=FIELD_VALUE_MAX_CHARS)]
EntryFields = Annotated[dict[FieldName, FieldValue], Field(max_length=ENTRY_FIELDS_MAX)]


def _max(name: str) -> int:
    return limits.max_length(Entry, name)


class EntryIn(Schema):
    kind: str = Field(..., description="preventive, corrective, manual, note, call, escalation")
    summary: str = Field(..., min_length=1, max_length=_max("summary"))
    fields: EntryFields = {}
    references: int | None = Field(None, description="Folio de la nota a la que se refiere")
    subject_type: str = Field("", max_length=_max("subject_type"))
    subject_id: str = Field("", max_length=_max("subject_id"))
    subject_label: str = Field("", max_length=_max("subject_label"))


class CountersignIn(Schema):
    method: str = Field(SignatureMethod.PORTAL, description="portal, on_site o api")
    drawn_png_base64: str | None = Field(None, description="Firma dibujada, PNG en base64")


class AnnulIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)
    correction: EntryFields | None = Field(
        None, description="Campos corregidos; crea la nota nueva con el texto correcto"
    )


def _logbook(request: HttpRequest, logbook_id: int) -> Logbook:
    return get_object_or_404(Logbook.objects.visible_to(request.user), pk=logbook_id)


def _entry(request: HttpRequest, logbook_id: int, number: int) -> Entry:
    logbook = _logbook(request, logbook_id)
    entry = (
        Entry.objects.filter(logbook=logbook, number=number)
        .select_related("logbook", "references", "acceptance")
        .prefetch_related("signatures__key", "referenced_by")
        .first()
    )
    if entry is None:
        raise NotFound(_("No existe esa nota."))
    return entry


def entry_out(entry: Entry, *, now: dt.datetime) -> EntryOut:
    return EntryOut(
        number=entry.number,
        kind=entry.kind,
        created_at=entry.created_at,
        author_id=entry.author_id,
        author_name=entry.author_name,
        summary=entry.summary,
        fields=entry.fields,
        references=entry.references.number if entry.references_id else None,  # type: ignore[union-attr]
        referenced_by=sorted(e.number for e in entry.referenced_by.all()),
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        subject_label=entry.subject_label,
        prev_hash=entry.prev_hash,
        entry_hash=entry.entry_hash,
        status=services.status_of(entry, now=now),
        signatures=[
            SignatureOut(
                signer_id=s.signer_id,
                signer_name=s.signer_name,
                role=s.role,
                method=s.method,
                signed_at=s.signed_at,
                key_id=s.key.key_id,
                signature=s.signature,
                has_drawing=bool(s.drawn_png),
            )
            for s in entry.signatures.all()
        ],
    )


@router.get("logbooks", response=list[LogbookOut], summary="Bitácoras visibles")
def list_logbooks(request: HttpRequest) -> list[LogbookOut]:
    return [
        LogbookOut.model_validate({**lb.__dict__, "uid": str(lb.uid)})
        for lb in Logbook.objects.visible_to(request.user).order_by("id")
    ]


@router.get(
    "logbooks/{logbook_id}", response={200: LogbookOut, 404: ErrorOut}, summary="Una bitácora"
)
def get_logbook(request: HttpRequest, logbook_id: int) -> LogbookOut:
    lb = _logbook(request, logbook_id)
    return LogbookOut.model_validate({**lb.__dict__, "uid": str(lb.uid)})


@router.get(
    "logbooks/{logbook_id}/entries",
    response={200: list[EntryOut], 404: ErrorOut},
    summary="Notas en orden de folio (paginación por folio)",
)
def list_entries(
    request: HttpRequest, logbook_id: int, after_number: int = 0, limit: int = 50
) -> list[EntryOut]:
    logbook = _logbook(request, logbook_id)
    limit = max(1, min(limit, MAX_PAGE))
    now = clock.now()
    entries = (
        Entry.objects.filter(logbook=logbook, number__gt=after_number)
        .select_related("logbook", "references", "acceptance")
        .prefetch_related("signatures__key", "referenced_by")
        .order_by("number")[:limit]
    )
    return [entry_out(e, now=now) for e in entries]


@router.get(
    "logbooks/{logbook_id}/entries/{number}",
    response={200: EntryOut, 404: ErrorOut},
    summary="Una nota de la bitácora con sus firmas",
)
def get_entry(request: HttpRequest, logbook_id: int, number: int) -> EntryOut:
    return entry_out(_entry(request, logbook_id, number), now=clock.now())


def _check_ticket_subject(request: HttpRequest, logbook: Logbook, folio: str) -> None:
    """An entry about a ticket shows on that ticket's page: the ticket must be one the
    writer sees, of the logbook's organisation (or any, in the desk's own logbook)."""
    from soporte.tickets.models import Ticket, parse_folio

    number = parse_folio(folio)
    ticket = (
        Ticket.objects.visible_to(request.user).filter(number=number).first()
        if number is not None
        else None
    )
    if ticket is None or (
        logbook.organisation_id is not None and ticket.organisation_id != logbook.organisation_id
    ):
        raise DomainError(
            _("Ese ticket no existe o no es de la organización de esta bitácora."),
            code="invalid_subject",
        )


@router.post(
    "logbooks/{logbook_id}/entries",
    response={201: EntryOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Registrar una nota (firmada por quien la registra)",
)
def create_entry(request: HttpRequest, logbook_id: int, payload: EntryIn) -> Status[EntryOut]:
    logbook = _logbook(request, logbook_id)
    if payload.kind in (EntryKind.OPENING, EntryKind.CLOSING, EntryKind.ANNULMENT):
        raise DomainError(
            _("Las notas de apertura, cierre y anulación tienen su propio procedimiento."),
            code="invalid_kind",
        )
    if payload.subject_type == "ticket":
        _check_ticket_subject(request, logbook, payload.subject_id)
    references = None
    if payload.references is not None:
        references = Entry.objects.filter(logbook=logbook, number=payload.references).first()
        if references is None:
            raise DomainError(_("La nota referida no existe."), code="invalid_reference")
    now = clock.now()
    entry = services.append_entry(
        logbook=logbook,
        kind=payload.kind,
        author=request.user,  # type: ignore[arg-type]
        summary=payload.summary,
        fields=payload.fields,
        references=references,
        subject=(
            services.Subject(payload.subject_type, payload.subject_id, payload.subject_label)
            if payload.subject_type
            else None
        ),
        now=now,
    )
    return Status(201, entry_out(_entry(request, logbook_id, entry.number), now=now))


@router.post(
    "logbooks/{logbook_id}/entries/{number}/countersign",
    response={200: EntryOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Firmar la nota como cliente (portal o en sitio con firma dibujada)",
)
def countersign(
    request: HttpRequest, logbook_id: int, number: int, payload: CountersignIn
) -> EntryOut:
    entry = _entry(request, logbook_id, number)
    drawn = None
    if payload.drawn_png_base64:
        try:
            drawn = base64.b64decode(payload.drawn_png_base64.split(",")[-1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DomainError(
                _("La firma dibujada no es base64 válido."), code="invalid_drawing"
            ) from exc
    now = clock.now()
    services.countersign_entry(
        entry=entry,
        signer=request.user,  # type: ignore[arg-type]
        method=payload.method,
        drawn_png=drawn,
        now=now,
    )
    return entry_out(_entry(request, logbook_id, number), now=now)


@router.post(
    "logbooks/{logbook_id}/entries/{number}/annul",
    response={201: list[EntryOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Anular una nota (y registrar la corrección)",
)
def annul(
    request: HttpRequest, logbook_id: int, number: int, payload: AnnulIn
) -> Status[list[EntryOut]]:
    entry = _entry(request, logbook_id, number)
    now = clock.now()
    annulment, corrected = services.annul_entry(
        entry=entry,
        actor=request.user,  # type: ignore[arg-type]
        reason=payload.reason,
        correction=dict(payload.correction) if payload.correction is not None else None,
        now=now,
    )
    created = [annulment] + ([corrected] if corrected else [])
    return Status(201, [entry_out(_entry(request, logbook_id, e.number), now=now) for e in created])


@router.post(
    "logbooks/{logbook_id}/export",
    response={200: None, 404: ErrorOut},
    summary="Exportar la bitácora a un archivo verificable sin conexión",
)
def export_file(request: HttpRequest, logbook_id: int) -> FileResponse:
    logbook = _logbook(request, logbook_id)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    export.export_logbook(logbook, handle, now=clock.now())
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"bitacora-{logbook.pk}.jsonl",
        content_type="application/x-ndjson",
    )


@router.get(
    "timeline",
    response=list[EntryOut],
    summary="Historia de un ticket, un equipo o una llamada en las bitácoras visibles",
)
def timeline(
    request: HttpRequest, subject_type: str, subject_id: str, limit: int = 100
) -> list[EntryOut]:
    now = clock.now()
    entries = services.timeline(
        actor=request.user, subject_type=subject_type, subject_id=subject_id, limit=limit
    )
    return [entry_out(e, now=now) for e in entries]
