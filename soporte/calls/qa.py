"""Automatic QA: a scorecard per finished call, one line per rule, each with its evidence.

Three kinds of lines:

- event rules (T1, T3, T4, X2, H1–H3, C3) are scored from what the phone system and the
  console recorded;
- text rules (T2, T3, X3, H4, C1, D1, D3, D4) are scored from a transcript supplied through
  the API by any speech-to-text system. Without a transcript they are "no aplica" with the
  evidence "sin transcripción": nothing was heard, so nothing counts for or against the agent
  (a supervisor may still override them after listening). T3 is both: the event rule says the
  name was recorded; with a transcript the line also needs the agent to have asked for it
  (or the caller to have said it);
- checklist rules (D2, VOZ, CORT) need a person: they stay "por revisar" until a supervisor
  overrides them.

Transcript times are milliseconds since the call was answered (the start of the recording).
Spanish text is matched without accents or case. A supervisor's override is kept apart from
the automatic verdict, survives re-scoring and is what the score counts.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Avg, Case, CharField, Count, F, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from soporte.calls.models import (
    RING_LIMIT,
    Call,
    CallDirection,
    CallState,
    GlossaryTerm,
    Hold,
    Outcome,
    Party,
    Scorecard,
    ScoreLine,
    Speaker,
    TranscriptTurn,
    Transfer,
    TransferKind,
    TransferState,
    Verdict,
)
from soporte.calls.scripts import GREETINGS, greeting_for
from soporte.directory.models import Agent, User
from soporte.lib.errors import DomainError, Forbidden

Line = tuple[str, str]  # (verdict, evidence)
Rule = Callable[[Call], Line]

NA = Verdict.NOT_APPLICABLE

# The rules of DESIGN.md §1 that a scorecard carries, in the order people read them.
RULE_NAMES: dict[str, str | Promise] = {
    "T1": gettext_lazy("Contestar antes del tercer timbre"),
    "T2": gettext_lazy("Saludo según la hora y nombre del agente"),
    "T3": gettext_lazy("Preguntar y anotar el nombre de quien llama"),
    "T4": gettext_lazy("Avisar antes de transferir"),
    "X2": gettext_lazy("Transferencia en caliente"),
    "X3": gettext_lazy("Quien recibe se presenta y nombra a quien llama"),
    "H1": gettext_lazy("Decir por qué se pone en espera"),
    "H2": gettext_lazy("Dejar elegir: esperar o que le llamen"),
    "H3": gettext_lazy("Ninguna espera de más de 60 s"),
    "H4": gettext_lazy("Al retomar: nombre y gracias por la espera"),
    "D1": gettext_lazy("No interrumpir"),
    "D2": gettext_lazy("Respuestas breves, precisas y corteses"),
    "D3": gettext_lazy("No responder con preguntas"),
    "D4": gettext_lazy("Lenguaje sencillo, sin tecnicismos"),
    "C1": gettext_lazy("Despedida: gracias y quién atendió"),
    "C3": gettext_lazy("Dejar que quien llama cuelgue primero"),
    "VOZ": gettext_lazy("Voz clara"),
    "CORT": gettext_lazy("Cortesía"),
}
RULE_ORDER = list(RULE_NAMES)
HUMAN_RULES = ("D2", "VOZ", "CORT")

GREETING_WINDOW_MS = 10_000  # T2: the greeting comes in the first ~10 s.
INTERRUPTION_TOLERANCE_MS = 300  # D1: overlaps shorter than this are turn-taking, not interrupting.
RESUME_TOLERANCE_MS = 1_500  # H4: clocks of the PBX and the transcript differ a little.
CLOSING_TURNS = 2  # C1: the farewell is in the agent's last turns.
# Transcript limits (API): a long call has a few hundred turns.
MAX_TURNS = 3_000
MAX_TURN_TEXT = 5_000
END_SLACK_MS = 5_000  # a transcript may run a little past the PBX's hangup.


def rule_name(rule: str) -> str:
    return str(RULE_NAMES.get(rule, rule))


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


# --- Spanish text ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "¿Cuál es?" → "cual es"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def contains(folded: str, phrase: str) -> bool:
    """Whole-word, accent- and case-insensitive search of `phrase` in already folded text."""
    needle = fold(phrase)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded) is not None


def _any(folded: str, patterns: Sequence[re.Pattern[str]]) -> bool:
    return any(p.search(folded) for p in patterns)


def _patterns(*sources: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rf"(?<!\w){s}(?!\w)") for s in sources)


# Phrases on folded text (no accents, lower case, no punctuation).
NAME_QUESTIONS = _patterns(
    r"con quien tengo el gusto",
    r"con quien hablo",
    r"cual es su nombre",
    r"como se llama",
    r"(me )?(puede|podria|permite|regala|da|dice|proporciona)( dar| decir| proporcionar)? su nombre",
    r"su nombre por favor",
    r"a nombre de quien",
)
HOLD_THANKS = _patterns(
    r"gracias por (su |tu )?(amable |la )?espera",
    r"gracias por esperar",
)
CLOSING_THANKS = _patterns(
    r"gracias por (su |tu )?(llamar|llamada|llamarnos|comunicarse|comunicarte|contactarnos)",
)
SELF_INTRODUCTION = _patterns(r"(le )?habla", r"mi nombre es", r"soy", r"le atiende")
# Words in a name that do not identify the person.
NAME_NOISE = {"de", "del", "la", "las", "los", "y", "senor", "senora", "sr", "sra", "lic", "ing"}


def quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return "«" + (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") + "»"


def at_ms(ms: int) -> str:
    """A transcript time as people read it: 75 000 ms → "1:15"."""
    seconds = ms // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Turn:
    speaker: str
    start_ms: int
    end_ms: int
    text: str
    folded: str = field(compare=False)

    @classmethod
    def of(cls, speaker: str, start_ms: int, end_ms: int, text: str) -> Turn:
        return cls(speaker, start_ms, end_ms, text, fold(text))

    @property
    def by_agent(self) -> bool:
        return self.speaker in (Speaker.AGENT, Speaker.OTHER_AGENT)

    @property
    def words(self) -> int:
        return len(self.folded.split())


@dataclass
class Transcript:
    """A call's turns plus what the text rules compare them with."""

    turns: list[Turn]
    glossary: list[tuple[str, str]]
    agent: Agent | None
    receiving_agent: Agent | None
    caller_name: str
    answered_at: dt.datetime

    def of(self, *speakers: str) -> list[Turn]:
        return [t for t in self.turns if t.speaker in speakers]

    @property
    def agent_side(self) -> list[Turn]:
        return [t for t in self.turns if t.by_agent]

    def says_caller_name(self, turn: Turn) -> bool:
        return any(contains(turn.folded, w) for w in name_words(self.caller_name))

    def ms_since_answer(self, moment: dt.datetime) -> int:
        return int((moment - self.answered_at).total_seconds() * 1000)


