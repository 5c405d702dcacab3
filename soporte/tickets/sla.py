"""SLA clocks, computed from stored timestamps and the desk calendar (time is an input).

The clock pauses while the ticket waits for the customer: the waiting intervals come from
the ticket's status changes. Pure functions: `clocks(...)` needs no database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from soporte.lib.business_time import Calendar, Interval, add_business_seconds, business_seconds
from soporte.lib.refcache import reference
from soporte.tickets import reads
from soporte.tickets.models import (
    OPEN_STATUSES,
    DeskCalendar,
    Holiday,
    SlaAlert,
    SlaPolicy,
    SlaTarget,
    Status,
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
    warn_at: dt.datetime | None = None  # when 75 % is reached (None while paused or met)

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


# While the ticket waits for the customer, or is resolved (the desk's work is done unless the
# customer comes back), no clock counts: a reply a week after the resolution reopens it with
# the time it had left, not as a week-old breach.
PAUSED_STATUSES = frozenset({Status.WAITING_CUSTOMER, Status.RESOLVED})


def waiting_intervals(
    changes: Iterable[tuple[dt.datetime, str, str]], *, now: dt.datetime
) -> list[Interval]:
    """[from, to) spans spent waiting for the customer or resolved, from (at, from, to)
    changes."""
    spans: list[Interval] = []
    since: dt.datetime | None = None
    for at, _source, target in sorted(changes, key=lambda c: c[0]):
        if target in PAUSED_STATUSES and since is None:
            since = at
        elif target not in PAUSED_STATUSES and since is not None:
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
    warn: bool = False,
) -> Clock:
    end = stop or now
    elapsed = business_seconds(calendar, start, end, pauses)
    due = warn_at = None
    if stop is None and not paused_now:
        due = add_business_seconds(calendar, start, budget_seconds, pauses)
        if warn:
            warn_at = add_business_seconds(calendar, start, budget_seconds * WARNING_RATIO, pauses)
    return Clock(
        target, budget_seconds, elapsed, start, due, stop, paused_now and stop is None, warn_at
    )


def clocks(
    calendar: Calendar,
    policy: SlaPolicy,
    times: TicketTimes,
    pauses: Sequence[Interval],
    *,
    now: dt.datetime,
    warn: bool = False,
) -> list[Clock]:
    """`warn`: also find each running clock's 75 % instant (for the snapshot)."""
    paused_now = times.status in PAUSED_STATUSES
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
            warn,
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
            warn,
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
                warn,
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


def ticket_clocks(
    ticket: Ticket, *, calendar: Calendar, now: dt.datetime, warn: bool = False
) -> list[Clock]:
    """The ticket's clocks under its policy (none without one). The status changes they are
    computed from are read only when a policy applies (`reads.status_changes`, one SELECT)."""
    if ticket.status == Status.CANCELLED:
        # Nothing is owed on a cancelled ticket: no clock runs on (nor is shown).
        return []
    policy = sla_policies().get((ticket.level, ticket.priority))
    if policy is None:
        return []
    return _ticket_clocks(ticket, policy, reads.status_changes(ticket), calendar, now, warn)


def _ticket_clocks(
    ticket: Ticket,
    policy: SlaPolicy,
    changes: list[tuple[dt.datetime, str, str]],
    calendar: Calendar,
    now: dt.datetime,
    warn: bool,
) -> list[Clock]:
    times = TicketTimes(
        status=ticket.status,
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        last_update_at=ticket.last_update_at,
        resolved_at=ticket.resolved_at,
    )
    return clocks(calendar, policy, times, waiting_intervals(changes, now=now), now=now, warn=warn)


ClockLike = TypeVar("ClockLike", bound="Clock | Any")


def nearest(clocks_: Sequence[ClockLike]) -> ClockLike | None:
    """The clock a ticket shows: the running one due first; a paused one when nothing runs;
    None when all are met. (For `Clock` and anything with its `met_at` and `due_at`.)"""
    running = [c for c in clocks_ if c.met_at is None]
    due = [c for c in running if c.due_at is not None]
    if due:
        return min(due, key=lambda c: c.due_at or FAR_FUTURE)
    return running[0] if running else None


