"""The QA rules as pure functions: a finished call's facts (and its transcript) in, a
verdict and its evidence out, one function per rule of DESIGN.md §1.

Three kinds of rules:

- event rules (T1, T3, T4, X1, X2, H1–H3, C3) are scored from what the phone system and the
  console recorded;
- text rules (T2, T3, T4, X2, X3, H1, H4, C1, C2, D1, D3, D4) are scored from a transcript
  (API, an uploaded file or a transcribed recording). Without a transcript the text-only
  ones are "no aplica" with the evidence "sin transcripción": nothing was heard, so nothing
  counts for or against the agent (a supervisor may still override them after listening).
  Rules that are both (T3, T4, X2, H1) use the recorded facts without a transcript and
  what was said with one: T3 needs the name asked after the need was stated, and recorded;
  T4 the announcement and its reason before the transfer event; X2 the caller's name and
  reason in the consultation leg before the caller was connected; H1 the reason said;
- checklist rules (D2, VOZ, CORT) need a person: they stay "por revisar" until a supervisor
  overrides them.

Where the words do not decide a verdict (a greeting without the time of day, a greeting
just past the hour it changes, a warm transfer whose consultation was not transcribed), the
line is "por revisar" and says why, instead of guessing.

Transcript times are milliseconds since the call was answered (the start of the recording).
Spanish is compared in the normal form of `spanish` (accents, case, punctuation,
contractions, tú/usted, regional words); the phrases each act is recognised by are the
desk's lists (defaults in `spanish.ACTS`). Reading the facts and writing scorecards is
`scoring`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
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
    Leg,
    Outcome,
    Party,
    Speaker,
    Transfer,
    TransferKind,
    TransferState,
    Verdict,
)
from soporte.calls.qa import spanish
from soporte.calls.qa.spanish import fold, normalise
from soporte.calls.scripts import greeting_for
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
    "X1": gettext_lazy("Transferir solo lo que no se puede resolver"),
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
    "C2": gettext_lazy("Pausa tras la despedida"),
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
CLOSING_PAUSE_MS = 2_000  # C2: the agent waits this long after the farewell before hanging up.
HOLD_ANNOUNCE_WINDOW_MS = 30_000  # H1: the reason is said in the turns just before the hold.
TRANSFER_ANNOUNCE_WINDOW_MS = 120_000  # T4: the announcement comes shortly before the transfer.
EVENT_TOLERANCE_MS = 1_500  # PBX and transcript clocks differ a little.
RECEIVING_WINDOW_MS = 15_000  # X3: the receiver's first words, not their farewell.
GREETING_SLACK_MINUTES = 60  # T2: around 12:00 and 19:00 either greeting is heard: unsure.
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
    # X1: the level and areas of the agent who answered (the one who transferred).
    agent_level: int | None = None
    agent_area_ids: frozenset[int] = frozenset()

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
    """T4 from the recorded flag: the console's "le avisé" or the CTI event's `callerTold`."""
    transfers = [t for t in facts.transfers if t.state != TransferState.CANCELLED]
    if not transfers:
        return NA, _("sin transferencias")
    if all(t.announced for t in transfers):
        return Verdict.PASSED, _("avisó a quien llama antes de transferir")
    return Verdict.FAILED, _("transfirió sin avisar a quien llama")


def rule_x1(facts: CallFacts) -> Line:
    """X1: transfer only what this agent cannot resolve: up a level, or to another area's
    specialist. A transfer to the same level and area cannot be judged from the records."""
    transfers = facts.completed_transfers
    if not transfers:
        return NA, _("sin transferencias")
    own = facts.agent_level
    found: list[str] = []
    unsure: list[str] = []
    for transfer in transfers:
        level = transfer.to_level or (transfer.to_agent.level if transfer.to_agent else None)
        tried = transfer.escalation.tried.strip() if transfer.escalation else ""
        tried_note = (_(" (lo intentado: %(t)s)") % {"t": quote(tried, 60)}) if tried else ""
        if own is not None and level is not None and level > own:
            found.append(
                _("escaló del nivel %(a)d al nivel %(b)d") % {"a": own, "b": level} + tried_note
            )
        elif transfer.to_area_id is not None and transfer.to_area_id not in facts.agent_area_ids:
            found.append(
                _("a un especialista de otra área (%(area)s)") % {"area": transfer.to_area}
                + tried_note
            )
        elif own is not None and level is not None and level < own:
            return Verdict.FAILED, _("transfirió a un nivel inferior (%(a)d → %(b)d)") % {
                "a": own,
                "b": level,
            }
        else:
            unsure.append(
                _("transfirió a su mismo nivel y área: lo revisa un supervisor")
                if level is not None
                else _("el destino no tiene nivel ni área: lo revisa un supervisor")
            )
    if unsure:
        return Verdict.PENDING, "; ".join(unsure)
    return Verdict.PASSED, "; ".join(found)


def rule_x2(facts: CallFacts) -> Line:
    """X2 from the records: a blind transfer fails; a warm one passes when the colleague got
    the caller's name and the reason in writing (the console's hand-off, shown on their
    screen before connecting); otherwise only the consultation's words can tell."""
    transfers = facts.completed_transfers
    if not transfers:
        return NA, _("sin transferencias")
    blind = [t for t in transfers if t.kind == TransferKind.BLIND]
    if blind:
        return Verdict.FAILED, _("transferencia en frío: el colega no recibió el caso antes")
    if any(not t.consult_answered for t in transfers):
        return Verdict.FAILED, _("el colega no contestó la consulta antes de conectar")
    name = facts.call.caller_name.strip()
    if name and all(t.reason.strip() for t in transfers):
        return Verdict.PASSED, _(
            "el colega recibió por escrito el nombre (%(name)s) y el motivo antes de conectar"
        ) % {"name": name}
    seconds = min(t.consult_seconds or 0 for t in transfers)
    return Verdict.PENDING, _(
        "consulta de %(s).0f s sin transcripción ni nota con nombre y motivo: "
        "lo revisa un supervisor"
    ) % {"s": seconds}


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
    "X1": rule_x1,
    "X2": rule_x2,
    "H1": rule_h1,
    "H2": rule_h2,
    "H3": rule_h3,
    "C3": rule_c3,
}


