"""The text rules on how people really speak: each rule passing and failing on crafted
transcripts, with the variants of Mexico, Spain and South America, tú and usted, and the
order and timing the seed asks for (T3 after the need, T4 before the transfer, X2 in the
consultation before connecting, C2 a pause before hanging up).

The calls and helpers are those of `test_qa_rules` (the desk is in Mexico City; `now` is
Monday 10:30 there, so the right greeting is "Buenos días").
"""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.calls import qa
from soporte.calls.models import Leg, Party, TransferKind, Verdict
from soporte.calls.tests.test_qa_rules import (
    GOOD,
    TRANSFERRED,
    hold,
    replace,
    score,
    transfer,
)

pytestmark = pytest.mark.django_db

PASSED, FAILED, NA, PENDING = (
    Verdict.PASSED,
    Verdict.FAILED,
    Verdict.NOT_APPLICABLE,
    Verdict.PENDING,
)
H = dt.timedelta(hours=1)


# --- T2: greeting by time of day, name, offer of help --------------------------------------


@pytest.mark.parametrize(
    "greeting",
    [
        "Buen día, le habla Blanca, ¿en qué puedo ayudarte?",  # Río de la Plata, tú
        "Muy buenos días, mesa de ayuda, mi nombre es Blanca, ¿qué se le ofrece?",  # México
        "Buenos días, soy Blanca, dígame.",  # España
        "buenos dias mesa de ayuda blanca al habla en que le puedo servir",  # no punctuation
        "Buenos días, le atiende Blanca. ¿Cómo le puedo ayudar?",
    ],
)
def test_t2_passes_the_usual_ways_to_greet_in_the_morning(make_call, personas, greeting):
    verdict, evidence = score(make_call(), replace(GOOD, 0, greeting), personas)["T2"]
    assert verdict == PASSED, evidence


def test_t2_fails_without_offering_help(make_call, personas):
    verdict, evidence = score(
        make_call(), replace(GOOD, 0, "Buenos días, habla Blanca."), personas
    )["T2"]
    assert verdict == FAILED
    assert evidence.endswith("no ofreció ayuda")


def test_t2_greeting_without_time_of_day_goes_to_a_supervisor(make_call, personas):
    rows = replace(GOOD, 0, "Buenas, habla Blanca, ¿en qué le ayudo?")
    verdict, evidence = score(make_call(), rows, personas)["T2"]
    assert verdict == PENDING
    assert "saludó sin la hora del día; a las 10:30 correspondía «Buenos días»" in evidence
    assert evidence.endswith("lo revisa un supervisor")


def test_t2_morning_greeting_just_after_noon_is_unsure_later_it_fails(make_call, personas, now):
    rows = replace(GOOD, 0, "Buenos días, habla Blanca, ¿en qué le ayudo?")
    at_1220 = make_call(start=now + 110 * dt.timedelta(minutes=1))  # answered 12:20:07
    verdict, evidence = score(at_1220, rows, personas)["T2"]
    assert verdict == PENDING
    assert "justo después del cambio a «Buenas tardes»" in evidence
    at_1430 = make_call(start=now + 4 * H)
    verdict, evidence = score(at_1430, rows, personas)["T2"]
    assert verdict == FAILED
    assert "dijo «Buenos días» y a las 14:30 correspondía «Buenas tardes»" in evidence


# --- T3: the name, asked after the need is stated ------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "¿De parte de quién?",
        "¿Me regalas tu nombre, porfa?",  # Colombia, tú
        "¿Y vos cómo te llamás?",  # voseo
        "¿Me facilita su nombre y apellido?",  # España
        "¿A quién tengo el gusto de atender?",
        "¿Me podría decir cómo se llama?",
        "¿con quien hablo",
    ],
)
def test_t3_recognises_regional_and_familiar_ways_to_ask(make_call, personas, question):
    verdict, evidence = score(make_call(), replace(GOOD, 2, question), personas)["T3"]
    assert verdict == PASSED, evidence


def test_t3_fails_when_the_name_is_asked_before_the_need(make_call, personas):
    rows = [
        ("agent", 1.0, 4.0, "Buenos días, le atiende Blanca, ¿con quién tengo el gusto?"),
        ("caller", 4.5, 6.0, "Roberto Sánchez."),
        ("agent", 6.5, 7.5, "¿En qué le puedo ayudar?"),
        ("caller", 8.0, 12.0, "Mi computadora está muy lenta desde ayer."),
        ("agent", 12.5, 15.0, "Con gusto lo reviso."),
    ]
    verdict, evidence = score(make_call(), rows, personas)["T3"]
    assert verdict == FAILED
    assert evidence.startswith(
        "preguntó el nombre «Buenos días, le atiende Blanca, ¿con quién tengo el gusto?» (0:01) "
        "antes de que quien llama dijera qué necesita (0:08)"
    )


