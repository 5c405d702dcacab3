"""Every QA rule passing and failing on crafted calls, and "no aplica" where it does not apply.

Calls are built as rows (a finished call, its holds and transfers) with the time passed in;
the transcript goes through `qa.save_transcript`, the same service the API uses. The desk is
in Mexico City; `now` is Monday 10:30 there, so the right greeting is "Buenos días".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from soporte.calls import qa, scripts
from soporte.calls.models import (
    Call,
    CallDirection,
    GlossaryTerm,
    Hold,
    HoldChoice,
    Party,
    Transfer,
    TransferKind,
    TransferState,
    Verdict,
)
from soporte.calls.scripts import greeting_for
from soporte.calls.tests.conftest import finished_call  # noqa: F401 (other modules import it here)

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)
PASSED, FAILED, NA, PENDING = (
    Verdict.PASSED,
    Verdict.FAILED,
    Verdict.NOT_APPLICABLE,
    Verdict.PENDING,
)

# A good call, turn by turn (speaker, start s, end s, text): every text rule passes.
GOOD = [
    (
        "agent",
        1.0,
        4.0,
        "Buenos días, le atiende Blanca de la mesa de ayuda, ¿en qué le puedo ayudar?",
    ),
    ("caller", 4.5, 9.0, "Hola, mi computadora está muy lenta desde ayer."),
    ("agent", 9.5, 11.0, "Con gusto le ayudo. ¿Con quién tengo el gusto?"),
    ("caller", 11.5, 13.0, "Roberto Sánchez."),
    ("caller", 13.5, 16.0, "¿Tardará mucho en arreglarse?"),
    (
        "agent",
        16.5,
        20.0,
        "Unos minutos. Permítame en espera mientras reviso qué programas se abren al encender.",
    ),
    ("agent", 75.5, 79.0, "Don Roberto, gracias por su espera. Ya encontré el problema."),
    ("caller", 99.5, 101.0, "Perfecto, muchas gracias."),
    ("agent", 110.0, 114.0, "Gracias por llamar, la atendió Blanca. Que tenga buen día."),
]


def turns(rows: list[tuple[str, float, float, str]]) -> list[qa.TurnData]:
    return [qa.TurnData(s, int(a * 1000), int(b * 1000), t) for s, a, b, t in rows]


def hold(call: Call, start_s: float, seconds: float, **fields: Any) -> Hold:
    """A hold from `start_s` after the answer, resumed `seconds` later."""
    assert call.answered_at is not None
    started = call.answered_at + start_s * S
    fields.setdefault("reason", "reviso su equipo en el sistema")
    fields.setdefault("choice", HoldChoice.WAIT)
    return Hold.objects.create(
        call=call,
        agent=call.agent,
        started_at=started,
        ended_at=started + seconds * S,
        seconds=seconds,
        over_limit=seconds > call.line.hold_limit_seconds,
        **fields,
    )


def transfer(call: Call, to_agent: Any = None, at: float = 30, **fields: Any) -> Transfer:
    """A transfer started `at` seconds after the answer, the caller connected 30 s later."""
    assert call.answered_at is not None
    fields.setdefault("kind", TransferKind.WARM)
    fields.setdefault("state", TransferState.COMPLETED)
    fields.setdefault("announced", True)
    fields.setdefault("consult_answered", True)
    fields.setdefault("consult_seconds", 25)
    return Transfer.objects.create(
        call=call,
        from_agent=call.agent,
        to_agent=to_agent,
        target="" if to_agent else "200",
        started_at=call.answered_at + at * S,
        completed_at=call.answered_at + (at + 30) * S,
        **fields,
    )


def ended(call: Call) -> dt.datetime:
    assert call.ended_at is not None
    return call.ended_at


def score(call: Call, transcript: list[tuple[str, float, float, str]] | None, personas) -> dict:
    if transcript is not None:
        qa.save_transcript(
            actor=personas.agent, call=call, turns=turns(transcript), now=ended(call)
        )
    else:
        qa.score_call(call=call, now=ended(call))
    card = call.scorecard
    return {line.rule: (line.verdict, line.evidence) for line in card.lines.all()}


def replace(rows, index, text=None, **changes):
    rows = list(rows)
    speaker, start, end, old = rows[index]
    rows[index] = (
        changes.get("speaker", speaker),
        changes.get("start", start),
        changes.get("end", end),
        old if text is None else text,
    )
    return rows


@pytest.fixture
def good_call(make_call, personas):
    """The good call with its one hold: from 0:20 to 1:15 (55 s, within the limit)."""
    call = make_call()
    hold(call, 20, 55)
    return call


# --- A good call passes everything it can --------------------------------------------------


def test_a_good_call_passes_every_automatic_rule(good_call, personas):
    GlossaryTerm.objects.create(term="DNS", plain="la dirección de internet del equipo")
    lines = score(good_call, GOOD, personas)
    assert {r: v for r, (v, _) in lines.items() if v != PASSED} == {
        "T4": NA,
        "X1": NA,
        "X2": NA,
        "X3": NA,
        "D2": PENDING,
        "VOZ": PENDING,
        "CORT": PENDING,
    }
    assert lines["T1"][1].startswith("contestó en el 2.º timbre")
    assert "«Buenos días, le atiende Blanca" in lines["T2"][1]
    assert "¿Con quién tengo el gusto?" in lines["T3"][1]
    assert "nombre anotado: Roberto Sánchez" in lines["T3"][1]
    assert "gracias por su espera" in lines["H4"][1]
    assert "la atendió Blanca" in lines["C1"][1]
    assert lines["H1"][1].startswith("dijo el motivo: «Unos minutos. Permítame en espera")
    assert lines["C2"] == (PASSED, "6.0 s entre la despedida (1:50) y el fin de la llamada")
    assert good_call.scorecard.score == 100.0


def test_without_transcript_the_text_rules_do_not_apply(good_call, personas):
    lines = score(good_call, None, personas)
    for rule in ("T2", "X3", "H4", "D1", "D3", "D4", "C1"):
        assert lines[rule] == (NA, "sin transcripción"), rule
    assert lines["T3"] == (PASSED, "nombre anotado: Roberto Sánchez")  # the event rule alone
    for rule in ("D2", "VOZ", "CORT"):
        assert lines[rule] == (PENDING, "lo evalúa un supervisor")


def test_the_scorecard_lists_every_rule_in_reading_order(good_call, personas):
    score(good_call, GOOD, personas)
    rules = [line.rule for line in qa.ordered_lines(good_call.scorecard)]
    assert rules == qa.RULE_ORDER


# --- T1 ---------------------------------------------------------------------------------


def test_t1_second_ring_passes_third_fails(make_call, personas):
    assert score(make_call(ring=7), None, personas)["T1"] == (
        PASSED,
        "contestó en el 2.º timbre (7.0 s)",
    )
    assert score(make_call(ring=11), None, personas)["T1"] == (
        FAILED,
        "contestó en el 3.º timbre (11.0 s)",
    )


def test_t1_does_not_apply_to_unanswered_or_outbound_calls(make_call, personas):
    assert score(make_call(answered=False), None, personas)["T1"][0] == NA
    assert score(make_call(direction=CallDirection.OUT), None, personas)["T1"] == (
        NA,
        "llamada saliente",
    )


# --- T2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_hour", "greeting"),
    [(0, "Buenos días"), (11, "Buenos días"), (12, "Buenas tardes"), (18, "Buenas tardes"),
     (19, "Buenas noches"), (23, "Buenas noches")],
)  # fmt: skip
def test_greeting_follows_the_desk_clock(local_hour, greeting):
    # Mexico City is UTC-6 all year.
    moment = dt.datetime(2026, 11, 23, local_hour, 5, tzinfo=dt.UTC) + 6 * dt.timedelta(hours=1)
    assert greeting_for(moment) == greeting


def test_t2_passes_with_the_afternoon_greeting_in_the_afternoon(make_call, personas, now):
    call = make_call(start=now + dt.timedelta(hours=6))  # 16:30 at the desk
    rows = replace(GOOD, 0, "Buenas tardes, habla Blanca, ¿en qué le ayudo?")
    assert score(call, rows, personas)["T2"][0] == PASSED


def test_t2_fails_on_the_wrong_greeting_for_the_time(make_call, personas):
    rows = replace(GOOD, 0, "Buenas tardes, habla Blanca, ¿en qué le ayudo?")
    verdict, evidence = score(make_call(), rows, personas)["T2"]
    assert verdict == FAILED
    assert "dijo «Buenas tardes» y a las 10:30 correspondía «Buenos días»" in evidence


def test_t2_fails_without_the_agent_name(make_call, personas):
    rows = replace(GOOD, 0, "BUENOS DIAS, mesa de ayuda, ¿en qué le ayudo?")  # case, no accent
    verdict, evidence = score(make_call(), rows, personas)["T2"]
    assert verdict == FAILED
    assert evidence.endswith("no dijo su nombre (Blanca)")
    assert "correspondía" not in evidence


def test_t2_fails_when_the_agent_greets_after_ten_seconds(make_call, personas):
    rows = [
        ("caller", 0.5, 11.5, "¿Bueno? ¿Hay alguien?"),
        ("agent", 12.0, 15.0, GOOD[0][3]),
        ("caller", 16.0, 18.0, "Mi computadora está lenta."),
    ]
    assert score(make_call(), rows, personas)["T2"] == (
        FAILED,
        "el agente no habló en los primeros 10 s",
    )


# --- T3 (event + text) ----------------------------------------------------------------


def test_t3_fails_when_asked_but_not_recorded(make_call, personas):
    verdict, evidence = score(make_call(caller_name=""), GOOD, personas)["T3"]
    assert verdict == FAILED
    assert "preguntó el nombre" in evidence and "no se anotó el nombre" in evidence


def test_t3_fails_when_recorded_but_never_asked(make_call, personas):
    rows = replace(GOOD, 2, "Con gusto le ayudo.")
    rows = replace(rows, 3, "Ajá.")
    verdict, evidence = score(make_call(), rows, personas)["T3"]
    assert verdict == FAILED
    assert evidence.startswith("no preguntó el nombre de quien llama")


def test_t3_passes_when_the_caller_says_the_name_unasked(make_call, personas):
    rows = replace(GOOD, 1, "Hola, soy Roberto Sanchez, mi computadora está lenta.")
    rows = replace(rows, 2, "Con gusto le ayudo.")
    verdict, evidence = score(make_call(), rows, personas)["T3"]
    assert verdict == PASSED
    assert evidence.startswith("quien llama dijo su nombre")


@pytest.mark.parametrize(
    "question",
    [
        "¿Me puede dar su nombre?",
        "¿cual es su nombre?",
        "¿Cómo se llama usted?",
        "Su nombre, por favor.",
    ],
)
def test_t3_recognises_the_usual_ways_to_ask(make_call, personas, question):
    rows = replace(GOOD, 2, question)
    assert score(make_call(), rows, personas)["T3"][0] == PASSED


# --- T4, X2, X3 -----------------------------------------------------------------------


TRANSFERRED = [
    *GOOD[:6],
    ("agent", 25.0, 29.0, "Le voy a transferir con Gabriela, de nivel 2, que revisa equipos lentos."),
    ("agent2", 62.0, 66.0, "Hola don Roberto, soy Gabriela del nivel 2. Blanca me contó que su equipo está lento."),
    ("caller", 66.5, 68.0, "Sí, exacto."),
    ("agent2", 110.0, 114.0, "Gracias por llamar, la atendió Gabriela."),
]  # fmt: skip


def test_t4_x2_x3_pass_on_an_announced_warm_transfer(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela, reason="Equipo lento, necesita revisión de nivel 2")
    lines = score(call, TRANSFERRED, personas)
    assert lines["T4"] == (
        PASSED,
        "avisó y dijo por qué: «Le voy a transferir con Gabriela, de nivel 2, que revisa "
        "equipos lentos.» (0:25)",
    )
    assert lines["X2"] == (
        PASSED,
        "el colega recibió por escrito el nombre (Roberto Sánchez) y el motivo antes de conectar",
    )
    assert lines["X3"][0] == PASSED and "soy Gabriela" in lines["X3"][1]
    assert lines["C1"][0] == PASSED  # Gabriela closed the call, with her own name


def test_t4_x2_fail_on_an_unannounced_blind_transfer(make_call, personas):
    call = make_call()
    transfer(call, kind=TransferKind.BLIND, announced=False, consult_answered=False)
    lines = score(call, None, personas)
    assert lines["T4"] == (FAILED, "transfirió sin avisar a quien llama")
    assert lines["X2"][0] == FAILED and "en frío" in lines["X2"][1]


def test_x3_fails_when_the_receiver_neither_introduces_themself_nor_names_the_caller(
    make_call, personas, gabriela
):
    call = make_call()
    transfer(call, to_agent=gabriela)
    rows = replace(TRANSFERRED, 7, "A ver, cuénteme otra vez qué pasa.")
    verdict, evidence = score(call, rows, personas)["X3"]
    assert verdict == FAILED
    assert "no dijo su nombre (Gabriela)" in evidence and "no nombró a quien llama" in evidence


def test_x3_and_transfers_do_not_apply_without_a_transfer(make_call, personas):
    lines = score(make_call(), GOOD, personas)
    assert lines["T4"] == lines["X2"] == lines["X3"] == (NA, "sin transferencias")


def test_x3_does_not_apply_when_the_transcript_misses_the_receiver(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela)
    assert score(call, GOOD, personas)["X3"] == (
        NA,
        "la transcripción no incluye al agente que recibe",
    )


# --- H1, H2, H3, H4 ---------------------------------------------------------------------


def test_hold_rules_pass_on_a_well_handled_hold(good_call, personas):
    lines = score(good_call, GOOD, personas)
    assert lines["H1"] == (
        PASSED,
        "dijo el motivo: «Unos minutos. Permítame en espera mientras reviso qué programas se "
        "abren al encender.» (0:16)",
    )
    assert lines["H2"] == (PASSED, "quien llama eligió en 1 espera(s)")
    assert lines["H3"] == (PASSED, "espera más larga 55 s")
    assert lines["H4"][0] == PASSED


def test_hold_rules_fail_on_a_silent_long_hold(make_call, personas):
    call = make_call()
    hold(call, 20, 74, reason="", choice="")
    rows = replace(GOOD, 5, "Unos minutos.")
    rows = replace(rows, 6, "Ya encontré el problema.", start=95, end=99)
    lines = score(call, rows, personas)
    assert lines["H1"] == (FAILED, "espera 1 (0:20) sin motivo dicho")
    assert lines["H2"][0] == FAILED
    assert lines["H3"] == (FAILED, "espera de 74 s sin retomar (límite 60 s)")
    verdict, evidence = lines["H4"]
    assert verdict == FAILED
    assert "sin el nombre de quien llama" in evidence
    assert "sin «gracias por su espera»" in evidence


def test_h4_accepts_gracias_por_su_amable_espera_with_the_surname(make_call, personas):
    call = make_call()
    hold(call, 20, 55)
    rows = replace(GOOD, 6, "Señor Sánchez, gracias por su amable espera.")
    assert score(call, rows, personas)["H4"][0] == PASSED


def test_h4_fails_when_the_agent_never_speaks_after_the_hold(make_call, personas):
    call = make_call()
    hold(call, 100, 15)  # resumed at 1:55, after the agent's last turn
    verdict, evidence = score(call, GOOD, personas)["H4"]
    assert (verdict, evidence) == (FAILED, "espera 1: el agente no habló al retomar")


def test_hold_rules_do_not_apply_without_holds(make_call, personas):
    lines = score(make_call(), GOOD, personas)
    assert lines["H1"] == lines["H2"] == lines["H3"] == (NA, "sin esperas")
    assert lines["H4"] == (NA, "sin esperas retomadas")


# --- D1 -------------------------------------------------------------------------------


def test_d1_fails_when_the_agent_talks_over_the_caller(good_call, personas):
    rows = replace(GOOD, 2, start=7.0)  # the caller speaks until 9.0
    verdict, evidence = score(good_call, rows, personas)["D1"]
    assert verdict == FAILED
    assert evidence.startswith("interrumpió en 0:07 (2.0 s encima de quien llama)")


def test_d1_tolerates_a_short_overlap_and_backchannels(good_call, personas):
    rows = replace(GOOD, 2, start=8.8)  # 200 ms overlap: turn-taking
    rows.insert(2, ("agent", 6.0, 6.4, "Ajá."))  # listening, inside the caller's turn
    verdict, evidence = score(good_call, rows, personas)["D1"]
    assert verdict == PASSED
    assert evidence == "sin interrupciones en 6 turnos del agente"


def test_d1_does_not_apply_to_a_one_sided_transcript(make_call, personas):
    rows = [r for r in GOOD if r[0] == "agent"]
    assert score(make_call(), rows, personas)["D1"][0] == NA


# --- D3 -------------------------------------------------------------------------------


def test_d3_fails_when_a_question_is_answered_with_a_question(good_call, personas):
    rows = replace(GOOD, 5, "¿Usted cuánto cree que tarde?")
    verdict, evidence = score(good_call, rows, personas)["D3"]
    assert verdict == FAILED
    assert evidence == (
        "a «¿Tardará mucho en arreglarse?» respondió con otra pregunta: "
        "«¿Usted cuánto cree que tarde?» (0:16)"
    )


def test_d3_passes_an_answer_that_ends_with_a_question(good_call, personas):
    rows = replace(GOOD, 5, "Unos minutos. ¿Le parece bien si lo revisamos juntos?")
    assert score(good_call, rows, personas)["D3"] == (
        PASSED,
        "respondió la pregunta de quien llama",
    )


def test_d3_does_not_apply_when_the_caller_asks_nothing(good_call, personas):
    rows = replace(GOOD, 4, "Ojalá se arregle pronto.")
    assert score(good_call, rows, personas)["D3"] == (NA, "quien llama no hizo preguntas")


# --- D4 -------------------------------------------------------------------------------


def test_d4_flags_glossary_jargon_and_suggests_the_plain_words(good_call, personas):
    qa.ensure_default_glossary()
    rows = replace(GOOD, 5, "Unos minutos. Voy a revisar su DNS y luego reiniciar el Router.")
    verdict, evidence = score(good_call, rows, personas)["D4"]
    assert verdict == FAILED
    assert "«DNS» (0:16) → mejor: «la dirección de internet del equipo»" in evidence
    assert "«reiniciar el router» (0:16) → mejor: «apagar y volver a encender" in evidence
    assert "«router»" not in evidence  # reported once, as the longer phrase


def test_d4_matches_whole_words_without_accents(good_call, personas):
    GlossaryTerm.objects.create(term="caché", plain="los archivos temporales")
    GlossaryTerm.objects.create(term="IP", plain="el número del equipo en la red")
    # "cache" without accent is jargon; "equipo" contains "ip" but is not the word IP.
    rows = replace(GOOD, 5, "Borraremos la CACHE de su equipo.")
    verdict, evidence = score(good_call, rows, personas)["D4"]
    assert verdict == FAILED
    assert "«caché»" in evidence and "«IP»" not in evidence


def test_d4_ignores_the_callers_words(good_call, personas):
    GlossaryTerm.objects.create(term="DNS", plain="la dirección de internet del equipo")
    rows = replace(GOOD, 1, "Creo que falla el DNS.")
    assert score(good_call, rows, personas)["D4"] == (
        PASSED,
        "sin tecnicismos del glosario (1 término revisado)",
    )


def test_d4_does_not_apply_with_an_empty_glossary(good_call, personas):
    assert score(good_call, GOOD, personas)["D4"] == (NA, "el glosario está vacío")


# --- C1, C3 ---------------------------------------------------------------------------


def test_c1_fails_without_thanks_or_name(good_call, personas):
    rows = replace(GOOD, 8, "Listo, hasta luego.")
    verdict, evidence = score(good_call, rows, personas)["C1"]
    assert verdict == FAILED
    assert "sin «gracias por llamar»" in evidence and "no dijo quién atendió (Blanca)" in evidence


def test_c3_caller_hangs_up_first_or_not(make_call, personas):
    assert score(make_call(hangup_by=Party.CALLER), None, personas)["C3"][0] == PASSED
    assert score(make_call(hangup_by=Party.AGENT), None, personas)["C3"] == (
        FAILED,
        "el agente colgó primero",
    )
    assert score(make_call(hangup_by=Party.UNKNOWN), None, personas)["C3"][0] == NA


# --- Text helpers ---------------------------------------------------------------------


def test_fold_strips_accents_case_and_punctuation():
    assert qa.fold("¿Cuál es SU nombre, señora Núñez?") == "cual es su nombre senora nunez"
    assert qa.contains(qa.fold("Buenos DÍAS"), "buenos días")
    assert not qa.contains(qa.fold("equipo"), "IP")


# --- The console's script passes QA ------------------------------------------------------


def test_an_agent_who_reads_the_console_script_passes_every_text_rule(
    make_call, personas, gabriela, now
):
    """The phrases the console prompts (scripts.py) are the phrases QA listens for."""
    call = make_call()
    hold(call, 20, 30)  # resumed at 0:50
    transfer(call, to_agent=gabriela, at=58, reason="necesita revisión de nivel 2")
    rows = [
        ("agent", 1.0, 5.0, scripts.greeting_script(desk="Mesa de ayuda", agent_first_name="Blanca", moment=now + 7 * S)),
        ("caller", 5.5, 9.0, "Mi computadora está muy lenta."),
        ("agent", 9.5, 11.0, scripts.NAME_PROMPT),
        ("caller", 11.5, 13.0, "Roberto Sánchez."),
        ("agent", 13.5, 19.0, scripts.hold_script(reason="revisar su equipo en el sistema")),
        ("agent", 50.5, 53.0, scripts.resume_script(caller_name="Roberto")),
        ("agent", 53.5, 58.0, scripts.transfer_script(colleague="Gabriela", area="equipos", reason="necesita revisión de nivel 2")),
        ("agent2", 89.0, 94.0, scripts.receiving_script(caller_name="Roberto", agent_first_name="Gabriela", level=2, reason="su equipo está lento")),
        ("caller", 94.5, 96.0, "Así es."),
        ("agent2", 110.0, 114.0, scripts.closing_script(agent_first_name="Gabriela")),
    ]  # fmt: skip
    lines = score(call, rows, personas)
    for rule in ("T2", "T3", "T4", "X2", "X3", "H1", "H4", "D1", "C1", "C2"):
        assert lines[rule][0] == PASSED, (rule, lines[rule])
