"""What a ticket's page shows, read with hand-written SELECTs (`soporte.lib.rawsql`).

The ticket page is the desk's most opened page after the queues. Through querysets its nine
reads cost ~5.6 ms of Python on the project VM, most of it compiling SQL; written out they
cost a tenth of that. Each function answers exactly what the queryset named in its docstring
answers (the tests compare them on both databases); access follows the same rule as
`Ticket.objects.visible_to` (`organisation_scope`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from soporte.directory.models import ALL_ORGANISATIONS, organisation_scope
from soporte.lib import rawsql
from soporte.tickets.models import Attachment, Escalation, Note, StatusChange, Survey, Ticket

# What the ticket page prints of the ticket's people, places and organisation.
TICKET_RELATED = (
    "organisation",
    "requester__user",
    "decision_maker",
    "assignee__user",
    "area",
)
HANDOFF_RELATED = ("from_agent__user", "to_agent__user", "to_area", "by")


def _connection() -> BaseDatabaseWrapper:
    return transaction.get_connection(router.db_for_read(Ticket))


def _plan(connection: BaseDatabaseWrapper, model: Any, paths: tuple[str, ...]) -> rawsql.Related:
    return rawsql.memoised(
        ("tickets.reads", model._meta.label, paths),
        lambda: rawsql.related(connection, model, paths),
    )


def ticket(actor: Any, number: int) -> Ticket | None:
    """`Ticket.objects.visible_to(actor).select_related(*TICKET_RELATED).get(number=…)`,
    or None (no such ticket, or not the actor's to see)."""
    scope = organisation_scope(actor)
    if scope is None:
        return None
    connection = _connection()
    plan = _plan(connection, Ticket, TICKET_RELATED)
    tail, params = "WHERE r.number = %s", [number]
    if scope is not ALL_ORGANISATIONS:
        tail += " AND r.organisation_id = %s"
        params.append(scope)
    found = plan.rows(connection, tail, params)
    return found[0] if found else None


def _children(ticket: Ticket, model: Any, paths: tuple[str, ...], order: str) -> list[Any]:
    connection = _connection()
    rows = _plan(connection, model, paths).rows(
        connection, f"WHERE r.ticket_id = %s ORDER BY {order}", [ticket.pk]
    )
    for row in rows:
        rawsql.cache_related(row, "ticket", ticket)
    return rows


def notes(ticket: Ticket) -> list[Note]:
    """`ticket.notes.select_related("author").order_by("created_at", "id")`."""
    return _children(ticket, Note, ("author",), "r.created_at, r.id")


def attachments(ticket: Ticket) -> list[Attachment]:
    """`ticket.attachments.order_by("id")`: the ticket's own files and its notes'."""
    return _children(ticket, Attachment, (), "r.id")


def survey(ticket: Ticket) -> Survey | None:
    """`Survey.objects.filter(ticket=ticket).first()`."""
    found = _children(ticket, Survey, (), "r.id LIMIT 1")
    return found[0] if found else None


def handoff(ticket: Ticket) -> Escalation | None:
    """The latest hand-off note (`ticket.escalations.order_by("-at", "-id").first()`), with
    both agents, the target area and who escalated."""
    found = _children(ticket, Escalation, HANDOFF_RELATED, "r.at DESC, r.id DESC LIMIT 1")
    return found[0] if found else None


def status_changes(ticket: Ticket) -> list[tuple[dt.datetime, str, str]]:
    """(at, from, to) of every status change, what the SLA clocks are computed from."""
    connection = _connection()
    plan = rawsql.memoised(
        "tickets.reads.status_changes",
        lambda: rawsql.values(
            connection,
            [
                ("at", "r", StatusChange, "at"),
                ("from_status", "r", StatusChange, "from_status"),
                ("to_status", "r", StatusChange, "to_status"),
            ],
        ),
    )
    sql = (
        f"SELECT {plan.sql} FROM {rawsql.table(StatusChange, connection)} r "  # noqa: S608 - names from _meta
        "WHERE r.ticket_id = %s ORDER BY r.at, r.id"
    )
    rows = [plan.load(connection, row) for row in rawsql.fetch(connection, sql, [ticket.pk])]
    return [(row["at"], row["from_status"], row["to_status"]) for row in rows]
