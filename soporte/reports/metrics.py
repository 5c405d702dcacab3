"""Contact-centre metrics as pure functions over call records (research/domain.md §2.1).

Peers disagree on several definitions (service level, abandon rate, average hold, FCR), so the
raw counts are tallied once (`tally`) and every variant is computed from the same counts
(`figures`, `service_level_variants`). The desk's choices live in `Definitions`; each figure
carries the sentence that says how it was computed, shown next to it on the page.

Nothing here reads the database or the clock: `reports.reads` turns stored calls into
`CallRecord`s, and tests build them by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext as _

RING_LIMIT = 3  # T1: answer before the third ring, i.e. in the first or second.
HOLD_LIMIT_SECONDS = 60  # H3

Outcome = Literal["answered", "abandoned", "other"]
AbandonPlace = Literal["queue", "ringing", ""]
TransferKind = Literal["warm", "blind", ""]


@dataclass(frozen=True)
class CallRecord:
    """One inbound call as the metrics see it; every duration in seconds.

    `wait_seconds` runs from the moment the call reached the desk to the answer (or to the
    caller's hang-up for an abandon), agent ring time included (ICMI's ASA). `ring_seconds` is
    the part during which an agent's phone rang; rings are counted with `ring_period`, the
    line's cadence (T1).
    """

    outcome: Outcome
    wait_seconds: float
    ring_seconds: float | None = None
    ring_period: float = 5.0
    abandon_place: AbandonPlace = ""
    talk_seconds: float = 0.0
    hold_count: int = 0
    hold_seconds: float = 0.0
    holds_over_limit: int = 0
    hung_up_on_hold: bool = False  # the caller left while on hold (an abandon on hold)
    wrap_seconds: float = 0.0
    transfer: TransferKind = ""
    callbacks_promised: int = 0
    callbacks_kept: int = 0
    survey_resolved: bool | None = None  # "¿se resolvió su problema?" on the call's ticket
    ticket_reopened: bool | None = None  # None: the call has no ticket
    qa: tuple[tuple[str, str], ...] = ()  # (rule id, final verdict) of its scorecard


@dataclass(frozen=True)
class Definitions:
    """The desk's choices where peers disagree; shown next to every figure they change."""

    answer_target_seconds: int = 20  # T of "service level X/T"
    short_abandon_seconds: int = 5  # an abandon shorter than this is a short abandon
    # Service level's denominator: answered, plus abandons (optionally minus short ones).
    abandons_in_service_level: bool = True
    short_abandons_in_service_level: bool = True
    # Abandon rate: whether short abandons count as abandoned (and as offered).
    short_abandons_in_abandon_rate: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.answer_target_seconds <= 3600:
            raise ValueError("answer_target_seconds")
        if not 0 <= self.short_abandon_seconds <= 600:
            raise ValueError("short_abandon_seconds")


def rings_for(ring_seconds: float | None, period: float) -> int:
    """T1: rings = ceil(seconds / cadence period); a call answered at once rang once."""
    if ring_seconds is None or ring_seconds <= 0:
        return 0
    return max(1, math.ceil(round(ring_seconds / period, 6)))


