"""Use cases of the bitácora. Every other app writes through `append_entry`.

Rules (research/domain.md §3.1, RLOPSRM art. 123): the logbook opens with entry 1 signed by
both sides; entries are numbered and dated consecutively; a signed entry is never modified;
an error is fixed by an annulment entry plus a new entry; an addition is a new entry that
references the original; the counterpart signs within a deadline or the entry is tacitly
accepted; nothing is added after the closing entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import router, transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from soporte.directory.models import (
    ALL_ORGANISATIONS,
    Organisation,
    Role,
    User,
    organisation_scope,
)
from soporte.lib import rawsql
from soporte.lib.errors import DomainError, Forbidden
from soporte.logbook import keys
from soporte.logbook.chain import (
    canonical_bytes,
    chain_hash,
    checkpoint_message,
    iso_ms,
    sign,
    truncate_ms,
)
from soporte.logbook.models import (
    MAINTENANCE_KINDS,
    Acceptance,
    AuthorisedSigner,
    Checkpoint,
    Entry,
    EntryKind,
    Logbook,
    LogbookKind,
    Signature,
    SignatureMethod,
    SignatureRole,
    SignerSide,
)

# The eleven elements of a maintenance entry (seed 004), in the seed's order. Elements 10 and
# 11 are the names and signatures of the responsible and the reporting person: the author and
# the countersignature carry the signatures, the fields carry the names.
ELEVEN_ELEMENTS: list[tuple[str, Any]] = [
    ("user_name", gettext_lazy("Nombre del usuario")),
    ("evaluated_date", gettext_lazy("Fecha de evaluación del reporte")),
    ("addressee_name", gettext_lazy("Nombre del destinatario")),
    ("damage_at", gettext_lazy("Fecha y hora en que ocurrió el daño o la pérdida")),
    ("description", gettext_lazy("Descripción de lo ocurrido")),
    ("device_data", gettext_lazy("Datos del dispositivo o periférico")),
    ("general_data", gettext_lazy("Datos generales")),
    ("diagnosis", gettext_lazy("Diagnóstico")),
    ("observations", gettext_lazy("Observaciones")),
    ("responsible_name", gettext_lazy("Nombre y firma del responsable")),
    ("reporting_name", gettext_lazy("Nombre y firma de la persona que reporta")),
]
MANUAL_ELEMENTS: list[tuple[str, Any]] = [
    ("date", gettext_lazy("Fecha")),
    ("time", gettext_lazy("Hora")),
    ("process", gettext_lazy("Proceso")),
    ("observations", gettext_lazy("Observaciones")),
]
OPENING_ELEMENTS: list[tuple[str, Any]] = [
    ("desk_party", gettext_lazy("Datos de la mesa de ayuda")),
    ("customer_party", gettext_lazy("Datos del cliente")),
    ("contract", gettext_lazy("Datos del contrato")),
    ("scope", gettext_lazy("Alcance del servicio")),
]

NOT_ANNULLABLE = (EntryKind.OPENING, EntryKind.CLOSING, EntryKind.ANNULMENT)


class LogbookError(DomainError):
    code = "logbook_rule"


@dataclass(frozen=True)
class Subject:
    """What an entry is about, named generically (a ticket, a piece of equipment, a call)."""

    type: str
    id: str
    label: str = ""


def required_elements(kind: str) -> list[tuple[str, Any]]:
    if kind in MAINTENANCE_KINDS:
        return ELEVEN_ELEMENTS
    if kind == EntryKind.MANUAL:
        return MANUAL_ELEMENTS
    if kind == EntryKind.OPENING:
        return OPENING_ELEMENTS
    return []


def missing_elements(kind: str, fields: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (key, label)
        for key, label in required_elements(kind)
        if not str(fields.get(key, "") or "").strip()
    ]


def entry_content(entry: Entry) -> dict[str, Any]:
    """What is hashed and signed: everything a reader of the entry relies on."""
    return {
        "logbook": str(entry.logbook.uid),
        "number": entry.number,
        "kind": entry.kind,
        "created_at": iso_ms(entry.created_at),
        "author": {"id": entry.author_id, "name": entry.author_name},
        "summary": entry.summary,
        "fields": entry.fields,
        "references": entry.references.number if entry.references_id else None,  # type: ignore[union-attr]
        "subject": {
            "type": entry.subject_type,
            "id": entry.subject_id,
            "label": entry.subject_label,
        },
    }


def entry_bytes(entry: Entry) -> bytes:
    return canonical_bytes(entry_content(entry))


def _clean_fields(fields: dict[str, Any]) -> dict[str, str]:
    cleaned = {}
    for key, value in fields.items():
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
        cleaned[str(key)[:64]] = text.strip()[:5000]
    return cleaned


def _sign_entry(
    *, entry: Entry, signer: User, role: str, method: str, now: dt.datetime, drawn_png: bytes | None
) -> Signature:
    key = keys.key_for_user(signer, now=now)
    return Signature.objects.create(
        entry=entry,
        signer=signer,
        signer_name=str(signer),
        role=role,
        method=method,
        key=key,
        signature=sign(keys.private_key(key), entry_bytes(entry)),
        drawn_png=drawn_png,
        signed_at=now,
    )


@transaction.atomic
def append_entry(
    *,
    logbook: Logbook,
    kind: str,
    author: User,
    summary: str,
    fields: dict[str, Any] | None = None,
    references: Entry | None = None,
    subject: Subject | None = None,
    now: dt.datetime,
) -> Entry:
    """Append the next numbered entry, signed by its author (the responsible technician).

    Runs inside the caller's transaction, so a domain change and its entry commit or roll
    back together. The logbook row is locked while the head moves: numbers stay gap-free and
    the chain fork-free with any number of writers (SQLite serialises writers with
    BEGIN IMMEDIATE; PostgreSQL with SELECT … FOR UPDATE).
    """
    if kind not in EntryKind.values:
        raise LogbookError(_("Tipo de nota desconocido."), code="invalid_kind")
    if not author.is_desk_staff and kind != EntryKind.NOTE:
        raise Forbidden(_("Solo el personal de la mesa registra este tipo de nota."))
    logbook = Logbook.objects.select_for_update().get(pk=logbook.pk)
    if logbook.closed_at is not None:
        raise LogbookError(
            _("La bitácora está cerrada: ya no se le agregan notas."), code="logbook_closed"
        )
    if kind == EntryKind.OPENING and logbook.head_number != 0:
        raise LogbookError(_("La bitácora ya tiene nota de apertura."), code="already_open")
    if kind != EntryKind.OPENING and logbook.head_number == 0:
        raise LogbookError(_("La bitácora aún no tiene nota de apertura."), code="not_open")
    summary = summary.strip()
    if not summary:
        raise LogbookError(_("Escriba un resumen de la nota."), code="summary_required")
    fields = _clean_fields(fields or {})
    if kind in MAINTENANCE_KINDS:
        fields.setdefault("responsible_name", str(author))
    missing = missing_elements(kind, fields)
    if missing:
        raise LogbookError(
            _("Faltan datos de la nota: %(missing)s.")
            % {"missing": ", ".join(str(label) for _key, label in missing)},
            code="missing_elements",
            missing=[key for key, _label in missing],
        )
    if references is not None and references.logbook_id != logbook.pk:
        raise LogbookError(
            _("La nota referida pertenece a otra bitácora."), code="foreign_reference"
        )
    if kind == EntryKind.ANNULMENT:
        if references is None:
            raise LogbookError(_("Una anulación debe indicar qué nota anula."), code="no_reference")
        if references.kind in NOT_ANNULLABLE:
            raise LogbookError(_("Esa nota no se puede anular."), code="not_annullable")
        if Entry.objects.filter(references=references, kind=EntryKind.ANNULMENT).exists():
            raise LogbookError(_("Esa nota ya fue anulada."), code="already_annulled")

    created_at = truncate_ms(now)
    last = (
        Entry.objects.filter(logbook=logbook, number=logbook.head_number)
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None and created_at < last:
        # Dated in order, even if a clock stepped back: never earlier than the previous note.
        created_at = last
    entry = Entry(
        logbook=logbook,
        number=logbook.head_number + 1,
        kind=kind,
        created_at=created_at,
        author=author,
        author_name=str(author),
        summary=summary[:300],
        fields=fields,
        references=references,
        subject_type=subject.type if subject else "",
        subject_id=str(subject.id) if subject else "",
        subject_label=subject.label[:200] if subject else "",
        prev_hash=logbook.head_hash,
    )
    entry.entry_hash = chain_hash(entry.prev_hash, entry_bytes(entry))
    entry.save(force_insert=True)
    Logbook.objects.filter(pk=logbook.pk).update(
        head_number=entry.number, head_hash=entry.entry_hash
    )
    _sign_entry(
        entry=entry,
        signer=author,
        role=SignatureRole.RESPONSIBLE
        if kind != EntryKind.OPENING
        else SignatureRole.DESK_REPRESENTATIVE,
        method=SignatureMethod.ON_CREATE,
        now=now,
        drawn_png=None,
    )
    return entry


@transaction.atomic
def open_logbook(
    *,
    actor: User,
    organisation: Organisation | None,
    title: str,
    contract_reference: str,
    countersign_days: int,
    customer_signers: list[User],
    desk_signers: list[User] | None = None,
    fields: dict[str, Any],
    now: dt.datetime,
) -> Logbook:
    """Create a logbook and its opening entry (number 1), signed by the desk's representative."""
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor o un administrador abre una bitácora."))
    if countersign_days < 1:
        raise LogbookError(_("El plazo para firmar debe ser de al menos un día."), code="deadline")
    for signer in customer_signers:
        if organisation is None or signer.organisation_id != organisation.pk:
            raise LogbookError(
                _("Quien firma por el cliente debe pertenecer a la organización."),
                code="foreign_signer",
            )
    logbook = Logbook.objects.create(
        kind=LogbookKind.CUSTOMER if organisation else LogbookKind.DESK,
        organisation=organisation,
        title=title.strip() or _("Bitácora"),
        contract_reference=contract_reference,
        countersign_days=countersign_days,
        opened_at=now,
    )
    for user in {actor, *(desk_signers or [])}:
        AuthorisedSigner.objects.create(logbook=logbook, user=user, side=SignerSide.DESK)
    for user in customer_signers:
        AuthorisedSigner.objects.create(logbook=logbook, user=user, side=SignerSide.CUSTOMER)
    opening = dict(fields)
    opening.setdefault("deadline_days", str(countersign_days))
    opening.setdefault(
        "signers",
        "; ".join(
            f"{s.user} ({s.get_side_display()})"
            for s in logbook.signers.select_related("user").order_by("side", "id")
        ),
    )
    append_entry(
        logbook=logbook,
        kind=EntryKind.OPENING,
        author=actor,
        summary=_("Apertura de la bitácora %(title)s") % {"title": logbook.title},
        fields=opening,
        now=now,
    )
    return logbook


