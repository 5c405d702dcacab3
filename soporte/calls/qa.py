"""Automatic QA: a scorecard per finished call, one line per rule, each with its evidence.

Rules measurable from events are scored from events (T1, T3, T4, H1–H3, X2, C3); the
transcript rules are scored when a transcript exists; the rest wait for a supervisor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.calls.models import (
    RING_LIMIT,
    Call,
    CallDirection,
    Outcome,
    Party,
    Scorecard,
    ScoreLine,
    TransferKind,
    TransferState,
    Verdict,
)

Line = tuple[str, str]  # (verdict, evidence)
Rule = Callable[[Call], Line]

NA = Verdict.NOT_APPLICABLE


def _ordinal(n: int) -> str:
    return f"{n}.º"


def rule_t1(call: Call) -> Line:
    """T1: answered before the third ring (rings from ring seconds and the line's cadence)."""
    if call.direction != CallDirection.IN:
        return NA, _("llamada saliente")
    if call.answered_at is None or call.rings is None:
        return NA, _("no se contestó")
    evidence = _("contestó en el %(n)s timbre (%(s).1f s)") % {
        "n": _ordinal(call.rings),
        "s": call.ring_seconds or 0,
    }
    return (Verdict.PASSED if call.rings < RING_LIMIT else Verdict.FAILED), evidence


def rule_t3(call: Call) -> Line:
    """T3: the caller's name was asked and recorded."""
    if call.answered_at is None:
        return NA, _("no se contestó")
    if call.caller_name.strip():
        return Verdict.PASSED, _("nombre anotado: %(name)s") % {"name": call.caller_name}
    return Verdict.FAILED, _("no se anotó el nombre de quien llama")


def _holds(call: Call) -> list:
    return list(call.holds.order_by("started_at", "id"))


def rule_h1(call: Call) -> Line:
    holds = _holds(call)
    if not holds:
        return NA, _("sin esperas")
    missing = [i + 1 for i, h in enumerate(holds) if not h.reason.strip()]
    if missing:
        return Verdict.FAILED, _("espera %(n)s sin motivo dicho") % {
            "n": ", ".join(str(i) for i in missing)
        }
    return Verdict.PASSED, _("motivo dicho en %(n)d espera(s)") % {"n": len(holds)}


def rule_h2(call: Call) -> Line:
    holds = _holds(call)
    callbacks = call.callbacks.count()
    if not holds and not callbacks:
        return NA, _("sin esperas")
    missing = [i + 1 for i, h in enumerate(holds) if not h.choice]
    if missing:
        return Verdict.FAILED, _("no se ofreció esperar o devolver la llamada (espera %(n)s)") % {
            "n": ", ".join(str(i) for i in missing)
        }
    if callbacks and not holds:
        return Verdict.PASSED, _("eligió que le devolvieran la llamada")
    return Verdict.PASSED, _("quien llama eligió en %(n)d espera(s)") % {"n": len(holds)}


def rule_h3(call: Call) -> Line:
    holds = _holds(call)
    if not holds:
        return NA, _("sin esperas")
    limit = call.line.hold_limit_seconds
    over = [h for h in holds if h.over_limit]
    if over:
        worst = max(over, key=lambda h: h.seconds or 0)
        return Verdict.FAILED, _("espera de %(s).0f s sin retomar (límite %(limit)d s)") % {
            "s": worst.seconds or 0,
            "limit": limit,
        }
    longest = max((h.seconds or 0) for h in holds)
    return Verdict.PASSED, _("espera más larga %(s).0f s") % {"s": longest}


def rule_t4(call: Call) -> Line:
    transfers = list(call.transfers.exclude(state=TransferState.CANCELLED))
    if not transfers:
        return NA, _("sin transferencias")
    if all(t.announced for t in transfers):
        return Verdict.PASSED, _("avisó a quien llama antes de transferir")
    return Verdict.FAILED, _("transfirió sin avisar a quien llama")


def rule_x2(call: Call) -> Line:
    transfers = list(call.transfers.filter(state=TransferState.COMPLETED))
    if not transfers:
        return NA, _("sin transferencias")
    blind = [t for t in transfers if t.kind == TransferKind.BLIND]
    if blind:
        return Verdict.FAILED, _("transferencia en frío: el colega no recibió el caso antes")
    seconds = min(t.consult_seconds or 0 for t in transfers)
    return Verdict.PASSED, _("transferencia en caliente, consulta de %(s).0f s") % {"s": seconds}


def rule_c3(call: Call) -> Line:
    if call.outcome != Outcome.ANSWERED:
        return NA, _("no se contestó")
    if call.hangup_by == Party.CALLER:
        return Verdict.PASSED, _("quien llamó colgó primero")
    if call.hangup_by == Party.AGENT:
        return Verdict.FAILED, _("el agente colgó primero")
    return NA, _("el conmutador no dijo quién colgó")


EVENT_RULES: dict[str, Rule] = {
    "T1": rule_t1,
    "T3": rule_t3,
    "T4": rule_t4,
    "X2": rule_x2,
    "H1": rule_h1,
    "H2": rule_h2,
    "H3": rule_h3,
    "C3": rule_c3,
}


def score_of(lines: list[ScoreLine]) -> float | None:
    """Share of applicable lines passed (overrides count; pending lines do not)."""
    decided = [ln.final for ln in lines if ln.final in (Verdict.PASSED, Verdict.FAILED)]
    if not decided:
        return None
    return round(100.0 * decided.count(Verdict.PASSED) / len(decided), 1)


@transaction.atomic
def score_call(*, call: Call, now: dt.datetime) -> Scorecard:
    """(Re)score a call: automatic verdicts are recomputed, a supervisor's override is kept."""
    agent = call.answered_by or call.agent
    card, _created = Scorecard.objects.get_or_create(
        call=call,
        defaults={
            "agent": agent,
            "level": agent.level if agent else None,
            "created_at": now,
            "updated_at": now,
        },
    )
    existing = {line.rule: line for line in card.lines.all()}
    for rule, func in EVENT_RULES.items():
        verdict, evidence = func(call)
        line = existing.get(rule) or ScoreLine(scorecard=card, rule=rule)
        line.verdict = verdict
        line.evidence = evidence[:500]
        line.save()
        existing[rule] = line
    card.score = score_of(list(existing.values()))
    card.updated_at = now
    card.save(update_fields=["score", "updated_at"])
    return card
