"""The glossary of D4: technical terms an agent should not say, each with its plain words."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.calls.models import GlossaryTerm
from soporte.calls.qa.rules import fold
from soporte.directory.models import User
from soporte.lib.errors import DomainError, Forbidden

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