@dataclass
class Tally:
    """Additive raw counts: the tally of two groups is the sum of their tallies."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_in_queue: int = 0
    abandoned_ringing: int = 0
    abandoned_on_hold: int = 0
    short_abandons: int = 0
    other: int = 0  # missed, rejected or forwarded: neither answered nor abandoned
    answered_within_target: int = 0
    abandoned_within_target: int = 0
    short_abandons_within_target: int = 0
    answered_before_third_ring: int = 0
    wait_answered_seconds: float = 0.0
    talk_seconds: float = 0.0
    hold_seconds: float = 0.0
    wrap_seconds: float = 0.0
    held_calls: int = 0
    holds: int = 0
    holds_over_limit: int = 0
    transfers_warm: int = 0
    transfers_blind: int = 0
    callbacks_promised: int = 0
    callbacks_kept: int = 0
    surveyed: int = 0
    survey_resolved: int = 0
    with_ticket: int = 0
    not_reopened: int = 0
    qa: dict[str, list[int]] = field(default_factory=dict)  # rule → [passed, failed]

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            if name == "qa":
                for rule, (passed, failed) in other.qa.items():
                    mine = self.qa.setdefault(rule, [0, 0])
                    mine[0] += passed
                    mine[1] += failed
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))


def tally(records: Iterable[CallRecord], definitions: Definitions) -> Tally:
    """Counts the records once; every figure and variant is computed from the result."""
    t = Tally()
    target = definitions.answer_target_seconds
    short = definitions.short_abandon_seconds
    for r in records:
        if r.outcome == "answered":
            t.offered += 1
            t.answered += 1
            t.wait_answered_seconds += r.wait_seconds
            if r.wait_seconds <= target:
                t.answered_within_target += 1
            if rings_for(r.ring_seconds, r.ring_period) < RING_LIMIT:
                t.answered_before_third_ring += 1
            t.talk_seconds += r.talk_seconds
            t.hold_seconds += r.hold_seconds
            t.wrap_seconds += r.wrap_seconds
            if r.hold_count:
                t.held_calls += 1
                t.holds += r.hold_count
            t.holds_over_limit += r.holds_over_limit
            if r.hung_up_on_hold:
                t.abandoned_on_hold += 1
            if r.transfer == "warm":
                t.transfers_warm += 1
            elif r.transfer == "blind":
                t.transfers_blind += 1
        elif r.outcome == "abandoned":
            t.offered += 1
            t.abandoned += 1
            if r.abandon_place == "queue":
                t.abandoned_in_queue += 1
            else:
                t.abandoned_ringing += 1
            is_short = r.wait_seconds < short
            if is_short:
                t.short_abandons += 1
            if r.wait_seconds <= target:
                t.abandoned_within_target += 1
                if is_short:
                    t.short_abandons_within_target += 1
        else:
            t.other += 1
        t.callbacks_promised += r.callbacks_promised
        t.callbacks_kept += r.callbacks_kept
        if r.survey_resolved is not None:
            t.surveyed += 1
            t.survey_resolved += int(r.survey_resolved)
        if r.ticket_reopened is not None:
            t.with_ticket += 1
            t.not_reopened += int(not r.ticket_reopened)
        for rule, verdict in r.qa:
            counts = t.qa.setdefault(rule, [0, 0])
            if verdict == "passed":
                counts[0] += 1
            elif verdict == "failed":
                counts[1] += 1
    return t


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (shown "—") when nothing was counted."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Figure:
    code: str  # stable: the API's key and the export's column
    label: str
    value: float | None
    unit: Literal["count", "share", "seconds"]
    definition: str  # how it was computed, in words, shown next to the figure


def service_level(t: Tally, d: Definitions) -> float | None:
    """The desk's configured service level: answered within T over answered plus, if chosen,
    abandons (minus short abandons if they are excluded)."""
    denominator = t.answered
    if d.abandons_in_service_level:
        denominator += t.abandoned
        if not d.short_abandons_in_service_level:
            denominator -= t.short_abandons
    return ratio(t.answered_within_target, denominator)


def service_level_variants(t: Tally) -> list[Figure]:
    """The five ICMI formulas and "within T over offered", side by side from the same counts."""
    ans_t, ab_t = t.answered_within_target, t.abandoned_within_target
    long_abandons = t.abandoned - ab_t
    return [
        Figure(
            "sl_offered",
            _("Atendidas en T / ofrecidas"),
            ratio(ans_t, t.offered),
            "share",
            _("atendidas en T ÷ (atendidas + abandonadas)"),
        ),
        Figure(
            "sl_icmi1",
            _("ICMI 1: abandonos en T cuentan a favor"),
            ratio(ans_t + ab_t, t.answered + t.abandoned),
            "share",
            _("(atendidas en T + abandonadas en T) ÷ (atendidas + abandonadas)"),
        ),
        Figure(
            "sl_icmi2",
            _("ICMI 2: sin abandonos"),
            ratio(ans_t, t.answered),
            "share",
            _("atendidas en T ÷ atendidas (no recomendada: ignora los abandonos)"),
        ),
        Figure(
            "sl_icmi3",
            _("ICMI 3: abandonos en contra"),
            ratio(ans_t, t.answered + t.abandoned),
            "share",
            _("atendidas en T ÷ (atendidas + abandonadas)"),
        ),
        Figure(
            "sl_icmi4",
            _("ICMI 4: solo abandonos después de T"),
            ratio(ans_t, t.answered + long_abandons),
            "share",
            _("atendidas en T ÷ (atendidas + abandonadas después de T)"),
        ),
        Figure(
            "sl_icmi5",
            _("ICMI 5: como la 1, sin abandonos cortos"),
            ratio(
                ans_t + ab_t - t.short_abandons_within_target,
                t.answered + t.abandoned - t.short_abandons,
            ),
            "share",
            _(
                "(atendidas en T + abandonadas en T no cortas) ÷ "
                "(atendidas + abandonadas − abandonos cortos)"
            ),
        ),
    ]


def _sl_definition(d: Definitions) -> str:
    if not d.abandons_in_service_level:
        base = _("atendidas en %(t)s s ÷ atendidas")
    elif d.short_abandons_in_service_level:
        base = _("atendidas en %(t)s s ÷ (atendidas + abandonadas)")
    else:
        base = _("atendidas en %(t)s s ÷ (atendidas + abandonadas − abandonos de menos de %(s)s s)")
    return base % {"t": d.answer_target_seconds, "s": d.short_abandon_seconds}


def key_values(t: Tally, d: Definitions) -> dict[str, float | None]:
    """The figures a report shows for every group (its table and charts), without their
    labels: `figures` takes the same values from here, and translating fifty labels per group
    cost more than the sums of a year's summaries."""
    handled = t.answered
    if d.short_abandons_in_abandon_rate:
        abandon_rate = ratio(t.abandoned, t.offered)
    else:
        abandon_rate = ratio(t.abandoned - t.short_abandons, t.offered - t.short_abandons)
    return {
        "offered": t.offered,
        "answered": t.answered,
        "abandoned": t.abandoned,
        "service_level": service_level(t, d),
        "before_third_ring": ratio(t.answered_before_third_ring, handled),
        "abandon_rate": abandon_rate,
        "asa": ratio(t.wait_answered_seconds, handled),
        "aht": ratio(t.talk_seconds + t.hold_seconds + t.wrap_seconds, handled),
        "hold_rate": ratio(t.held_calls, handled),
        "holds_over_limit": t.holds_over_limit,
        "transfer_rate": ratio(t.transfers_warm + t.transfers_blind, handled),
    }


