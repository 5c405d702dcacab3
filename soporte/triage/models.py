"""Triage: the stored models (versioned, with their measured accuracy), the desk's settings and
every suggestion made, with what a person decided about it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from soporte.tickets.models import Priority


class TriageSettings(models.Model):
    """One row (pk=1): the desk's knobs."""

    threshold = models.FloatField(
        _("confianza mínima"),
        default=0.6,
        help_text=_("Por debajo de esta confianza no se muestra ninguna sugerencia."),
    )
    auto_activate = models.BooleanField(
        _("activar solo si mejora"),
        default=False,
        help_text=_(
            "Regla explícita: un modelo nuevo reemplaza al anterior sin revisión cuando su "
            "exactitud en los tickets recientes es igual o mejor."
        ),
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ajustes del triaje")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=0, threshold__lte=1),
                name="triage_settings_threshold_0_1",
            ),
            models.CheckConstraint(condition=Q(pk=1), name="triage_settings_single_row"),
        ]

    def __str__(self) -> str:
        return f"triage settings (threshold {self.threshold:.2f})"

    @classmethod
    def current(cls) -> TriageSettings:
        found, _created = cls.objects.get_or_create(pk=1)
        return found


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidato (por revisar)")
    ACTIVE = "active", _("En uso")
    RETIRED = "retired", _("Reemplazado")
    REJECTED = "rejected", _("Descartado")


class ModelSource(models.TextChoices):
    STARTING = "starting", _("Inicial (ejemplos del producto)")
    DESK = "desk", _("Reentrenado con los tickets de la mesa")


class ModelVersion(models.Model):
    """A trained model. `blob` is the pickled `engine.Model`, written only by this app's own
    training and checked against `blob_sha256` before it is loaded."""

    version = models.PositiveIntegerField(_("versión"))
    status = models.CharField(_("estado"), max_length=12, choices=ModelStatus.choices)
    source = models.CharField(_("origen"), max_length=12, choices=ModelSource.choices)
    engine_version = models.PositiveSmallIntegerField()
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    training_seconds = models.FloatField(default=0)
    example_count = models.PositiveIntegerField(default=0)
    desk_ticket_count = models.PositiveIntegerField(default=0)
    # The product's held-out set (the same for every version).
    heldout_accuracy = models.FloatField(default=0)
    heldout_macro_f1 = models.FloatField(default=0)
    # The desk's recent resolved tickets, kept out of training, and what the model in use
    # scored on the same tickets: the supervisor compares the two before the swap.
    recent_count = models.PositiveIntegerField(default=0)
    recent_accuracy = models.FloatField(null=True, blank=True)
    recent_macro_f1 = models.FloatField(null=True, blank=True)
    previous_recent_accuracy = models.FloatField(null=True, blank=True)
    previous_version = models.PositiveIntegerField(null=True, blank=True)
    confusion = models.JSONField(default=list)
    blob = models.BinaryField()
    blob_sha256 = models.CharField(max_length=64)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("modelo de triaje")
        constraints = [
            models.UniqueConstraint(fields=["version"], name="triage_modelversion_unique"),
            # One model in use at a time.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="triage_modelversion_one_active",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ModelStatus.values), name="triage_modelversion_status"
            ),
            models.CheckConstraint(
                condition=Q(source__in=ModelSource.values), name="triage_modelversion_source"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.status})"


class Decision(models.TextChoices):
    PENDING = "pending", _("Sin decidir")
    ACCEPTED = "accepted", _("Aceptada")
    OVERRIDDEN = "overridden", _("Cambiada por el agente")


class Suggestion(models.Model):
    """What the assistant suggested for one ticket, and what a person did with it. Nothing here
    changes the ticket: only `services.decide` does, when a person clicks."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="triage_suggestion"
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("nivel sugerido"))
    area_code = models.CharField(_("área sugerida"), max_length=40, blank=True)
    priority = models.CharField(_("prioridad sugerida"), max_length=8, choices=Priority.choices)
    confidence = models.FloatField()
    area_confidence = models.FloatField(default=0)
    priority_confidence = models.FloatField(default=0)
    words = models.JSONField(default=list)
    by_rule = models.BooleanField(default=False)
    # The ticket's level when the suggestion was made (what it would otherwise have kept).
    from_level = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    decision = models.CharField(max_length=12, choices=Decision.choices, default=Decision.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    chosen_level = models.PositiveSmallIntegerField(null=True, blank=True)
    chosen_area_code = models.CharField(max_length=40, blank=True)
    chosen_priority = models.CharField(max_length=8, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="triage_suggestion_level_1_4"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=1),
                name="triage_suggestion_confidence_0_1",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=Decision.values), name="triage_suggestion_decision"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="triage_suggestion_priority"
            ),
            # A decision names who made it and what they chose.
            models.CheckConstraint(
                condition=Q(decision="pending")
                | Q(decided_by__isnull=False, decided_at__isnull=False, chosen_level__isnull=False),
                name="triage_suggestion_decided_by_a_person",
            ),
        ]
        indexes = [
            # The supervisor page: decisions of the last months.
            models.Index(fields=["created_at", "id"], name="triage_suggestion_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: N{self.level} ({self.confidence:.0%})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "area": self.area_code,
            "priority": self.priority,
            "confidence": round(self.confidence, 3),
            "words": list(self.words),
            "decision": self.decision,
        }
