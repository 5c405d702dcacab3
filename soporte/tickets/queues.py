"""Agents' queues: filters and sorting from an allow-list, keyset pagination in SQL.

A page is the next `limit` rows after a cursor (the last row's sort value and id), never an
OFFSET: the cost of page 1,000 is the cost of page 1 (indexes tickets_mine_idx,
tickets_level_queue_idx, tickets_org_idx).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from soporte.directory.backends import agent_of
from soporte.directory.models import Agent
from soporte.tickets.models import OPEN_STATUSES, Priority, SlaAlert, Status, Ticket

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


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    next_cursor: str | None


def encode_cursor(value: dt.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{value.isoformat()}|{pk}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, pk = raw.rsplit("|", 1)
        return dt.datetime.fromisoformat(stamp), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


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
    for name, value in (filters or {}).items():
        if name not in FILTERS or value in ("", None):
            continue
        if name == "status" and value == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif name == "status" and value in Status.values:
            qs = qs.filter(status=value)
        elif name == "priority" and value in Priority.values:
            qs = qs.filter(priority=value)
        elif name == "level" and str(value).isdigit():
            qs = qs.filter(level=int(value))
        elif name == "organisation" and str(value).isdigit():
            qs = qs.filter(organisation_id=int(value))
        elif name == "channel":
            qs = qs.filter(channel=value)
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
    """The same page as `page`, as plain rows of ROW_FIELDS (the desk's queue page: no
    model objects for what it only prints)."""
    limit = max(1, min(limit, MAX_LIMIT))
    qs, field = _ordered(actor, queue=queue, filters=filters, sort=sort, cursor=cursor, agent=agent)
    rows = list(qs.values(*ROW_FIELDS)[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][field], rows[-1]["id"])
    return RowPage(rows, next_cursor)