def figures(t: Tally, d: Definitions) -> list[Figure]:
    """Every contact-centre figure of the issue, each with its definition in words."""
    v = key_values(t, d)
    handled = t.answered
    if d.short_abandons_in_abandon_rate:
        abandon_def = _("abandonadas ÷ ofrecidas")
    else:
        abandon_def = _("(abandonadas − abandonos cortos) ÷ (ofrecidas − abandonos cortos)")
    short_def = _("colgaron antes de %(s)s s") % {"s": d.short_abandon_seconds}
    out = [
        Figure("offered", _("Ofrecidas"), v["offered"], "count", _("atendidas + abandonadas")),
        Figure("answered", _("Atendidas"), v["answered"], "count", _("contestadas por un agente")),
        Figure(
            "abandoned",
            _("Abandonadas"),
            v["abandoned"],
            "count",
            _("quien llamó colgó antes de ser atendido"),
        ),
        Figure(
            "abandoned_in_queue",
            _("Abandonadas en cola"),
            t.abandoned_in_queue,
            "count",
            _("antes de que timbrara un agente"),
        ),
        Figure(
            "abandoned_ringing",
            _("Abandonadas timbrando"),
            t.abandoned_ringing,
            "count",
            _("mientras timbraba el teléfono de un agente"),
        ),
        Figure(
            "abandoned_on_hold",
            _("Abandonadas en espera"),
            t.abandoned_on_hold,
            "count",
            _("atendidas en las que quien llamó colgó estando en espera"),
        ),
        Figure("short_abandons", _("Abandonos cortos"), t.short_abandons, "count", short_def),
        Figure(
            "other",
            _("Otras (no contestadas, rechazadas, desviadas)"),
            t.other,
            "count",
            _("no cuentan como ofrecidas"),
        ),
        Figure(
            "service_level", _("Nivel de servicio"), v["service_level"], "share", _sl_definition(d)
        ),
        Figure(
            "asa",
            _("Velocidad media de respuesta (ASA)"),
            v["asa"],
            "seconds",
            _("espera total de las atendidas ÷ atendidas (cola y timbre)"),
        ),
        Figure(
            "before_third_ring",
            _("Atendidas antes del tercer timbre"),
            v["before_third_ring"],
            "share",
            _("timbres = ⌈segundos de timbre ÷ periodo de la cadencia de la línea⌉ < 3 (T1)"),
        ),
        Figure("abandon_rate", _("Tasa de abandono"), v["abandon_rate"], "share", abandon_def),
        Figure(
            "aht",
            _("Tiempo medio de operación (AHT)"),
            v["aht"],
            "seconds",
            _("(conversación + espera + trabajo posterior) ÷ atendidas"),
        ),
        Figure(
            "hold_rate",
            _("Tasa de espera"),
            v["hold_rate"],
            "share",
            _("atendidas con al menos una espera ÷ atendidas"),
        ),
        Figure(
            "hold_avg_held_call",
            _("Espera media por llamada en espera"),
            ratio(t.hold_seconds, t.held_calls),
            "seconds",
            _("segundos en espera ÷ llamadas con espera"),
        ),
        Figure(
            "hold_avg_instance",
            _("Espera media por espera"),
            ratio(t.hold_seconds, t.holds),
            "seconds",
            _("segundos en espera ÷ número de esperas"),
        ),
        Figure(
            "hold_avg_handled",
            _("Espera media por llamada atendida"),
            ratio(t.hold_seconds, handled),
            "seconds",
            _("segundos en espera ÷ atendidas"),
        ),
        Figure(
            "holds_over_limit",
            _("Esperas de más de 60 s"),
            v["holds_over_limit"],
            "count",
            _("esperas que pasaron el límite de la línea (H3)"),
        ),
        Figure(
            "transfer_rate",
            _("Tasa de transferencia"),
            v["transfer_rate"],
            "share",
            _("atendidas transferidas ÷ atendidas"),
        ),
        Figure(
            "transfer_rate_warm",
            _("Transferencias en caliente"),
            ratio(t.transfers_warm, handled),
            "share",
            _("con consulta (X2) ÷ atendidas"),
        ),
        Figure(
            "transfer_rate_blind",
            _("Transferencias en frío"),
            ratio(t.transfers_blind, handled),
            "share",
            _("sin consulta ÷ atendidas"),
        ),
        Figure(
            "callbacks_promised",
            _("Devoluciones prometidas"),
            t.callbacks_promised,
            "count",
            _("llamadas de vuelta agendadas (H2)"),
        ),
        Figure(
            "callbacks_kept",
            _("Devoluciones cumplidas"),
            ratio(t.callbacks_kept, t.callbacks_promised),
            "share",
            _("devoluciones hechas ÷ prometidas"),
        ),
        Figure(
            "fcr_survey",
            _("Resolución al primer contacto (encuesta)"),
            ratio(t.survey_resolved, t.surveyed),
            "share",
            _("respondieron «sí, se resolvió» ÷ encuestas respondidas"),
        ),
        Figure(
            "fcr_not_reopened",
            _("Resolución al primer contacto (sin reabrir)"),
            ratio(t.not_reopened, t.with_ticket),
            "share",
            _("tickets de las llamadas no reabiertos ÷ llamadas con ticket"),
        ),
    ]
    return out


def qa_rates(t: Tally) -> list[Figure]:
    """QA pass rate per rule: passed ÷ (passed + failed); "no aplica" and pending don't count."""
    return [
        Figure(
            f"qa_{rule}",
            rule,
            ratio(passed, passed + failed),
            "share",
            _("cumple ÷ (cumple + no cumple), %(n)s evaluadas") % {"n": passed + failed},
        )
        for rule, (passed, failed) in sorted(t.qa.items())
    ]


def occupancy(handle_seconds: float, available_idle_seconds: float) -> float | None:
    """Measured occupancy: handle time ÷ (handle time + available idle time)."""
    return ratio(handle_seconds, handle_seconds + available_idle_seconds)
