"""The reports app's one table: the desk's choices where contact-centre definitions differ.

Reports read every other app's tables and write none of them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from soporte.reports.metrics import Definitions


class MetricSettings(models.Model):
    """One row (id 1): the definitions every report uses unless a page asks for a variant."""

    answer_target_seconds = models.PositiveSmallIntegerField(
        _("objetivo de respuesta (s)"),
        default=20,
        help_text=_("T del nivel de servicio: «80 % atendidas en T segundos»."),
    )
    short_abandon_seconds = models.PositiveSmallIntegerField(
        _("umbral de abandono corto (s)"),
        default=5,
        help_text=_("Quien cuelga antes de estos segundos es un abandono corto."),
    )
    abandons_in_service_level = models.BooleanField(
        _("los abandonos cuentan en el nivel de servicio"), default=True
    )
    short_abandons_in_service_level = models.BooleanField(
        _("los abandonos cortos cuentan en el nivel de servicio"), default=True
    )
    short_abandons_in_abandon_rate = models.BooleanField(
        _("los abandonos cortos cuentan en la tasa de abandono"), default=True
    )
    updated_at = models.DateTimeField(_("modificado"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("modificó"),
    )

    class Meta:
        verbose_name = _("definiciones de las métricas")
        verbose_name_plural = _("definiciones de las métricas")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="reports_settings_single_row"),
            models.CheckConstraint(
                condition=Q(answer_target_seconds__gte=1, answer_target_seconds__lte=3600),
                name="reports_settings_target_range",
            ),
            models.CheckConstraint(
                condition=Q(short_abandon_seconds__lte=600),
                name="reports_settings_short_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Definiciones de las métricas"))

    @classmethod
    def current(cls) -> MetricSettings:
        row = cls.objects.filter(pk=1).first()
        return row if row is not None else cls(pk=1)

    def definitions(self) -> Definitions:
        return Definitions(
            answer_target_seconds=self.answer_target_seconds,
            short_abandon_seconds=self.short_abandon_seconds,
            abandons_in_service_level=self.abandons_in_service_level,
            short_abandons_in_service_level=self.short_abandons_in_service_level,
            short_abandons_in_abandon_rate=self.short_abandons_in_abandon_rate,
        )


class BuildStatus(models.TextChoices):
    QUEUED = "queued", _("En cola")
    RUNNING = "running", _("Calculando")
    DONE = "done", _("Listo")
    FAILED = "failed", _("Falló")


class ReportBuild(models.Model):
    """A report over a long range, built in the background: its query, progress and result.

    Only the person who asked reads it (their own access scope is stored with it)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    query = models.JSONField(default=dict)  # the page's query string, as a dict
    agent_scope = models.PositiveIntegerField(null=True, blank=True)  # an agent's own figures
    status = models.CharField(max_length=8, choices=BuildStatus.choices, default=BuildStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reporte en segundo plano")
        verbose_name_plural = _("reportes en segundo plano")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BuildStatus.values), name="reports_build_status_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="reports_build_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.status}"
