"""The desk's phrase lists: what each act of the text rules is recognised by, seen and edited
by supervisors like the glossary. An act without stored phrases uses the defaults of
`spanish.ACTS`; the first edit of an act stores its defaults first, so adding a phrase never
drops the others."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.calls.models import QaPhrase
from soporte.calls.qa.spanish import ACTS, MAX_PHRASE_LENGTH, find, normalise, valid_phrase
from soporte.directory.models import User
from soporte.lib.errors import DomainError, Forbidden


def desk_phrases() -> dict[str, tuple[str, ...]]:
    """Each act's phrases: the stored ones, or the defaults where none are stored (one query)."""
    stored: dict[str, list[str]] = {}
    for act, phrase in QaPhrase.objects.order_by("act", "id").values_list("act", "phrase"):
        stored.setdefault(act, []).append(phrase)
    return {code: tuple(stored.get(code) or act.phrases) for code, act in ACTS.items()}


def _manager(actor: User) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor puede cambiar las frases de la evaluación."))


def _materialise(act: str) -> None:
    if act not in ACTS:
        raise DomainError(_("Ese acto no existe."), code="unknown_act", act=act)
    if not QaPhrase.objects.filter(act=act).exists():
        QaPhrase.objects.bulk_create(QaPhrase(act=act, phrase=p) for p in ACTS[act].phrases)


@transaction.atomic
def add_phrase(*, actor: User, act: str, phrase: str) -> QaPhrase:
    _manager(actor)
    phrase = " ".join(phrase.split())
    if not valid_phrase(phrase):
        raise DomainError(
            _(
                "Escriba una frase de hasta %(max)d caracteres con al menos una palabra; "
                "* es una palabra, … hasta cuatro, (a|b) alternativas."
            )
            % {"max": MAX_PHRASE_LENGTH},
            code="phrase_invalid",
        )
    _materialise(act)
    existing = list(QaPhrase.objects.filter(act=act).values_list("phrase", flat=True))
    normal = normalise(phrase)
    plain = not any(c in phrase for c in "*…()") and "..." not in phrase
    heard = find(normal, existing) if plain else None
    if any(normalise(p) == normal for p in existing) or (
        heard is not None and heard.words == normal
    ):
        raise DomainError(
            _("«%(phrase)s» ya está en la lista (o una frase de la lista ya la reconoce).")
            % {"phrase": phrase},
            code="phrase_exists",
        )
    return QaPhrase.objects.create(act=act, phrase=phrase)


@transaction.atomic
def delete_phrase(*, actor: User, act: str, phrase: str) -> None:
    _manager(actor)
    _materialise(act)
    deleted, _rows = QaPhrase.objects.filter(act=act, phrase=phrase).delete()
    if not deleted:
        raise DomainError(_("Esa frase no está en la lista."), code="phrase_missing")
    if not QaPhrase.objects.filter(act=act).exists():
        raise DomainError(
            _("Una lista no puede quedar vacía: agregue otra frase antes de quitar esta."),
            code="phrase_last",
        )