def test_t3_passes_when_the_name_is_asked_again_after_the_need(make_call, personas):
    rows = replace(GOOD, 0, "Buenos días, habla Blanca, ¿con quién hablo?")
    verdict, evidence = score(make_call(), rows, personas)["T3"]
    assert verdict == PASSED
    assert evidence.startswith("preguntó el nombre: «Con gusto le ayudo. ¿Con quién tengo")


def test_t3_fails_on_words_that_mention_the_name_without_asking(make_call, personas):
    rows = replace(GOOD, 2, "Gracias, ya anoté su nombre y su número.")
    rows = replace(rows, 3, "Perfecto.")
    verdict, evidence = score(make_call(), rows, personas)["T3"]
    assert verdict == FAILED
    assert evidence.startswith("no preguntó el nombre de quien llama")


# --- T4: announced, with the reason, before the transfer event ------------------------------


def _transferred(text: str) -> list:
    return replace(TRANSFERRED, 6, text)


@pytest.mark.parametrize(
    "announcement",
    [
        "Le comunico con el área de redes porque ellos revisan su conexión.",  # México
        "Te paso con mi compañera de nivel 2, que es especialista en equipos lentos.",  # España
        "Lo voy a derivar con Gabriela ya que hay que revisar el disco.",  # Cono Sur
        "Ahorita le transfiero con Gabriela para que revise su equipo.",
    ],
)
def test_t4_passes_when_the_agent_says_transfer_and_why_before_the_event(
    make_call, personas, gabriela, announcement
):
    call = make_call()
    transfer(call, to_agent=gabriela, reason="equipo lento")
    verdict, evidence = score(call, _transferred(announcement), personas)["T4"]
    assert verdict == PASSED, evidence
    assert evidence.startswith("avisó y dijo por qué: «")


def test_t4_fails_when_the_agent_does_not_say_why(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela, reason="equipo lento")
    rows = _transferred("Un momento, le voy a transferir.")
    assert score(call, rows, personas)["T4"] == (
        FAILED,
        "transferencia 1: avisó sin decir por qué: «Un momento, le voy a transferir.» (0:25)",
    )


def test_t4_fails_when_the_announcement_comes_after_the_transfer(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela, at=20, reason="equipo lento")  # the event at 0:20
    verdict, evidence = score(call, TRANSFERRED, personas)["T4"]
    assert verdict == FAILED
    assert evidence.startswith("transferencia 1 (0:20): avisó después de transferir")


def test_t4_words_win_over_the_checkbox(make_call, personas, gabriela):
    """The console's "le avisé" (or CTI's callerTold) without the words heard: fails."""
    call = make_call()
    transfer(call, to_agent=gabriela, announced=True, reason="equipo lento")
    rows = _transferred("Permítame.")
    assert score(call, rows, personas)["T4"] == (
        FAILED,
        "transferencia 1 (0:30): no avisó a quien llama antes de transferir",
    )


# --- X1: only what this agent cannot resolve ------------------------------------------------


def test_x1_passes_an_escalation_up_a_level(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela, to_level=2)
    assert score(call, None, personas)["X1"] == (PASSED, "escaló del nivel 1 al nivel 2")


def test_x1_same_level_goes_to_a_supervisor_lower_level_fails(make_call, personas, make_agent):
    peer = make_agent("carla.mena", level=1, first_name="Carla", last_name="Mena")
    call = make_call()
    transfer(call, to_agent=peer)
    assert score(call, None, personas)["X1"] == (
        PENDING,
        "transfirió a su mismo nivel y área: lo revisa un supervisor",
    )
    supervisor_agent = personas.supervisor.agent  # level 3
    call = make_call()
    call.answered_by = supervisor_agent
    call.save(update_fields=["answered_by"])
    transfer(call, to_agent=peer)
    assert score(call, None, personas)["X1"] == (
        FAILED,
        "transfirió a un nivel inferior (3 → 1)",
    )


# --- X2: the colleague heard name and reason in the consultation ----------------------------

