"""The triage model itself: Spanish text in, a suggested level, area and priority out, with the
words that led there. Pure Python and scikit-learn: no Django, no database, nothing downloaded.

Features are two TF-IDF views of the same request, both accent-folded and lower-cased:

- words reduced to their Snowball stems, single and in pairs ("no respond", "servidor"), so
  "responde", "respondía" and "respondio" are one feature;
- character n-grams (3 to 5, inside word boundaries), so a misspelling such as "serbidor" or
  "conputadora" still shares most of its pieces with the right word.

One logistic regression (fitted by SGD) per question (level, area, priority) reads them. Keyword rules decide
the clear cases first (the seed's four examples among them): a rule is a phrase whose meaning
the desk does not want a statistical model to argue with.
"""

from __future__ import annotations

import functools
import itertools
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import snowballstemmer
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

DATA_DIR = Path(__file__).parent / "data"
LEVELS = (1, 2, 3, 4)
# Every input has a limit: a request longer than this is judged on its beginning (the subject
# and the first paragraphs carry the symptom).
MAX_TEXT = 2000
ENGINE_VERSION = 1  # bump when the features change: a stored model of another version retrains

_TOKEN = re.compile(r"[a-zñ0-9]+")
_STEMMER = snowballstemmer.stemmer("spanish")
# Words that say nothing about the level; stems of the rest carry the meaning.
_STOP = frozenset(
    [
        "a",
        "al",
        "con",
        "de",
        "del",
        "el",
        "en",
        "es",
        "esta",
        "la",
        "las",
        "le",
        "lo",
        "los",
        "me",
        "mi",
        "mis",
        "muy",
        "nos",
        "para",
        "por",
        "que",
        "se",
        "su",
        "sus",
        "un",
        "una",
        "y",
        "ya",
        "o",
        "u",
        "hola",
        "buenas",
        "buenos",
        "dias",
        "tardes",
        "noches",
        "gracias",
        "favor",
        "saludos",
    ]
)


def fold(text: str) -> str:
    """Lower-case, accents removed (ñ kept: "año" is not "ano"), spaces collapsed."""
    text = text[:MAX_TEXT].lower().replace("ñ", "\0")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.replace("\0", "ñ").split())


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """The folded words of a request, in order (stop words kept: "no" matters)."""
    return _TOKEN.findall(fold(text))


def stem_features(folded: str) -> list[str]:
    """The word view of a folded text: stems of the meaningful words, the pairs of
    consecutive ones, and "no" with the word it denies ("no prende", "no responde")."""
    raw = _TOKEN.findall(folded)
    stems = [stem(w) if w not in _STOP else "" for w in raw]
    unigrams = [s for s in stems if s]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(stems) if a and b]
    negations = [f"no {stem(b)}" for a, b in itertools.pairwise(raw) if a == "no"]
    return unigrams + pairs + negations


@functools.lru_cache(maxsize=262144)
def _word_grams(word: str) -> tuple[str, ...]:
    padded = f" {word} "
    return tuple(padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1))


def char_features(folded: str) -> list[str]:
    """The character view: 3- to 5-letter pieces of each word with its boundaries (what
    scikit-learn's "char_wb" makes), computed once per distinct word: a desk's tickets
    reuse a few thousand words, and this is most of the retraining time otherwise."""
    grams: list[str] = []
    for word in folded.split():
        grams.extend(_word_grams(word))
    return grams


# --- keyword rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    level: int
    area: str
    priority: str


def _rule(regex: str, level: int, area: str, priority: str) -> Rule:
    return Rule(re.compile(regex), level, area, priority)