@dataclass(frozen=True)
class Snapshot:
    """What a queue row and the sweep need of a ticket's clocks, stored on the ticket.

    `target`/`due_at`/`warn_at`/`paused` describe the running clock due first (a paused one
    when none runs); `check_at` is the earliest 75 % or due instant of any running clock,
    the next time the sweep has something to announce. None of it depends on the present
    moment, so it stays true until the ticket, the calendar or a policy changes."""

    target: str = ""
    due_at: dt.datetime | None = None
    warn_at: dt.datetime | None = None
    paused: bool = False
    check_at: dt.datetime | None = None

    def fields(self) -> dict[str, object]:
        return {
            "sla_target": self.target,
            "sla_due_at": self.due_at,
            "sla_warn_at": self.warn_at,
            "sla_paused": self.paused,
            "sla_check_at": self.check_at,
        }


def snapshot_state(
    due_at: dt.datetime | None, warn_at: dt.datetime | None, paused: bool, now: dt.datetime
) -> str:
    """A stored snapshot's state at `now`, as `Clock.state` would say it (paused / breached /
    warning / ok): nothing is recomputed, the instants were stored."""
    if paused or due_at is None:
        return "paused"
    if now >= due_at:
        return "breached"
    return "warning" if warn_at is not None and now >= warn_at else "ok"


def snapshot(
    ticket: Ticket, clocks_: Sequence[Clock], *, after: dt.datetime | None = None
) -> Snapshot:
    """The ticket's snapshot, from clocks computed with `warn=True`; `after`: only
    thresholds later than it count for `check_at` (the sweep has just announced the
    earlier ones)."""
    running = [c for c in clocks_ if c.met_at is None]
    shown = nearest(clocks_)
    if not ticket.is_open or shown is None:
        return Snapshot()
    thresholds = [
        moment
        for c in running
        for moment in (c.warn_at, c.due_at)
        if moment is not None and (after is None or moment > after)
    ]
    return Snapshot(
        target=str(shown.target),
        due_at=shown.due_at,
        warn_at=shown.warn_at,
        paused=shown.paused,
        check_at=min(thresholds) if thresholds else None,
    )


def refresh(ticket: Ticket, *, now: dt.datetime, after: dt.datetime | None = None) -> Snapshot:
    """Recompute and store the ticket's snapshot (call after every change of the ticket)."""
    from django.conf import settings

    calendar = desk_calendar(settings.TIME_ZONE)
    clocks_ = ticket_clocks(ticket, calendar=calendar, now=now, warn=True)
    _record_late(ticket, clocks_, now=now)
    result = snapshot(ticket, clocks_, after=after)
    Ticket.objects.filter(pk=ticket.pk).update(**result.fields())
    for name, value in result.fields().items():
        setattr(ticket, name, value)
    return result


def _record_late(ticket: Ticket, clocks_: Sequence[Clock], *, now: dt.datetime) -> None:
    """A target met after its deadline that no sweep announced (the worker was down, or the
    answer came in the same minute) is still a breach: the "Vencidos" queue and the reports
    count it. Nothing is escalated; the target is met. Looked at only by the change that met
    the target (`met_at == now`), so later refreshes of the ticket cost no query."""
    for clock in clocks_:
        if clock.met_at == now and clock.elapsed_seconds > clock.budget_seconds:
            SlaAlert.objects.get_or_create(
                ticket=ticket,
                target=clock.target,
                kind=SlaAlert.Kind.BREACH,
                cycle_start_at=clock.started_at,
                defaults={"at": now},
            )


def recheck_open_tickets(**_signal: object) -> None:
    """The calendar or a policy changed: every open ticket's clocks must be looked at again
    (the sweep recomputes each snapshot on its next run)."""
    Ticket.objects.open().update(sla_check_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
