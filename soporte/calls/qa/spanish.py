"""Spoken Spanish for the text rules: one normal form for what callers and agents say, and
the recognisers of the acts the rules listen for (greeting, asking the name, thanking for
waiting, announcing a transfer, closing…), each a list of plain phrases.

Normal form (`normalise`): lower case, no accents, no punctuation, then word by word:
contractions and chat spellings written out ("pa'" → "para", "porfa" → "por favor"),
the familiar and voseo forms turned into the "usted" form the desk uses ("¿cómo te llamas?"
and "¿cómo se llama?" compare equal in the verbs; "podés" → "puede"; "ayudarte" →
"ayudarle"), diminutives and regional words of Mexico, Spain and South America mapped to one
word ("ahorita" → "ahora", "momentito" → "momento", "buen día" → "buenos días",
"ordenador" → "computadora"), and fillers dropped ("eh", "mmm"). Phrases go through the same
normal form, so a phrase written in any of these forms matches all of them.

A phrase is plain words, plus two wildcards a supervisor can use when editing the lists:
`*` is exactly one word ("me * su nombre": "me da su nombre", "me regala su nombre") and
`…` (or `...`) is up to four words ("gracias … espera": "gracias por su amable espera").
Words in parentheses separated by `|` are alternatives ("(le|lo|la) atiende").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

# --- Normal form ----------------------------------------------------------------------------

# Word → replacement (one or more words, or "" to drop it). Keys are already folded.
WORDS: dict[str, str] = {
    # Contractions, chat spellings and abbreviations.
    "pa": "para",
    "pal": "para el",
    "pa'l": "para el",
    "q": "que",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "x": "por",
    "porfa": "por favor",
    "porfis": "por favor",
    "xfa": "por favor",
    "xfavor": "por favor",
    "plis": "por favor",
    "ud": "usted",
    "uds": "ustedes",
    "vd": "usted",
    "sr": "senor",
    "sra": "senora",
    "srta": "senorita",
    "tmb": "tambien",
    "tb": "tambien",
    "toy": "estoy",
    "tamos": "estamos",
    "ta": "esta",
    "tas": "esta",
    "ora": "ahora",
    "na": "nada",
    "d": "de",
    "dnd": "donde",
    "grax": "gracias",
    # Familiar (tú) and voseo (vos) → usted.
    "tu": "su",
    "tus": "sus",
    "te": "le",
    "ti": "usted",
    "vos": "usted",
    "contigo": "con usted",
    "puedes": "puede",
    "podes": "puede",
    "podrias": "podria",
    "quieres": "quiere",
    "queres": "quiere",
    "quisieras": "quisiera",
    "prefieres": "prefiere",
    "preferis": "prefiere",
    "tienes": "tiene",
    "tenes": "tiene",
    "das": "da",
    "dices": "dice",
    "decis": "dice",
    "dime": "digame",
    "deci": "digame",
    "decime": "digame",
    "permites": "permite",
    "permitis": "permite",
    "permiteme": "permitame",
    "permitime": "permitame",
    "regalas": "regala",
    "regalarias": "regalaria",
    "facilitas": "facilita",
    "indicas": "indica",
    "proporcionas": "proporciona",
    "confirmas": "confirma",
    "llamas": "llama",
    "comentas": "comenta",
    "cuentas": "cuenta",
    "cuentame": "cuenteme",
    "contame": "cuenteme",
    "esperas": "espera",
    "aguarde": "espere",
    "aguarda": "espere",
    "aguardar": "esperar",
    "aguardo": "espero",
    "aguardando": "esperando",
    "eres": "es",
    "estas": "esta",
    "sabes": "sabe",
    "necesitas": "necesita",
    "ayudarte": "ayudarle",
    "atenderte": "atenderle",
    "atenderlo": "atenderle",
    "atenderla": "atenderle",
    "ayudarlo": "ayudarle",
    "ayudarla": "ayudarle",
    "transferirte": "transferirle",
    "transferirlo": "transferirle",
    "transferirla": "transferirle",
    "pasarte": "pasarle",
    "pasarlo": "pasarle",
    "pasarla": "pasarle",
    "comunicarte": "comunicarse",
    "contactarte": "contactarse",
    "comunicarlo": "comunicarle",
    "comunicarla": "comunicarle",
    "conectarte": "conectarle",
    "conectarlo": "conectarle",
    "conectarla": "conectarle",
    "llamarte": "llamarle",
    "llamarlo": "llamarle",
    "llamarla": "llamarle",
    "devolverte": "devolverle",
    "esperarte": "esperarle",
    "ponerte": "ponerle",
    "ponerlo": "ponerle",
    "ponerla": "ponerle",
    "dejarte": "dejarle",
    "dejarlo": "dejarle",
    "dejarla": "dejarle",
    "molestarte": "molestarle",
    "disculpa": "disculpe",
    "perdona": "perdone",
    "discúlpame": "disculpeme",
    "disculpame": "disculpeme",
    "perdoname": "perdoneme",
    "tengas": "tenga",
    "haberte": "haberle",
    "haberlo": "haberle",
    "haberla": "haberle",
    "comunicaste": "comunico",
    "llamaste": "llamo",
    "esperaste": "espero",
    # Diminutives and regional words (Mexico, Spain, South America).
    "ahorita": "ahora",
    "ahoritita": "ahora",
    "momentito": "momento",
    "momentico": "momento",
    "momentin": "momento",
    "segundito": "segundo",
    "minutito": "minuto",
    "ratito": "rato",
    "tantito": "momento",
    "ordenador": "computadora",
    "ordenadores": "computadoras",
    "computador": "computadora",
    "computadores": "computadoras",
    "compu": "computadora",
    "movil": "celular",
    "mobil": "celular",
    "uste": "usted",
    "ustedes": "usted",
    # Fillers.
    "eh": "",
    "ehh": "",
    "ehm": "",
    "em": "",
    "mmm": "",
    "mm": "",
    "hmm": "",
}

# Several words → one form, applied after the word map.
PHRASES: tuple[tuple[str, str], ...] = (
    ("buen dia", "buenos dias"),
    ("buenos dia", "buenos dias"),
    ("buena tarde", "buenas tardes"),
    ("buena noche", "buenas noches"),
    ("muy buenos dias", "buenos dias"),
    ("muy buenas tardes", "buenas tardes"),
    ("muy buenas noches", "buenas noches"),
    ("mil gracias", "muchas gracias"),
    ("o sea", ""),
    ("a ver", ""),
)


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "¿Cuál es?" → "cual es"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


_FOLDED_WORDS = {fold(k): v for k, v in WORDS.items() if " " not in k}
_PHRASE_RES = tuple((re.compile(rf"(?<!\w){re.escape(a)}(?!\w)"), b) for a, b in PHRASES if a != b)


def normalise(text: str) -> str:
    """The normal form the recognisers compare (see the module's docstring)."""
    words = (_FOLDED_WORDS.get(w, w) for w in fold(text).split())
    out = " ".join(w for w in words if w)
    for pattern, replacement in _PHRASE_RES:
        out = pattern.sub(replacement, out)
    return " ".join(out.split())


# --- Phrases --------------------------------------------------------------------------------

MAX_PHRASE_LENGTH = 200  # a phrase is a few words (and alternatives), not a paragraph


_GAP = "(?:\\w+ ){0,4}"  # "…": up to four words
_TOKEN = re.compile(r"[^\s()…*]*\([^)]*\)[^\s()…*]*|…|\*|[^\s(…*]+")


def _compile_phrase(phrase: str) -> str:
    """One phrase → a regular expression on normal-form text (see the module's docstring)."""
    parts: list[str] = []
    for piece in _TOKEN.findall(phrase.replace("...", " … ")):
        if piece == "*":
            parts.append(r"\w+")
        elif piece == "…":
            parts.append(_GAP)
        elif "(" in piece:
            prefix, rest = piece.split("(", 1)
            inside, suffix = rest.split(")", 1)
            options = {normalise(prefix + o + suffix) for o in inside.split("|")}
            options.discard("")
            if options:
                alternatives = sorted(options, key=lambda o: (-len(o), o))
                parts.append("(?:" + "|".join(re.escape(o) for o in alternatives) + ")")
        else:
            word = normalise(piece)
            if word:
                parts.append(re.escape(word))
    regex, gap = "", False
    for part in parts:
        if part == _GAP:
            gap = bool(regex)
            continue
        if regex:
            regex += " " + (_GAP if gap else "")
        regex += part
        gap = False
    return rf"(?<!\w){regex}(?!\w)" if regex else ""


@lru_cache(maxsize=4096)
def phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    source = _compile_phrase(phrase)
    return re.compile(source) if source else None


def valid_phrase(phrase: str) -> bool:
    """A phrase the desk may store: short, with at least one word, balanced alternatives."""
    if not phrase.strip() or len(phrase) > MAX_PHRASE_LENGTH:
        return False
    if phrase.count("(") != phrase.count(")"):
        return False
    source = _compile_phrase(phrase)
    return bool(source) and re.search(r"\w", normalise(phrase.replace("*", ""))) is not None


@dataclass(frozen=True)
class Found:
    phrase: str  # the phrase of the list that matched
    words: str  # the words of the normal form it matched


def find(normal: str, phrases: Iterable[str]) -> Found | None:
    """The first phrase of `phrases` found in `normal` (text already in normal form)."""
    for phrase in phrases:
        pattern = phrase_pattern(phrase)
        if pattern is None:
            continue
        match = pattern.search(normal)
        if match:
            return Found(phrase, match.group(0))
    return None


def says(normal: str, phrases: Iterable[str]) -> bool:
    return find(normal, phrases) is not None


def mentions(normal: str, word: str) -> bool:
    """Whole-word search of one word or name (any form) in normal-form text."""
    needle = normalise(word)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", normal) is not None


# --- The acts and their default phrases -----------------------------------------------------
#
# Written from the seed's rules (DESIGN.md §1) and how people say them on the phone in
# Mexico, Spain and South America; the desk adds its own on the QA phrases page.


@dataclass(frozen=True)
class Act:
    code: str
    rule: str  # the rule that listens for it
    label: str  # Spanish, shown on the phrases page (translated there)
    phrases: tuple[str, ...]
    # Words that look like the act and are not ("que tenga buen día" is a farewell): blanked
    # out before the phrases are searched.
    exclude: tuple[str, ...] = ()


def recognise(normal: str, act: Act, phrases: Iterable[str] | None = None) -> Found | None:
    """The act in normal-form text, with the act's exclusions taken out first."""
    for phrase in act.exclude:
        pattern = phrase_pattern(phrase)
        if pattern is not None:
            normal = " ".join(pattern.sub(" ", normal).split())
    return find(normal, act.phrases if phrases is None else phrases)


# Farewells that wish a good day, afternoon or night: not a greeting.
FAREWELL_WISHES = ("(tenga|pase|pasen|tengan|disfrute) … (dias|tardes|noches|dia|tarde|noche)",)


GREETING_MORNING = Act(
    "greeting_morning",
    "T2",
    "Saludo de la mañana",
    ("buenos dias", "buen dia", "feliz dia"),
    FAREWELL_WISHES,
)
GREETING_AFTERNOON = Act(
    "greeting_afternoon",
    "T2",
    "Saludo de la tarde",
    ("buenas tardes", "feliz tarde"),
    FAREWELL_WISHES,
)
GREETING_EVENING = Act(
    "greeting_evening",
    "T2",
    "Saludo de la noche",
    ("buenas noches", "feliz noche"),
    FAREWELL_WISHES,
)
# A greeting that does not say the time of day: unsure, a supervisor decides.
GREETING_NEUTRAL = Act(
    "greeting_neutral",
    "T2",
    "Saludo sin hora del día",
    ("buenas", "hola", "que tal", "saludos", "bienvenido", "bienvenida"),
)
OFFER_HELP = Act(
    "offer_help",
    "T2",
    "Ofrecer ayuda",
    (
        "en que (le|lo|la) * ayudar",
        "en que (le|lo|la) ayudo",
        "en que (le|lo|la) * servir",
        "en que (le|lo|la) sirvo",
        "en que * ayudar(le|lo|la)",
        "en que * servir(le|lo|la)",
        "como (le|lo|la) * ayudar",
        "como (le|lo|la) ayudo",
        "como * ayudar(le|lo|la)",
        "en que * ayudarle",
        "en que * servirle",
        "que se (le|les) ofrece",
        "en que (le|lo|la) * ser util",
        "en que puedo ser(le|les) util",
        "digame",
        "cuenteme",
        "en que (le|lo|la) * apoyar",
        "en que (le|lo|la) apoyo",
        "en que * apoyar(le|lo|la)",
        "le escucho",
        "que necesita",
        "que (le|lo|la) trae por aqui",
        "en que * atender(le|lo|la)",
    ),
)
SELF_INTRODUCTION = Act(
    "self_introduction",
    "X3",
    "Presentarse",
    (
        "(le|lo|la) atiende",
        "(le|lo|la) habla",
        "habla",
        "al habla",
        "mi nombre es",
        "me llamo",
        "soy",
        "(le|lo|la) saluda",
        "esta hablando con",
        "con usted",
        "(le|lo|la) va a atender",
        "(le|lo|la) voy a atender",
        "(le|lo|la) voy a ayudar",
        "(le|lo|la) atendera",
    ),
)
NAME_REQUEST = Act(
    "name_request",
    "T3",
    "Preguntar el nombre",
    (
        "con quien tengo el gusto",
        "con quien tengo el placer",
        "con quien hablo",
        "con quien * hablando",
        "quien habla",
        "de parte de quien",
        "cual es su nombre",
        "como se llama",
        "como le llama",
        "como (le|lo|la) * llamar",
        "como (le|lo|la) puedo llamar",
        "me * su nombre",
        "me * * su nombre",
        "me (permite|regala|da|dice|facilita|indica|proporciona|confirma|deja) su nombre",
        "su nombre por favor",
        "su nombre completo",
        "su nombre y apellido",
        "nombre y apellido",
        "a nombre de quien",
        "a quien tengo el gusto de atender",
        "a quien * atendiendo",
        "me podria decir como se llama",
        "puedo saber su nombre",
        "puedo tener su nombre",
        "me deletrea su nombre",
        "deletrear su nombre",
        "quien (le|lo|la) llama",
        "quien llama",
        "con quien * el gusto",
    ),
)
HOLD_ANNOUNCE = Act(
    "hold_announce",
    "H1",
    "Anunciar la espera",
    (
        "en espera",
        "(le|lo|la) * en espera",
        "permitame un momento",
        "permitame un segundo",
        "permitame un minuto",
        "permitame",
        "me permite un momento",
        "me permite un segundo",
        "me permite un minuto",
        "me permite ponerle en espera",
        "espere un momento",
        "espere un segundo",
        "espere un minuto",
        "un momento por favor",
        "un segundo por favor",
        "un minuto por favor",
        "no cuelgue",
        "no se retire",
        "no (le|lo|la) cuelgo",
        "manténgase en la línea",
        "mantengase en linea",
        "me da un momento",
        "me regala un momento",
        "deme un momento",
        "dame un momento",
        "me espera un momento",
        "me espera un segundo",
        "me aguarda un momento",
        "le voy a pedir que espere",
        "le pido que espere",
        "un momento",
        "le dejo en espera",
        "le pongo en espera",
    ),
)
# Why the hold: the agent says what they will do during it.
HOLD_REASON = Act(
    "hold_reason",
    "H1",
    "Decir el motivo de la espera",
    (
        "para (revisar|consultar|verificar|comprobar|buscar|checar|chequear|validar|confirmar|preguntar|ver|mirar|revisarlo|consultarlo)",
        "mientras (reviso|consulto|verifico|compruebo|busco|checo|chequeo|valido|confirmo|pregunto|miro|veo)",
        "mientras * (reviso|consulto|verifico|compruebo|busco|checo|chequeo|valido|confirmo|pregunto|miro|veo)",
        "voy a (revisar|consultar|verificar|comprobar|buscar|checar|chequear|validar|confirmar|preguntar|ver|mirar)",
        "necesito (revisar|consultar|verificar|comprobar|buscar|checar|chequear|validar|confirmar|preguntar|ver|mirar)",
        "tengo que (revisar|consultar|verificar|comprobar|buscar|checar|chequear|validar|confirmar|preguntar|ver|mirar)",
        "(reviso|consulto|verifico|compruebo|busco|checo|chequeo|valido|confirmo|pregunto|miro)",
        "(estoy|estamos|sigo|seguimos) (revisando|consultando|verificando|comprobando|buscando|checando|chequeando|validando|confirmando|preguntando|mirando|viendo)",
        "porque",
        "ya que",
        "para atenderle",
        "para que",
    ),
)
# H4: thanking (or apologising) for the wait when taking the caller back.
RESUME_THANKS = Act(
    "resume_thanks",
    "H4",
    "Agradecer la espera",
    (
        "gracias … espera",
        "gracias por esperar",
        "gracias por esperarme",
        "gracias por esperarnos",
        "gracias por aguardar",
        "gracias … paciencia",
        "gracias … tiempo de espera",
        "gracias por la espera",
        "gracias por mantenerse en (la linea|linea)",
        "gracias por seguir en (la linea|linea)",
        "gracias por permanecer en (la linea|linea)",
        "gracias por continuar en (la linea|linea)",
        "disculpe la espera",
        "disculpe la demora",
        "disculpe la tardanza",
        "disculpe que (le|lo|la) * esperar",
        "disculpe … espera",
        "disculpe … demora",
        "perdone la espera",
        "perdone la demora",
        "perdone la tardanza",
        "perdon por la espera",
        "perdon por la demora",
        "perdon por la tardanza",
        "perdon … espera",
        "siento la espera",
        "siento la demora",
        "siento haber(le|lo|la) hecho esperar",
        "hecho esperar",
        "lamento la espera",
        "lamento la demora",
        "lamento haber(le|lo|la) hecho esperar",
        "agradezco su espera",
        "agradezco su paciencia",
        "le agradezco la espera",
        "le agradezco * espera",
        "le agradezco * paciencia",
        "le agradezco que * esperado",
        "muy amable por esperar",
    ),
)
# T4: the agent tells the caller they will be transferred…
TRANSFER_ANNOUNCE = Act(
    "transfer_announce",
    "T4",
    "Avisar la transferencia",
    (
        "(le|lo|la) voy a transferir",
        "(le|lo|la) transfiero",
        "(le|lo|la) vamos a transferir",
        "(le|lo|la) * a transferir",
        "voy a transferir(le|lo|la)",
        "vamos a transferir(le|lo|la)",
        "transferir(le|lo|la)",
        "(le|lo|la) voy a comunicar",
        "(le|lo|la) comunico",
        "voy a comunicar(le|lo|la)",
        "comunicar(le|lo|la) con",
        "(le|lo|la) voy a pasar",
        "(le|lo|la) paso con",
        "(le|lo|la) paso la llamada",
        "voy a pasar(le|lo|la)",
        "pasar(le|lo|la) con",
        "(le|lo|la) voy a poner con",
        "(le|lo|la) pongo con",
        "(le|lo|la) voy a derivar",
        "(le|lo|la) derivo",
        "derivar(le|lo|la)",
        "(le|lo|la) voy a conectar",
        "(le|lo|la) conecto",
        "conectar(le|lo|la) con",
        "(le|lo|la) voy a enlazar",
        "(le|lo|la) enlazo",
        "(le|lo|la) voy a canalizar",
        "(le|lo|la) canalizo",
        "(le|lo|la) voy a remitir",
        "(le|lo|la) remito",
        "(le|lo|la) va a atender mi (companero|companera|colega)",
        "(le|lo|la) atendera mi (companero|companera|colega)",
        "mi (companero|companera|colega) (le|lo|la) va a atender",
        "mi (companero|companera|colega) (le|lo|la) atendera",
        "transferencia",
    ),
)
# …and why: the colleague's speciality or what the caller needs from them.
TRANSFER_REASON = Act(
    "transfer_reason",
    "T4",
    "Decir por qué se transfiere",
    (
        "porque",
        "ya que",
        "debido a",
        "para que",
        "para (revisar|resolver|atender|ver|solucionar|reparar|configurar)",
        "especialista",
        "experto",
        "experta",
        "quien (se encarga|ve|lleva|atiende|maneja|resuelve|revisa|puede)",
        "que (se encarga|ve|lleva|atiende|maneja|resuelve|revisa|puede)",
        "es quien",
        "nivel",
        "area de",
        "departamento de",
        "encargado",
        "encargada",
        "responsable de",
        "sabe mas de",
        "conoce",
    ),
)
# X3: the receiving agent recaps what they were told.
RECAP = Act(
    "recap",
    "X3",
    "Resumir el caso al recibir",
    (
        "entiendo que",
        "tengo entendido que",
        "me (comenta|comentan|comento|comentaron) que",
        "me (cuenta|cuentan|conto|contaron) que",
        "me (dice|dicen|dijo|dijeron) que",
        "me (informa|informan|informo|informaron) que",
        "me (explica|explican|explico|explicaron) que",
        "me (pasa|pasan|paso|pasaron) su caso",
        "me (indica|indican|indico|indicaron) que",
        "me (avisa|avisan|aviso|avisaron) que",
        "segun me (comenta|comentan|cuenta|cuentan|dice|dicen|informan|indican)",
        "ya me (comento|comentaron|conto|contaron|explico|explicaron|paso|pasaron)",
        "ya (se|conozco|tengo) (su caso|el caso|los datos)",
        "por lo que veo",
        "veo que",
        "su caso es",
        "el problema es",
        "tiene un problema con",
        "llama por",
    ),
)
# C1: thanks for calling…
CLOSING_THANKS = Act(
    "closing_thanks",
    "C1",
    "Agradecer la llamada",
    (
        "gracias por (llamar|llamarnos|su llamada|la llamada|comunicarse|comunicarnos|contactarnos|contactar|contactarse|preferirnos|elegirnos|confiar|su confianza|su preferencia)",
        "gracias por (haber|haberse|habernos) (llamado|comunicado|contactado)",
        "gracias por haber llamado",
        "gracias por haberse comunicado",
        "gracias por haber(nos)? contactado",
        "gracias por comunicarse con nosotros",
        "agradecemos su llamada",
        "agradezco su llamada",
        "le agradezco (su llamada|la llamada|que * llamado|haber llamado)",
        "le agradecemos (su llamada|la llamada|que * llamado)",
        "gracias a usted por llamar",
        "gracias por su tiempo",
        "gracias por (su|la) paciencia y por llamar",
        "gracias por usar",
        "gracias por su comunicacion",
    ),
)
ACTS: dict[str, Act] = {
    a.code: a
    for a in (
        GREETING_MORNING,
        GREETING_AFTERNOON,
        GREETING_EVENING,
        GREETING_NEUTRAL,
        OFFER_HELP,
        SELF_INTRODUCTION,
        NAME_REQUEST,
        HOLD_ANNOUNCE,
        HOLD_REASON,
        RESUME_THANKS,
        TRANSFER_ANNOUNCE,
        TRANSFER_REASON,
        RECAP,
        CLOSING_THANKS,
    )
}

# --- Questions (D3) -------------------------------------------------------------------------

# Without "¿?" (speech-to-text often leaves them out), a sentence opening with one of these
# is a question.
QUESTION_OPENERS = (
    "que",
    "quien",
    "quienes",
    "como",
    "cuando",
    "donde",
    "adonde",
    "cual",
    "cuales",
    "cuanto",
    "cuanta",
    "cuantos",
    "cuantas",
    "por que",
    "para que",
    "acaso",
    "sera que",
    "me puede",
    "me podria",
    "puede usted",
    "podria usted",
    "usted cree",
    "no sera",
    "es posible",
    "hay alguna",
    "hay algun",
    "tardara",
    "tarda",
)

# Words a spoken question may open with before its question word ("y cuánto tarda").
QUESTION_LEADS = frozenset({"y", "e", "pero", "entonces", "oiga", "oye", "mire", "bueno", "pues"})


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"[^.!?…]+[.!?…]*", text) if fold(s)]


