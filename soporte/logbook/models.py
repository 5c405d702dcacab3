"""The bitácora: numbered, signed, hash-chained entries that are never edited or deleted.

A logbook is the electronic record of a service contract between the desk and one customer
organisation (or the desk's internal one). Entries are numbered consecutively with no gaps,
each entry's hash covers the previous hash and its own canonical content, signatures are
Ed25519 over the canonical bytes, and database triggers refuse UPDATE and DELETE of entries,
signatures, acceptances and checkpoints (see `db_guard.py`).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import scoped_to_organisation
from soporte.lib.limits import text_problem
from soporte.logbook.chain import fingerprint


class LogbookKind(models.TextChoices):
    CUSTOMER = "customer", _("Contrato con cliente")
    DESK = "desk", _("Interna de la mesa")


class LogbookQuerySet(models.QuerySet["Logbook"]):
    def visible_to(self, actor: Any) -> LogbookQuerySet:
        """Staff see every logbook; a customer only their organisation's (never the desk's
        internal one, which belongs to no organisation)."""
        return scoped_to_organisation(self, actor)


class Logbook(models.Model):
    """One bitácora. The head (last number and hash) moves forward only, under a lock."""

    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    kind = models.CharField(_("tipo"), max_length=16, choices=LogbookKind.choices)
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("organización"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="logbooks",
    )
    title = models.CharField(_("título"), max_length=200)
    contract_reference = models.CharField(_("contrato"), max_length=64, blank=True)
    countersign_days = models.PositiveSmallIntegerField(
        _("plazo para firmar (días)"),
        default=2,
        help_text=_("Pasado este plazo, una nota sin firma del cliente se da por aceptada."),
    )
    opened_at = models.DateTimeField(_("abierta"), null=True, blank=True)
    closed_at = models.DateTimeField(_("cerrada"), null=True, blank=True)
    head_number = models.PositiveIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)
    # Format 2's attestation chain (countersignatures, tacit acceptances): its length and head.
    att_number = models.PositiveIntegerField(default=0)
    att_hash = models.CharField(max_length=64, default="0" * 64)
    # 1: opened before format 2 (entries up to the upgrade entry follow format 1's rules).
    format = models.PositiveSmallIntegerField(default=2)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LogbookQuerySet.as_manager()

    class Meta:
        verbose_name = _("bitácora")
        verbose_name_plural = _("bitácoras")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=LogbookKind.values), name="logbook_logbook_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind=LogbookKind.CUSTOMER) & Q(organisation__isnull=False))
                | (Q(kind=LogbookKind.DESK) & Q(organisation__isnull=True)),
                name="logbook_logbook_customer_has_organisation",
            ),
            models.UniqueConstraint(fields=["uid"], name="logbook_logbook_uid_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None


class SignerSide(models.TextChoices):
    DESK = "desk", _("Mesa de ayuda")
    CUSTOMER = "customer", _("Cliente")


class AuthorisedSigner(models.Model):
    """Who may sign for each side, as stated in the opening entry."""

    logbook = models.ForeignKey(Logbook, on_delete=models.PROTECT, related_name="signers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=16, choices=SignerSide.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["logbook", "user"], name="logbook_authorisedsigner_unique"
            ),
            models.CheckConstraint(
                condition=Q(side__in=SignerSide.values), name="logbook_authorisedsigner_side_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.side})"


class EntryKind(models.TextChoices):
    OPENING = "opening", _("Apertura")
    PREVENTIVE = "preventive", _("Mantenimiento preventivo")
    CORRECTIVE = "corrective", _("Mantenimiento correctivo")
    MANUAL = "manual", _("Registro manual")
    CALL = "call", _("Llamada")
    ESCALATION = "escalation", _("Escalamiento")
    NOTE = "note", _("Nota")
    ANNULMENT = "annulment", _("Anulación")
    CLOSING = "closing", _("Cierre")
    KEYS = "keys", _("Llaves de firma")
    APPROVAL = "approval", _("Aprobación de trabajo con costo")
    REPAIR_INTAKE = "repair_intake", _("Recepción de equipo a reparación")
    REPAIR_DELIVERY = "repair_delivery", _("Entrega de equipo reparado")


MAINTENANCE_KINDS = (EntryKind.PREVENTIVE, EntryKind.CORRECTIVE)

# The rule the desk and the customer both see: these kinds wait for the customer's signature
# (or, past the deadline, are tacitly accepted); every other note is a record the customer
# reads, not one they sign. A `keys` entry that brings in a customer's key waits too.
COUNTERSIGNED_KINDS = (
    EntryKind.OPENING,
    EntryKind.PREVENTIVE,
    EntryKind.CORRECTIVE,
    EntryKind.APPROVAL,
    EntryKind.REPAIR_INTAKE,
    EntryKind.REPAIR_DELIVERY,
    EntryKind.CLOSING,
)


# The sizes of an entry's content (issue #19): the eleven elements and the extra fields any app
# writes fit with room to spare; one value fills about two printed pages at most (the PDF flows
# it across pages). The forms, the API schema, `services.append_entry` and the model all
# enforce these.
ENTRY_FIELDS_MAX = 40
FIELD_KEY_MAX_CHARS = 64
FIELD_VALUE_MAX_CHARS = 5000


def entry_fields_problem(fields: dict[Any, Any]) -> tuple[str, str] | None:
    """(code, Spanish message) of the first way `fields` breaks the limits, or None."""
    if len(fields) > ENTRY_FIELDS_MAX:
        return "too_many_fields", _("Una nota admite hasta %(n)d campos; se enviaron %(sent)d.") % {
            "n": ENTRY_FIELDS_MAX,
            "sent": len(fields),
        }
    for key, value in fields.items():
        key_text = str(key)
        problem = text_problem(key_text) or (
            text_problem(value) if isinstance(value, str) else None
        )
        if problem:
            return "invalid_text", problem
        if not key_text.strip() or len(key_text) > FIELD_KEY_MAX_CHARS:
            return "invalid_field_name", _(
                "El nombre de un campo debe tener entre 1 y %(n)d caracteres."
            ) % {"n": FIELD_KEY_MAX_CHARS}
        if len(str(value)) > FIELD_VALUE_MAX_CHARS:
            return "field_too_long", _(
                "El campo «%(key)s» tiene %(len)d caracteres; el máximo es %(n)d."
            ) % {"key": key_text, "len": len(str(value)), "n": FIELD_VALUE_MAX_CHARS}
    return None


def validate_entry_fields(value: Any) -> None:
    """The model's validator (admin, `full_clean`): the same limits as the service."""
    if not isinstance(value, dict):
        raise ValidationError(_("El contenido de una nota es un objeto de campos."))
    problem = entry_fields_problem(value)
    if problem:
        raise ValidationError(problem[1], code=problem[0])


