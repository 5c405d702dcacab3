"""Agents' queues: filters and sorting from an allow-list, keyset pagination in SQL.

A page is the next `limit` rows after a cursor (the last row's sort value and id), never an
OFFSET: the cost of page 1,000 is the cost of page 1 (indexes tickets_mine_idx,
tickets_level_queue_idx, tickets_org_idx).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, cast

from django.db import router, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from soporte.directory.backends import agent_of
from soporte.directory.models import (
    ALL_ORGANISATIONS,
    Agent,
    Organisation,
    User,
    organisation_scope,
)
from soporte.lib import rawsql
from soporte.lib.params import parse_id
from soporte.tickets.models import OPEN_STATUSES, Channel, Priority, SlaAlert, Status, Ticket

QUEUES = {
    "mine": _("Mis tickets"),
    "level": _("Sin asignar de mi nivel"),
    "team": _("De mi equipo"),
    "breached": _("Vencidos"),
    "all": _("Todos"),
}
SORTS = {
    "-updated_at": ("updated_at", True),
    "updated_at": ("updated_at", False),
    "-created_at": ("created_at", True),
    "created_at": ("created_at", False),
}
FILTERS = ("status", "level", "priority", "organisation", "channel")
MAX_LIMIT = 100
# What a queue row shows (folio, subject, organisation, level, priority, status, assignee,
# the SLA snapshot): the desk's queue page loads only these columns.
ROW_FIELDS = (
    "id",
    "number",
    "subject",
    "level",
    "priority",
    "status",
    "created_at",
    "updated_at",
    "sla_target",
    "sla_due_at",
    "sla_warn_at",
    "sla_paused",
    "organisation__name",
    "assignee__user__first_name",
    "assignee__user__last_name",
    "assignee__user__username",
    "assignee_id",
)


# The open statuses written into the SQL as literals, exactly as the partial index
# tickets_open_mine_idx states them: SQLite uses a partial index only when the query repeats
# its condition, which it cannot see through bound parameters. Code constants, checked here.
if not all(status.isidentifier() and status.islower() for status in OPEN_STATUSES):
    raise ValueError("open statuses are written into SQL: lower-case identifiers only")
OPEN_IN = "t.status IN (" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    next_cursor: str | None


def encode_cursor(value: dt.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{value.isoformat()}|{pk}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    """The position `encode_cursor` wrote, or None for anything else (a forged or damaged
    cursor starts from the first page)."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, text = raw.rsplit("|", 1)
        after = dt.datetime.fromisoformat(stamp)
        # Every position the queues write is an instant the database can hold.
        after.astimezone(dt.UTC)
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None
    pk = parse_id(text)
    if after.tzinfo is None or pk is None:
        return None
    return after, pk


_UNKNOWN: Any = object()


def queue_queryset(actor: Any, queue: str, *, agent: Agent | None = _UNKNOWN) -> QuerySet[Ticket]:
    """`agent` is the actor's Agent row (None: not an agent) when the caller already has it."""
    base = Ticket.objects.visible_to(actor)
    if not getattr(actor, "is_desk_staff", False):
        return base
    if agent is _UNKNOWN:
        agent = agent_of(actor)
    if queue == "mine":
        return base.filter(assignee=agent, status__in=OPEN_STATUSES) if agent else base.none()
    if queue == "level":
        if agent is None:
            return base.none()
        return base.filter(level=agent.level, assignee__isnull=True, status__in=OPEN_STATUSES)
    if queue == "team":
        if agent is None:
            return base.none()
        areas = list(agent.areas.all())
        team = (
            Agent.objects.filter(areas__in=areas)
            if areas
            else Agent.objects.filter(level=agent.level)
        )
        return base.filter(assignee__in=team.values("id"), status__in=OPEN_STATUSES)
    if queue == "breached":
        breached = SlaAlert.objects.filter(kind=SlaAlert.Kind.BREACH).values("ticket_id")
        return base.filter(pk__in=breached, status__in=OPEN_STATUSES)
    return base


