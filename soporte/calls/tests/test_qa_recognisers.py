"""Recall and precision of each recogniser on hand-written Spanish utterances.

Each family has utterances that perform the act (in Mexican, Peninsular and South American
Spanish, with tú, usted and vos, with and without accents and punctuation) and utterances
that do not (near misses a naive keyword match gets wrong). Written from the seed's rules:
what an agent says to greet, ask the name, put on hold, thank for the wait, announce a
transfer, close the call, and what a question is.
"""

from __future__ import annotations

import pytest

from soporte.calls.qa import DEFAULT_GLOSSARY, spanish
from soporte.calls.qa.spanish import fold, normalise

BAR = 0.95

GREETING_MORNING_YES = [
    "Buenos días, mesa de ayuda.",
    "buenos dias",
    "BUENOS DÍAS, le atiende Carla.",
    "Buen día, habla Martín.",
    "Muy buenos días, soporte técnico.",
    "Hola, buenos días, ¿en qué le ayudo?",
    "Buen dia, te saluda Sofía.",
    "Buenos días tenga usted.",
    "Muy buen día, ¿cómo le puedo ayudar?",
    "Feliz día, le atiende Raúl.",
    "Buenos días, bienvenido a soporte.",
    "buenos días señor",
]
GREETING_AFTERNOON_YES = [
    "Buenas tardes, mesa de ayuda.",
    "buenas tardes",
    "Muy buenas tardes, habla Julia.",
    "Hola, buenas tardes.",
    "BUENAS TARDES, soporte.",
    "Buena tarde, le atiende Pedro.",
    "Feliz tarde, ¿en qué le servimos?",
    "Buenas tardes tenga usted, habla Nora.",
]
GREETING_EVENING_YES = [
    "Buenas noches, mesa de ayuda.",
    "buenas noches",
    "Muy buenas noches, habla Iván.",
    "Hola, buenas noches.",
    "Buena noche, le atiende Eva.",
    "Feliz noche, soporte técnico.",
]
GREETING_NO = [
    "Mesa de ayuda, le atiende Carla.",
    "Hola, ¿en qué le ayudo?",
    "Buenas, habla Martín.",
    "Soporte técnico, dígame.",
    "¿Bueno?",
    "¿Aló?",
    "Diga.",
    "Que tenga buen día.",  # a farewell, not a greeting by time of day
    "Que pase buenas noches.",
    "Los días buenos son pocos.",
    "Le llamo por la tarde.",
    "Mañana en la noche lo reviso.",
]

NAME_YES = [
    "¿Con quién tengo el gusto?",
    "con quien tengo el gusto",
    "¿Con quién hablo?",
    "¿Me permite su nombre, por favor?",
    "¿Me regala su nombre?",
    "¿Me regalas tu nombre?",
    "¿Me da su nombre?",
    "¿Me dice su nombre?",
    "¿Me dices tu nombre?",
    "¿Me facilita su nombre?",
    "¿Me indica su nombre completo?",
    "¿Me proporciona su nombre?",
    "¿Cuál es su nombre?",
    "¿Cuál es tu nombre?",
    "¿Cómo se llama?",
    "¿Cómo te llamas?",
    "¿Y vos cómo te llamás?",
    "¿De parte de quién?",
    "¿Quién habla?",
    "¿A nombre de quién?",
    "¿Me puede dar su nombre?",
    "¿Me podría decir su nombre?",
    "¿Me podrías dar tu nombre?",
    "Su nombre, por favor.",
    "Su nombre completo, por favor.",
    "¿Su nombre y apellido?",
    "¿Me deletrea su nombre, por favor?",
    "¿A quién tengo el gusto de atender?",
    "¿Con quién estoy hablando?",
    "¿Puedo saber su nombre?",
    "¿Me confirma su nombre?",
    "¿Cómo lo puedo llamar?",
    "¿Nombre y apellido, por favor?",
    "¿Me permite su nombre y apellido?",
    "Porfa, ¿me das tu nombre?",
    "¿me dice como se llama",
]
NAME_NO = [
    "Gracias, ya anoté su nombre.",
    "Su nombre aparece en el sistema.",
    "Le atiende Carla.",
    "Me llamo Carla.",
    "¿Cómo se llama el programa que usa?",
    "¿Cuál es su número de empleado?",
    "¿Me da el número de serie?",
    "¿Cuál es su correo?",
    "Mi nombre es Carla.",
    "El nombre de la red es Oficina.",
    "¿Con qué programa abre el archivo?",
    "¿Desde cuándo pasa?",
]

