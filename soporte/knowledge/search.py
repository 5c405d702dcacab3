"""Spanish search terms, computed in Python so SQLite and PostgreSQL give the same answers.

`terms(text)` folds case and accents ("Impresión" → "impresion"), drops Spanish stop words,
stems each word with the Snowball Spanish stemmer ("impresoras" → "impresor") and maps the
stems of one word family to a single root ("imprimir", "impresión", "impresora" → "imprim"):
Snowball joins inflections but not derivations whose root changes spelling, and a customer
writes "no imprime" about an article titled "La impresora no saca hojas".

Articles and posts store their terms (`ArticleTerm`, `PostTerm`); a query is the same function
on the typed words and an indexed `term IN (…)`, ranked by the matched terms' weights.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter

import snowballstemmer

TERM_MAX = 40  # characters of a stored term (a stem is rarely half of that)

QUERY_MAX = 300  # characters of a typed query that are read
QUERY_TERMS_MAX = 12

_WORD = re.compile(r"[a-z0-9ñ]+")

# Common Spanish words that say nothing about a problem (folded, before stemming).
_STOP_TEXT = """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun cada como con contra
    cual cuando de del desde donde dos el ella ellas ellos en entre era es esa esas ese eso esos
    esta estaba estan estar este esto estos fue ha hace hay la las le les lo los mas me mi mis
    muy nada ni no nos o otra otro para pero poco por porque que se sea ser si sin sobre solo
    son su sus tambien tengo tiene todo todos tu un una unas uno unos y ya yo usted ustedes
    favor hola buenos buenas dias tardes noches gracias
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

# Word families whose stems Snowball keeps apart, each mapped to one root: (root, prefixes of
# folded stems). The desk's vocabulary: printing, connecting, installing, heating, starting.
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("imprim", ("imprim", "impres")),
    ("conect", ("conect", "conexion")),
    ("instal", ("instal",)),
    ("calent", ("calent", "calient", "calor", "sobrecalent", "sobrecalient")),
    ("encend", ("encend", "encien", "arranc", "arranq")),
    ("lent", ("lent", "lentitud")),
    ("respald", ("respald", "backup")),
    ("contrasen", ("contrasen", "password", "clave")),
    ("perd", ("perd", "pierd", "perdid")),
    ("actualiz", ("actualiz",)),
)


def fold(text: str) -> str:
    """Lower case without accents, keeping ñ (a different letter in Spanish)."""
    text = text.lower().replace("ñ", "\0")
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return text.replace("\0", "ñ")


@functools.lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("spanish")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The search root of one folded word."""
    stemmed = fold(_stemmer().stemWord(word))
    for root, prefixes in FAMILIES:
        if stemmed.startswith(prefixes):
            return root
    return stemmed[:TERM_MAX]


def partial_roots(word: str) -> list[str]:
    """Roots an unfinished word may become ("impre" → "imprim"), for prefix matching."""
    stemmed = stem(word)
    folded = fold(word)
    roots = [root for root, prefixes in FAMILIES if any(p.startswith(folded) for p in prefixes)]
    return [stemmed, *(r for r in roots if r != stemmed)]


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if len(w) > 1 and w not in STOP_WORDS]


def terms(text: str) -> list[str]:
    """The roots of a text's meaningful words, in order, repeated as often as they occur."""
    return [stem(word) for word in words(text)]


def weighted_terms(*, heading: str, body: str) -> dict[str, int]:
    """Terms of a document and their weight: 3 when in the title or tags, else 1."""
    weights: dict[str, int] = dict.fromkeys(terms(body), 1)
    for term in terms(heading):
        weights[term] = 3
    return weights


def query_terms(query: str) -> list[str]:
    """The distinct roots of a typed query (its first `QUERY_MAX` characters)."""
    seen = Counter(terms(query[:QUERY_MAX]))
    return list(seen)[:QUERY_TERMS_MAX]