def _filter_conditions(filters: dict[str, str] | None) -> list[tuple[str, Any]]:
    """The allow-listed filters as (lookup, value): a column's equality, or "status__in"
    the open statuses. One rule for the queryset and the SQL page; unknown names and bad
    values are ignored."""
    conditions: list[tuple[str, Any]] = []
    for name, value in (filters or {}).items():
        if name not in FILTERS or value in ("", None):
            continue
        if name == "status" and value == "open":
            conditions.append(("status__in", OPEN_STATUSES))
        elif name == "status" and value in Status.values:
            conditions.append(("status", value))
        elif name == "priority" and value in Priority.values:
            conditions.append(("priority", value))
        elif name == "level" and (level := parse_id(value)) is not None:
            conditions.append(("level", level))
        elif name == "organisation" and (organisation := parse_id(value)) is not None:
            conditions.append(("organisation_id", organisation))
        elif name == "channel" and value in Channel.values:
            conditions.append(("channel", value))
    return conditions


def _ordered(
    actor: Any,
    *,
    queue: str,
    filters: dict[str, str] | None,
    sort: str,
    cursor: str | None,
    agent: Agent | None,
) -> tuple[QuerySet[Ticket], str]:
    """The queue's tickets after the cursor, in order; and the sort's field."""
    queue = queue if queue in QUEUES else "all"
    field, descending = SORTS.get(sort, SORTS["-updated_at"])
    qs = queue_queryset(actor, queue, agent=agent)
    for lookup, value in _filter_conditions(filters):
        qs = qs.filter(**{lookup: value})
    decoded = decode_cursor(cursor) if cursor else None
    if decoded:
        after, pk = decoded
        if descending:
            qs = qs.filter(Q(**{f"{field}__lt": after}) | Q(**{field: after, "pk__lt": pk}))
        else:
            qs = qs.filter(Q(**{f"{field}__gt": after}) | Q(**{field: after, "pk__gt": pk}))
    order = [f"-{field}", "-id"] if descending else [field, "id"]
    return qs.order_by(*order), field


def page(
    actor: Any,
    *,
    queue: str = "all",
    filters: dict[str, str] | None = None,
    sort: str = "-updated_at",
    cursor: str | None = None,
    limit: int = 25,
    agent: Agent | None = _UNKNOWN,
) -> Page:
    """Whole tickets with their organisation, requester, assignee and area (the API)."""
    limit = max(1, min(limit, MAX_LIMIT))
    qs, field = _ordered(actor, queue=queue, filters=filters, sort=sort, cursor=cursor, agent=agent)
    rows = list(
        qs.select_related("organisation", "requester", "assignee__user", "area")[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(getattr(rows[-1], field), rows[-1].pk)
    return Page(rows, next_cursor)


@dataclass(frozen=True)
class RowPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def row_page(
    actor: Any,
    *,
    queue: str = "all",
    filters: dict[str, str] | None = None,
    sort: str = "-updated_at",
    cursor: str | None = None,
    limit: int = 25,
    agent: Agent | None = _UNKNOWN,
) -> RowPage:
    """The same page as `page`, as plain rows of ROW_FIELDS: the desk's queue page, which
    only prints them. One hand-written SELECT (`soporte.lib.rawsql`; the same conditions as
    `_ordered`, checked against it by the tests on both databases): compiling the queryset
    cost more than SQLite took to answer it."""
    limit = max(1, min(limit, MAX_LIMIT))
    queue = queue if queue in QUEUES else "all"
    field, descending = SORTS.get(sort, SORTS["-updated_at"])
    scope = organisation_scope(actor)
    if scope is None:
        return RowPage([], None)
    staff = scope is ALL_ORGANISATIONS
    if staff and queue in ("mine", "level", "team") and agent is _UNKNOWN:
        agent = agent_of(actor)
    if staff and queue in ("mine", "level", "team") and agent is None:
        return RowPage([], None)
    me = cast(Agent, agent)  # an Agent whenever a queue below needs one (checked above)
    connection = transaction.get_connection(router.db_for_read(Ticket))
    plan = rawsql.memoised("tickets.row_page", lambda: _row_plan(connection))
    quote = connection.ops.quote_name
    where: list[str] = []
    params: list[Any] = []
    if not staff:
        where.append("t.organisation_id = %s")
        params.append(scope)
    open_in = OPEN_IN
    if staff and queue != "all":
        where.append(open_in)
        if queue == "mine":
            where.append("t.assignee_id = %s")
            params.append(me.pk)
        elif queue == "level":
            where.append("t.level = %s AND t.assignee_id IS NULL")
            params.append(me.level)
        elif queue == "team":
            where.append(plan.team)
            params.extend([me.pk, me.pk, me.level])
        elif queue == "breached":
            where.append(plan.breached)
            params.append(SlaAlert.Kind.BREACH)
    for lookup, value in _filter_conditions(filters):
        if lookup == "status__in":  # the open statuses, as literals (see OPEN_IN)
            where.append(open_in)
        else:
            where.append(f"t.{quote(lookup)} = %s")
            params.append(value)
    decoded = decode_cursor(cursor) if cursor else None
    column = f"t.{quote(field)}"
    if decoded:
        after, pk = decoded
        after = connection.ops.adapt_datetimefield_value(after)
        op = "<" if descending else ">"
        where.append(f"({column} {op} %s OR ({column} = %s AND t.id {op} %s))")
        params.extend([after, after, pk])
    direction = "DESC" if descending else "ASC"
    sql = (
        plan.head
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {column} {direction}, t.id {direction} LIMIT %s"
    )
    params.append(limit + 1)
    rows = [plan.values.load(connection, row) for row in rawsql.fetch(connection, sql, params)]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][field], rows[-1]["id"])
    return RowPage(rows, next_cursor)