HOLD_REASON_YES = [
    "Permítame un momento mientras reviso su equipo.",
    "Voy a revisar su cuenta, un momento por favor.",
    "Le pongo en espera para consultar con el área de redes.",
    "¿Me permite un momentito? Voy a checar en el sistema.",
    "Un segundo, que estoy verificando su pedido.",
    "Necesito consultar su contrato, ¿puede esperar?",
    "Espere un momento, tengo que buscar su folio.",
    "Aguarde un momento que le confirmo el dato.",
    "Deme un minuto para validar su usuario.",
    "Un momento, por favor, mientras compruebo la conexión.",
    "Le dejo en espera porque debo preguntar a mi supervisor.",
    "Permíteme un segundo, reviso tu equipo.",
    "Dame un momentito, que miro el historial.",
    "Lo pongo en espera ya que tengo que revisar la garantía.",
]
HOLD_REASON_NO = [
    "Un momento, por favor.",
    "Permítame.",
    "No cuelgue.",
    "Espere en la línea.",
    "Le pongo en espera.",
    "Manténgase en la línea.",
    "Ahorita regreso.",
    "Deme un segundo.",
]

RESUME_YES = [
    "Gracias por su espera.",
    "Gracias por su amable espera.",
    "Gracias por esperar.",
    "Muchas gracias por la espera.",
    "Gracias por su paciencia.",
    "Gracias por tu paciencia.",
    "Disculpe la espera.",
    "Disculpe la demora.",
    "Disculpa la tardanza.",
    "Perdone la espera.",
    "Perdón por la demora.",
    "Perdona la espera.",
    "Siento la espera.",
    "Lamento la demora.",
    "Lamento haberle hecho esperar.",
    "Siento haberte hecho esperar.",
    "Le agradezco su paciencia.",
    "Le agradezco la espera.",
    "Gracias por aguardar.",
    "Gracias por mantenerse en la línea.",
    "Gracias por seguir en línea.",
    "Mil gracias por esperar.",
    "Gracias por esperarme.",
    "Agradezco su espera.",
    "Disculpe que lo haya hecho esperar.",
]
RESUME_NO = [
    "Ya encontré el problema.",
    "Listo, ya quedó.",
    "Gracias por llamar.",
    "Espere un momento.",
    "Sigo revisando.",
    "Gracias.",
    "¿Sigue ahí?",
    "La espera es de unos minutos.",
]

TRANSFER_YES = [
    "Le voy a transferir con el área de redes.",
    "Lo transfiero con mi compañera.",
    "Le comunico con soporte de nivel 2.",
    "Te paso con Gabriela.",
    "Le paso con el departamento de facturación.",
    "Lo voy a derivar al área de servidores.",
    "La voy a comunicar con un especialista.",
    "Te voy a pasar con mi compañero.",
    "Le pongo con el técnico.",
    "Le conecto con el área de impresoras.",
    "Voy a transferirle con nivel 3.",
    "Vamos a transferirlo con el especialista.",
    "Le enlazo con la mesa de nivel 2.",
    "La canalizo con el área correspondiente.",
    "Ahorita lo comunico con Gabriela.",
    "Le va a atender mi compañera Gabriela.",
    "Mi compañero lo va a atender.",
    "Le remito con soporte de redes.",
    "te voy a transferir con gabriela",
]
TRANSFER_NO = [
    "Le voy a ayudar yo.",
    "Yo mismo lo reviso.",
    "Le envío el archivo por correo.",
    "Le mando la liga.",
    "Pase a la sucursal.",
    "Le paso el dato: es el 555.",
    "Le comunico que su equipo está listo.",
    "¿Ya le transfirieron el pago?",
]

CLOSING_YES = [
    "Gracias por llamar.",
    "Gracias por su llamada.",
    "Gracias por comunicarse con nosotros.",
    "Gracias por comunicarte.",
    "Muchas gracias por llamar a la mesa de ayuda.",
    "Gracias por contactarnos.",
    "Gracias por preferirnos.",
    "Le agradezco su llamada.",
    "Agradecemos su llamada.",
    "Gracias por haberse comunicado.",
    "Gracias por haber llamado.",
    "Mil gracias por llamar.",
    "Gracias por su preferencia.",
    "Gracias por su confianza.",
]
CLOSING_NO = [
    "Gracias.",
    "Gracias por su espera.",
    "Que tenga buen día.",
    "Hasta luego.",
    "Le llamo más tarde.",
    "¿Algo más en que le pueda ayudar?",
    "Gracias por la información.",
    "Llame cuando quiera.",
]

QUESTION_YES = [
    "¿Cuánto tarda?",
    "¿Me puede ayudar?",
    "cuánto tarda",
    "y cuánto cuesta eso",
    "qué hago ahora",
    "por qué pasa esto",
    "cómo lo reinicio",
    "dónde está el botón",
    "cuándo llega el técnico",
    "¿Sí?",
    "¿Ya quedó?",
    "¿Y eso?",
    "¿Hay alguna forma de recuperar los archivos?",
    "¿Es posible que sea el cable?",
    "Oiga, ¿cuánto tiempo va a tardar?",
    "tardará mucho",
    "¿Usted cree que se arregle hoy?",
    "me podría mandar el enlace",
]
QUESTION_NO = [
    "Unos minutos.",
    "Ya quedó.",
    "Le mando el enlace.",
    "Gracias.",
    "Mi computadora está lenta.",
    "Está en el escritorio.",
    "Llega mañana a las diez.",
    "No sé.",
    "Porque se llenó el disco.",
    "Claro que sí.",
]