NO_COUNTERSIGNATURE = (EntryKind.ANNULMENT, EntryKind.ESCALATION, EntryKind.CALL)


def needs_countersignature(entry: Entry) -> bool:
    """Desk entries in a customer's logbook wait for the customer's signature; internal
    hand-offs, call records, annulments and annulled entries need none."""
    if entry.logbook.kind != LogbookKind.CUSTOMER or entry.kind in NO_COUNTERSIGNATURE:
        return False
    # .all() reads the prefetched `referenced_by` when a page loaded it (no query per row).
    return not any(r.kind == EntryKind.ANNULMENT for r in entry.referenced_by.all())


def countersign_deadline(entry: Entry) -> dt.datetime:
    return entry.created_at + dt.timedelta(days=entry.logbook.countersign_days)


def can_countersign(entry: Entry, user: User) -> bool:
    if user.role != Role.CUSTOMER or entry.logbook.organisation_id != user.organisation_id:
        return False
    return needs_countersignature(entry)


@transaction.atomic
def countersign_entry(
    *, entry: Entry, signer: User, method: str, now: dt.datetime, drawn_png: bytes | None = None
) -> Signature:
    """The reporting person (the customer) signs an entry: in the portal or on site."""
    entry = Entry.objects.select_related("logbook").get(pk=entry.pk)
    if not can_countersign(entry, signer):
        raise Forbidden(_("Solo una persona del cliente de esta bitácora puede firmar la nota."))
    if method not in SignatureMethod.values or method == SignatureMethod.ON_CREATE:
        raise LogbookError(_("Forma de firma no válida."), code="invalid_method")
    if drawn_png is not None and (len(drawn_png) > 300_000 or not drawn_png.startswith(b"\x89PNG")):
        raise LogbookError(_("La firma dibujada no es una imagen válida."), code="invalid_drawing")
    acceptance = Acceptance.objects.filter(entry=entry).first()
    if acceptance is None and now >= countersign_deadline(entry):
        raise LogbookError(
            _("La nota ya fue aceptada tácitamente al vencer el plazo."), code="tacit"
        )
    if acceptance is not None:
        if acceptance.kind == Acceptance.Kind.TACIT:
            raise LogbookError(
                _("La nota ya fue aceptada tácitamente al vencer el plazo."), code="tacit"
            )
        raise LogbookError(_("La nota ya está firmada."), code="already_signed")
    signature = _sign_entry(
        entry=entry,
        signer=signer,
        role=(
            SignatureRole.CUSTOMER_REPRESENTATIVE
            if entry.kind == EntryKind.OPENING
            else SignatureRole.REPORTING
        ),
        method=method,
        now=now,
        drawn_png=drawn_png,
    )
    Acceptance.objects.create(entry=entry, kind=Acceptance.Kind.COUNTERSIGNED, accepted_at=now)
    return signature