def sentence_is_question(sentence: str) -> bool:
    """A sentence asks something: it ends in "?", or (unpunctuated) opens like a question."""
    if sentence.endswith("?") or sentence.lstrip().startswith("¿"):
        return True
    if sentence.endswith((".", "!", "…")):
        return False
    words = normalise(sentence).split()
    while words and words[0] in QUESTION_LEADS:
        words = words[1:]
    normal = " ".join(words)
    return any(normal == o or normal.startswith(o + " ") for o in QUESTION_OPENERS)


def is_question(text: str) -> bool:
    parts = _sentences(text)
    return bool(parts) and sentence_is_question(parts[-1])


def only_questions(text: str) -> bool:
    parts = _sentences(text)
    return bool(parts) and all(sentence_is_question(p) for p in parts)


# --- The caller's need (T3's order) ---------------------------------------------------------

# Words that are only greetings, answers to a greeting or backchannel, not the need.
SMALL_TALK = frozenset(
    normalise(w)
    for w in [
        "hola",
        "buenos",
        "dias",
        "buenas",
        "tardes",
        "noches",
        "que",
        "tal",
        "bueno",
        "diga",
        "alo",
        "si",
        "no",
        "gracias",
        "muchas",
        "ajá",
        "aja",
        "claro",
        "ok",
        "vale",
        "sale",
        "okey",
        "de",
        "acuerdo",
        "perfecto",
        "señor",
        "señora",
        "senorita",
        "buen",
        "dia",
        "como",
        "esta",
        "muy",
        "bien",
        "y",
        "usted",
        "mande",
        "oiga",
        "disculpe",
        "perdone",
        "mire",
    ]
)
NEED_MIN_WORDS = 3


