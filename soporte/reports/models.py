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


# --- Summaries of finished calls (issue 17, performance) ---------------------------------------
# The calls report over a month or a year reads these instead of every call. One row per UTC
# hour × local day and hour × agent × level × area × line, with the additive counts of
# `metrics.Tally`. The figures that depend on the desk's definitions (answered and abandoned
# within T, short abandons under S) are counted for each answer target and each short-abandon
# threshold below: a report whose definitions are on these ladders reads the summaries, any
# other reads the calls (exact either way). `summaries.refresh` keeps them up to date.
ANSWER_TARGETS = (5, 8, 9, 10, 12, 15, 20, 25, 30, 40, 45, 60, 90, 120, 180, 300, 600)
SHORT_ABANDONS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 60)  # and 0: none is short

# Tally fields stored as they are (every other Tally field is on a ladder or derived).
SUMMED_COUNTS = (
    "offered",
    "answered",
    "abandoned",
    "abandoned_in_queue",
    "abandoned_ringing",
    "abandoned_on_hold",
    "other",
    "answered_before_third_ring",
    "held_calls",
    "holds",
    "holds_over_limit",
    "transfers_warm",
    "transfers_blind",
    "callbacks_promised",
    "callbacks_kept",
    "surveyed",
    "survey_resolved",
    "with_ticket",
    "not_reopened",
)
SUMMED_SECONDS = ("wait_answered_seconds", "talk_seconds", "hold_seconds", "wrap_seconds")


class SummaryKey(models.Model):
    """What a summary row is grouped by: `hour_at` (UTC) is what refreshes replace; the rest are
    the report's grouping keys as `reads.Keys` computes them when the row is summarised."""

    hour_at = models.DateTimeField()
    day = models.DateField()  # local to the desk
    hour = models.PositiveSmallIntegerField()  # local hour of day
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday
    # Plain ids, not foreign keys: a summary never blocks deleting what it counts.
    agent_id = models.IntegerField(null=True)
    level = models.PositiveSmallIntegerField(null=True)
    area_id = models.IntegerField(null=True)
    line_id = models.IntegerField()

    class Meta:
        abstract = True


class CallSummary(SummaryKey):
    offered = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    abandoned_in_queue = models.PositiveIntegerField(default=0)
    abandoned_ringing = models.PositiveIntegerField(default=0)
    abandoned_on_hold = models.PositiveIntegerField(default=0)
    other = models.PositiveIntegerField(default=0)
    answered_before_third_ring = models.PositiveIntegerField(default=0)
    held_calls = models.PositiveIntegerField(default=0)
    holds = models.PositiveIntegerField(default=0)
    holds_over_limit = models.PositiveIntegerField(default=0)
    transfers_warm = models.PositiveIntegerField(default=0)
    transfers_blind = models.PositiveIntegerField(default=0)
    callbacks_promised = models.PositiveIntegerField(default=0)
    callbacks_kept = models.PositiveIntegerField(default=0)
    surveyed = models.PositiveIntegerField(default=0)
    survey_resolved = models.PositiveIntegerField(default=0)
    with_ticket = models.PositiveIntegerField(default=0)
    not_reopened = models.PositiveIntegerField(default=0)
    wait_answered_seconds = models.FloatField(default=0)
    talk_seconds = models.FloatField(default=0)
    hold_seconds = models.FloatField(default=0)
    wrap_seconds = models.FloatField(default=0)

    class Meta:
        indexes = [
            # The report's range scan (and a refresh replacing an hour).
            models.Index(fields=["hour_at"], name="reports_callsum_hour_idx"),
            # An agent's own figures.
            models.Index(fields=["agent_id", "hour_at"], name="reports_callsum_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hour_at:%Y-%m-%d %H}h · {self.agent_id} · {self.offered}"


def answered_within(seconds: int) -> str:
    return f"answered_within_{seconds}"


def abandoned_within(seconds: int) -> str:
    return f"abandoned_within_{seconds}"


def short_abandons_under(seconds: int) -> str:
    return f"short_abandons_{seconds}"


for _t in ANSWER_TARGETS:
    CallSummary.add_to_class(answered_within(_t), models.PositiveIntegerField(default=0))
    CallSummary.add_to_class(abandoned_within(_t), models.PositiveIntegerField(default=0))
for _s in SHORT_ABANDONS:
    CallSummary.add_to_class(short_abandons_under(_s), models.PositiveIntegerField(default=0))


class QaSummary(SummaryKey):
    """QA verdicts per rule, with the same keys as `CallSummary`."""

    rule = models.CharField(max_length=20)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["hour_at"], name="reports_qasum_hour_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hour_at:%Y-%m-%d %H}h · {self.rule}"


class SummaryState(models.Model):
    """One row (id 1): every UTC hour before `summarised_until` is summarised; changes to
    calls, surveys, reopenings, scorecards and callbacks up to `changes_seen_at` are in."""

    summarised_until = models.DateTimeField(null=True)
    changes_seen_at = models.DateTimeField(null=True)
    # Calls stored after a refresh with a start in an hour already summarised (a CTI event
    # delivered late, a history imported or loaded for the demo) are found by their id.
    last_call_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="reports_summary_state_single_row"),
        ]

    def __str__(self) -> str:
        return f"{self.summarised_until}"
