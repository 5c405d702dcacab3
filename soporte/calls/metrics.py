"""The wallboard's figures for the desk's day (T1, H3): read-only, from stored timestamps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from soporte.calls.models import RING_LIMIT, Call, CallDirection, CallState, Hold, Outcome


@dataclass(frozen=True)
class DayFigures:
    calls: int  # inbound calls that started today
    answered: int
    answered_in_time: int  # T1: answered in the first or second ring
    abandoned: int  # the caller hung up before anybody answered
    holds: int  # holds that ended today
    average_hold_seconds: float | None
    holds_over_limit: int  # H3: ended past the limit, or still on hold past it now

    @property
    def in_time_share(self) -> float | None:
        """Share of today's answered inbound calls answered before the third ring."""
        return self.answered_in_time / self.answered if self.answered else None

    @property
    def in_time_percent(self) -> int | None:
        share = self.in_time_share
        return None if share is None else round(share * 100)


def day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Today at the desk (settings.TIME_ZONE) as the half-open period [midnight, next midnight)."""
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    tz = start.tzinfo
    next_day = (start + dt.timedelta(days=1)).replace(tzinfo=None)
    # Recompute each midnight in the zone: a DST change makes a day 23 or 25 hours long.
    return (
        timezone.make_aware(start.replace(tzinfo=None), tz),
        timezone.make_aware(next_day, tz),
    )


def day_figures(*, now: dt.datetime) -> DayFigures:
    """Today's T1 share, average hold, holds past the limit and abandoned calls."""
    start, end = day_bounds(now)
    calls = list(
        Call.objects.filter(
            started_at__gte=start, started_at__lt=end, direction=CallDirection.IN
        ).values_list("answered_at", "rings", "outcome")
    )
    answered = [rings for answered_at, rings, _outcome in calls if answered_at is not None]
    closed = list(
        Hold.objects.filter(ended_at__gte=start, ended_at__lt=end).values_list(
            "seconds", "over_limit"
        )
    )
    open_over = sum(
        1
        for started_at, limit in Hold.objects.filter(
            ended_at__isnull=True, call__state=CallState.ON_HOLD
        ).values_list("started_at", "call__line__hold_limit_seconds")
        if (now - started_at).total_seconds() > limit
    )
    seconds = [s for s, _over in closed if s is not None]
    return DayFigures(
        calls=len(calls),
        answered=len(answered),
        answered_in_time=sum(1 for rings in answered if rings is not None and rings < RING_LIMIT),
        abandoned=sum(1 for _a, _r, outcome in calls if outcome == Outcome.ABANDONED),
        holds=len(closed),
        average_hold_seconds=sum(seconds) / len(seconds) if seconds else None,
        holds_over_limit=sum(1 for _s, over in closed if over) + open_over,
    )