CONSULT_OK = [
    (
        "agent",
        31.0,
        38.0,
        "Gabriela, tengo en la línea a Roberto Sánchez; su computadora está muy lenta desde "
        "ayer y ya revisé los programas de inicio.",
    ),
    ("agent2", 38.5, 40.0, "Va, pásamelo."),
]


def _with_consult(consult: list) -> list:
    rows = [(s, a, b, t, Leg.CALLER) for s, a, b, t in TRANSFERRED]
    rows += [(s, a, b, t, Leg.CONSULT) for s, a, b, t in consult]
    return sorted(rows, key=lambda r: r[1])


def _score_with_legs(call, rows, personas) -> dict:
    qa.save_transcript(
        actor=personas.agent,
        call=call,
        turns=[qa.TurnData(s, int(a * 1000), int(b * 1000), t, leg) for s, a, b, t, leg in rows],
        now=call.ended_at,
    )
    return {line.rule: (line.verdict, line.evidence) for line in call.scorecard.lines.all()}


def test_x2_passes_when_the_consultation_gives_name_and_reason(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela)  # no written hand-off: the words decide
    verdict, evidence = _score_with_legs(call, _with_consult(CONSULT_OK), personas)["X2"]
    assert verdict == PASSED
    assert evidence.startswith(
        "el colega recibió nombre y motivo antes de conectar: «Gabriela, tengo en la línea a "
        "Roberto Sánchez"
    )


def test_x2_fails_when_the_consultation_omits_the_name(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela)
    consult = [("agent", 31.0, 36.0, "Gabriela, te paso una computadora muy lenta desde ayer.")]
    verdict, evidence = _score_with_legs(call, _with_consult(consult), personas)["X2"]
    assert verdict == FAILED
    assert evidence.endswith("sin el nombre de quien llama")


def test_x2_fails_when_the_consultation_omits_the_reason(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela)
    consult = [("agent", 31.0, 34.0, "Gabriela, te paso a Roberto Sánchez, ¿va?")]
    verdict, evidence = _score_with_legs(call, _with_consult(consult), personas)["X2"]
    assert verdict == FAILED
    assert evidence.endswith("sin el motivo")


def test_x2_fails_when_the_colleague_is_told_only_after_connecting(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela)  # connected at 1:00
    consult = [(s, a + 40, b + 40, t) for s, a, b, t in CONSULT_OK]
    verdict, evidence = _score_with_legs(call, _with_consult(consult), personas)["X2"]
    assert (verdict, evidence) == (
        FAILED,
        "transferencia 1: el agente no habló con el colega antes de conectar",
    )


def test_x2_without_consultation_words_or_hand_off_goes_to_a_supervisor(
    make_call, personas, gabriela
):
    call = make_call()
    transfer(call, to_agent=gabriela)
    verdict, evidence = score(call, TRANSFERRED, personas)["X2"]
    assert verdict == PENDING
    assert evidence == (
        "consulta de 25 s sin transcripción ni nota con nombre y motivo: lo revisa un supervisor"
    )


def test_x2_a_blind_transfer_fails_whatever_was_said(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela, kind=TransferKind.BLIND, consult_answered=False)
    verdict, _ = _score_with_legs(call, _with_consult(CONSULT_OK), personas)["X2"]
    assert verdict == FAILED


# --- X3: introduces themself, names the caller, recaps --------------------------------------


def test_x3_passes_a_recap_in_other_words(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela, reason="equipo lento")
    rows = replace(
        TRANSFERRED,
        7,
        "Buenas, señor Sánchez, le atiende Gabriela; me comentan que su compu va lenta.",
    )
    verdict, evidence = score(call, rows, personas)["X3"]
    assert verdict == PASSED, evidence


def test_x3_fails_without_the_recap(make_call, personas, gabriela):
    call = make_call()
    transfer(call, to_agent=gabriela, reason="equipo lento")
    rows = replace(TRANSFERRED, 7, "Hola don Roberto, soy Gabriela. ¿Qué le pasa?")
    verdict, evidence = score(call, rows, personas)["X3"]
    assert verdict == FAILED
    assert evidence.endswith("no resumió el motivo")


# --- H1, H4: from the words -------------------------------------------------------------


def test_h1_passes_a_reason_said_in_other_words(make_call, personas):
    call = make_call()
    hold(call, 20, 55, reason="")
    rows = replace(GOOD, 5, "¿Me permite un momentito? Voy a checar su equipo en el sistema.")
    verdict, evidence = score(call, rows, personas)["H1"]
    assert verdict == PASSED
    assert "Voy a checar su equipo" in evidence


