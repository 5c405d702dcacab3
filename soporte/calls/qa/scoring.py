"""Scorecards: a finished call's facts read once, the rules applied (`rules.evaluate`), the
verdicts stored beside a supervisor's overrides; and the transcripts that text rules read.

A supervisor's override is kept apart from the automatic verdict, survives re-scoring and is
what the score counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.calls.models import (
    Call,
    CallState,
    GlossaryTerm,
    Leg,
    Scorecard,
    ScoreLine,
    Speaker,
    TranscriptTurn,
    Verdict,
)
from soporte.calls.qa.rules import (
    END_SLACK_MS,
    MAX_TURN_TEXT,
    MAX_TURNS,
    RULE_ORDER,
    CallFacts,
    Transcript,
    Turn,
    evaluate,
)
from soporte.calls.qa.spanish import ACTS
from soporte.directory.models import User
from soporte.lib.errors import DomainError, Forbidden


def call_facts(call: Call) -> CallFacts:
    """Everything the event rules read about the call, in a handful of queries."""
    agent = call.answered_by or call.agent
    return CallFacts(
        call=call,
        holds=list(call.holds.order_by("started_at", "id")),
        transfers=list(
            call.transfers.select_related("to_agent__user", "to_area", "escalation").order_by(
                "started_at", "id"
            )
        ),
        callbacks=call.callbacks.count(),
        hold_limit_seconds=call.line.hold_limit_seconds,
        agent_level=agent.level if agent is not None else None,
        agent_area_ids=(
            frozenset(agent.areas.values_list("id", flat=True))
            if agent is not None
            else frozenset()
        ),
    )


def load_transcript(facts: CallFacts) -> Transcript | None:
    call = facts.call
    turns = [
        Turn.of(t.speaker, t.start_ms, t.end_ms, t.text, t.leg)
        for t in call.turns.order_by("start_ms", "id")
    ]
    if not turns or call.answered_at is None:
        return None
    transfers = facts.completed_transfers
    agent = call.answered_by or call.agent
    caller_name = call.caller_name.strip() or (call.person.full_name if call.person else "")
    return Transcript.of_turns(
        turns,
        glossary=list(GlossaryTerm.objects.order_by("term", "id").values_list("term", "plain")),
        agent=agent,
        receiving_agent=transfers[-1].to_agent if transfers else None,
        caller_name=caller_name,
        answered_at=call.answered_at,
        phrases=desk_phrases(),
        need=call.need,
    )


def desk_phrases() -> dict[str, tuple[str, ...]]:
    """The phrases each act is recognised by: the defaults of `spanish.ACTS`."""
    return {code: act.phrases for code, act in ACTS.items()}


def final_verdict(line: ScoreLine) -> str:
    return line.override or line.verdict


def score_of(lines: Iterable[ScoreLine]) -> float | None:
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
    facts = call_facts(call)
    for rule, (verdict, evidence) in evaluate(facts, load_transcript(facts)).items():
        line = existing.get(rule) or ScoreLine(scorecard=card, rule=rule)
        line.verdict = verdict
        line.evidence = evidence[:500]
        line.save()
        existing[rule] = line
    card.score = score_of(existing.values())
    card.updated_at = now
    card.save(update_fields=["score", "updated_at"])
    return card


def ordered_lines(card: Scorecard) -> list[ScoreLine]:
    lines = list(card.lines.select_related("reviewed_by"))
    rank = {rule: i for i, rule in enumerate(RULE_ORDER)}
    return sorted(lines, key=lambda ln: (rank.get(ln.rule, len(rank)), ln.rule))


REVIEW_VERDICTS = (Verdict.PASSED, Verdict.FAILED, Verdict.NOT_APPLICABLE)


@transaction.atomic
def review_line(
    *, actor: User, line: ScoreLine, verdict: str, comment: str, now: dt.datetime
) -> ScoreLine:
    """A supervisor overrides one line with a comment; the automatic verdict stays beside it."""
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor puede revisar una evaluación."))
    if verdict not in REVIEW_VERDICTS:
        raise DomainError(
            _("Elija «Cumple», «No cumple» o «No aplica»."), code="invalid_verdict", verdict=verdict
        )
    comment = comment.strip()
    if not comment:
        raise DomainError(
            _("Escriba un comentario que explique la revisión."), code="comment_required"
        )
    line = ScoreLine.objects.select_for_update().get(pk=line.pk)
    line.override = verdict
    line.comment = comment
    line.reviewed_by = actor
    line.reviewed_at = now
    line.save(update_fields=["override", "comment", "reviewed_by", "reviewed_at"])
    card = Scorecard.objects.select_for_update().get(pk=line.scorecard_id)
    card.score = score_of(card.lines.all())
    card.updated_at = now
    card.save(update_fields=["score", "updated_at"])
    return line


# --- Transcripts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnData:
    speaker: str
    start_ms: int
    end_ms: int
    text: str
    leg: str = Leg.CALLER


def _check_turns(call: Call, turns: Sequence[TurnData]) -> None:
    if not turns:
        raise DomainError(_("La transcripción no tiene turnos."), code="transcript_empty")
    if len(turns) > MAX_TURNS:
        raise DomainError(
            _("La transcripción tiene %(n)d turnos; el máximo es %(max)d.")
            % {"n": len(turns), "max": MAX_TURNS},
            code="transcript_too_long",
            max_turns=MAX_TURNS,
        )
    assert call.answered_at is not None and call.ended_at is not None
    limit_ms = int((call.ended_at - call.answered_at).total_seconds() * 1000) + END_SLACK_MS
    previous_start = 0
    for index, turn in enumerate(turns):
        if turn.speaker not in Speaker.values:
            raise DomainError(
                _("Turno %(n)d: «%(speaker)s» no es un hablante conocido (agent, caller, agent2).")
                % {"n": index + 1, "speaker": turn.speaker},
                code="unknown_speaker",
                turn=index,
            )
        if turn.leg not in Leg.values:
            raise DomainError(
                _("Turno %(n)d: «%(leg)s» no es un tramo conocido (caller, consult).")
                % {"n": index + 1, "leg": turn.leg},
                code="unknown_leg",
                turn=index,
            )
        if turn.leg == Leg.CONSULT and turn.speaker == Speaker.CALLER:
            raise DomainError(
                _("Turno %(n)d: quien llama no habla en la consulta entre agentes.")
                % {"n": index + 1},
                code="caller_in_consult",
                turn=index,
            )
        if turn.start_ms < 0 or turn.end_ms < turn.start_ms:
            raise DomainError(
                _("Turno %(n)d: el fin debe ser igual o posterior al inicio.") % {"n": index + 1},
                code="turn_times_invalid",
                turn=index,
            )
        if turn.start_ms < previous_start:
            raise DomainError(
                _("Turno %(n)d: los turnos deben venir ordenados por su inicio.")
                % {"n": index + 1},
                code="turns_out_of_order",
                turn=index,
            )
        if turn.end_ms > limit_ms:
            raise DomainError(
                _("Turno %(n)d: termina después de que terminó la llamada.") % {"n": index + 1},
                code="turn_after_call_end",
                turn=index,
                call_ms=limit_ms - END_SLACK_MS,
            )
        if not turn.text.strip() or len(turn.text) > MAX_TURN_TEXT:
            raise DomainError(
                _("Turno %(n)d: el texto debe tener entre 1 y %(max)d caracteres.")
                % {"n": index + 1, "max": MAX_TURN_TEXT},
                code="turn_text_invalid",
                turn=index,
            )
        previous_start = turn.start_ms


@transaction.atomic
def save_transcript(
    *, actor: User, call: Call, turns: Sequence[TurnData], now: dt.datetime
) -> Scorecard:
    """Store (replacing any previous one) a finished call's transcript and re-score the call.

    Times are milliseconds since the call was answered. Overrides survive the re-scoring.
    """
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa envía transcripciones."))
    call = Call.objects.select_for_update().get(pk=call.pk)
    if call.state != CallState.ENDED:
        raise DomainError(
            _("La llamada sigue en curso; envíe la transcripción cuando termine."),
            code="call_not_finished",
        )
    if call.answered_at is None:
        raise DomainError(
            _("La llamada no se contestó: no hay conversación que transcribir."),
            code="call_not_answered",
        )
    _check_turns(call, turns)
    TranscriptTurn.objects.filter(call=call).delete()
    TranscriptTurn.objects.bulk_create(
        TranscriptTurn(
            call=call,
            speaker=t.speaker,
            leg=t.leg,
            start_ms=t.start_ms,
            end_ms=t.end_ms,
            text=t.text.strip(),
        )
        for t in turns
    )
    return score_call(call=call, now=now)