TextRule = Callable[[Call, Transcript], Line]


def name_words(name: str) -> list[str]:
    """The words that identify a person: "Sr. Roberto Sánchez" → ["roberto", "sanchez"]."""
    return [w for w in fold(name).split() if len(w) > 2 and w not in NAME_NOISE]


def _completed_transfers(call: Call) -> list[Transfer]:
    return list(
        call.transfers.filter(state=TransferState.COMPLETED)
        .select_related("to_agent__user")
        .order_by("started_at", "id")
    )


def load_transcript(call: Call) -> Transcript | None:
    turns = [
        Turn.of(t.speaker, t.start_ms, t.end_ms, t.text)
        for t in call.turns.order_by("start_ms", "id")
    ]
    if not turns or call.answered_at is None:
        return None
    transfers = _completed_transfers(call)
    agent = call.answered_by or call.agent
    caller_name = call.caller_name.strip() or (call.person.full_name if call.person else "")
    return Transcript(
        turns=turns,
        glossary=list(GlossaryTerm.objects.order_by("term", "id").values_list("term", "plain")),
        agent=agent,
        receiving_agent=transfers[-1].to_agent if transfers else None,
        caller_name=caller_name,
        answered_at=call.answered_at,
    )


def _problems(found: str, problems: list[str]) -> Line:
    if problems:
        return Verdict.FAILED, f"{found}: " + "; ".join(problems)
    return Verdict.PASSED, found


# --- Text rules -----------------------------------------------------------------------------


