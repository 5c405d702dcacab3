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
from django.db.models import Q, prefetch_related_objects
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from soporte.directory.models import (
    ALL_ORGANISATIONS,
    STAFF_ROLES,
    Organisation,
    Role,
    User,
    organisation_scope,
)
from soporte.lib import rawsql
from soporte.lib.errors import DomainError, Forbidden
from soporte.logbook import keys
from soporte.logbook.chain import (
    canonical,
    canonical_bytes,
    chain_hash,
    entry_message,
    hints_for,
    iso_ms,
    legacy_signature_record,
    sha256_hex,
    sign,
    statement_bytes,
    truncate_ms,
)
from soporte.logbook.models import (
    COUNTERSIGNED_KINDS,
    MAINTENANCE_KINDS,
    Acceptance,
    AuthorisedSigner,
    Checkpoint,
    Entry,
    EntryKind,
    Logbook,
    LogbookKey,
    LogbookKind,
    Signature,
    SignatureMethod,
    SignatureRole,
    SignerSide,
    SigningKey,
    entry_fields_problem,
)
from soporte.logbook.records import checkpoint_statement

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


def _content_v1(entry: Entry) -> dict[str, Any]:
    """Format 1: what entries written before format 2 hashed and their author signed."""
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


@dataclass(frozen=True)
class SignedBy:
    """The author's signature as the entry's content states it (format 2)."""

    key: str  # fingerprint
    role: str
    method: str


def creation_signature(entry: Entry) -> Signature | None:
    """The author's own signature, made with the entry (reads prefetched `signatures`)."""
    return next(
        (s for s in entry.signatures.all() if s.signer_id == entry.author_id and s.seq is None),
        None,
    )


def entry_content(entry: Entry, signed_by: SignedBy | None = None) -> dict[str, Any]:
    """What is hashed into the chain: everything a reader of the entry relies on. From format
    2 on, also who signs it with which key, role and method (signed at `created_at`), whether
    it waits for the customer's signature, the keys it certifies, and the elements' hints."""
    content = _content_v1(entry)
    if entry.version < 2:
        return content
    if signed_by is None:
        creation = creation_signature(entry)
        if creation is None:
            raise LogbookError(_("La nota no tiene la firma de su autor."), code="unsigned")
        signed_by = SignedBy(creation.key.fingerprint, creation.role, creation.method)
    content["v"] = 2
    content["signed_by"] = {
        "key": signed_by.key,
        "role": signed_by.role,
        "method": signed_by.method,
    }
    content["countersign"] = entry.countersign
    if entry.trust:
        content["trust"] = entry.trust
    content["hints"] = hints_for(content)
    return content


def entry_bytes(entry: Entry, signed_by: SignedBy | None = None) -> bytes:
    return canonical_bytes(entry_content(entry, signed_by))


def _clean_fields(fields: dict[str, Any]) -> dict[str, str]:
    """The fields as stored: text, stripped, within the limits (`models.ENTRY_FIELDS_MAX` …).
    Past a limit, or with text no database stores (NUL, a lone surrogate), the entry is
    refused whole, never cut: a signed entry says exactly what its author sent."""
    cleaned = {}
    for key, value in fields.items():
        if value is None:
            continue
        text = value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
        cleaned[str(key)] = text.strip()
    problem = entry_fields_problem(cleaned)
    if problem:
        raise LogbookError(problem[1], code=problem[0])
    return cleaned


def system_signer() -> User:
    """The desk's named system signer (see `keys`): signs what no person did."""
    return keys.system_signer()


def is_system_signer(user: User) -> bool:
    return keys.is_system_signer(user)


# --- keys in a logbook -----------------------------------------------------------------------

# (logbook id, key id) pairs known to be certified: certifications are never withdrawn, so a
# committed one can be remembered for the life of the process (one query less per append).
_certified: set[tuple[int, int]] = set()


def _remember_certified(logbook_id: int, key_id: int) -> None:
    transaction.on_commit(lambda: _certified.add((logbook_id, key_id)))


def _is_certified(logbook: Logbook, key: SigningKey) -> bool:
    if (logbook.pk, key.pk) in _certified:
        return True
    if LogbookKey.objects.filter(logbook=logbook, key=key).exists():
        _remember_certified(logbook.pk, key.pk)
        return True
    return False