# Checked in order on the folded text; the first that matches decides. A server that does not
# answer outranks everything (a level-4 outage mentioned with a slow PC is still an outage).
RULES: tuple[Rule, ...] = (
    _rule(
        r"\b(servidor|server|serbidor|servidro)(es)?\b.{0,40}\b(no (responde|contesta|arranca|"
        r"levanta|rresponde)|(esta |se )?(cayo|caido|colgado))",
        4,
        "servidores",
        "urgent",
    ),
    _rule(r"\b(se cayo|caido|no responde) (el )?(servidor|server)\b", 4, "servidores", "urgent"),
    _rule(
        r"\b(perdida|perdi|perdio|perdieron|se perdio|he perdido) (de |toda |la |mi |mis |los )*"
        r"(informacion|datos|archivos|ficheros|informasion|imformacion)\b",
        3,
        "respaldo",
        "urgent",
    ),
    _rule(r"\brecuperar (la |los |mis )?(informacion|archivos|datos)\b", 3, "respaldo", "urgent"),
    _rule(r"\b(se (re|sobre)?calienta|(re|sobre)calienta|se calieta)\b", 2, "hardware", "high"),
    _rule(
        r"\bno (prende|enciende|arranca) (la|el|mi)? ?(pc|compu|computadora|ordenador|"
        r"laptop|portatil|equipo|maquina)\b",
        2,
        "hardware",
        "high",
    ),
    _rule(
        r"\b(la |el |mi )?(pc|compu|computadora|ordenador|laptop|portatil|equipo|maquina) "
        r"no (prende|enciende)\b",
        2,
        "hardware",
        "high",
    ),
    _rule(r"^(esta|anda|va) (muy )?lent[ao]\b", 1, "windows", "normal"),
    _rule(
        r"\b(pc|compu|computadora|ordenador|laptop|equipo) (esta|anda|va) (muy )?lent[ao]\b",
        1,
        "windows",
        "normal",
    ),
)


def rule_for(text: str) -> tuple[Rule, str] | None:
    """The first rule that matches, with the words it matched."""
    folded = fold(text)
    for rule in RULES:
        found = rule.pattern.search(folded)
        if found:
            return rule, found.group(0)
    return None


# --- the model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    text: str
    level: int
    area: str = ""
    priority: str = "normal"


@dataclass(frozen=True)
class Prediction:
    level: int
    level_confidence: float
    area: str
    area_confidence: float
    priority: str
    priority_confidence: float
    words: tuple[str, ...]
    by_rule: bool

    @property
    def confidence(self) -> float:
        """What the threshold compares: the confidence in the level (area and priority follow
        it, and are shown with their own figures)."""
        return self.level_confidence


@dataclass
class Model:
    """The fitted vectorisers and classifiers; pickled into the database by the app."""

    words_vec: TfidfVectorizer
    chars_vec: TfidfVectorizer
    level_clf: SGDClassifier
    area_clf: SGDClassifier | None
    priority_clf: SGDClassifier | None
    engine_version: int = ENGINE_VERSION
    feature_names: list[str] = field(default_factory=list)

    def matrix(self, texts: Sequence[str]) -> Any:
        """scikit-learn's own transform of many texts (training and measuring use it)."""
        folded = [fold(t) for t in texts]
        return sparse.hstack(
            [self.words_vec.transform(folded), self.chars_vec.transform(folded)], format="csr"
        )

    def vector(self, text: str) -> Features:
        """One request's TF-IDF row as (column indices, values), computed directly from the
        fitted vocabularies and idf weights: the same numbers as `matrix` (a test compares
        them) without scikit-learn's input checks, which were four fifths of a suggestion's
        time (bench/triage)."""
        folded = fold(text)
        columns: list[Any] = []
        values: list[Any] = []
        offset = 0
        for vec, analyzer in ((self.words_vec, stem_features), (self.chars_vec, char_features)):
            vocabulary = vec.vocabulary_
            counts = Counter(f for f in analyzer(folded) if f in vocabulary)
            if counts:
                idx = np.fromiter((vocabulary[f] for f in counts), np.int64, len(counts))
                tf = 1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))
                v = tf * vec.idf_[idx]
                v /= np.linalg.norm(v)
                columns.append(idx + offset)
                values.append(v)
            offset += len(vocabulary)
        if not columns:
            return Features(np.zeros(0, np.int64), np.zeros(0), len(self.words_vec.vocabulary_))
        return Features(
            np.concatenate(columns), np.concatenate(values), len(self.words_vec.vocabulary_)
        )

    def predict(self, text: str, *, explain: int = 4) -> Prediction:
        x = self.vector(text)
        level_p = _proba(self.level_clf, x)
        best = int(np.argmax(level_p))
        level = int(self.level_clf.classes_[best])
        area, area_conf = _best(self.area_clf, x)
        priority, priority_conf = _best(self.priority_clf, x)
        found = rule_for(text)
        if found is not None:
            rule, matched = found
            # The rule decides the level; the model's area and priority stand unless the
            # model was arguing for another level (then the rule's own area and priority).
            agree = rule.level == level
            return Prediction(
                level=rule.level,
                level_confidence=max(0.95, float(level_p[best]) if agree else 0.0),
                area=area if agree and area else rule.area,
                area_confidence=area_conf if agree else 0.9,
                priority=priority if agree and priority else rule.priority,
                priority_confidence=priority_conf if agree else 0.9,
                words=(matched,),
                by_rule=True,
            )
        return Prediction(
            level=level,
            level_confidence=float(level_p[best]),
            area=area,
            area_confidence=area_conf,
            priority=priority,
            priority_confidence=priority_conf,
            words=self.explain(text, x, best, limit=explain),
            by_rule=False,
        )

    def explain(self, text: str, x: Features, class_index: int, *, limit: int) -> tuple[str, ...]:
        """The words of the request that pushed hardest towards the chosen level, written as
        the customer wrote them ("no responde", not the stem "no respond")."""
        coef = self.level_clf.coef_
        if coef.shape[0] > 1:
            weights = coef[class_index]
        else:  # two classes: one row of weights, for the second class
            weights = coef[0] if class_index == 1 else -coef[0]
        in_words = x.columns < x.n_words
        cols = x.columns[in_words]
        scored = sorted(
            zip((x.values[in_words] * weights[cols]).tolist(), cols.tolist(), strict=True),
            reverse=True,
        )
        surface = _surface_forms(text)
        names = self.feature_names
        shown: list[str] = []
        for score, j in scored:
            if score <= 0 or len(shown) >= limit:
                break
            term = surface.get(names[j], names[j])
            if len(term) < 3:  # "no", "pc" alone explain nothing
                continue
            if not any(term in s or s in term for s in shown):
                shown.append(term)
        return tuple(shown)