def rule_t2(call: Call, tr: Transcript) -> Line:
    """T2: the first agent turn, within ~10 s, greets for the time of day and gives the name."""
    first = next(iter(tr.of(Speaker.AGENT)), None)
    if first is None or first.start_ms > GREETING_WINDOW_MS:
        return Verdict.FAILED, _("el agente no habló en los primeros %(s)d s") % {
            "s": GREETING_WINDOW_MS // 1000
        }
    expected = greeting_for(tr.answered_at)
    said = [g for g in GREETINGS if contains(first.folded, g)]
    problems = []
    if expected not in said:
        local = timezone.localtime(tr.answered_at)
        if said:
            problems.append(
                _("dijo «%(said)s» y a las %(time)s correspondía «%(expected)s»")
                % {"said": said[0], "time": local.strftime("%H:%M"), "expected": expected}
            )
        else:
            problems.append(_("no saludó con «%(expected)s»") % {"expected": expected})
    if tr.agent is not None and not contains(first.folded, tr.agent.first_name):
        problems.append(_("no dijo su nombre (%(name)s)") % {"name": tr.agent.first_name})
    return _problems(f"{quote(first.text)} ({at_ms(first.start_ms)})", problems)


def rule_t3_with_transcript(call: Call, tr: Transcript) -> Line:
    """T3 with a transcript: recorded (event rule) and asked by the agent, or said by the caller.

    Both halves are needed: a name taken from the directory by caller ID but never asked or
    confirmed fails. The seed's "after the caller states the need" is not checked (an early
    ask is a style matter a supervisor can override).
    """
    verdict, evidence = rule_t3(call)
    if verdict == NA:
        return verdict, evidence
    asked = next((t for t in tr.of(Speaker.AGENT) if _any(t.folded, NAME_QUESTIONS)), None)
    told = next((t for t in tr.of(Speaker.CALLER) if tr.says_caller_name(t)), None)
    if asked is not None:
        heard = _("preguntó el nombre: %(q)s (%(at)s)") % {
            "q": quote(asked.text),
            "at": at_ms(asked.start_ms),
        }
    elif told is not None:
        heard = _("quien llama dijo su nombre: %(q)s (%(at)s)") % {
            "q": quote(told.text),
            "at": at_ms(told.start_ms),
        }
    else:
        heard = _("no preguntó el nombre de quien llama")
    if verdict == Verdict.FAILED:
        return Verdict.FAILED, f"{heard}; {evidence}"
    if asked is None and told is None:
        return Verdict.FAILED, f"{heard} ({evidence})"
    return Verdict.PASSED, f"{heard}; {evidence}"


def rule_h4(call: Call, tr: Transcript) -> Line:
    """H4: after each hold, the agent's next turn says the caller's name and thanks for waiting."""
    holds: list[Hold] = [
        h
        for h in call.holds.order_by("started_at", "id")
        if h.ended_at is not None and not h.ended_by_hangup
    ]
    if not holds:
        return NA, _("sin esperas retomadas")
    agent_turns = tr.agent_side
    failures: list[str] = []
    quotes: list[str] = []
    for number, hold in enumerate(holds, start=1):
        assert hold.ended_at is not None
        resumed_ms = tr.ms_since_answer(hold.ended_at)
        turn = next(
            (t for t in agent_turns if t.start_ms >= resumed_ms - RESUME_TOLERANCE_MS), None
        )
        if turn is None:
            failures.append(_("espera %(n)d: el agente no habló al retomar") % {"n": number})
            continue
        missing = []
        if tr.caller_name and not tr.says_caller_name(turn):
            missing.append(_("sin el nombre de quien llama"))
        if not _any(turn.folded, HOLD_THANKS):
            missing.append(_("sin «gracias por su espera»"))
        said = f"{quote(turn.text)} ({at_ms(turn.start_ms)})"
        if missing:
            failures.append(
                _("espera %(n)d: %(said)s %(missing)s")
                % {"n": number, "said": said, "missing": ", ".join(missing)}
            )
        else:
            quotes.append(said)
    if failures:
        return Verdict.FAILED, "; ".join(failures)
    evidence = "; ".join(quotes)
    if not tr.caller_name:
        evidence += " " + _("(no se anotó el nombre de quien llama: no se comprobó)")
    return Verdict.PASSED, evidence