@transaction.atomic
def annul_entry(
    *,
    entry: Entry,
    actor: User,
    reason: str,
    now: dt.datetime,
    correction: dict[str, Any] | None = None,
) -> tuple[Entry, Entry | None]:
    """Annul an entry with a new entry that says so, then (optionally) the corrected entry."""
    if not reason.strip():
        raise LogbookError(_("Indique por qué se anula la nota."), code="reason_required")
    annulment = append_entry(
        logbook=entry.logbook,
        kind=EntryKind.ANNULMENT,
        author=actor,
        summary=_("Se anula la nota %(number)d") % {"number": entry.number},
        fields={"reason": reason},
        references=entry,
        now=now,
    )
    corrected = None
    if correction is not None:
        corrected = append_entry(
            logbook=entry.logbook,
            kind=entry.kind,
            author=actor,
            summary=str(correction.pop("summary", entry.summary)),
            fields={**entry.fields, **correction},
            references=entry,
            subject=Subject(entry.subject_type, entry.subject_id, entry.subject_label)
            if entry.subject_type
            else None,
            now=now,
        )
    return annulment, corrected


@transaction.atomic
def close_logbook(*, logbook: Logbook, actor: User, summary: str, now: dt.datetime) -> Entry:
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor o un administrador cierra una bitácora."))
    closing = append_entry(
        logbook=logbook,
        kind=EntryKind.CLOSING,
        author=actor,
        summary=summary or _("Cierre de la bitácora"),
        now=now,
    )
    Logbook.objects.filter(pk=logbook.pk).update(closed_at=now)
    return closing


