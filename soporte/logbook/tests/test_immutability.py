"""A signed entry is never edited or deleted: not by the ORM, the admin or raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from soporte.logbook import services
from soporte.logbook.models import Entry, Signature, SigningKey

from .conftest import add_note


def refused(sql: str, params: list | None = None) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    except DatabaseError as exc:
        assert "bitacora" in str(exc)
        return True
    return False


def test_raw_sql_update_of_an_entry_is_refused(logbook, personas, now):
    entry = add_note(logbook, personas.agent, now, summary="Texto original")
    assert refused("UPDATE logbook_entry SET summary = 'Texto cambiado' WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.summary == "Texto original"


def test_raw_sql_delete_of_an_entry_is_refused(logbook, personas, now):
    entry = add_note(logbook, personas.agent, now)
    assert refused("DELETE FROM logbook_entry WHERE id = %s", [entry.pk])
    assert Entry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "table",
    [
        "logbook_signature",
        "logbook_checkpoint",
        "logbook_signingkey",
        "logbook_acceptance",
        "logbook_logbookkey",
    ],
)
def test_signatures_keys_checkpoints_and_acceptances_are_guarded(logbook, personas, now, table):
    add_note(logbook, personas.agent, now)
    services.sign_checkpoint(logbook=logbook, now=now)
    opening = logbook.entries.get(number=1)  # the opening waits for the customer's signature
    services.countersign_entry(entry=opening, signer=personas.customer_a, method="portal", now=now)
    assert refused(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    assert refused(f"UPDATE {table} SET id = id")  # noqa: S608


def test_the_orm_cannot_save_or_delete_an_entry_either(logbook, personas, now):
    entry = add_note(logbook, personas.agent, now)
    entry.summary = "otra cosa"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Signature.objects.filter(entry=entry).update(signature="falsa")
    assert SigningKey.objects.filter(user=personas.agent).count() == 1


def test_the_admin_offers_no_way_to_change_entries(personas, logbook):
    client = personas.client("admin")
    entry = Entry.objects.get(logbook=logbook, number=1)
    change = client.get(f"/admin/logbook/entry/{entry.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    delete = client.post(f"/admin/logbook/entry/{entry.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()
