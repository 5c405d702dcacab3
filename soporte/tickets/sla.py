"""SLA clocks, computed from stored timestamps and the desk calendar (time is an input).

The clock pauses while the ticket waits for the customer: the waiting intervals come from
the ticket's status changes. Pure functions: `clocks(...)` needs no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from soporte.lib.business_time import Calendar, Interval, add_business_seconds, business_seconds
from soporte.lib.refcache import reference
from soporte.tickets.models import (
    OPEN_STATUSES,
    DeskCalendar,
    Holiday,
    SlaPolicy,
    SlaTarget,
    Status,
    StatusChange,
    Ticket,
)

WARNING_RATIO = 0.75
FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Clock:
    target: str
    budget_seconds: float
    elapsed_seconds: float
    started_at: dt.datetime
    due_at: dt.datetime | None  # None while paused
    met_at: dt.datetime | None
    paused: bool

    @property
    def ratio(self) -> float:
        return self.elapsed_seconds / self.budget_seconds if self.budget_seconds else 1.0

    @property
    def state(self) -> str:
        """met / breached / warning / ok / paused."""
        if self.met_at is not None:
            return "met" if self.ratio <= 1 else "breached"
        if self.ratio >= 1:
            return "breached"
        if self.paused:
            return "paused"
        if self.ratio >= WARNING_RATIO:
            return "warning"
        return "ok"


@dataclass(frozen=True)
class TicketTimes:
    status: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    last_update_at: dt.datetime | None
    resolved_at: dt.datetime | None


def waiting_intervals(
    changes: Iterable[tuple[dt.datetime, str, str]], *, now: dt.datetime
) -> list[Interval]:
    """[from, to) spans spent in "waiting for the customer", from (at, from, to) changes."""
    spans: list[Interval] = []
    since: dt.datetime | None = None
    for at, _source, target in sorted(changes, key=lambda c: c[0]):
        if target == Status.WAITING_CUSTOMER and since is None:
            since = at
        elif target != Status.WAITING_CUSTOMER and since is not None:
            spans.append((since, at))
            since = None
    if since is not None:
        spans.append((since, max(now, since)))
    return spans


def _clock(
    calendar: Calendar,
    target: str,
    budget_seconds: float,
    start: dt.datetime,
    stop: dt.datetime | None,
    pauses: Sequence[Interval],
    paused_now: bool,
    now: dt.datetime,
) -> Clock:
    end = stop or now
    elapsed = business_seconds(calendar, start, end, pauses)
    due = None
    if stop is None and not paused_now:
        due = add_business_seconds(calendar, start, budget_seconds, pauses)
    return Clock(target, budget_seconds, elapsed, start, due, stop, paused_now and stop is None)


def clocks(
    calendar: Calendar,
    policy: SlaPolicy,
    times: TicketTimes,
    pauses: Sequence[Interval],
    *,
    now: dt.datetime,
) -> list[Clock]:
    paused_now = times.status == Status.WAITING_CUSTOMER
    result = [
        _clock(
            calendar,
            SlaTarget.FIRST_RESPONSE,
            policy.first_response_minutes * 60.0,
            times.created_at,
            times.first_response_at,
            pauses,
            paused_now,
            now,
        ),
        _clock(
            calendar,
            SlaTarget.RESOLUTION,
            policy.resolution_minutes * 60.0,
            times.created_at,
            times.resolved_at,
            pauses,
            paused_now,
            now,
        ),
    ]
    if times.first_response_at is not None and times.status in OPEN_STATUSES:
        result.insert(
            1,
            _clock(
                calendar,
                SlaTarget.NEXT_UPDATE,
                policy.next_update_minutes * 60.0,
                times.last_update_at or times.first_response_at,
                None,
                pauses,
                paused_now,
                now,
            ),
        )
    return result


@reference(DeskCalendar, Holiday)
def desk_calendar(time_zone: str) -> Calendar:
    """The desk's working days, hours, lunch pause and holidays (remembered a few seconds)."""
    row = DeskCalendar.objects.order_by("id").first() or DeskCalendar()
    return Calendar(
        time_zone=time_zone,
        weekdays=frozenset(int(d) for d in row.weekdays.split(",") if d.strip().isdigit()),
        opens=_time(row.opens),
        closes=_time(row.closes),
        lunch_from=_time(row.lunch_from) if row.lunch_from else None,
        lunch_to=_time(row.lunch_to) if row.lunch_to else None,
        holidays=frozenset(Holiday.objects.values_list("day_date", flat=True)),
    )


def _time(value: dt.time | str) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


@reference(SlaPolicy)
def sla_policies() -> dict[tuple[int, str], SlaPolicy]:
    """Every policy by (level, priority), remembered a few seconds; callers only read them."""
    return {(p.level, p.priority): p for p in SlaPolicy.objects.all()}


def ticket_clocks(ticket: Ticket, *, calendar: Calendar, now: dt.datetime) -> list[Clock]:
    return clocks_for([ticket], calendar=calendar, now=now).get(ticket.pk, [])


def clocks_for(
    tickets: Sequence[Ticket], *, calendar: Calendar, now: dt.datetime
) -> dict[int, list[Clock]]:
    """Clocks of many tickets with two queries in all (a queue page must not cost a query
    per row): the policies, and the status changes of those tickets."""
    policies = sla_policies()
    changes: dict[int, list[tuple[dt.datetime, str, str]]] = {t.pk: [] for t in tickets}
    if tickets and policies:
        rows = StatusChange.objects.filter(ticket_id__in=list(changes)).values_list(
            "ticket_id", "at", "from_status", "to_status"
        )
        for ticket_id, at, source, target in rows:
            changes[ticket_id].append((at, source, target))
    result: dict[int, list[Clock]] = {}
    for ticket in tickets:
        policy = policies.get((ticket.level, ticket.priority))
        if policy is None:
            result[ticket.pk] = []
            continue
        result[ticket.pk] = _ticket_clocks(ticket, policy, changes[ticket.pk], calendar, now)
    return result


def _ticket_clocks(
    ticket: Ticket,
    policy: SlaPolicy,
    changes: list[tuple[dt.datetime, str, str]],
    calendar: Calendar,
    now: dt.datetime,
) -> list[Clock]:
    times = TicketTimes(
        status=ticket.status,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        last_update_at=ticket.last_update_at,
        resolved_at=ticket.resolved_at,
    )
    return clocks(calendar, policy, times, waiting_intervals(changes, now=now), now=now)