@transaction.atomic
def sign_checkpoint(*, logbook: Logbook, now: dt.datetime) -> Checkpoint:
    """The desk signs where the logbook's head is now (daily, and on every export)."""
    logbook = Logbook.objects.select_for_update().get(pk=logbook.pk)
    key = keys.desk_key(now=now)
    created_at = truncate_ms(now)
    message = checkpoint_message(
        str(logbook.uid), logbook.head_number, logbook.head_hash, iso_ms(created_at)
    )
    return Checkpoint.objects.create(
        logbook=logbook,
        number=logbook.head_number,
        head_hash=logbook.head_hash,
        created_at=created_at,
        key=key,
        signature=sign(keys.private_key(key), message),
    )


def accept_tacitly(*, now: dt.datetime) -> int:
    """Entries past their logbook's deadline with no countersignature are tacitly accepted."""
    accepted = 0
    pending = (
        Entry.objects.filter(logbook__kind=LogbookKind.CUSTOMER, acceptance__isnull=True)
        .exclude(kind__in=NO_COUNTERSIGNATURE)
        .select_related("logbook")
        .order_by("logbook_id", "number")
    )
    for entry in pending.iterator():
        deadline = countersign_deadline(entry)
        if now >= deadline and needs_countersignature(entry):
            with transaction.atomic():
                _, created = Acceptance.objects.get_or_create(
                    entry=entry, defaults={"kind": Acceptance.Kind.TACIT, "accepted_at": deadline}
                )
            accepted += int(created)
    return accepted


