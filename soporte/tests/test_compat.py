"""Django's private API, used by the speed work, behaves as `soporte.lib.compat` expects.

When one of these fails after a Django upgrade, read soporte/lib/compat.py: every internal it
relies on is there, with what it expects; fix it there (or drop the shortcut) and only then
move CHECKED_DJANGO.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from soporte.directory.models import Organisation
from soporte.lib import compat, rawsql
from soporte.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_django_is_the_release_the_private_api_was_checked_against():
    assert compat.django_version() == compat.CHECKED_DJANGO, (
        f"Django {compat.django_version()} is not {compat.CHECKED_DJANGO}: re-check every "
        "function of soporte/lib/compat.py (FORMAT_QMARK_REGEX, ModelState, instances "
        "without __init__, connection.connection, _state.fields_cache, sqlite3 converters), "
        "run bench/tickets and bench/calls, then update CHECKED_DJANGO."
    )


def test_placeholders_are_rewritten_as_djangos_sqlite_cursor_does():
    assert compat.qmark("SELECT a FROM t WHERE b = %s AND c LIKE '50%%'") == (
        "SELECT a FROM t WHERE b = ? AND c LIKE '50%'"
    )


def test_an_instance_built_without_init_is_the_one_from_db_builds(personas):
    fields = Organisation._meta.concrete_fields
    attnames = [f.attname for f in fields]
    values = list(Organisation.objects.filter(pk=personas.org_a.pk).values_list(*attnames)[0])
    assert compat.plain_init(Organisation), "the fast path no longer applies to plain models"
    fast = compat.instance_from_row(Organisation, attnames, values, connection.alias)
    slow = Organisation.from_db(connection.alias, attnames, values)
    assert type(fast) is Organisation
    assert {n: getattr(fast, n) for n in attnames} == {n: getattr(slow, n) for n in attnames}
    assert (fast._state.adding, fast._state.db) == (slow._state.adding, slow._state.db)
    assert fast == slow and fast.name == "Ferretería Anáhuac"


def test_a_cached_relation_answers_without_a_query(personas, django_assert_num_queries):
    ticket = Ticket(organisation_id=personas.org_b.pk)
    compat.cache_related(ticket, "organisation", personas.org_a)
    with django_assert_num_queries(0):
        assert ticket.organisation == personas.org_a


def test_a_row_written_by_hand_is_marked_saved(personas):
    organisation = Organisation(name="Escrita a mano", tax_id="EAM030303CCC")
    assert organisation._state.adding
    compat.mark_saved(organisation)
    assert organisation._state.adding is False


def test_the_driver_connection_is_the_db_api_connection():
    connection.ensure_connection()
    driver = compat.driver_connection(connection)
    assert driver is not None and hasattr(driver, "cursor") and hasattr(driver, "commit")


def test_the_utc_converter_parses_sqlite_text_with_its_zone():
    if connection.vendor != "sqlite":
        pytest.skip("the converter is SQLite's")
    connection.ensure_connection()
    row = (
        compat.driver_connection(connection)
        .execute(f"SELECT '2026-11-23 16:30:00.250000' AS \"x [{rawsql.UTC_CONVERTER}]\"")
        .fetchone()
    )
    assert row[0] == dt.datetime(2026, 11, 23, 16, 30, 0, 250000, tzinfo=dt.UTC)