# --- Spanish text ---------------------------------------------------------------------------


def contains(folded: str, phrase: str) -> bool:
    """Whole-word, accent- and case-insensitive search of `phrase` in already folded text."""
    needle = fold(phrase)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded) is not None


# Words in a name that do not identify the person.
NAME_NOISE = {
    "de",
    "del",
    "la",
    "las",
    "los",
    "y",
    "senor",
    "senora",
    "senorita",
    "sr",
    "sra",
    "don",
    "dona",
    "lic",
    "ing",
    "dr",
    "dra",
}


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
    normal: str = field(compare=False)
    leg: str = Leg.CALLER

    @classmethod
    def of(cls, speaker: str, start_ms: int, end_ms: int, text: str, leg: str = Leg.CALLER) -> Turn:
        return cls(speaker, start_ms, end_ms, text, normalise(text), leg)

    @property
    def by_agent(self) -> bool:
        return self.speaker in (Speaker.AGENT, Speaker.OTHER_AGENT)

    @property
    def words(self) -> int:
        return len(self.normal.split())

    @property
    def cited(self) -> str:
        """The turn as evidence: its words in quotes and its time."""
        return f"{quote(self.text)} ({at_ms(self.start_ms)})"


@dataclass
class Transcript:
    """A call's turns plus what the text rules compare them with.

    `turns` are the caller's leg (what the caller heard); `consult` the agents'
    consultation before a warm transfer. `phrases` are the desk's lists per act.
    """

    turns: list[Turn]
    glossary: list[tuple[str, str]]
    agent: Agent | None
    receiving_agent: Agent | None
    caller_name: str
    answered_at: dt.datetime
    consult: list[Turn] = field(default_factory=list)
    phrases: Mapping[str, Sequence[str]] = field(default_factory=dict)
    need: str = ""  # the need as the agent typed it (the call's record)

    @classmethod
    def of_turns(cls, turns: Sequence[Turn], **fields: object) -> Transcript:
        return cls(
            turns=[t for t in turns if t.leg != Leg.CONSULT],
            consult=[t for t in turns if t.leg == Leg.CONSULT],
            **fields,  # type: ignore[arg-type]
        )

    def of(self, *speakers: str) -> list[Turn]:
        return [t for t in self.turns if t.speaker in speakers]

    @property
    def agent_side(self) -> list[Turn]:
        return [t for t in self.turns if t.by_agent]

    def phrases_of(self, act: spanish.Act) -> Sequence[str]:
        return self.phrases.get(act.code) or act.phrases

    def find(self, turn: Turn, act: spanish.Act) -> spanish.Found | None:
        return spanish.recognise(turn.normal, act, self.phrases_of(act))

    def says(self, turn: Turn, act: spanish.Act) -> bool:
        return self.find(turn, act) is not None

    def says_caller_name(self, turn: Turn) -> bool:
        return any(spanish.mentions(turn.normal, w) for w in name_words(self.caller_name))

    def ms_since_answer(self, moment: dt.datetime) -> int:
        return int((moment - self.answered_at).total_seconds() * 1000)

    def need_turn(self) -> Turn | None:
        """The caller's first turn that says more than greetings: where the need is stated."""
        return next(
            (t for t in self.of(Speaker.CALLER) if spanish.states_need(t.normal)),
            None,
        )

    def reason_words(self, *extra: str) -> set[str]:
        """The words of the caller's need (as said, as typed, and any transfer reason)."""
        words: set[str] = set()
        need = self.need_turn()
        for text in (need.normal if need else "", normalise(self.need), *map(normalise, extra)):
            words |= spanish.content_words(text)
        return words