def side_of(user: User) -> str:
    return SignerSide.CUSTOMER if user.role == Role.CUSTOMER else SignerSide.DESK


def _key_item(key: SigningKey, owner: User, *, system: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "key": key.fingerprint,
        "owner": {"id": owner.pk, "name": str(owner)},
        "side": side_of(owner) if not system else SignerSide.DESK,
    }
    if system:
        item["system"] = True
    if key.replaces_id is not None:
        item["replaces"] = key.replaces.fingerprint  # type: ignore[union-attr]
    return item


def _record_certified(logbook: Logbook, entry: Entry) -> None:
    """LogbookKey rows for the keys an entry certifies (what `_is_certified` reads)."""
    wanted = [item["key"] for item in entry.trust.get("keys", [])]
    # Keys made before format 2 have the fingerprint's first 16 digits as their id.
    by_fp = {
        k.fingerprint: k
        for k in SigningKey.objects.filter(key_id__in=wanted + [fp[:16] for fp in wanted])
    }
    for item in entry.trust.get("keys", []):
        key = by_fp[item["key"]]
        LogbookKey.objects.create(logbook=logbook, key=key, entry=entry, side=item["side"])
        _remember_certified(logbook.pk, key.pk)


def _certify(logbook: Logbook, user: User, key: SigningKey, *, now: dt.datetime) -> Entry:
    """A `keys` entry by the system signer bringing the person's key into this logbook (a new
    technician, a rotated key, a customer's new key). A customer's key waits for the
    customer's signature like any entry the customer must confirm."""
    system = keys.system_signer()
    item = _key_item(key, user)
    return _append(
        logbook=logbook,
        kind=EntryKind.KEYS,
        author=system,
        summary=_("Alta de la llave de firma de %(name)s") % {"name": user},
        fields={},
        trust={"keys": [item]},
        countersign=item["side"] == SignerSide.CUSTOMER,
        now=now,
    )


def _ensure_certified(logbook: Logbook, user: User, *, now: dt.datetime) -> SigningKey:
    key = keys.key_for_user(user, now=now)
    if not _is_certified(logbook, key):
        if logbook.closed_at is not None:  # nothing is added after the closing entry
            raise LogbookError(
                _("Su llave de firma no está registrada en esta bitácora, que ya está cerrada."),
                code="key_not_certified",
            )
        _certify(logbook, user, key, now=now)
    return key


def _legacy_records(logbook: Logbook) -> list[dict[str, Any]]:
    """Format-1 signature records and acceptances, in entry order (what the upgrade entry's
    digest covers)."""
    records = []
    entries = (
        Entry.objects.filter(logbook=logbook, version=1)
        .select_related("acceptance")
        .prefetch_related("signatures__key")
        .order_by("number")
    )
    for entry in entries:
        acceptance = getattr(entry, "acceptance", None)
        records.append(
            {
                "entry": entry.number,
                "signatures": [
                    legacy_signature_record(sig)
                    for sig in sorted(entry.signatures.all(), key=lambda s: s.pk)
                    if sig.seq is None
                ],
                "acceptance": (
                    {"kind": acceptance.kind, "at": iso_ms(acceptance.accepted_at)}
                    if acceptance is not None and acceptance.seq is None
                    else None
                ),
            }
        )
    return records


def legacy_digest(records: list[dict[str, Any]]) -> str:
    return sha256_hex(canonical(records))


def _upgrade(logbook: Logbook, *, now: dt.datetime) -> None:
    """A format-1 logbook moves to format 2 with one entry by the system signer: it certifies
    every key used so far and seals the earlier signature records (their signer, role, method,
    date and drawing were not hashed in format 1) with the desk's signature as of today. The
    earlier entries keep their format-1 hashes: nothing signed is rewritten."""
    system = keys.system_signer()
    desk = keys.desk_key(now=now)
    items = [_key_item(desk, system, system=True)]
    seen = {desk.pk}
    signatures = (
        Signature.objects.filter(entry__logbook=logbook)
        .select_related("key", "signer")
        .order_by("id")
    )
    for sig in signatures:
        if sig.key_id not in seen:
            seen.add(sig.key_id)
            items.append(_key_item(sig.key, sig.signer))
    records = _legacy_records(logbook)
    Logbook.objects.filter(pk=logbook.pk).update(format=2)
    logbook.format = 2
    _append(
        logbook=logbook,
        kind=EntryKind.KEYS,
        author=system,
        summary=_("Actualización de la bitácora al formato 2"),
        fields={},
        trust={
            "keys": items,
            "legacy": {"entries": logbook.head_number, "records": legacy_digest(records)},
        },
        countersign=logbook.kind == LogbookKind.CUSTOMER,
        now=now,
        upgrading=True,
    )


