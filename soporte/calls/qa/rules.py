"""The QA rules as pure functions: a finished call's facts (and its transcript) in, a
verdict and its evidence out, one function per rule of DESIGN.md §1.

Three kinds of rules:

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
Spanish text is matched without accents or case. Reading the facts and writing scorecards
is `scoring`'s.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from soporte.calls.models import (
    RING_LIMIT,
    Call,
    CallDirection,
    Hold,
    Outcome,
    Party,
    Speaker,
    Transfer,
    TransferKind,
    TransferState,
    Verdict,
)
from soporte.calls.scripts import GREETINGS, greeting_for
from soporte.directory.models import Agent

Line = tuple[str, str]  # (verdict, evidence)
Rule = Callable[["CallFacts"], Line]

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


@dataclass(frozen=True)
class CallFacts:
    """What the event rules read about a finished call, loaded once (`scoring.call_facts`):
    the call's own row, its holds and transfers in order, and how many call-backs it left."""

    call: Call
    holds: list[Hold]
    transfers: list[Transfer]
    callbacks: int
    hold_limit_seconds: int

    @property
    def completed_transfers(self) -> list[Transfer]:
        return [t for t in self.transfers if t.state == TransferState.COMPLETED]


def rule_name(rule: str) -> str:
    return str(RULE_NAMES.get(rule, rule))


def _ordinal(n: int) -> str:
    return f"{n}.º"


def rule_t1(facts: CallFacts) -> Line:
    """T1: answered before the third ring (rings from ring seconds and the line's cadence)."""
    call = facts.call
    if call.direction != CallDirection.IN:
        return NA, _("llamada saliente")
    if call.answered_at is None or call.rings is None:
        return NA, _("no se contestó")
    evidence = _("contestó en el %(n)s timbre (%(s).1f s)") % {
        "n": _ordinal(call.rings),
        "s": call.ring_seconds or 0,
    }
    return (Verdict.PASSED if call.rings < RING_LIMIT else Verdict.FAILED), evidence


def rule_t3(facts: CallFacts) -> Line:
    """T3: the caller's name was asked and recorded."""
    call = facts.call
    if call.answered_at is None:
        return NA, _("no se contestó")
    if call.caller_name.strip():
        return Verdict.PASSED, _("nombre anotado: %(name)s") % {"name": call.caller_name}
    return Verdict.FAILED, _("no se anotó el nombre de quien llama")


def rule_h1(facts: CallFacts) -> Line:
    holds = facts.holds
    if not holds:
        return NA, _("sin esperas")
    missing = [i + 1 for i, h in enumerate(holds) if not h.reason.strip()]
    if missing:
        return Verdict.FAILED, _("espera %(n)s sin motivo dicho") % {
            "n": ", ".join(str(i) for i in missing)
        }
    return Verdict.PASSED, _("motivo dicho en %(n)d espera(s)") % {"n": len(holds)}


def rule_h2(facts: CallFacts) -> Line:
    holds = facts.holds
    callbacks = facts.callbacks
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


def rule_h3(facts: CallFacts) -> Line:
    holds = facts.holds
    if not holds:
        return NA, _("sin esperas")
    limit = facts.hold_limit_seconds
    over = [h for h in holds if h.over_limit]
    if over:
        worst = max(over, key=lambda h: h.seconds or 0)
        return Verdict.FAILED, _("espera de %(s).0f s sin retomar (límite %(limit)d s)") % {
            "s": worst.seconds or 0,
            "limit": limit,
        }
    longest = max((h.seconds or 0) for h in holds)
    return Verdict.PASSED, _("espera más larga %(s).0f s") % {"s": longest}


def rule_t4(facts: CallFacts) -> Line:
    transfers = [t for t in facts.transfers if t.state != TransferState.CANCELLED]
    if not transfers:
        return NA, _("sin transferencias")
    if all(t.announced for t in transfers):
        return Verdict.PASSED, _("avisó a quien llama antes de transferir")
    return Verdict.FAILED, _("transfirió sin avisar a quien llama")


def rule_x2(facts: CallFacts) -> Line:
    transfers = facts.completed_transfers
    if not transfers:
        return NA, _("sin transferencias")
    blind = [t for t in transfers if t.kind == TransferKind.BLIND]
    if blind:
        return Verdict.FAILED, _("transferencia en frío: el colega no recibió el caso antes")
    seconds = min(t.consult_seconds or 0 for t in transfers)
    return Verdict.PASSED, _("transferencia en caliente, consulta de %(s).0f s") % {"s": seconds}


def rule_c3(facts: CallFacts) -> Line:
    call = facts.call
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


TextRule = Callable[[CallFacts, Transcript], Line]


def name_words(name: str) -> list[str]:
    """The words that identify a person: "Sr. Roberto Sánchez" → ["roberto", "sanchez"]."""
    return [w for w in fold(name).split() if len(w) > 2 and w not in NAME_NOISE]


def _problems(found: str, problems: list[str]) -> Line:
    if problems:
        return Verdict.FAILED, f"{found}: " + "; ".join(problems)
    return Verdict.PASSED, found


# --- Text rules -----------------------------------------------------------------------------


def rule_t2(facts: CallFacts, tr: Transcript) -> Line:
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


def rule_t3_with_transcript(facts: CallFacts, tr: Transcript) -> Line:
    """T3 with a transcript: recorded (event rule) and asked by the agent, or said by the caller.

    Both halves are needed: a name taken from the directory by caller ID but never asked or
    confirmed fails. The seed's "after the caller states the need" is not checked (an early
    ask is a style matter a supervisor can override).
    """
    verdict, evidence = rule_t3(facts)
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


def rule_h4(facts: CallFacts, tr: Transcript) -> Line:
    """H4: after each hold, the agent's next turn says the caller's name and thanks for waiting."""
    holds: list[Hold] = [h for h in facts.holds if h.ended_at is not None and not h.ended_by_hangup]
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


def rule_x3(facts: CallFacts, tr: Transcript) -> Line:
    """X3: the receiving agent's first turn gives their first name and the caller's name."""
    if not facts.completed_transfers:
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


def rule_c1(facts: CallFacts, tr: Transcript) -> Line:
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


def rule_d1(facts: CallFacts, tr: Transcript) -> Line:
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


def rule_d3(facts: CallFacts, tr: Transcript) -> Line:
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


def rule_d4(facts: CallFacts, tr: Transcript) -> Line:
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


def evaluate(facts: CallFacts, transcript: Transcript | None) -> dict[str, Line]:
    """Every rule's automatic verdict and evidence for a call (pure: no reads, no writes)."""
    lines = {rule: func(facts) for rule, func in EVENT_RULES.items()}
    for rule, text_rule in TEXT_RULES.items():
        if transcript is not None:
            lines[rule] = text_rule(facts, transcript)
        elif rule not in lines:
            lines[rule] = (NA, _("sin transcripción"))
    for rule in HUMAN_RULES:
        lines[rule] = (Verdict.PENDING, _("lo evalúa un supervisor"))
    return {rule: lines[rule] for rule in RULE_ORDER if rule in lines}
