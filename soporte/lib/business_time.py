"""Business-hours arithmetic for SLA clocks: pure functions over a desk calendar.

A calendar has working weekdays, opening hours, an optional lunch pause and holidays, in the
desk's time zone. `business_seconds(start, end, pauses)` counts the working seconds in
[start, end) outside the pauses (e.g. while a ticket waits for the customer);
`add_business_seconds(start, seconds)` finds the instant a target is reached. Both take and
return aware datetimes; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Calendar:
    time_zone: str = "America/Mexico_City"
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(18, 0)
    lunch_from: dt.time | None = dt.time(14, 0)
    lunch_to: dt.time | None = dt.time(15, 0)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def working_intervals(self, day: dt.date) -> list[Interval]:
        """The day's working periods as aware datetimes, lunch removed."""
        if not self.is_working_day(day):
            return []
        zone = self.zone

        def at(t: dt.time) -> dt.datetime:
            return dt.datetime.combine(day, t, tzinfo=zone)

        if (
            self.lunch_from
            and self.lunch_to
            and self.opens < self.lunch_from < self.lunch_to < self.closes
        ):
            return [(at(self.opens), at(self.lunch_from)), (at(self.lunch_to), at(self.closes))]
        return [(at(self.opens), at(self.closes))]

    def intervals(self, start: dt.datetime, end: dt.datetime) -> Iterator[Interval]:
        """Working periods clipped to [start, end), in order."""
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for a, b in self.working_intervals(day):
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    yield lo, hi
            day += dt.timedelta(days=1)


def _subtract(interval: Interval, pauses: list[Interval]) -> Iterator[Interval]:
    lo, hi = interval
    for p_lo, p_hi in pauses:
        if p_hi <= lo or p_lo >= hi:
            continue
        if p_lo > lo:
            yield lo, p_lo
        lo = max(lo, p_hi)
        if lo >= hi:
            return
    if lo < hi:
        yield lo, hi


def merge(pauses: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for lo, hi in sorted(p for p in pauses if p[0] < p[1]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def business_seconds(
    calendar: Calendar, start: dt.datetime, end: dt.datetime, pauses: Iterable[Interval] = ()
) -> float:
    """Working seconds in [start, end) that fall outside every pause."""
    if end <= start:
        return 0.0
    merged = merge(pauses)
    total = 0.0
    for interval in calendar.intervals(start, end):
        for lo, hi in _subtract(interval, merged):
            total += (hi - lo).total_seconds()
    return total


def add_business_seconds(
    calendar: Calendar,
    start: dt.datetime,
    seconds: float,
    pauses: Iterable[Interval] = (),
    *,
    horizon_days: int = 400,
) -> dt.datetime:
    """The instant at which `seconds` of working time have passed since `start`.

    Open-ended pauses (a ticket still waiting for the customer) must be closed by the caller
    at a far instant, or the target moves as time passes: that is what "paused" means.
    """
    merged = merge(pauses)
    remaining = seconds
    end = start + dt.timedelta(days=horizon_days)
    for interval in calendar.intervals(start, end):
        for lo, hi in _subtract(interval, merged):
            span = (hi - lo).total_seconds()
            if span >= remaining:
                return lo + dt.timedelta(seconds=remaining)
            remaining -= span
    raise ValueError("target beyond the calendar horizon (no working days configured?)")