def ensure_format_2(logbook: Logbook, *, now: dt.datetime) -> bool:
    """Upgrade an open format-1 logbook (under its lock). A closed one stays as it was closed:
    nothing is added after the closing entry; its exports say which rules cover it."""
    if logbook.format >= 2:
        return True
    if logbook.closed_at is not None or logbook.head_number == 0:
        return False
    _upgrade(logbook, now=now)
    return True


# --- entries ----------------------------------------------------------------------------------


def _append(
    *,
    logbook: Logbook,
    kind: str,
    author: User,
    summary: str,
    fields: dict[str, str],
    now: dt.datetime,
    references: Entry | None = None,
    subject: Subject | None = None,
    trust: dict[str, Any] | None = None,
    countersign: bool | None = None,
    upgrading: bool = False,
) -> Entry:
    """Write the next entry of a locked logbook and its author's signature."""
    created_at = truncate_ms(now)
    last = (
        Entry.objects.filter(logbook=logbook, number=logbook.head_number)
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None and created_at < last:
        # Dated in order, even if a clock stepped back: never earlier than the previous note.
        created_at = last
    key = keys.key_for_user(author, now=now)
    role = (
        SignatureRole.DESK_REPRESENTATIVE
        if kind == EntryKind.OPENING
        else (
            SignatureRole.REPORTING if author.role == Role.CUSTOMER else SignatureRole.RESPONSIBLE
        )
    )
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
        version=2 if logbook.format >= 2 else 1,
        countersign=(
            (kind in COUNTERSIGNED_KINDS and logbook.kind == LogbookKind.CUSTOMER)
            if countersign is None
            else countersign
        ),
        trust=trust or {},
    )
    signed_by = SignedBy(key.fingerprint, role, SignatureMethod.ON_CREATE)
    entry.entry_hash = chain_hash(entry.prev_hash, entry_bytes(entry, signed_by))
    entry.save(force_insert=True)
    logbook.head_number, logbook.head_hash = entry.number, entry.entry_hash
    Logbook.objects.filter(pk=logbook.pk).update(
        head_number=entry.number, head_hash=entry.entry_hash
    )
    message = entry_message(entry.entry_hash) if entry.version >= 2 else entry_bytes(entry)
    Signature.objects.create(
        entry=entry,
        signer=author,
        signer_name=str(author),
        role=role,
        method=SignatureMethod.ON_CREATE,
        key=key,
        signature=sign(keys.private_key(key), message),
        drawn_png=None,
        signed_at=created_at,
    )
    if (entry.trust.get("keys") and not upgrading) or upgrading:
        _record_certified(logbook, entry)
    if entry.countersign and author.role == Role.CUSTOMER:
        # The customer wrote it (an approval): their own signature is their acceptance.
        Acceptance.objects.create(
            entry=entry, kind=Acceptance.Kind.COUNTERSIGNED, accepted_at=created_at
        )
    return entry