class EntryQuerySet(models.QuerySet["Entry"]):
    def visible_to(self, actor: Any) -> EntryQuerySet:
        return self.filter(logbook__in=Logbook.objects.visible_to(actor))


class Entry(models.Model):
    """One numbered note. Inserted once, with its hash; never updated, never deleted."""

    logbook = models.ForeignKey(Logbook, on_delete=models.PROTECT, related_name="entries")
    number = models.PositiveIntegerField(_("folio"))
    kind = models.CharField(_("tipo"), max_length=16, choices=EntryKind.choices)
    created_at = models.DateTimeField(_("fecha"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsable"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_name = models.CharField(max_length=200)
    summary = models.CharField(_("resumen"), max_length=300)
    fields = models.JSONField(_("contenido"), default=dict, validators=[validate_entry_fields])
    references = models.ForeignKey(
        "self",
        verbose_name=_("hace referencia a"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referenced_by",
    )
    # What the entry is about (a ticket, a piece of equipment, a call), named generically so
    # every app can write here without the logbook importing it.
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    subject_label = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    # 2 for entries written under format 2 (their hash covers the signature details and the
    # countersignature rule too); 1 for entries written before.
    version = models.PositiveSmallIntegerField(default=2)
    # Whether it waits for the customer's signature: the rule (COUNTERSIGNED_KINDS) as it
    # stood when the entry was written, hashed with it.
    countersign = models.BooleanField(_("espera la firma del cliente"), default=False)
    # Keys certified by this entry (opening, `keys` entries) and, for the upgrade entry of a
    # format-1 logbook, the digest of its earlier signature records.
    trust = models.JSONField(default=dict, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("nota de bitácora")
        verbose_name_plural = _("notas de bitácora")
        constraints = [
            models.UniqueConstraint(
                fields=["logbook", "number"], name="logbook_entry_number_unique"
            ),
            # Two entries can never claim the same predecessor: no forks.
            models.UniqueConstraint(
                fields=["logbook", "prev_hash"], name="logbook_entry_prev_hash_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="logbook_entry_number_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="logbook_entry_kind_valid"
            ),
        ]
        indexes = [
            # Timelines per ticket / equipment / call.
            models.Index(
                fields=["subject_type", "subject_id", "logbook", "number"],
                name="logbook_entry_subject_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.logbook_id}#{self.number} {self.kind}"


class SigningKey(models.Model):
    """A person's Ed25519 key (or the desk's, with no user). The private half is encrypted.

    A rotated key is a new row that `replaces` the old one; a person signs with the newest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
    )
    is_desk = models.BooleanField(default=False)
    # The fingerprint (SHA-256 of the public key, 64 hex digits); 16 digits for keys made
    # before format 2 (`fingerprint` is the full one for every key).
    key_id = models.CharField(max_length=64)
    public_key = models.CharField(max_length=64)
    encrypted_private_key = models.BinaryField()
    created_at = models.DateTimeField()
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_id"], name="logbook_signingkey_key_id_unique"),
            # One first key per person; later ones each replace exactly one (no two at once).
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False, replaces__isnull=True),
                name="logbook_signingkey_one_first_per_user",
            ),
            models.UniqueConstraint(
                fields=["is_desk"], condition=Q(is_desk=True), name="logbook_signingkey_one_desk"
            ),
        ]

    def __str__(self) -> str:
        return self.fingerprint[:16]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


class LogbookKey(models.Model):
    """A key certified in one logbook: by its opening, or by a later `keys` entry."""

    logbook = models.ForeignKey(Logbook, on_delete=models.PROTECT, related_name="keys")
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["logbook", "key"], name="logbook_logbookkey_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.logbook_id}:{self.key_id}"


class SignatureRole(models.TextChoices):
    RESPONSIBLE = "responsible", _("Responsable")
    REPORTING = "reporting", _("Quien reporta")
    DESK_REPRESENTATIVE = "desk_rep", _("Representante de la mesa")
    CUSTOMER_REPRESENTATIVE = "customer_rep", _("Representante del cliente")


class SignatureMethod(models.TextChoices):
    ON_CREATE = "on_create", _("Al registrar")
    PORTAL = "portal", _("Portal del cliente")
    ON_SITE = "on_site", _("En sitio, en el dispositivo del técnico")
    API = "api", _("API")


class Signature(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=SignatureRole.choices)
    method = models.CharField(max_length=16, choices=SignatureMethod.choices)
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    signature = models.CharField(max_length=128)
    drawn_png = models.BinaryField(null=True, blank=True)
    signed_at = models.DateTimeField()
    # Format 2: a signature made after the entry (a countersignature) is the `seq`-th record of
    # the logbook's attestation chain, after the record whose hash is `prev_hash`. Empty for
    # the author's signature (it is part of the entry) and for format-1 signatures.
    seq = models.PositiveIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    entries = models.PositiveIntegerField(null=True, blank=True)  # the logbook's length then

    class Meta:
        verbose_name = _("firma")
        verbose_name_plural = _("firmas")
        constraints = [
            models.UniqueConstraint(fields=["entry", "signer"], name="logbook_signature_once"),
            models.CheckConstraint(
                condition=Q(role__in=SignatureRole.values), name="logbook_signature_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=SignatureMethod.values),
                name="logbook_signature_method_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} · {self.entry}"


class Acceptance(models.Model):
    """A countersignature, or the tacit acceptance of an entry after the logbook's deadline."""

    class Kind(models.TextChoices):
        COUNTERSIGNED = "countersigned", _("Firmada por el cliente")
        TACIT = "tacit", _("Aceptada tácitamente")

    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="acceptance")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    accepted_at = models.DateTimeField()
    # Format 2: a tacit acceptance is an attestation signed by the desk's system signer (a
    # countersigned one is the customer's signature record, whose `seq` it repeats).
    seq = models.PositiveIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    entries = models.PositiveIntegerField(null=True, blank=True)  # the logbook's length then
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    key = models.ForeignKey(
        SigningKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signature = models.CharField(max_length=128, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["countersigned", "tacit"]),
                name="logbook_acceptance_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry} {self.kind}"


class Checkpoint(models.Model):
    """The desk's signed statement: this logbook had `number` entries ending in `head_hash`
    (and, from format 2 on, `att_number` attestations ending in `att_hash`)."""

    logbook = models.ForeignKey(Logbook, on_delete=models.PROTECT, related_name="checkpoints")
    number = models.PositiveIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    signature = models.CharField(max_length=128)
    version = models.PositiveSmallIntegerField(default=2)
    att_number = models.PositiveIntegerField(default=0)
    att_hash = models.CharField(max_length=64, default="0" * 64)
    daily = models.BooleanField(default=False)
    # SHA-256 of the time-stamping authority's CA certificate (DER) when one is configured: the
    # token stamped afterwards must chain to that certificate.
    tsa_ca = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("punto de control")
        verbose_name_plural = _("puntos de control")
        indexes = [
            models.Index(fields=["logbook", "created_at"], name="logbook_checkpoint_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.logbook_id}@{self.number}"


class Timestamp(models.Model):
    """An RFC 3161 time-stamp token over a daily checkpoint (NOM-151's constancia is one)."""

    checkpoint = models.OneToOneField(
        Checkpoint, on_delete=models.PROTECT, related_name="timestamp"
    )
    response = models.BinaryField()  # the TSA's TimeStampResp, DER
    ca_certificate = models.BinaryField()  # the CA it chains to, DER
    gen_time = models.DateTimeField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.checkpoint} @ {self.gen_time}"


class PdfBuildStatus(models.TextChoices):
    QUEUED = "queued", _("En cola")
    RUNNING = "running", _("Preparándose")
    DONE = "done", _("Listo")
    FAILED = "failed", _("No se pudo preparar")
    ABANDONED = "abandoned", _("Abandonado")


class PdfBuildKind(models.TextChoices):
    LOGBOOK = "logbook", _("Bitácora")
    EQUIPMENT = "equipment", _("Historia de un equipo")


class PdfBuild(models.Model):
    """A printed document built by the worker (`tasks.request_pdf_build`, the `build_pdf` job).

    One row per state of what is printed (`key`: the logbook's head, signatures, language and
    hour; for an equipment's history also the reader, whose access decides which entries it
    holds): everyone asking for the same state waits on the same build. The file lives in the
    PDF cache directory under the same key. Not a record: pruned after a day.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=PdfBuildKind.choices)
    logbook = models.ForeignKey(Logbook, null=True, blank=True, on_delete=models.CASCADE)
    equipment_id = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(max_length=10)
    status = models.CharField(
        max_length=10, choices=PdfBuildStatus.choices, default=PdfBuildStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    pages = models.PositiveIntegerField(default=0)
    runs = models.PositiveSmallIntegerField(default=1)  # a new job key after an abandonment
    error_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    # Moved by every look at the progress page: a build nobody looks at any more is stopped.
    wanted_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("PDF en preparación")
        verbose_name_plural = _("PDF en preparación")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PdfBuildStatus.values), name="logbook_pdfbuild_status"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PdfBuildKind.values), name="logbook_pdfbuild_kind"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="logbook_pdfbuild_pct"),
        ]
        indexes = [
            # The per-person and desk-wide limits: builds queued or running (by whom).
            models.Index(fields=["status", "requested_by"], name="logbook_pdfbuild_active_idx"),
            # Pruning builds older than a day.
            models.Index(fields=["created_at"], name="logbook_pdfbuild_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.status}"

    @property
    def active(self) -> bool:
        return self.status in (PdfBuildStatus.QUEUED, PdfBuildStatus.RUNNING)
