"""`soporte.lib.rawsql` on a real database: statements counted when queries are recorded, and
instances built without `Model.__init__` that behave as the ORM's own.

The hot reads go to SQLite's driver directly unless something records queries; the instances
they build skip `Model.__init__` when nothing depends on it. A user would notice either going
wrong as a page that shows stale or wrong data, or a save that inserts a second ticket.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, models
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from soporte.lib import rawsql
from soporte.tickets import reads
from soporte.tickets.models import Note, Priority, Ticket


def state(obj: models.Model) -> dict[str, Any]:
    """Everything an instance holds except its related-object cache."""
    data = {k: v for k, v in obj.__dict__.items() if k != "_state"}
    return data | {"_adding": obj._state.adding, "_db": obj._state.db}


def test_fetch_gives_the_cursors_rows_and_is_counted_when_queries_are_recorded(ticket):
    sql = (
        f"SELECT id, subject FROM {rawsql.table(Ticket, connection)} "  # noqa: S608 - names from _meta
        "WHERE number = %s AND subject LIKE %s"
    )
    params = [ticket.number, "%"]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        expected = cursor.fetchall()
    assert expected == [(ticket.pk, ticket.subject)]
    # Nothing records queries here: on SQLite the statement goes to the driver.
    assert rawsql.fetch(connection, sql, params) == expected
    with CaptureQueriesContext(connection) as queries:
        assert rawsql.fetch(connection, sql, params) == expected
    assert len(queries) == 1
    assert str(ticket.number) in queries[0]["sql"]


def test_a_literal_percent_sign_survives_the_placeholder_rewrite(ticket):
    sql = f"SELECT %s || '%%' FROM {rawsql.table(Ticket, connection)} WHERE id = %s"  # noqa: S608 - names from _meta
    assert rawsql.fetch(connection, sql, ["50", ticket.pk]) == [("50%",)]


def test_fetch_goes_through_execute_wrappers(ticket):
    seen: list[str] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        rawsql.fetch(connection, "SELECT 1 WHERE 1 = %s", [1])
    assert len(seen) == 1


def test_a_database_error_is_djangos_error(ticket):
    from django.db.utils import DatabaseError

    with pytest.raises(DatabaseError):
        rawsql.fetch(connection, "SELECT no_such_column FROM tickets_ticket WHERE id = %s", [1])


def test_an_instance_read_by_hand_holds_what_the_orm_loads(personas, ticket):
    raw = reads.ticket(personas.agent, ticket.number)
    orm = Ticket.objects.get(pk=ticket.pk)
    assert raw is not None
    assert state(raw) == state(orm)
    assert raw == orm and hash(raw) == hash(orm)
    # Related rows came with it; a relation it did not join still loads lazily.
    assert raw.organisation == personas.org_a
    raw._state.fields_cache.pop("requester")
    assert raw.requester.pk == ticket.requester_id


def test_an_instance_read_by_hand_saves_as_an_update(personas, ticket):
    raw = reads.ticket(personas.agent, ticket.number)
    assert raw is not None
    raw.priority = Priority.HIGH
    raw.save(update_fields=["priority"])
    raw.subject = "Impresora del segundo piso sin tóner"
    raw.save()
    assert Ticket.objects.count() == 1
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.priority, fresh.subject) == (
        Priority.HIGH,
        "Impresora del segundo piso sin tóner",
    )
    raw.refresh_from_db()
    assert raw.priority == Priority.HIGH


def test_a_model_with_an_init_listener_is_built_by_django(personas, ticket, now):
    calls: list[int] = []

    def listener(sender: Any, instance: Note, **kwargs: Any) -> None:
        calls.append(id(instance))

    Note.objects.create(
        ticket=ticket, author=personas.agent, body="Llamé al cliente.", created_at=now
    )
    post_init.connect(listener, sender=Note)
    try:
        cols = rawsql.columns(Note, "r", connection)
        assert not cols.plain_init
        sql = f"SELECT {cols.sql} FROM {rawsql.table(Note, connection)} r WHERE r.ticket_id = %s"  # noqa: S608 - names from _meta
        (row,) = rawsql.fetch(connection, sql, [ticket.pk])
        note = cols.load(connection, row)
    finally:
        post_init.disconnect(listener, sender=Note)
    assert calls == [id(note)]
    assert note.body == "Llamé al cliente."
    assert rawsql.columns(Note, "r", connection).plain_init


@pytest.mark.parametrize(
    "stored",
    [
        "2026-11-24 10:15:30.123456",
        "2026-11-24 10:15:30",
        "2026-02-28 23:59:59.000001",
        "2026-11-24 10:15:30+00:00",
        "2026-11-24 04:15:30-06:00",
        None,
    ],
)
def test_sqlite_datetimes_read_as_the_orm_reads_them(personas, ticket, stored):
    """SQLite keeps date-times as text; the hand-written reads parse it in the driver
    (`rawsql.UTC_CONVERTER`). Whatever text is stored, they read what the ORM reads."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's text storage of date-times")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tickets_ticket SET updated_at = %s, sla_due_at = %s WHERE id = %s",
            [stored or "2026-11-24 10:15:30", stored, ticket.pk],
        )
    orm = Ticket.objects.get(pk=ticket.pk)
    raw = reads.ticket(personas.agent, ticket.number)
    assert raw is not None
    assert (raw.updated_at, raw.sla_due_at) == (orm.updated_at, orm.sla_due_at)
    assert raw.updated_at.utcoffset() is not None
    with CaptureQueriesContext(connection):  # Django's cursor: the same conversion
        again = reads.ticket(personas.agent, ticket.number)
    assert again is not None and again.sla_due_at == orm.sla_due_at