TextRule = Callable[[CallFacts, Transcript], Line]


def name_words(name: str) -> list[str]:
    """The words that identify a person: "Sr. Roberto Sánchez" → ["roberto", "sanchez"]."""
    return [w for w in normalise(name).split() if len(w) > 2 and w not in NAME_NOISE]


def _problems(found: str, problems: list[str]) -> Line:
    if problems:
        return Verdict.FAILED, f"{found}: " + "; ".join(problems)
    return Verdict.PASSED, found


# --- Text rules -----------------------------------------------------------------------------

GREETING_ACTS = {
    "Buenos días": spanish.GREETING_MORNING,
    "Buenas tardes": spanish.GREETING_AFTERNOON,
    "Buenas noches": spanish.GREETING_EVENING,
}
_GREETING_CHANGES = {(12, "Buenos días", "Buenas tardes"), (19, "Buenas tardes", "Buenas noches")}


def _near_change(moment: dt.datetime, said: str, expected: str) -> bool:
    """Just past 12:00 or 19:00 the previous greeting is still heard (and in Spain "buenos
    días" lasts until lunch): unsure, not wrong."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    minutes = local.hour * 60 + local.minute
    return any(
        (said, expected) == (before, after) and 0 <= minutes - hour * 60 < GREETING_SLACK_MINUTES
        for hour, before, after in _GREETING_CHANGES
    )


def rule_t2(facts: CallFacts, tr: Transcript) -> Line:
    """T2: the agent's first words (within ~10 s) greet for the time of day, give the agent's
    first name and offer help. A greeting without the time of day ("buenas", "hola") or the
    previous greeting just after it changes is unsure: a supervisor decides."""
    opening = [t for t in tr.of(Speaker.AGENT) if t.start_ms <= GREETING_WINDOW_MS][:2]
    if not opening:
        return Verdict.FAILED, _("el agente no habló en los primeros %(s)d s") % {
            "s": GREETING_WINDOW_MS // 1000
        }
    first = opening[0]
    expected = greeting_for(tr.answered_at)
    said = [g for g, act in GREETING_ACTS.items() if tr.says(first, act)]
    problems: list[str] = []
    unsure: list[str] = []
    local = timezone.localtime(tr.answered_at)
    if expected not in said:
        if said and _near_change(tr.answered_at, said[0], expected):
            unsure.append(
                _("dijo «%(said)s» a las %(time)s, justo después del cambio a «%(expected)s»")
                % {"said": said[0], "time": local.strftime("%H:%M"), "expected": expected}
            )
        elif said:
            problems.append(
                _("dijo «%(said)s» y a las %(time)s correspondía «%(expected)s»")
                % {"said": said[0], "time": local.strftime("%H:%M"), "expected": expected}
            )
        elif tr.says(first, spanish.GREETING_NEUTRAL):
            unsure.append(
                _("saludó sin la hora del día; a las %(time)s correspondía «%(expected)s»")
                % {"time": local.strftime("%H:%M"), "expected": expected}
            )
        else:
            problems.append(_("no saludó con «%(expected)s»") % {"expected": expected})
    if tr.agent is not None and not spanish.mentions(first.normal, tr.agent.first_name):
        problems.append(_("no dijo su nombre (%(name)s)") % {"name": tr.agent.first_name})
    if not any(tr.says(t, spanish.OFFER_HELP) for t in opening):
        problems.append(_("no ofreció ayuda"))
    if problems:
        return _problems(first.cited, problems + unsure)
    if unsure:
        return Verdict.PENDING, f"{first.cited}: " + "; ".join(unsure) + ": " + _(
            "lo revisa un supervisor"
        )
    return Verdict.PASSED, first.cited


def rule_t3_with_transcript(facts: CallFacts, tr: Transcript) -> Line:
    """T3 with a transcript: after the caller states the need, the agent asks the name (or the
    caller says it unasked), and it is recorded (event rule).

    A name taken from the directory by caller ID but never asked or confirmed fails; so does
    a name asked only before the caller said what they need (seed: "after the caller states
    the need").
    """
    verdict, evidence = rule_t3(facts)
    if verdict == NA:
        return verdict, evidence
    need = tr.need_turn()
    need_ms = need.start_ms if need is not None else 0
    asks = [t for t in tr.of(Speaker.AGENT) if tr.says(t, spanish.NAME_REQUEST)]
    after = next((t for t in asks if t.start_ms >= need_ms), None)
    early = next((t for t in asks if t.start_ms < need_ms), None)
    told = next((t for t in tr.of(Speaker.CALLER) if tr.says_caller_name(t)), None)
    if after is not None:
        heard, ok = _("preguntó el nombre: %(q)s") % {"q": after.cited}, True
    elif early is not None:
        assert need is not None
        heard, ok = (
            _("preguntó el nombre %(q)s antes de que quien llama dijera qué necesita (%(at)s)")
            % {"q": early.cited, "at": at_ms(need.start_ms)},
            False,
        )
    elif told is not None:
        heard, ok = _("quien llama dijo su nombre: %(q)s") % {"q": told.cited}, True
    else:
        heard, ok = _("no preguntó el nombre de quien llama"), False
    if verdict == Verdict.FAILED:
        return Verdict.FAILED, f"{heard}; {evidence}"
    if not ok:
        return Verdict.FAILED, f"{heard} ({evidence})"
    return Verdict.PASSED, f"{heard}; {evidence}"


def rule_t4_with_transcript(facts: CallFacts, tr: Transcript) -> Line:
    """T4: before each transfer event the agent told the caller it would be transferred and
    why (the same turn or the next one before the event)."""
    transfers = [t for t in facts.transfers if t.state != TransferState.CANCELLED]
    if not transfers:
        return NA, _("sin transferencias")
    found: list[str] = []
    for number, transfer in enumerate(transfers, start=1):
        at = tr.ms_since_answer(transfer.started_at)
        before = [
            t
            for t in tr.of(Speaker.AGENT)
            if at - TRANSFER_ANNOUNCE_WINDOW_MS <= t.start_ms <= at + EVENT_TOLERANCE_MS
        ]
        announce = next((t for t in before if tr.says(t, spanish.TRANSFER_ANNOUNCE)), None)
        if announce is None:
            late = next(
                (
                    t
                    for t in tr.of(Speaker.AGENT)
                    if t.start_ms > at and tr.says(t, spanish.TRANSFER_ANNOUNCE)
                ),
                None,
            )
            if late is not None:
                return Verdict.FAILED, _(
                    "transferencia %(n)d (%(at)s): avisó después de transferir: %(q)s"
                ) % {"n": number, "at": at_ms(max(at, 0)), "q": late.cited}
            return Verdict.FAILED, _(
                "transferencia %(n)d (%(at)s): no avisó a quien llama antes de transferir"
            ) % {"n": number, "at": at_ms(max(at, 0))}
        rest = before[before.index(announce) :][:2]
        if not any(tr.says(t, spanish.TRANSFER_REASON) for t in rest):
            return Verdict.FAILED, _("transferencia %(n)d: avisó sin decir por qué: %(q)s") % {
                "n": number,
                "q": announce.cited,
            }
        found.append(announce.cited)
    return Verdict.PASSED, _("avisó y dijo por qué: %(q)s") % {"q": "; ".join(found)}


def rule_x2_with_transcript(facts: CallFacts, tr: Transcript) -> Line:
    """X2: in the consultation leg, before the caller was connected, the colleague heard the
    caller's name and the reason. Without the consultation's words, the records decide."""
    verdict, evidence = rule_x2(facts)
    if verdict in (NA, Verdict.FAILED) or not tr.consult:
        return verdict, evidence
    found: list[str] = []
    for number, transfer in enumerate(facts.completed_transfers, start=1):
        connected = transfer.completed_at or transfer.answered_at or transfer.started_at
        until = tr.ms_since_answer(connected) + EVENT_TOLERANCE_MS
        told = [t for t in tr.consult if t.speaker == Speaker.AGENT and t.start_ms <= until]
        if not told:
            return Verdict.FAILED, _(
                "transferencia %(n)d: el agente no habló con el colega antes de conectar"
            ) % {"n": number}
        missing = []
        if tr.caller_name and not any(tr.says_caller_name(t) for t in told):
            missing.append(_("sin el nombre de quien llama"))
        reason = tr.reason_words(transfer.reason, transfer.summary)
        if not any(
            spanish.overlap(spanish.content_words(t.normal), reason) or tr.says(t, spanish.RECAP)
            for t in told
        ):
            missing.append(_("sin el motivo"))
        cited = "; ".join(t.cited for t in told[:2])
        if missing:
            return Verdict.FAILED, _("consulta %(n)d: %(q)s %(missing)s") % {
                "n": number,
                "q": cited,
                "missing": ", ".join(missing),
            }
        found.append(cited)
    evidence = _("el colega recibió nombre y motivo antes de conectar: %(q)s") % {
        "q": "; ".join(found)
    }
    if not tr.caller_name:
        evidence += " " + _("(no se anotó el nombre de quien llama: no se comprobó)")
    return Verdict.PASSED, evidence


def rule_h1_with_transcript(facts: CallFacts, tr: Transcript) -> Line:
    """H1: before each hold the agent says why (words in the turns just before it). A reason
    only typed in the console, never heard, is unsure: a supervisor listens."""
    holds = facts.holds
    if not holds:
        return NA, _("sin esperas")
    quotes: list[str] = []
    unsure: list[str] = []
    for number, hold in enumerate(holds, start=1):
        at = tr.ms_since_answer(hold.started_at)
        before = [
            t
            for t in tr.of(Speaker.AGENT)
            if at - HOLD_ANNOUNCE_WINDOW_MS <= t.start_ms <= at + EVENT_TOLERANCE_MS
        ]
        said = next((t for t in reversed(before) if tr.says(t, spanish.HOLD_REASON)), None)
        if said is not None:
            quotes.append(said.cited)
        elif hold.reason.strip():
            unsure.append(
                _("espera %(n)d: motivo anotado («%(r)s») pero no se oye en la transcripción")
                % {"n": number, "r": hold.reason.strip()}
            )
        else:
            return Verdict.FAILED, _("espera %(n)d (%(at)s) sin motivo dicho") % {
                "n": number,
                "at": at_ms(max(at, 0)),
            }
    if unsure:
        return Verdict.PENDING, "; ".join(unsure) + ": " + _("lo revisa un supervisor")
    return Verdict.PASSED, _("dijo el motivo: %(q)s") % {"q": "; ".join(quotes)}


def rule_h4(facts: CallFacts, tr: Transcript) -> Line:
    """H4: after each hold, the agent's next turn says the caller's name and thanks for
    waiting (or apologises for it: "disculpe la espera", "gracias por su paciencia")."""
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
        if not tr.says(turn, spanish.RESUME_THANKS):
            missing.append(_("sin «gracias por su espera»"))
        if missing:
            failures.append(
                _("espera %(n)d: %(said)s %(missing)s")
                % {"n": number, "said": turn.cited, "missing": ", ".join(missing)}
            )
        else:
            quotes.append(turn.cited)
    if failures:
        return Verdict.FAILED, "; ".join(failures)
    evidence = "; ".join(quotes)
    if not tr.caller_name:
        evidence += " " + _("(no se anotó el nombre de quien llama: no se comprobó)")
    return Verdict.PASSED, evidence


def rule_x3(facts: CallFacts, tr: Transcript) -> Line:
    """X3: the receiving agent's first words give their own first name, the caller's name,
    and recap the reason (so the caller does not tell the story again)."""
    if not facts.completed_transfers:
        return NA, _("sin transferencias")
    received = tr.of(Speaker.OTHER_AGENT)
    if not received:
        return NA, _("la transcripción no incluye al agente que recibe")
    first = received[0]
    opening = [t for t in received if t.start_ms <= first.start_ms + RECEIVING_WINDOW_MS][:2]
    problems = []
    receiving = tr.receiving_agent
    if receiving is not None:
        if not any(spanish.mentions(t.normal, receiving.first_name) for t in opening):
            problems.append(_("no dijo su nombre (%(name)s)") % {"name": receiving.first_name})
    elif not any(tr.says(t, spanish.SELF_INTRODUCTION) for t in opening):
        problems.append(_("no se presentó"))
    if tr.caller_name and not any(tr.says_caller_name(t) for t in opening):
        problems.append(_("no nombró a quien llama"))
    transfer = facts.completed_transfers[-1]
    reason = tr.reason_words(transfer.reason, transfer.summary)
    if not any(
        tr.says(t, spanish.RECAP) or spanish.overlap(spanish.content_words(t.normal), reason)
        for t in opening
    ):
        problems.append(_("no resumió el motivo"))
    found = first.cited
    if not tr.caller_name and not problems:
        found += " " + _("(no se anotó el nombre de quien llama: no se comprobó)")
    return _problems(found, problems)


def _closing_turns(tr: Transcript) -> list[Turn]:
    return tr.agent_side[-CLOSING_TURNS:]


def rule_c1(facts: CallFacts, tr: Transcript) -> Line:
    """C1: the last agent turns thank for calling and say who attended ("la atendió Gabriela")."""
    closing = _closing_turns(tr)
    if not closing:
        return Verdict.FAILED, _("el agente no habló")
    closer = tr.receiving_agent if closing[-1].speaker == Speaker.OTHER_AGENT else tr.agent
    name = closer.first_name if closer is not None else ""
    thanked = [t for t in closing if tr.says(t, spanish.CLOSING_THANKS)]
    named = [t for t in closing if name and spanish.mentions(t.normal, name)]
    problems = []
    if not thanked:
        problems.append(_("sin «gracias por llamar»"))
    if name and not named:
        problems.append(_("no dijo quién atendió (%(name)s)") % {"name": name})
    said = [t for t in closing if t in thanked or t in named] or closing[-1:]
    found = "; ".join(t.cited for t in said)
    return _problems(found, problems)


def rule_c2(facts: CallFacts, tr: Transcript) -> Line:
    """C2: after the farewell the agent pauses: the caller answers or hangs up, or the line
    stays quiet for a moment before the agent hangs up."""
    call = facts.call
    closing = _closing_turns(tr)
    if not closing or call.ended_at is None:
        return NA, _("sin despedida del agente")
    last = closing[-1]
    end_ms = tr.ms_since_answer(call.ended_at)
    after = [t for t in tr.turns if t.speaker == Speaker.CALLER and t.start_ms >= last.end_ms]
    if after:
        return Verdict.PASSED, _("quien llama respondió tras la despedida: %(q)s") % {
            "q": after[0].cited
        }
    pause = max(0, end_ms - last.end_ms) / 1000
    evidence = _("%(s).1f s entre la despedida (%(at)s) y el fin de la llamada") % {
        "s": pause,
        "at": at_ms(last.start_ms),
    }
    if pause * 1000 >= CLOSING_PAUSE_MS or call.hangup_by == Party.CALLER:
        return Verdict.PASSED, evidence
    if call.hangup_by == Party.AGENT:
        return Verdict.FAILED, _("colgó sin pausa: %(e)s") % {"e": evidence}
    return Verdict.PENDING, evidence + ": " + _("no se sabe quién colgó; lo revisa un supervisor")


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


is_question = spanish.is_question
only_questions = spanish.only_questions


def rule_d3(facts: CallFacts, tr: Transcript) -> Line:
    """D3: a caller's question is not answered with a turn that is only a question (with or
    without "¿?": speech-to-text often leaves them out)."""
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


def _term_pattern(term: str) -> re.Pattern[str] | None:
    """A glossary term as whole words, its plural too ("driver" finds "drivers")."""
    needle = fold(term)
    if not needle:
        return None
    return re.compile(rf"(?<!\w){re.escape(needle)}(?:s|es)?(?!\w)")


def rule_d4(facts: CallFacts, tr: Transcript) -> Line:
    """D4: no glossary jargon in the agents' turns; each term found comes with its plain words."""
    if not tr.glossary:
        return NA, _("el glosario está vacío")
    # Longest terms first, so "reiniciar el router" is reported once, not also as "router".
    glossary = sorted(tr.glossary, key=lambda tp: -len(fold(tp[0])))
    patterns = [(term, _term_pattern(term)) for term, _plain in glossary]
    first_seen: dict[str, int] = {}
    for turn in tr.agent_side:
        text = fold(turn.text)
        for term, pattern in patterns:
            if pattern is not None and pattern.search(text):
                first_seen.setdefault(term, turn.start_ms)
                text = pattern.sub(" ", text)
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
    "T4": rule_t4_with_transcript,
    "X2": rule_x2_with_transcript,
    "X3": rule_x3,
    "H1": rule_h1_with_transcript,
    "H4": rule_h4,
    "D1": rule_d1,
    "D3": rule_d3,
    "D4": rule_d4,
    "C1": rule_c1,
    "C2": rule_c2,
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