def test_h1_reason_typed_but_not_heard_goes_to_a_supervisor(make_call, personas):
    call = make_call()
    hold(call, 20, 55, reason="consultar el inventario")
    rows = replace(GOOD, 5, "Un momento, por favor.")
    verdict, evidence = score(call, rows, personas)["H1"]
    assert verdict == PENDING
    assert "motivo anotado («consultar el inventario») pero no se oye" in evidence


@pytest.mark.parametrize(
    "resume",
    [
        "Roberto, disculpe la demora, ya lo encontré.",
        "Don Roberto, gracias por su paciencia.",
        "Perdona la espera, Roberto.",
        "Roberto, le agradezco su paciencia.",
        "Señor Sánchez, gracias por aguardar en línea.",  # Argentina
        "Roberto, perdón por la tardanza.",
        "Roberto, muchas gracias por esperar.",
    ],
)
def test_h4_passes_the_usual_ways_to_thank_for_waiting(good_call_factory, personas, resume):
    call = good_call_factory()
    verdict, evidence = score(call, replace(GOOD, 6, resume), personas)["H4"]
    assert verdict == PASSED, evidence


def test_h4_fails_without_thanks_even_with_the_name(good_call_factory, personas):
    call = good_call_factory()
    verdict, evidence = score(
        call, replace(GOOD, 6, "Roberto, ya encontré el problema."), personas
    )["H4"]
    assert verdict == FAILED
    assert "sin «gracias por su espera»" in evidence
    assert "sin el nombre" not in evidence


@pytest.fixture
def good_call_factory(make_call):
    def build():
        call = make_call()
        hold(call, 20, 55)
        return call

    return build


# --- C1, C2: closing and the pause after it ---------------------------------------------


@pytest.mark.parametrize(
    "closing",
    [
        "Gracias por comunicarte, te atendió Blanca.",
        "Le agradezco su llamada, mi nombre es Blanca, que tenga buen día.",
        "Muchas gracias por llamar a la mesa de ayuda; le atendió Blanca. ¡Hasta luego!",
    ],
)
def test_c1_passes_the_usual_closings(good_call_factory, personas, closing):
    verdict, evidence = score(good_call_factory(), replace(GOOD, 8, closing), personas)["C1"]
    assert verdict == PASSED, evidence


def test_c2_fails_when_the_agent_hangs_up_right_after_the_farewell(make_call, personas):
    call = make_call(talk=114.5, hangup_by=Party.AGENT)  # farewell ends at 1:54.0
    assert score(call, GOOD, personas)["C2"] == (
        FAILED,
        "colgó sin pausa: 0.5 s entre la despedida (1:50) y el fin de la llamada",
    )


def test_c2_passes_when_the_caller_answers_the_farewell(make_call, personas):
    call = make_call(talk=116, hangup_by=Party.AGENT)
    rows = [*GOOD, ("caller", 114.2, 115.5, "Gracias, igualmente.")]
    verdict, evidence = score(call, rows, personas)["C2"]
    assert verdict == PASSED
    assert evidence.startswith("quien llama respondió tras la despedida")


def test_c2_short_pause_with_unknown_hangup_goes_to_a_supervisor(make_call, personas):
    call = make_call(talk=114.5, hangup_by=Party.UNKNOWN)
    verdict, evidence = score(call, GOOD, personas)["C2"]
    assert verdict == PENDING
    assert evidence.endswith("no se sabe quién colgó; lo revisa un supervisor")


def test_c2_does_not_apply_without_transcript(make_call, personas):
    assert score(make_call(), None, personas)["C2"] == (NA, "sin transcripción")


# --- D3 without punctuation, D4 plurals -------------------------------------------------


def test_d3_recognises_unpunctuated_questions(good_call_factory, personas):
    rows = replace(GOOD, 4, "y cuánto tarda eso")
    rows = replace(rows, 5, "qué le parece a usted")
    verdict, evidence = score(good_call_factory(), rows, personas)["D3"]
    assert verdict == FAILED
    assert "respondió con otra pregunta" in evidence


def test_d4_finds_plurals_of_glossary_terms(good_call_factory, personas):
    qa.ensure_default_glossary()
    rows = replace(GOOD, 5, "Unos minutos, voy a actualizar los drivers.")
    verdict, evidence = score(good_call_factory(), rows, personas)["D4"]
    assert verdict == FAILED
    assert "«driver» (0:16)" in evidence