# Kinds a customer writes themself: their requests, replies and survey answers (notes) and
# their decision on chargeable work.
CUSTOMER_KINDS = (EntryKind.NOTE, EntryKind.APPROVAL)


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
    """Append the next numbered entry, signed by its author with the author's own key: the
    technician, the customer for their own action, or the desk's system signer for what the
    desk does automatically.

    Runs inside the caller's transaction, so a domain change and its entry commit or roll
    back together. The logbook row is locked while the head moves: numbers stay gap-free and
    the chain fork-free with any number of writers (SQLite serialises writers with
    BEGIN IMMEDIATE; PostgreSQL with SELECT … FOR UPDATE). An author whose key this logbook
    has not certified yet is certified first, by a `keys` entry of the system signer.
    """
    if kind not in EntryKind.values or kind == EntryKind.KEYS:
        raise LogbookError(_("Tipo de nota desconocido."), code="invalid_kind")
    system = keys.is_system_signer(author)
    if not (author.is_desk_staff or system) and kind not in CUSTOMER_KINDS:
        raise Forbidden(_("Solo el personal de la mesa registra este tipo de nota."))
    logbook = Logbook.objects.select_for_update().get(pk=logbook.pk)
    if author.role == Role.CUSTOMER and author.organisation_id != logbook.organisation_id:
        raise Forbidden(_("Solo el personal de la mesa registra este tipo de nota."))
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
    if kind != EntryKind.OPENING and ensure_format_2(logbook, now=now):
        _ensure_certified(logbook, author, now=now)
    return _append(
        logbook=logbook,
        kind=kind,
        author=author,
        summary=summary,
        fields=fields,
        references=references,
        subject=subject,
        now=now,
    )


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
    """Create a logbook and its opening entry (number 1), signed by the desk's representative.

    The opening names every key trusted from the start: the desk's (the system signer's,
    which signs checkpoints), the desk representatives' and the customer's signers'. The
    customer's countersignature of the opening confirms them (RLOPSRM art. 123 fr. III)."""
    if not (actor.is_manager or keys.is_system_signer(actor)):
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
    desk_people = sorted({actor, *(desk_signers or [])}, key=lambda u: u.pk)
    for user in desk_people:
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
    opening.setdefault("title", logbook.title)
    if contract_reference:
        opening.setdefault("contract_reference", contract_reference)
    system = keys.system_signer()
    items = [_key_item(keys.desk_key(now=now), system, system=True)]
    # Everyone who may sign here from the start: the desk's staff and the organisation's
    # people (a later one is certified by a `keys` entry when they first sign).
    certified = {u.pk: u for u in [*desk_people, *customer_signers]}
    staff = User.objects.filter(role__in=STAFF_ROLES, is_active=True)
    people = (
        User.objects.filter(role=Role.CUSTOMER, organisation=organisation, is_active=True)
        if organisation is not None
        else User.objects.none()
    )
    for user in [*staff.order_by("id"), *people.order_by("id")]:
        certified.setdefault(user.pk, user)
    for user in sorted(certified.values(), key=lambda u: (side_of(u), u.pk)):
        if not keys.is_system_signer(user):
            items.append(_key_item(keys.key_for_user(user, now=now), user))
    summary = _("Apertura de la bitácora %(title)s") % {"title": logbook.title}
    logbook = Logbook.objects.select_for_update().get(pk=logbook.pk)
    _append(
        logbook=logbook,
        kind=EntryKind.OPENING,
        author=actor,
        summary=summary,
        fields=_clean_fields(opening),
        trust={"keys": items},
        now=now,
    )
    return logbook


def needs_countersignature(entry: Entry) -> bool:
    """The entry waits for the customer's signature: its kind is one the customer confirms
    (`COUNTERSIGNED_KINDS`, stated in the entry itself from format 2 on) and it was not
    annulled."""
    if entry.logbook.kind != LogbookKind.CUSTOMER:
        return False
    rule = entry.countersign if entry.version >= 2 else entry.kind in COUNTERSIGNED_KINDS
    if not rule:
        return False
    # .all() reads the prefetched `referenced_by` when a page loaded it (no query per row).
    return not any(r.kind == EntryKind.ANNULMENT for r in entry.referenced_by.all())


def countersign_deadline(entry: Entry) -> dt.datetime:
    return entry.created_at + dt.timedelta(days=entry.logbook.countersign_days)


def can_countersign(entry: Entry, user: User) -> bool:
    if user.role != Role.CUSTOMER or entry.logbook.organisation_id != user.organisation_id:
        return False
    return needs_countersignature(entry)


def _attest(logbook: Logbook) -> tuple[int, str]:
    """The next attestation's number and predecessor in the locked logbook."""
    return logbook.att_number + 1, logbook.att_hash


def _move_attestation_head(logbook: Logbook, seq: int, record: dict[str, Any]) -> None:
    att_hash = sha256_hex(statement_bytes(record))
    logbook.att_number, logbook.att_hash = seq, att_hash
    Logbook.objects.filter(pk=logbook.pk).update(att_number=seq, att_hash=att_hash)