def rule_x3(call: Call, tr: Transcript) -> Line:
    """X3: the receiving agent's first turn gives their first name and the caller's name."""
    if not _completed_transfers(call):
        return NA, _("sin transferencias")
    first = next(iter(tr.of(Speaker.OTHER_AGENT)), None)
    if first is None:
        return NA, _("la transcripción no incluye al agente que recibe")
    problems = []
    receiving = tr.receiving_agent
    if receiving is not None:
        if not contains(first.folded, receiving.first_name):
            problems.append(_("no dijo su nombre (%(name)s)") % {"name": receiving.first_name})
    elif not _any(first.folded, SELF_INTRODUCTION):
        problems.append(_("no se presentó"))
    if tr.caller_name and not tr.says_caller_name(first):
        problems.append(_("no nombró a quien llama"))
    found = f"{quote(first.text)} ({at_ms(first.start_ms)})"
    if not tr.caller_name and not problems:
        found += " " + _("(no se anotó el nombre de quien llama: no se comprobó)")
    return _problems(found, problems)


def rule_c1(call: Call, tr: Transcript) -> Line:
    """C1: the last agent turns thank for calling and say who attended ("la atendió Gabriela")."""
    closing = tr.agent_side[-CLOSING_TURNS:]
    if not closing:
        return Verdict.FAILED, _("el agente no habló")
    closer = tr.receiving_agent if closing[-1].speaker == Speaker.OTHER_AGENT else tr.agent
    name = closer.first_name if closer is not None else ""
    thanked = [t for t in closing if _any(t.folded, CLOSING_THANKS)]
    named = [t for t in closing if name and contains(t.folded, name)]
    problems = []
    if not thanked:
        problems.append(_("sin «gracias por llamar»"))
    if name and not named:
        problems.append(_("no dijo quién atendió (%(name)s)") % {"name": name})
    said = [t for t in closing if t in thanked or t in named] or closing[-1:]
    found = "; ".join(f"{quote(t.text)} ({at_ms(t.start_ms)})" for t in said)
    return _problems(found, problems)


def _is_backchannel(turn: Turn, caller: Turn) -> bool:
    """ "Ajá", "sí, claro" said inside the caller's turn: listening, not interrupting."""
    return turn.words <= 2 and turn.end_ms <= caller.end_ms


def rule_d1(call: Call, tr: Transcript) -> Line:
    """D1: no agent turn starts before the caller's turn ended (beyond a small tolerance)."""
    callers = tr.of(Speaker.CALLER)
    agents = tr.agent_side
    if not callers or not agents:
        return NA, _("la transcripción no tiene turnos de ambas partes")
    found: list[str] = []
    for turn in agents:
        previous = [c for c in callers if c.start_ms < turn.start_ms]
        if not previous:
            continue
        caller = max(previous, key=lambda c: (c.end_ms, c.start_ms))
        overlap = caller.end_ms - turn.start_ms
        if overlap > INTERRUPTION_TOLERANCE_MS and not _is_backchannel(turn, caller):
            found.append(
                _("interrumpió en %(at)s (%(s).1f s encima de quien llama): %(q)s")
                % {"at": at_ms(turn.start_ms), "s": overlap / 1000, "q": quote(turn.text, 60)}
            )
    if found:
        more = len(found) - 1
        tail = (
            " " + ngettext("y %(n)d vez más", "y %(n)d veces más", more) % {"n": more}
            if more
            else ""
        )
        return Verdict.FAILED, found[0] + tail
    return Verdict.PASSED, ngettext(
        "sin interrupciones en %(n)d turno del agente",
        "sin interrupciones en %(n)d turnos del agente",
        len(agents),
    ) % {"n": len(agents)}


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^.!?…]+[.!?…]*", text) if fold(s)]


def is_question(text: str) -> bool:
    parts = _sentences(text)
    return bool(parts) and parts[-1].endswith("?")


def only_questions(text: str) -> bool:
    parts = _sentences(text)
    return bool(parts) and all(p.endswith("?") for p in parts)


def rule_d3(call: Call, tr: Transcript) -> Line:
    """D3: a caller's question is not answered with a turn that is only a question."""
    questions = 0
    for index, turn in enumerate(tr.turns):
        if turn.speaker != Speaker.CALLER or not is_question(turn.text):
            continue
        questions += 1
        reply = next((t for t in tr.turns[index + 1 :] if t.by_agent), None)
        if reply is not None and only_questions(reply.text):
            return Verdict.FAILED, _("a %(q)s respondió con otra pregunta: %(a)s (%(at)s)") % {
                "q": quote(turn.text, 60),
                "a": quote(reply.text, 60),
                "at": at_ms(reply.start_ms),
            }
    if not questions:
        return NA, _("quien llama no hizo preguntas")
    return Verdict.PASSED, ngettext(
        "respondió la pregunta de quien llama",
        "respondió las %(n)d preguntas de quien llama",
        questions,
    ) % {"n": questions}


