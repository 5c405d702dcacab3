"""Tickets: the desk's memory of every request, its levels, hand-offs and clocks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import scoped_to_organisation
from soporte.lib.params import parse_id


class Channel(models.TextChoices):
    PHONE = "phone", _("Teléfono")
    IN_PERSON = "in_person", _("En persona")
    PORTAL = "portal", _("Portal web")
    EMAIL = "email", _("Correo electrónico")
    REMOTE = "remote", _("Sesión remota")
    PROACTIVE = "proactive", _("Proactivo (contactamos al cliente)")


class Direction(models.TextChoices):
    REACTIVE = "reactive", _("Reactiva (el cliente nos contacta)")
    PROACTIVE = "proactive", _("Proactiva (contactamos al cliente)")


class SupportKind(models.TextChoices):
    """Kinds of support (seed 000)."""

    ON_SITE = "on_site", _("Presencial")
    DISTANCE = "distance", _("A distancia (teléfono, internet)")
    AERIAL = "aerial", _("Aéreo (inspección remota del equipo)")
    REMOTE_ACCESS = "remote_access", _("Remoto (acceso a la pantalla)")
    AUXILIARY = "auxiliary", _("Auxiliar (persona no profesional)")


AUXILIARY_WARNING = _(
    "Soporte auxiliar: lo brinda una persona que no es técnico profesional; el equipo puede "
    "no quedar bien. El cliente debe darse por enterado."
)


class Priority(models.TextChoices):
    LOW = "low", _("Baja")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("Alta")
    URGENT = "urgent", _("Urgente")


class Status(models.TextChoices):
    NEW = "new", _("Nuevo")
    ASSIGNED = "assigned", _("Asignado")
    IN_PROGRESS = "in_progress", _("En progreso")
    WAITING_CUSTOMER = "waiting_customer", _("En espera del cliente")
    ESCALATED = "escalated", _("Escalado")
    RESOLVED = "resolved", _("Resuelto")
    CLOSED = "closed", _("Cerrado")
    CANCELLED = "cancelled", _("Cancelado")


OPEN_STATUSES = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_CUSTOMER,
    Status.ESCALATED,
)

# The only legal moves of the workflow (anything else is refused with a Spanish message).
TRANSITIONS: dict[str, frozenset[str]] = {
    # "Escalado" is reached only through escalate_ticket, which demands the hand-off note (X2).
    Status.NEW: frozenset({Status.ASSIGNED, Status.CANCELLED}),
    Status.ASSIGNED: frozenset(
        {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CANCELLED}
    ),
    Status.IN_PROGRESS: frozenset({Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CANCELLED}),
    Status.WAITING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CANCELLED}),
    Status.ESCALATED: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class Approval(models.TextChoices):
    NOT_REQUIRED = "not_required", _("No requiere")
    PENDING = "pending", _("Pendiente del decisor")
    APPROVED = "approved", _("Aprobado")
    REJECTED = "rejected", _("Rechazado")


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, actor: Any) -> TicketQuerySet:
        """Staff see every ticket; a customer only their organisation's."""
        return scoped_to_organisation(self, actor)

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(models.Model):
    number = models.PositiveIntegerField(_("folio"))
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="tickets"
    )
    requester = models.ForeignKey(
        "directory.Person", on_delete=models.PROTECT, related_name="requested_tickets"
    )
    decision_maker = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_tickets",
        help_text=_("Solo cuando no es el solicitante (atención indirecta)."),
    )
    channel = models.CharField(_("canal"), max_length=16, choices=Channel.choices)
    direction = models.CharField(_("dirección"), max_length=16, choices=Direction.choices)
    support_kind = models.CharField(
        _("tipo de soporte"), max_length=16, choices=SupportKind.choices
    )
    remote_tool = models.CharField(_("herramienta remota"), max_length=80, blank=True)
    remote_session_id = models.CharField(_("id de sesión remota"), max_length=120, blank=True)
    auxiliary_acknowledged_at = models.DateTimeField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("nivel"), default=1)
    area = models.ForeignKey(
        "directory.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.CharField(
        _("prioridad"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("estado"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    subject = models.CharField(_("asunto"), max_length=200)
    description = models.TextField(_("descripción"))
    # Free text of tickets opened before the equipment registry, kept as written; new tickets
    # point to the device (`device`) and copy its label here for mail and search.
    equipment = models.CharField(_("equipo afectado"), max_length=200, blank=True)
    device = models.ForeignKey(
        "inventory.Device",
        verbose_name=_("equipo"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        "directory.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_update_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    chargeable = models.BooleanField(_("con costo"), default=False)
    approval = models.CharField(
        _("aprobación"), max_length=16, choices=Approval.choices, default=Approval.NOT_REQUIRED
    )
    # The SLA clock a queue row shows (the running one due first), kept by the services on
    # every change of the ticket and by the sweep (tickets/sla.py `Snapshot`): queues read
    # it instead of computing every row's clocks, and the sweep visits only the tickets whose
    # next threshold (75 % or due) has come, by `sla_check_at`.
    sla_target = models.CharField(max_length=20, blank=True, default="")
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused = models.BooleanField(default=False)
    sla_check_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="tickets_ticket_number_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="tickets_ticket_level_1_4"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="tickets_ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="tickets_ticket_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="tickets_ticket_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(support_kind__in=SupportKind.values),
                name="tickets_ticket_support_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="tickets_ticket_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(approval__in=Approval.values), name="tickets_ticket_approval_valid"
            ),
            # Remote access records the tool and the session id (seed 000: "remoto").
            models.CheckConstraint(
                condition=~Q(support_kind=SupportKind.REMOTE_ACCESS)
                | (~Q(remote_tool="") & ~Q(remote_session_id="")),
                name="tickets_ticket_remote_access_recorded",
            ),
        ]
        indexes = [
            # "Mine" through the API (a queryset: SQLite cannot match a partial index's
            # condition against its bound IN parameters): an agent's tickets in date order;
            # the open ones are the recent ones, so the scan stops early.
            models.Index(fields=["assignee", "updated_at", "id"], name="tickets_mine_idx"),
            # The desk's "Mis tickets" page (queues.row_page writes the condition as literals):
            # only open tickets, so the newest 25 are the index's first 25 entries.
            models.Index(
                fields=["assignee", "updated_at", "id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="tickets_open_mine_idx",
            ),
            # "My level's unassigned" queue (assignee IS NULL is an equality for the index).
            models.Index(
                fields=["level", "assignee", "updated_at", "id"], name="tickets_level_queue_idx"
            ),
            # "All" tab and the keyset cursor on the default and alternative sorts.
            models.Index(fields=["updated_at", "id"], name="tickets_updated_idx"),
            models.Index(fields=["created_at", "id"], name="tickets_created_idx"),
            # The portal: an organisation's tickets.
            models.Index(fields=["organisation", "updated_at", "id"], name="tickets_org_idx"),
            # The SLA sweep: tickets whose next threshold has come.
            models.Index(fields=["sla_check_at"], name="tickets_sla_check_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.folio} {self.subject}"

    @property
    def folio(self) -> str:
        return format_folio(self.number)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def indirect(self) -> bool:
        return self.decision_maker_id is not None and self.decision_maker_id != self.requester_id


FOLIO_PREFIX = "SOP-"


def format_folio(number: int) -> str:
    return f"{FOLIO_PREFIX}{number:06d}"


def parse_folio(folio: str) -> int | None:
    """The ticket number of a folio `format_folio` wrote ("SOP-000123" → 123), or None."""
    if not folio.startswith(FOLIO_PREFIX):
        return None
    return parse_id(folio.removeprefix(FOLIO_PREFIX))


class StatusChange(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "at", "id"], name="tickets_statuschange_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_status} → {self.to_status}"


class Escalation(models.Model):
    """A hand-off (rule X2): the next agent never asks the customer to repeat the story."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="escalations")
    from_level = models.PositiveSmallIntegerField()
    to_level = models.PositiveSmallIntegerField()
    from_area = models.ForeignKey(
        "directory.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_area = models.ForeignKey(
        "directory.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_agent = models.ForeignKey(
        "directory.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_agent = models.ForeignKey(
        "directory.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    customer_name = models.CharField(_("nombre del cliente"), max_length=200)
    reason = models.TextField(_("motivo"))
    tried = models.TextField(_("lo que ya se intentó"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    automatic = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["ticket", "at", "id"], name="tickets_escalation_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: N{self.from_level} → N{self.to_level}"


class Note(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    internal = models.BooleanField(_("interna"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="tickets_note_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.body[:40]}"


class Sequence(models.Model):
    """Gap-free counters (ticket folios), advanced under the write lock."""

    name = models.CharField(max_length=32)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name"], name="tickets_sequence_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("Primera respuesta")
    NEXT_UPDATE = "next_update", _("Siguiente actualización")
    RESOLUTION = "resolution", _("Resolución")


class SlaPolicy(models.Model):
    """Targets in business minutes for one level and priority."""

    level = models.PositiveSmallIntegerField(_("nivel"))
    priority = models.CharField(_("prioridad"), max_length=8, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("primera respuesta (min hábiles)"))
    next_update_minutes = models.PositiveIntegerField(_("siguiente actualización (min hábiles)"))
    resolution_minutes = models.PositiveIntegerField(_("resolución (min hábiles)"))
    escalate_on_breach = models.BooleanField(_("escalar al vencer"), default=True)

    class Meta:
        verbose_name = _("política de SLA")
        verbose_name_plural = _("políticas de SLA")
        constraints = [
            models.UniqueConstraint(fields=["level", "priority"], name="tickets_slapolicy_unique"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="tickets_slapolicy_level_1_4"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="tickets_slapolicy_priority_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"N{self.level} {self.priority}"

    def budget_minutes(self, target: str) -> int:
        return int(getattr(self, f"{target}_minutes"))


class DeskCalendar(models.Model):
    """The desk's working calendar (one row): weekdays, hours and the lunch pause."""

    weekdays = models.CharField(
        _("días hábiles"),
        max_length=20,
        default="0,1,2,3,4",
        help_text=_("0 = lunes … 6 = domingo"),
    )
    opens = models.TimeField(_("abre"), default="09:00")
    closes = models.TimeField(_("cierra"), default="18:00")
    lunch_from = models.TimeField(_("comida desde"), null=True, blank=True, default="14:00")
    lunch_to = models.TimeField(_("comida hasta"), null=True, blank=True, default="15:00")

    class Meta:
        verbose_name = _("calendario de la mesa")
        verbose_name_plural = _("calendario de la mesa")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")), name="tickets_calendar_hours_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekdays} {self.opens}-{self.closes}"

    def clean(self) -> None:
        """What the SLA clocks need of the calendar (the admin shows these next to the field)."""
        errors: dict[str, Any] = {}
        days = [d.strip() for d in self.weekdays.split(",")]
        if not all(len(d) == 1 and d in "0123456" for d in days) or len(set(days)) != len(days):
            errors["weekdays"] = _(
                "Escriba los días hábiles como números del 0 (lunes) al 6 (domingo) separados "
                "por comas, sin repetir: por ejemplo 0,1,2,3,4."
            )
        if self.opens and self.closes and self.opens >= self.closes:
            errors["closes"] = _("La hora de cierre debe ser posterior a la de apertura.")
        if (self.lunch_from is None) != (self.lunch_to is None):
            errors["lunch_to"] = _("Indique el inicio y el fin de la comida, o ninguno de los dos.")
        elif self.lunch_from is not None and self.lunch_to is not None:
            if self.lunch_from >= self.lunch_to:
                errors["lunch_to"] = _("La comida debe terminar después de empezar.")
            elif (
                self.opens
                and self.closes
                and not (self.opens <= self.lunch_from and self.lunch_to <= self.closes)
            ):
                errors["lunch_from"] = _("La comida debe caer dentro del horario de la mesa.")
        if errors:
            raise ValidationError(errors)


class Holiday(models.Model):
    day_date = models.DateField(_("día"))
    name = models.CharField(_("nombre"), max_length=100)

    class Meta:
        verbose_name = _("día festivo")
        verbose_name_plural = _("días festivos")
        constraints = [models.UniqueConstraint(fields=["day_date"], name="tickets_holiday_unique")]

    def __str__(self) -> str:
        return f"{self.day_date} {self.name}"


class SlaAlert(models.Model):
    """A warning (75 %) or breach already announced: each is sent once per ticket and target."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Aviso al 75 %")
        BREACH = "breach", _("Vencido")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="sla_alerts")
    target = models.CharField(max_length=16, choices=SlaTarget.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The next-update clock restarts with every update; the alert belongs to one cycle.
    cycle_start_at = models.DateTimeField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "kind", "cycle_start_at"], name="tickets_slaalert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.target} {self.kind}"


class InboundMail(models.Model):
    """Every message received, with what became of it (for audit and the quarantine)."""

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("Ticket nuevo")
        REPLY = "reply", _("Respuesta a un ticket")
        QUARANTINED = "quarantined", _("En cuarentena")
        IGNORED = "ignored", _("Ignorado (respuesta automática o bucle)")

    message_id = models.CharField(max_length=300)
    sender = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_mail"
    )
    raw_path = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], name="tickets_inboundmail_message_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["new_ticket", "reply", "quarantined", "ignored"]),
                name="tickets_inboundmail_outcome_valid",
            ),
        ]
        indexes = [
            # The per-sender rate limit looks at a sender's recent messages.
            models.Index(fields=["sender", "received_at"], name="tickets_inboundmail_rate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.outcome}"


class Attachment(models.Model):
    """A file stored outside the web root, served only through an access-checked view."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    note = models.ForeignKey(
        Note, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    storage_key = models.CharField(max_length=80)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["storage_key"], name="tickets_attachment_key_unique"),
        ]

    def __str__(self) -> str:
        return self.original_name


class Survey(models.Model):
    """The requester's answer after resolution (first-contact resolution, satisfaction)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="survey")
    satisfaction = models.PositiveSmallIntegerField(_("satisfacción (1 a 5)"))
    resolved = models.BooleanField(_("¿se resolvió su problema?"))
    comment = models.TextField(_("comentario"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                name="tickets_survey_satisfaction_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.satisfaction}"
