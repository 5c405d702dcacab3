"""The admin speaks the desk's language: every model it lists has a Spanish name with an
English translation, never the class name Django makes up ("Checkpoints", "Signatures")."""

from __future__ import annotations

from django.contrib import admin
from django.utils import translation
from django.utils.text import camel_case_to_spaces


def _made_up(model: type) -> set[str]:
    name = camel_case_to_spaces(model.__name__)
    return {name, f"{name}s"}


def test_every_admin_model_has_a_spanish_name_with_an_english_translation():
    untranslated = []
    for model in admin.site._registry:
        if not model.__module__.startswith(("soporte.", "django.", "axes.")):
            continue
        meta = model._meta
        with translation.override("es"):
            spanish = (str(meta.verbose_name), str(meta.verbose_name_plural))
        with translation.override("en"):
            english = (str(meta.verbose_name), str(meta.verbose_name_plural))
        if set(spanish) & _made_up(model) or spanish == english:
            untranslated.append(f"{meta.label}: {spanish} / {english}")
    assert untranslated == []


def test_the_admin_index_lists_signatures_and_checkpoints_by_their_names(personas):
    body = personas.client("admin").get("/admin/").content.decode()
    assert "Firmas" in body
    assert "Puntos de control" in body
    assert "Signatures" not in body
    assert "Checkpoints" not in body


def test_the_sign_in_lockouts_are_listed_in_spanish(personas):
    """django-axes' own catalogue has no Spanish: the desk's names its app and models."""
    body = personas.client("admin").get("/admin/").content.decode()
    assert "Bloqueos de acceso" in body
    assert "Intentos de acceso" in body and "Registros de acceso" in body
    assert "Access attempts" not in body and "Axes" not in body
