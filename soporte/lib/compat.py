"""Every use of Django's private API, in one place (checked against Django 5.2).

The measured speed work (`soporte.lib.rawsql`, the CTI batch's statements in
`soporte.calls.sql`, the writer process) reaches past Django's public API in a few places.
They are all here, each with what it relies on, so an upgrade has one file to read and
`soporte/tests/test_compat.py` fails loudly, naming what to re-check, when Django's version
or any of these internals changes.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import django
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX  # private: the "%s" → "?" rewrite
from django.db.models.base import ModelState  # private: an instance's _state
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# The Django release these internals were read against; test_compat fails on any other.
CHECKED_DJANGO = (5, 2)


def django_version() -> tuple[int, int]:
    return (django.VERSION[0], django.VERSION[1])


@functools.lru_cache(maxsize=512)
def qmark(sql: str) -> str:
    """Django's SQLite cursor rewrite ("format" placeholders to "qmark"), once per statement
    (`SQLiteCursorWrapper.convert_query`)."""
    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def driver_connection(connection: BaseDatabaseWrapper) -> Any:
    """The DB-API connection under Django's wrapper (`connection.connection`), None before the
    first query of the thread."""
    return connection.connection


def plain_init(model: type[models.Model]) -> bool:
    """True when an instance can be built without `Model.__init__`: nothing listens to its
    init signals, `from_db` is Django's own, and every field's attribute stores its value in
    the instance's __dict__ as is (a plain field's or a foreign key's id; not a file's)."""
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    return (
        not pre_init.has_listeners(model)
        and not post_init.has_listeners(model)
        and model.from_db.__func__ is models.Model.from_db.__func__  # type: ignore[attr-defined]
        and all(
            type(getattr(model, field.attname, None)) in plain
            for field in model._meta.concrete_fields
        )
    )


def instance_from_row(
    model: type[models.Model], attnames: Sequence[str], values: Sequence[Any], alias: str
) -> Any:
    """What `Model.from_db` leaves behind for every concrete field, without `Model.__init__`
    (for models where `plain_init` holds): the values in __dict__ and a loaded `_state`."""
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding = False
    state.db = alias
    return instance


def mark_saved(instance: models.Model) -> None:
    """A row written by hand-written SQL is a saved instance (`_state.adding`), as after
    `save()`: a later `save()` updates it."""
    instance._state.adding = False


def cache_related(instance: models.Model, name: str, value: models.Model | None) -> None:
    """What select_related leaves behind (`_state.fields_cache`): `instance.<name>` answers
    without a query (None on a reverse one-to-one means "there is none")."""
    instance._state.fields_cache[name] = value


def register_sqlite_converter(name: str, convert: Callable[[bytes], Any]) -> None:
    """The sqlite3 module's converter table is process-global: a column aliased
    `"x [name]"` is parsed by `convert` (Django turns on PARSE_COLNAMES)."""
    sqlite3.register_converter(name, convert)