def states_need(normal: str) -> bool:
    """A caller's turn that says something beyond greetings and backchannel: the need."""
    content = [w for w in normal.split() if w not in SMALL_TALK]
    return len(content) >= NEED_MIN_WORDS


def content_words(normal: str) -> set[str]:
    """Words that carry meaning (for recaps: the receiver repeats some of the reason)."""
    return {w for w in normal.split() if len(w) > 3 and w not in STOPWORDS}


STOPWORDS = frozenset(
    normalise(w)
    for w in [
        "para",
        "porque",
        "pero",
        "como",
        "cuando",
        "donde",
        "este",
        "esta",
        "estas",
        "estos",
        "estan",
        "esto",
        "eso",
        "esos",
        "esas",
        "ella",
        "ellos",
        "ellas",
        "usted",
        "ustedes",
        "nosotros",
        "tiene",
        "tengo",
        "tienen",
        "hace",
        "hacer",
        "puede",
        "podria",
        "quiere",
        "quiero",
        "necesito",
        "necesita",
        "ahora",
        "desde",
        "hasta",
        "sobre",
        "entre",
        "todo",
        "todos",
        "toda",
        "todas",
        "mucho",
        "muchos",
        "mucha",
        "muchas",
        "poco",
        "algo",
        "nada",
        "bien",
        "buenos",
        "buenas",
        "dias",
        "tardes",
        "noches",
        "gracias",
        "favor",
        "hola",
        "señor",
        "señora",
        "senor",
        "senora",
        "solo",
        "también",
        "tambien",
        "entonces",
        "bueno",
        "claro",
        "sido",
        "estaba",
        "estoy",
        "estamos",
        "había",
        "habia",
        "haber",
        "hemos",
        "mismo",
        "misma",
        "cual",
        "cuales",
        "quien",
        "donde",
        "nivel",
        "caso",
        "llamada",
        "llama",
        "voy",
        "vamos",
        "decir",
        "dice",
        "dijo",
        "entiendo",
    ]
)


def overlap(a: Sequence[str] | set[str], b: Sequence[str] | set[str]) -> set[str]:
    """Shared content words, a word's plural or singular counting as the same."""

    def stem(w: str) -> str:
        return w[:-2] if w.endswith("es") and len(w) > 5 else w[:-1] if w.endswith("s") else w

    return {stem(w) for w in a} & {stem(w) for w in b}