def daily_checkpoints(*, now: dt.datetime) -> int:
    """Sign a checkpoint for every logbook whose head moved since its last checkpoint."""
    signed = 0
    for logbook in Logbook.objects.order_by("id"):
        last = logbook.checkpoints.order_by("-created_at", "-id").first()
        if (
            last is None
            or last.number != logbook.head_number
            or now - last.created_at >= dt.timedelta(days=1)
        ):
            sign_checkpoint(logbook=logbook, now=now)
            signed += 1
    return signed


def status_of(entry: Entry, *, now: dt.datetime) -> str:
    """pending / countersigned / tacit / not_required — for display."""
    acceptance = getattr(entry, "acceptance", None)
    if acceptance is not None:
        return str(acceptance.kind)
    if not needs_countersignature(entry):
        return "not_required"
    if now >= countersign_deadline(entry):
        return "tacit"
    return "pending"


def desk_logbook(*, now: dt.datetime) -> Logbook:
    """The desk-internal logbook, opened on first use."""
    logbook = Logbook.objects.filter(kind=LogbookKind.DESK).order_by("id").first()
    if logbook is not None:
        return logbook
    admin = (
        User.objects.filter(role__in=[Role.ADMIN, Role.SUPERVISOR], is_active=True)
        .order_by("id")
        .first()
    )
    if admin is None:
        raise LogbookError(_("No hay supervisor que abra la bitácora interna."), code="no_manager")
    return open_logbook(
        actor=admin,
        organisation=None,
        title=_("Bitácora interna de la mesa"),
        contract_reference="",
        countersign_days=1,
        customer_signers=[],
        fields={
            "desk_party": _("Mesa de ayuda"),
            "customer_party": _("Uso interno"),
            "contract": _("Sin contrato"),
            "scope": _("Registro de las acciones internas de la mesa"),
        },
        now=now,
    )


def timeline(
    *, actor: Any, subject_type: str, subject_id: str, limit: int = 100, details: bool = True
) -> list[Entry]:
    """Every visible entry about one ticket, piece of equipment or call, oldest first, with
    its logbook; `details` adds what the API prints (reference, acceptance, signatures,
    entries referring to it). The ticket page, opened all day, reads it without them.

    One hand-written SELECT (`soporte.lib.rawsql`), the same rows as
    `Entry.objects.visible_to(actor).filter(subject…).order_by("created_at", "logbook_id",
    "number")[:limit]` (the tests compare them)."""
    limit = max(1, min(limit, 500))
    scope = organisation_scope(actor)
    if scope is None:
        return []
    connection = transaction.get_connection(router.db_for_read(Entry))
    plan = rawsql.memoised(
        "logbook.timeline", lambda: rawsql.related(connection, Entry, ("logbook",))
    )
    tail = "WHERE r.subject_type = %s AND r.subject_id = %s"
    params: list[Any] = [subject_type, str(subject_id)]
    if scope is not ALL_ORGANISATIONS:
        tail += " AND j1.organisation_id = %s"
        params.append(scope)
    params.append(limit)
    entries = plan.rows(
        connection, tail + " ORDER BY r.created_at, r.logbook_id, r.number LIMIT %s", params
    )
    if details:
        prefetch_related_objects(
            entries, "references", "acceptance", "signatures__key", "referenced_by"
        )
    return entries