@dataclass(frozen=True)
class Features:
    columns: Any  # int64 column indices into the words + characters space
    values: Any  # their TF-IDF values
    n_words: int  # columns below this are word features


def _best(clf: SGDClassifier | None, x: Features) -> tuple[str, float]:
    if clf is None:
        return "", 0.0
    p = _proba(clf, x)
    i = int(np.argmax(p))
    return str(clf.classes_[i]), float(p[i])


def _proba(clf: SGDClassifier, x: Features) -> Any:
    """`clf.predict_proba` of one row: one-vs-rest logistic scores, normalised as
    scikit-learn does."""
    scores = clf.coef_[:, x.columns] @ x.values + clf.intercept_
    p = 1.0 / (1.0 + np.exp(-scores))
    if p.shape[0] == 1:
        return np.array([1.0 - p[0], p[0]])
    total = p.sum()
    return p / total if total > 0 else np.full_like(p, 1.0 / p.shape[0])


def _surface_forms(text: str) -> dict[str, str]:
    """Stem feature → the words it came from in this text."""
    raw = words(text)
    stems = [stem(w) if w not in _STOP else "" for w in raw]
    forms: dict[str, str] = {}
    for i, s in enumerate(stems):
        if s:
            forms.setdefault(s, raw[i])
        if i + 1 < len(raw):
            if s and stems[i + 1]:
                forms.setdefault(f"{s} {stems[i + 1]}", f"{raw[i]} {raw[i + 1]}")
            if raw[i] == "no":
                forms.setdefault(f"no {stem(raw[i + 1])}", f"no {raw[i + 1]}")
    return forms


def _classifier(n: int) -> SGDClassifier:
    # Logistic regression fitted by stochastic gradient descent: linear in the number of
    # tickets (100,000 in seconds, bench/triage), where scikit-learn's L-BFGS took 8 s on the
    # 344 starting examples here. alpha=1e-4: with less regularisation the confidences were
    # overconfident (0.98 for a wrong level), which made the desk's threshold meaningless.
    return SGDClassifier(
        loss="log_loss", alpha=1e-4, max_iter=20, tol=1e-3, n_iter_no_change=2, random_state=0
    )