def countersignature_record(sig: Signature, entry: Entry) -> dict[str, Any]:
    """A countersignature's statement (format 2): what the customer's key signs."""
    record: dict[str, Any] = {
        "type": "countersignature",
        "seq": sig.seq,
        "prev": sig.prev_hash,
        "logbook": str(entry.logbook.uid),
        "entry": entry.number,
        "entry_hash": entry.entry_hash,
        "entries": sig.entries,
        "key": sig.key.fingerprint,
        "signer": {"id": sig.signer_id, "name": sig.signer_name},
        "role": sig.role,
        "method": sig.method,
        "signed_at": iso_ms(sig.signed_at),
        "drawing_sha256": sha256_hex(bytes(sig.drawn_png)) if sig.drawn_png else None,
    }
    record["hints"] = hints_for(record)
    return record


def tacit_record(acceptance: Acceptance, entry: Entry) -> dict[str, Any]:
    """A tacit acceptance's statement (format 2), signed by the desk's system signer."""
    assert acceptance.key is not None
    record: dict[str, Any] = {
        "type": "tacit",
        "seq": acceptance.seq,
        "prev": acceptance.prev_hash,
        "logbook": str(entry.logbook.uid),
        "entry": entry.number,
        "entry_hash": entry.entry_hash,
        "entries": acceptance.entries,
        "key": acceptance.key.fingerprint,
        "signer": {"id": acceptance.signer_id, "name": str(acceptance.signer)},
        "at": iso_ms(acceptance.accepted_at),
    }
    record["hints"] = hints_for(record)
    return record


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
    logbook = Logbook.objects.select_for_update().get(pk=entry.logbook_id)
    entry.logbook = logbook
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
    role = (
        SignatureRole.CUSTOMER_REPRESENTATIVE
        if entry.kind == EntryKind.OPENING
        else SignatureRole.REPORTING
    )
    format_2 = ensure_format_2(logbook, now=now)
    key = (
        _ensure_certified(logbook, signer, now=now)
        if format_2
        else keys.key_for_user(signer, now=now)
    )
    signature = Signature(
        entry=entry,
        signer=signer,
        signer_name=str(signer),
        role=role,
        method=method,
        key=key,
        drawn_png=drawn_png,
        signed_at=truncate_ms(now),
    )
    if format_2:
        signature.seq, signature.prev_hash = _attest(logbook)
        signature.entries = logbook.head_number
        record = countersignature_record(signature, entry)
        signature.signature = sign(keys.private_key(key), statement_bytes(record))
        signature.save(force_insert=True)
        _move_attestation_head(logbook, signature.seq, record)
    else:  # a closed format-1 logbook: as format 1 signed, over the content only
        signature.signature = sign(keys.private_key(key), entry_bytes(entry))
        signature.save(force_insert=True)
    Acceptance.objects.create(
        entry=entry,
        kind=Acceptance.Kind.COUNTERSIGNED,
        accepted_at=signature.signed_at,
        seq=signature.seq,  # None for a format-1 countersignature
    )
    return signature


@transaction.atomic
def countersign_entries(*, entries: list[Entry], signer: User, now: dt.datetime) -> list[Signature]:
    """The customer signs several entries after reviewing them (the portal's review list):
    all of them, or none if any can no longer be signed."""
    return [
        countersign_entry(entry=entry, signer=signer, method=SignatureMethod.PORTAL, now=now)
        for entry in sorted(entries, key=lambda e: (e.logbook_id, e.number))
    ]


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
def sign_checkpoint(*, logbook: Logbook, now: dt.datetime, daily: bool = False) -> Checkpoint:
    """The desk signs where the logbook's two chains stand now (daily, and on every export)."""
    from soporte.logbook import tsa

    logbook = Logbook.objects.select_for_update().get(pk=logbook.pk)
    ensure_format_2(logbook, now=now)
    key = keys.desk_key(now=now)
    checkpoint = Checkpoint(
        logbook=logbook,
        number=logbook.head_number,
        head_hash=logbook.head_hash,
        att_number=logbook.att_number,
        att_hash=logbook.att_hash,
        created_at=truncate_ms(now),
        key=key,
        version=2 if logbook.format >= 2 else 1,
        daily=daily,
        tsa_ca=tsa.configured_ca_fingerprint() if daily else "",
    )
    if checkpoint.version >= 2:
        message = statement_bytes(checkpoint_statement(checkpoint, logbook))
    else:
        from soporte.logbook.chain import checkpoint_message

        message = checkpoint_message(
            str(logbook.uid), checkpoint.number, checkpoint.head_hash, iso_ms(checkpoint.created_at)
        )
    checkpoint.signature = sign(keys.private_key(key), message)
    checkpoint.save(force_insert=True)
    return checkpoint