def _rates(act, yes, no):
    hits = {u for u in yes + no if spanish.recognise(normalise(u), act)}
    true = hits & set(yes)
    recall = len(true) / len(yes)
    precision = len(true) / len(hits) if hits else 1.0
    return recall, precision, sorted(set(yes) - hits), sorted(hits - set(yes))


@pytest.mark.parametrize(
    ("act", "yes", "no"),
    [
        (spanish.GREETING_MORNING, GREETING_MORNING_YES, GREETING_AFTERNOON_YES + GREETING_NO),
        (spanish.GREETING_AFTERNOON, GREETING_AFTERNOON_YES, GREETING_MORNING_YES + GREETING_NO),
        (spanish.GREETING_EVENING, GREETING_EVENING_YES, GREETING_AFTERNOON_YES + GREETING_NO),
        (spanish.NAME_REQUEST, NAME_YES, NAME_NO),
        (spanish.HOLD_REASON, HOLD_REASON_YES, HOLD_REASON_NO),
        (spanish.RESUME_THANKS, RESUME_YES, RESUME_NO + CLOSING_YES),
        (spanish.TRANSFER_ANNOUNCE, TRANSFER_YES, TRANSFER_NO),
        (spanish.CLOSING_THANKS, CLOSING_YES, CLOSING_NO + RESUME_YES),
    ],
    ids=lambda v: v.code if isinstance(v, spanish.Act) else None,
)
def test_recogniser_recall_and_precision(act, yes, no):
    recall, precision, missed, wrong = _rates(act, yes, no)
    assert recall >= BAR, f"{act.code}: recall {recall:.0%}, missed {missed}"
    assert precision >= BAR, f"{act.code}: precision {precision:.0%}, wrongly heard {wrong}"


def test_question_recall_and_precision():
    heard = {u for u in QUESTION_YES + QUESTION_NO if spanish.is_question(u)}
    recall = len(heard & set(QUESTION_YES)) / len(QUESTION_YES)
    precision = len(heard & set(QUESTION_YES)) / len(heard)
    assert recall >= BAR, sorted(set(QUESTION_YES) - heard)
    assert precision >= BAR, sorted(heard - set(QUESTION_YES))


# --- The normal form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "normal"),
    [
        ("¿Cómo te llamás?", "como le llama"),  # voseo → usted
        ("¿Me das tu nombre, porfa?", "me da su nombre por favor"),  # tú, chat spelling
        ("Buen día, ¿en qué puedo ayudarte?", "buenos dias en que puedo ayudarle"),
        ("Ahorita le paso con el técnico, un momentito", "ahora le paso con el tecnico un momento"),
        ("Eh… mmm, pa' que revise su ordenador", "para que revise su computadora"),
        ("Disculpa la demora, Roberto", "disculpe la demora roberto"),
        ("¿Q pasó? Xq no jala", "que paso porque no jala"),
        ("Aguarde un segundito", "espere un segundo"),
    ],
)
def test_normal_form(said, normal):
    assert normalise(said) == normal


def test_fold_strips_accents_case_and_punctuation():
    assert fold("¿Cuál es SU nombre, señora Núñez?") == "cual es su nombre senora nunez"


@pytest.mark.parametrize(
    ("phrase", "said", "found"),
    [
        ("me * su nombre", "¿Me regala su nombre?", True),
        ("me * su nombre", "¿Me puede dar su nombre?", False),  # * is exactly one word
        ("gracias … espera", "Gracias por su muy amable espera", True),
        ("gracias … espera", "Gracias. Ahora, sobre el tiempo de la tarea y la espera", False),
        ("(le|lo|la) atiende", "La atiende Carla", True),
        ("ayudar(le|lo)", "para ayudarlo", True),
        ("en espera", "enespera", False),  # whole words only
    ],
)
def test_phrase_syntax(phrase, said, found):
    assert spanish.says(normalise(said), [phrase]) is found


def test_every_default_phrase_is_valid_and_invalid_ones_are_refused():
    for act in spanish.ACTS.values():
        for phrase in act.phrases:
            assert spanish.valid_phrase(phrase), (act.code, phrase)
    assert not spanish.valid_phrase("")
    assert not spanish.valid_phrase("* …")
    assert not spanish.valid_phrase("(le|lo")
    assert not spanish.valid_phrase("x" * 201)


def test_the_default_glossary_has_at_least_150_distinct_terms_with_plain_words():
    terms = {fold(t) for t, _ in DEFAULT_GLOSSARY}
    assert len(terms) == len(DEFAULT_GLOSSARY) >= 150
    assert all(plain.strip() for _, plain in DEFAULT_GLOSSARY)
