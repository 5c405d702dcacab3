"""Calls: phone lines, call legs and their append-only events, holds, transfers, callbacks, QA.

Everything the console and the wallboard show is derived from stored event timestamps
(rings from ring seconds and the line's cadence, hold timers from hold start/end), so the
numbers are pure functions of what the phone system said (T1, H3).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import scoped_to_organisation


class Cadence(models.TextChoices):
    """Ringback cadences (research/domain.md §1.7): seconds on / seconds off."""

    MX = "mx", _("México (1 s / 4 s)")
    ES = "es", _("España (1.5 s / 3 s)")
    US = "us", _("Estados Unidos (2 s / 4 s)")
    CL = "cl", _("Chile (1 s / 3 s)")
    CUSTOM = "custom", _("Personalizada")


CADENCE_SECONDS: dict[str, tuple[float, float]] = {
    Cadence.MX: (1.0, 4.0),
    Cadence.ES: (1.5, 3.0),
    Cadence.US: (2.0, 4.0),
    Cadence.CL: (1.0, 3.0),
}

RING_LIMIT = 3  # T1: answer before the third ring, i.e. in the first or second.
HOLD_LIMIT_SECONDS = 60  # H3
HOLD_WARN_SECONDS = 45


def rings_for(ring_seconds: float | None, period: float) -> int:
    """T1: rings = ceil(seconds / cadence period); a call answered at once rang once."""
    if ring_seconds is None or ring_seconds <= 0:
        return 0
    return max(1, math.ceil(round(ring_seconds / period, 6)))


class PhoneLine(models.Model):
    """A phone system (PBX) feeding events, or the desk's own console line (no CTI).

    Zammad mode authenticates by the token in the URL (stored only as its SHA-256); the signed
    mode authenticates by an HMAC over timestamp and body with the line's `key_id`/secret.
    """

    name = models.CharField(_("nombre"), max_length=100)
    token_hash = models.CharField(max_length=64, blank=True)
    token_hint = models.CharField(_("fin del token"), max_length=8, blank=True)
    key_id = models.SlugField(_("identificador de clave"), max_length=40, blank=True)
    hmac_secret = models.CharField(_("secreto HMAC"), max_length=128, blank=True)
    signed_only = models.BooleanField(
        _("solo firmado"),
        default=False,
        help_text=_("Rechaza el modo con token en la URL; solo acepta peticiones firmadas."),
    )
    is_console = models.BooleanField(_("línea de la consola"), default=False)
    cadence = models.CharField(
        _("cadencia de timbre"), max_length=8, choices=Cadence.choices, default=Cadence.MX
    )
    ring_on_seconds = models.FloatField(_("timbre encendido (s)"), default=1.0)
    ring_off_seconds = models.FloatField(_("timbre apagado (s)"), default=4.0)
    hold_limit_seconds = models.PositiveSmallIntegerField(
        _("límite de espera (s)"), default=HOLD_LIMIT_SECONDS
    )
    hold_warn_seconds = models.PositiveSmallIntegerField(
        _("aviso de espera (s)"), default=HOLD_WARN_SECONDS
    )
    warm_min_consult_seconds = models.PositiveSmallIntegerField(
        _("consulta mínima para transferencia en caliente (s)"), default=10
    )
    blocked_numbers = models.TextField(
        _("números bloqueados"), blank=True, help_text=_("Uno por línea; se rechazan.")
    )
    outbound_caller_id = models.CharField(_("identificador saliente"), max_length=32, blank=True)
    active = models.BooleanField(_("activa"), default=True)
    created_at = models.DateTimeField(_("creada"))

    class Meta:
        verbose_name = _("línea telefónica")
        verbose_name_plural = _("líneas telefónicas")
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="calls_line_token_unique",
            ),
            models.UniqueConstraint(
                fields=["key_id"], condition=~Q(key_id=""), name="calls_line_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(cadence__in=Cadence.values), name="calls_line_cadence_valid"
            ),
            models.CheckConstraint(
                condition=Q(ring_on_seconds__gt=0, ring_off_seconds__gte=0),
                name="calls_line_cadence_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ring_period(self) -> float:
        on, off = CADENCE_SECONDS.get(self.cadence, (self.ring_on_seconds, self.ring_off_seconds))
        return on + off

    @property
    def ring_on(self) -> float:
        return CADENCE_SECONDS.get(self.cadence, (self.ring_on_seconds, 0.0))[0]

    def blocked(self, number: str) -> bool:
        return number.strip() in {n.strip() for n in self.blocked_numbers.splitlines() if n.strip()}


class CallState(models.TextChoices):
    RINGING = "ringing", _("Timbrando")
    TALKING = "talking", _("En conversación")
    ON_HOLD = "on_hold", _("En espera")
    ENDED = "ended", _("Terminada")


class CallDirection(models.TextChoices):
    IN = "in", _("Entrante")
    OUT = "out", _("Saliente")


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Atendida")
    ABANDONED = "abandoned", _("Abandonada")
    MISSED = "missed", _("No contestada")
    REJECTED = "rejected", _("Rechazada")
    FORWARDED = "forwarded", _("Desviada")


class Party(models.TextChoices):
    CALLER = "caller", _("Quien llamó")
    AGENT = "agent", _("Agente")
    UNKNOWN = "unknown", _("No se sabe")


class TransferKind(models.TextChoices):
    WARM = "warm", _("En caliente (con consulta)")
    BLIND = "blind", _("En frío (sin consulta)")


class CallQuerySet(models.QuerySet["Call"]):
    def visible_to(self, actor: Any) -> CallQuerySet:
        """Calls are the desk's own work: staff see them; customers see their organisation's."""
        return scoped_to_organisation(self, actor, "organisation")


class Call(models.Model):
    """One call session (Zammad's callId) and what the desk derived from its events."""

    # Indexed by calls_call_line_id_unique (line, call_id); no index of its own.
    line = models.ForeignKey(
        PhoneLine, on_delete=models.PROTECT, related_name="calls", db_index=False
    )
    call_id = models.CharField(max_length=250)
    direction = models.CharField(max_length=3, choices=CallDirection.choices)
    from_number = models.CharField(_("de"), max_length=64)
    to_number = models.CharField(_("a"), max_length=64)
    queue = models.CharField(_("cola"), max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=CallState.choices, default=CallState.RINGING)
    # Who the phone system rang (names from `user`), and who holds the call now.
    ringing_agent_ids = models.JSONField(default=list, blank=True)
    # Indexed by calls_call_agent_idx (agent, started_at).
    agent = models.ForeignKey(
        "directory.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        db_index=False,
    )
    # Read with its call, never searched by: every index is one more write per CTI event.
    answered_by = models.ForeignKey(
        "directory.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    person = models.ForeignKey(
        "directory.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
    )
    caller_name = models.CharField(_("nombre de quien llama"), max_length=200, blank=True)
    need = models.TextField(_("necesidad"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    started_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ring_seconds = models.FloatField(null=True, blank=True)
    rings = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_count = models.PositiveSmallIntegerField(default=0)
    hold_seconds = models.FloatField(default=0)
    holds_over_limit = models.PositiveSmallIntegerField(default=0)
    transfer_count = models.PositiveSmallIntegerField(default=0)
    hangup_cause = models.CharField(max_length=20, blank=True)
    hangup_by = models.CharField(max_length=8, choices=Party.choices, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    # Set once the finished call has its ticket record, bitácora entry and scorecard.
    recorded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("llamada")
        verbose_name_plural = _("llamadas")
        constraints = [
            models.UniqueConstraint(fields=["line", "call_id"], name="calls_call_line_id_unique"),
            models.CheckConstraint(
                condition=Q(state__in=CallState.values), name="calls_call_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=CallDirection.values),
                name="calls_call_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(outcome__in=Outcome.values),
                name="calls_call_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(hangup_by="") | Q(hangup_by__in=Party.values),
                name="calls_call_hangup_by_valid",
            ),
        ]
        indexes = [
            # Wallboard and console: live calls.
            models.Index(fields=["state", "started_at", "id"], name="calls_call_live_idx"),
            # Today's figures and the calls list, newest first.
            models.Index(fields=["started_at", "id"], name="calls_call_started_idx"),
            # The finisher: ended calls without their record yet.
            models.Index(fields=["recorded_at", "state"], name="calls_call_unrecorded_idx"),
            # Per-agent lists and QA averages.
            models.Index(fields=["agent", "started_at"], name="calls_call_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_number} → {self.to_number} ({self.call_id})"

    @property
    def is_live(self) -> bool:
        return self.state != CallState.ENDED

    @property
    def talk_seconds(self) -> float | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.answered_at).total_seconds()


class EventKind(models.TextChoices):
    NEW_CALL = "newCall", _("Llamada nueva")
    ANSWER = "answer", _("Contestada")
    HOLD = "hold", _("En espera")
    UNHOLD = "unhold", _("Retomada")
    TRANSFER = "transfer", _("Transferencia")
    HANGUP = "hangup", _("Colgada")
    CALLBACK = "callback", _("Devolución elegida")


class EventSource(models.TextChoices):
    CTI = "cti", _("Conmutador (CTI)")
    CONSOLE = "console", _("Consola")
    SIMULATOR = "simulator", _("Simulador")


class CallEvent(models.Model):
    """An event as the phone system (or the console) sent it: append-only, never updated.

    `key` makes retries idempotent: the same event sent twice has the same key on its line.
    """

    # Indexed by calls_event_line_key_unique (line, key) and calls_event_call_idx (call, at, id).
    line = models.ForeignKey(PhoneLine, on_delete=models.PROTECT, related_name="+", db_index=False)
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    key = models.CharField(max_length=300)
    at = models.DateTimeField()
    received_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=EventSource.choices)
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "key"], name="calls_event_line_key_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="calls_event_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["call", "at", "id"], name="calls_event_call_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.call_id} {self.at:%H:%M:%S.%f}"


class SignedNonce(models.Model):
    """Signatures already accepted in signed mode, kept for the timestamp window: no replays."""

    line = models.ForeignKey(PhoneLine, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line", "digest"], name="calls_nonce_unique"),
        ]
        # Pruning: nonces older than the accepted window.
        indexes = [models.Index(fields=["seen_at"], name="calls_nonce_seen_idx")]

    def __str__(self) -> str:
        return self.digest


class HoldChoice(models.TextChoices):
    """H2: the caller chooses to wait or to be called back."""

    WAIT = "wait", _("Esperar en la línea")
    CALLBACK = "callback", _("Que le devuelvan la llamada")


class Hold(models.Model):
    """One hold: H1 reason, H2 choice, H3 duration against the limit."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="holds")
    agent = models.ForeignKey(
        "directory.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    choice = models.CharField(
        _("elección de quien llama"), max_length=10, choices=HoldChoice.choices, blank=True
    )
    seconds = models.FloatField(null=True, blank=True)
    over_limit = models.BooleanField(default=False)
    # Closed by the hangup, not by resuming (the caller was never taken back).
    ended_by_hangup = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(choice="") | Q(choice__in=HoldChoice.values),
                name="calls_hold_choice_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["call", "started_at"], name="calls_hold_call_idx"),
            # Wallboard: holds in progress; today's holds.
            models.Index(fields=["ended_at", "started_at"], name="calls_hold_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.started_at:%H:%M:%S}"


class TransferState(models.TextChoices):
    CONSULTING = "consulting", _("En consulta")
    COMPLETED = "completed", _("Completada")
    CANCELLED = "cancelled", _("Cancelada")


class Transfer(models.Model):
    """A transfer (T4, X1–X3); warm when the colleague answered the consultation first."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="transfers")
    from_agent = models.ForeignKey(
        "directory.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_agent = models.ForeignKey(
        "directory.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target = models.CharField(_("destino"), max_length=100, blank=True)
    to_level = models.PositiveSmallIntegerField(null=True, blank=True)
    to_area = models.ForeignKey(
        "directory.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=6, choices=TransferKind.choices)
    state = models.CharField(
        max_length=10, choices=TransferState.choices, default=TransferState.COMPLETED
    )
    consult_answered = models.BooleanField(default=False)
    consult_seconds = models.FloatField(null=True, blank=True)
    announced = models.BooleanField(_("se avisó a quien llama (T4)"), default=False)
    reason = models.TextField(_("motivo"), blank=True)
    summary = models.TextField(_("resumen para quien recibe"), blank=True)
    escalation = models.ForeignKey(
        "tickets.Escalation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TransferKind.values), name="calls_transfer_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=TransferState.values), name="calls_transfer_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["call", "started_at"], name="calls_transfer_call_idx"),
            # Wallboard: transfers in progress.
            models.Index(fields=["state", "started_at"], name="calls_transfer_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} → {self.target or self.to_agent_id}"


class CallbackQuerySet(models.QuerySet["Callback"]):
    def visible_to(self, actor: Any) -> CallbackQuerySet:
        return scoped_to_organisation(self, actor, "organisation")


class Callback(models.Model):
    """H2: a caller chose to be called back; a proactive contact in an agent's task list."""

    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.PROTECT, related_name="callbacks"
    )
    agent = models.ForeignKey("directory.Agent", on_delete=models.PROTECT, related_name="callbacks")
    person = models.ForeignKey(
        "directory.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    caller_name = models.CharField(_("nombre"), max_length=200, blank=True)
    phone = models.CharField(_("teléfono"), max_length=64)
    reason = models.CharField(_("motivo"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("llamar a las"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(_("resultado"), max_length=300, blank=True)

    objects = CallbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("devolución de llamada")
        verbose_name_plural = _("devoluciones de llamada")
        # An agent's task list: pending callbacks by due time.
        indexes = [models.Index(fields=["agent", "done_at", "due_at"], name="calls_callback_idx")]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.due_at:%Y-%m-%d %H:%M}"


# --- Automatic QA -------------------------------------------------------------------------


class Speaker(models.TextChoices):
    AGENT = "agent", _("Agente")
    CALLER = "caller", _("Quien llama")
    OTHER_AGENT = "agent2", _("Agente que recibe")


class Leg(models.TextChoices):
    """Which conversation a turn belongs to: the caller's, or the agents' consultation
    before a warm transfer (X2), which the caller does not hear."""

    CALLER = "caller", _("Con quien llama")
    CONSULT = "consult", _("Consulta entre agentes")


class TranscriptTurn(models.Model):
    """One turn of a transcript: sent through the API or uploaded as a subtitle or
    speech-to-text file."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="turns")
    speaker = models.CharField(max_length=8, choices=Speaker.choices)
    leg = models.CharField(max_length=8, choices=Leg.choices, default=Leg.CALLER)
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(speaker__in=Speaker.values), name="calls_turn_speaker_valid"
            ),
            models.CheckConstraint(condition=Q(leg__in=Leg.values), name="calls_turn_leg_valid"),
            models.CheckConstraint(
                condition=Q(end_ms__gte=models.F("start_ms")), name="calls_turn_ordered"
            ),
        ]
        indexes = [models.Index(fields=["call", "start_ms", "id"], name="calls_turn_call_idx")]

    def __str__(self) -> str:
        return f"{self.speaker}@{self.start_ms}: {self.text[:40]}"


class GlossaryTerm(models.Model):
    """D4: jargon the desk avoids on the phone, with the plain words to use instead."""

    term = models.CharField(_("término técnico"), max_length=100)
    plain = models.CharField(_("en palabras sencillas"), max_length=300)

    class Meta:
        verbose_name = _("término del glosario")
        verbose_name_plural = _("glosario")
        constraints = [models.UniqueConstraint(fields=["term"], name="calls_glossary_term_unique")]

    def __str__(self) -> str:
        return self.term


class Verdict(models.TextChoices):
    PASSED = "passed", _("Cumple")
    FAILED = "failed", _("No cumple")
    NOT_APPLICABLE = "na", _("No aplica")
    PENDING = "pending", _("Por revisar (supervisor)")


class Scorecard(models.Model):
    """The QA scorecard of one finished call: one line per rule."""

    call = models.OneToOneField(Call, on_delete=models.PROTECT, related_name="scorecard")
    agent = models.ForeignKey(
        "directory.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)  # % of applicable lines passed
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("evaluación de calidad")
        verbose_name_plural = _("evaluaciones de calidad")
        # Per-agent and per-level averages.
        indexes = [
            models.Index(fields=["agent", "created_at"], name="calls_scorecard_agent_idx"),
            models.Index(fields=["level", "created_at"], name="calls_scorecard_level_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.score}"


class ScoreLine(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="lines")
    rule = models.CharField(max_length=4)
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    evidence = models.CharField(max_length=500, blank=True)
    # A supervisor's review: the automatic verdict stays; the override is shown and counted.
    override = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "rule"], name="calls_scoreline_unique"),
            models.CheckConstraint(
                condition=Q(verdict__in=Verdict.values), name="calls_scoreline_verdict_valid"
            ),
            models.CheckConstraint(
                condition=Q(override="") | Q(override__in=Verdict.values),
                name="calls_scoreline_override_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.final}"

    @property
    def final(self) -> str:
        return self.override or self.verdict