def _tacit_pending() -> Any:
    return (
        Entry.objects.filter(logbook__kind=LogbookKind.CUSTOMER, acceptance__isnull=True)
        .filter(Q(version__gte=2, countersign=True) | Q(version=1, kind__in=COUNTERSIGNED_KINDS))
        .select_related("logbook")
        .order_by("logbook_id", "number")
    )


def accept_tacitly(*, now: dt.datetime) -> int:
    """Entries past their logbook's deadline with no countersignature are tacitly accepted,
    each by an attestation the desk's system signer signs (format 2)."""
    accepted = 0
    for entry in _tacit_pending().iterator():
        deadline = countersign_deadline(entry)
        if now >= deadline and needs_countersignature(entry):
            accepted += int(_accept_tacitly(entry, deadline=deadline, now=now))
    return accepted


@transaction.atomic
def _accept_tacitly(entry: Entry, *, deadline: dt.datetime, now: dt.datetime) -> bool:
    logbook = Logbook.objects.select_for_update().get(pk=entry.logbook_id)
    if Acceptance.objects.filter(entry=entry).exists():
        return False
    entry.logbook = logbook
    if not ensure_format_2(logbook, now=now):
        Acceptance.objects.create(entry=entry, kind=Acceptance.Kind.TACIT, accepted_at=deadline)
        return True
    system = keys.system_signer()
    key = keys.desk_key(now=now)
    seq, prev = _attest(logbook)
    acceptance = Acceptance(
        entry=entry,
        kind=Acceptance.Kind.TACIT,
        accepted_at=truncate_ms(deadline),
        seq=seq,
        prev_hash=prev,
        entries=logbook.head_number,
        signer=system,
        key=key,
    )
    record = tacit_record(acceptance, entry)
    acceptance.signature = sign(keys.private_key(key), statement_bytes(record))
    acceptance.save(force_insert=True)
    _move_attestation_head(logbook, seq, record)
    return True


def daily_checkpoints(*, now: dt.datetime) -> int:
    """Sign a checkpoint for every logbook whose head moved since its last checkpoint (or a
    day ago), time-stamp it when a TSA is configured, and send it to the customer."""
    from soporte.logbook import handout, tsa

    signed = 0
    for logbook in Logbook.objects.order_by("id"):
        last = logbook.checkpoints.filter(daily=True).order_by("-created_at", "-id").first()
        if (
            last is None
            or (last.number, last.att_number) != (logbook.head_number, logbook.att_number)
            or now - last.created_at >= dt.timedelta(days=1)
        ):
            checkpoint = sign_checkpoint(logbook=logbook, now=now, daily=True)
            signed += 1
            tsa.stamp(checkpoint, now=now)
            handout.send_checkpoint(checkpoint)
    tsa.stamp_missing(now=now)
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


def pending_for(user: User, *, now: dt.datetime) -> Any:
    """The entries waiting for this customer's signature, oldest first (the review list)."""
    if user.role != Role.CUSTOMER or user.organisation_id is None:
        return Entry.objects.none()
    days = Logbook.objects.filter(organisation_id=user.organisation_id).values_list(
        "countersign_days", flat=True
    )
    windows = Q()
    for d in set(days):
        windows |= Q(logbook__countersign_days=d, created_at__gt=now - dt.timedelta(days=d))
    return (
        Entry.objects.filter(
            logbook__organisation_id=user.organisation_id,
            logbook__kind=LogbookKind.CUSTOMER,
            acceptance__isnull=True,
        )
        .filter(Q(version__gte=2, countersign=True) | Q(version=1, kind__in=COUNTERSIGNED_KINDS))
        .filter(windows)
        .exclude(referenced_by__kind=EntryKind.ANNULMENT)
        .select_related("logbook")
        .order_by("created_at", "logbook_id", "number")
    )


def desk_logbook(*, now: dt.datetime) -> Logbook:
    """The desk-internal logbook, opened on first use by the desk's system signer."""
    logbook = Logbook.objects.filter(kind=LogbookKind.DESK).order_by("id").first()
    if logbook is not None:
        return logbook
    return open_logbook(
        actor=keys.system_signer(),
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