@dataclass(frozen=True)
class _RowPlan:
    head: str
    values: rawsql.Values
    team: str
    breached: str


def _row_plan(connection: Any) -> _RowPlan:
    """The queue row SELECT and the two queue conditions with subqueries, for a connection.
    Only names from the models' `_meta` are formatted in; values are parameters."""
    spec = [
        (key, "t", Ticket, key) for key in ROW_FIELDS if "__" not in key and key != "assignee_id"
    ] + [
        ("organisation__name", "o", Organisation, "name"),
        ("assignee__user__first_name", "u", User, "first_name"),
        ("assignee__user__last_name", "u", User, "last_name"),
        ("assignee__user__username", "u", User, "username"),
        ("assignee_id", "t", Ticket, "assignee"),
    ]
    assert [key for key, *_ in spec] == list(ROW_FIELDS)
    values = rawsql.values(connection, spec)
    table = functools.partial(rawsql.table, connection=connection)
    areas = connection.ops.quote_name(Agent.areas.through._meta.db_table)
    head = (
        f"SELECT {values.sql} FROM {table(Ticket)} t "  # noqa: S608 - names from _meta
        f"INNER JOIN {table(Organisation)} o ON o.id = t.organisation_id "
        f"LEFT JOIN {table(Agent)} a ON a.id = t.assignee_id "
        f"LEFT JOIN {table(User)} u ON u.id = a.user_id"
    )
    # "My team": the agents sharing an area with me; with no area, the agents of my level.
    team = (
        f"(t.assignee_id IN (SELECT x.agent_id FROM {areas} x WHERE x.area_id IN "  # noqa: S608
        f"(SELECT y.area_id FROM {areas} y WHERE y.agent_id = %s)) "
        f"OR (NOT EXISTS (SELECT 1 FROM {areas} z WHERE z.agent_id = %s) "
        f"AND t.assignee_id IN (SELECT b.id FROM {table(Agent)} b WHERE b.level = %s)))"
    )
    breached = f"t.id IN (SELECT s.ticket_id FROM {table(SlaAlert)} s WHERE s.kind = %s)"  # noqa: S608
    return _RowPlan(head=head, values=values, team=team, breached=breached)