def rule_d4(call: Call, tr: Transcript) -> Line:
    """D4: no glossary jargon in the agents' turns; each term found comes with its plain words."""
    if not tr.glossary:
        return NA, _("el glosario está vacío")
    # Longest terms first, so "reiniciar el router" is reported once, not also as "router".
    glossary = sorted(tr.glossary, key=lambda tp: -len(fold(tp[0])))
    first_seen: dict[str, int] = {}
    for turn in tr.agent_side:
        text = turn.folded
        for term, _plain in glossary:
            needle = fold(term)
            pattern = rf"(?<!\w){re.escape(needle)}(?!\w)"
            if needle and re.search(pattern, text):
                first_seen.setdefault(term, turn.start_ms)
                text = re.sub(pattern, " ", text)
    if first_seen:
        return Verdict.FAILED, "; ".join(
            _("«%(term)s» (%(at)s) → mejor: «%(plain)s»")
            % {"term": term, "at": at_ms(first_seen[term]), "plain": plain}
            for term, plain in tr.glossary
            if term in first_seen
        )
    return Verdict.PASSED, ngettext(
        "sin tecnicismos del glosario (%(n)d término revisado)",
        "sin tecnicismos del glosario (%(n)d términos revisados)",
        len(tr.glossary),
    ) % {"n": len(tr.glossary)}


TEXT_RULES: dict[str, TextRule] = {
    "T2": rule_t2,
    "T3": rule_t3_with_transcript,
    "X3": rule_x3,
    "H4": rule_h4,
    "D1": rule_d1,
    "D3": rule_d3,
    "D4": rule_d4,
    "C1": rule_c1,
}


def evaluate(call: Call) -> dict[str, Line]:
    """Every rule's automatic verdict and evidence for a call (no writes)."""
    lines = {rule: func(call) for rule, func in EVENT_RULES.items()}
    transcript = load_transcript(call)
    for rule, text_rule in TEXT_RULES.items():
        if transcript is not None:
            lines[rule] = text_rule(call, transcript)
        elif rule not in lines:
            lines[rule] = (NA, _("sin transcripción"))
    for rule in HUMAN_RULES:
        lines[rule] = (Verdict.PENDING, _("lo evalúa un supervisor"))
    return {rule: lines[rule] for rule in RULE_ORDER if rule in lines}


# --- Scorecards -----------------------------------------------------------------------------


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
    for rule, (verdict, evidence) in evaluate(call).items():
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
            start_ms=t.start_ms,
            end_ms=t.end_ms,
            text=t.text.strip(),
        )
        for t in turns
    )
    return score_call(call=call, now=now)


# --- Glossary (D4) --------------------------------------------------------------------------


DEFAULT_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("DNS", "la dirección de internet del equipo"),
    ("IP", "el número que identifica al equipo en la red"),
    ("router", "el aparato de internet (módem)"),
    ("reiniciar el router", "apagar y volver a encender el aparato de internet"),
    ("firewall", "la protección de la red"),
    ("proxy", "el equipo intermedio por el que sale a internet"),
    ("VPN", "la conexión segura a la red de la oficina"),
    ("RAM", "la memoria del equipo"),
    ("BIOS", "la configuración de arranque del equipo"),
    ("driver", "el programa que hace funcionar el dispositivo"),
    ("caché", "los archivos temporales"),
    ("formatear", "borrar todo el disco y reinstalar"),
    ("ping", "una prueba de conexión"),
    ("SSID", "el nombre de la red inalámbrica"),
)


def _manager(actor: User) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor puede cambiar el glosario."))


def _check_term(term: str, plain: str, *, exclude: int | None = None) -> tuple[str, str]:
    term, plain = " ".join(term.split()), " ".join(plain.split())
    if not fold(term) or not plain:
        raise DomainError(
            _("Escriba el término y las palabras sencillas que lo sustituyen."),
            code="term_incomplete",
        )
    others = GlossaryTerm.objects.all()
    if exclude is not None:
        others = others.exclude(pk=exclude)
    clash = others.values_list("term", flat=True)
    if any(fold(t) == fold(term) for t in clash):
        raise DomainError(
            _("«%(term)s» ya está en el glosario.") % {"term": term}, code="term_exists"
        )
    return term, plain


@transaction.atomic
def add_term(*, actor: User, term: str, plain: str) -> GlossaryTerm:
    _manager(actor)
    term, plain = _check_term(term, plain)
    return GlossaryTerm.objects.create(term=term, plain=plain)