def train(examples: Sequence[Example]) -> Model:
    """Fit the model. A desk repeats itself ("no imprime" a hundred times): each distinct
    (text, labels) is vectorised once and weighted by how often it came."""
    if len({e.level for e in examples}) < 2:
        raise ValueError("training needs examples of at least two levels")
    counted = Counter((fold(e.text), e.level, e.area, e.priority) for e in examples)
    rows = list(counted)
    weights = np.array([counted[r] for r in rows], dtype=np.float64)
    texts = list(dict.fromkeys(r[0] for r in rows))
    index = {t: i for i, t in enumerate(texts)}
    words_vec = TfidfVectorizer(
        analyzer=stem_features, min_df=1, sublinear_tf=True, dtype=np.float32
    )
    chars_vec = TfidfVectorizer(
        analyzer=char_features,
        min_df=2 if len(texts) > 5000 else 1,
        max_features=200_000,
        sublinear_tf=True,
        dtype=np.float32,
    )
    unique = sparse.hstack(
        [words_vec.fit_transform(texts), chars_vec.fit_transform(texts)], format="csr"
    )
    order = [index[r[0]] for r in rows]
    x = unique if order == list(range(len(texts))) else unique[order]
    level_clf = _compact(_classifier(len(rows)).fit(x, [r[1] for r in rows], sample_weight=weights))
    return Model(
        words_vec=words_vec,
        chars_vec=chars_vec,
        level_clf=level_clf,
        area_clf=_fit_optional(x, [r[2] for r in rows], weights),
        priority_clf=_fit_optional(x, [r[3] for r in rows], weights),
        feature_names=[str(n) for n in words_vec.get_feature_names_out()],
    )


def _compact(clf: SGDClassifier) -> SGDClassifier:
    """Weights in single precision: half the stored model, the same suggestions."""
    clf.coef_ = clf.coef_.astype(np.float32)
    return clf


def _fit_optional(x: Any, labels: list[str], weights: Any) -> SGDClassifier | None:
    """A classifier for area or priority when the examples name at least two."""
    known = [i for i, label in enumerate(labels) if label]
    if len({labels[i] for i in known}) < 2:
        return None
    if len(known) == len(labels):
        return _compact(_classifier(len(known)).fit(x, labels, sample_weight=weights))
    return _compact(
        _classifier(len(known)).fit(
            x[known], [labels[i] for i in known], sample_weight=weights[known]
        )
    )


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    count: int
    accuracy: float
    macro_f1: float
    # rows: true level 1..4, columns: predicted level 1..4
    confusion: list[list[int]]
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "confusion": self.confusion,
        }


def score(model: Model, examples: Sequence[Example]) -> Scores:
    if not examples:
        return Scores(0, 0.0, 0.0, [[0] * 4 for _ in LEVELS])
    started = time.perf_counter()
    truth = [e.level for e in examples]
    guessed = [model.predict(e.text).level for e in examples]
    return Scores(
        count=len(examples),
        accuracy=float(accuracy_score(truth, guessed)),
        macro_f1=float(
            f1_score(truth, guessed, labels=list(LEVELS), average="macro", zero_division=0)
        ),
        confusion=confusion_matrix(truth, guessed, labels=list(LEVELS)).tolist(),
        seconds=time.perf_counter() - started,
    )


# --- the shipped sets ----------------------------------------------------------------------


def read_examples(path: Path) -> list[Example]:
    """`level|area|priority|text` lines; `#` starts a comment."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        level, area, priority, text = line.split("|", 3)
        found.append(Example(text=text.strip(), level=int(level), area=area, priority=priority))
    return found


def starting_set() -> list[Example]:
    """The product's own training descriptions (written for it, several countries' usage)."""
    return [e for p in sorted(DATA_DIR.glob("training_*.txt")) for e in read_examples(p)]


def heldout_set() -> list[Example]:
    """The separate test set, written from the seed's level definitions; never trained on."""
    return read_examples(DATA_DIR / "heldout.txt")


SEED_EXAMPLES: tuple[tuple[str, int], ...] = (
    ("está lenta", 1),
    ("se calienta la PC", 2),
    ("pérdida de información", 3),
    ("el servidor no responde", 4),
)


def iter_texts(examples: Iterable[Example]) -> Iterable[str]:
    return (e.text for e in examples)