@transaction.atomic
def update_term(*, actor: User, glossary_term: GlossaryTerm, term: str, plain: str) -> GlossaryTerm:
    _manager(actor)
    glossary_term.term, glossary_term.plain = _check_term(term, plain, exclude=glossary_term.pk)
    glossary_term.save(update_fields=["term", "plain"])
    return glossary_term


@transaction.atomic
def delete_term(*, actor: User, glossary_term: GlossaryTerm) -> None:
    _manager(actor)
    glossary_term.delete()


def ensure_default_glossary() -> int:
    """Add the default terms the desk does not have yet (the demo and new desks); returns how many."""
    have = {fold(t) for t in GlossaryTerm.objects.values_list("term", flat=True)}
    new = [GlossaryTerm(term=t, plain=p) for t, p in DEFAULT_GLOSSARY if fold(t) not in have]
    GlossaryTerm.objects.bulk_create(new)
    return len(new)


# --- Averages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupAverage:
    key: int | None
    label: str
    calls: int
    average: float | None


@dataclass(frozen=True)
class RuleRate:
    rule: str
    name: str
    passed: int
    failed: int
    not_applicable: int
    pending: int
    overridden: int

    @property
    def rate(self) -> float | None:
        decided = self.passed + self.failed
        return round(100.0 * self.passed / decided, 1) if decided else None


@dataclass(frozen=True)
class Averages:
    start_at: dt.datetime
    end_at: dt.datetime
    calls: int
    average: float | None
    overrides: int
    agents: list[GroupAverage]
    levels: list[GroupAverage]
    rules: list[RuleRate]


def _avg(value: Any) -> float | None:
    return round(float(value), 1) if value is not None else None


def averages(*, start_at: dt.datetime, end_at: dt.datetime) -> Averages:
    """QA over the calls started in [start_at, end_at): average score per agent and per level
    (of the agent when the call was scored) and each rule's pass rate. Overrides count."""
    cards = Scorecard.objects.filter(call__started_at__gte=start_at, call__started_at__lt=end_at)
    total = cards.aggregate(n=Count("id"), avg=Avg("score"))
    names = {
        a.pk: a.name
        for a in Agent.objects.select_related("user").filter(
            pk__in=cards.exclude(agent=None).values("agent")
        )
    }
    agents = [
        GroupAverage(
            key=row["agent"],
            label=names.get(row["agent"], _("Sin agente")),
            calls=row["n"],
            average=_avg(row["avg"]),
        )
        for row in cards.values("agent").annotate(n=Count("id"), avg=Avg("score")).order_by()
    ]
    agents.sort(key=lambda g: (g.average is None, -(g.average or 0), g.label))
    levels = sorted(
        (
            GroupAverage(
                key=row["level"],
                label=_("Nivel %(n)d") % {"n": row["level"]} if row["level"] else _("Sin nivel"),
                calls=row["n"],
                average=_avg(row["avg"]),
            )
            for row in cards.values("level").annotate(n=Count("id"), avg=Avg("score")).order_by()
        ),
        key=lambda g: (g.key is None, g.key or 0),
    )
    lines = ScoreLine.objects.filter(scorecard__in=cards).annotate(
        final_verdict=Case(
            When(override="", then=F("verdict")), default=F("override"), output_field=CharField()
        )
    )
    counts: dict[str, dict[str, int]] = {}
    for row in lines.values("rule", "final_verdict").annotate(n=Count("id")).order_by():
        counts.setdefault(row["rule"], {})[row["final_verdict"]] = row["n"]
    overridden = dict(
        lines.exclude(override="").values_list("rule").annotate(n=Count("id")).order_by()
    )
    rules = [
        RuleRate(
            rule=rule,
            name=rule_name(rule),
            passed=counts[rule].get(Verdict.PASSED, 0),
            failed=counts[rule].get(Verdict.FAILED, 0),
            not_applicable=counts[rule].get(Verdict.NOT_APPLICABLE, 0),
            pending=counts[rule].get(Verdict.PENDING, 0),
            overridden=overridden.get(rule, 0),
        )
        for rule in RULE_ORDER
        if rule in counts
    ]
    return Averages(
        start_at=start_at,
        end_at=end_at,
        calls=total["n"],
        average=_avg(total["avg"]),
        overrides=sum(overridden.values()),
        agents=agents,
        levels=levels,
        rules=rules,
    )
