"""Business-hours arithmetic for SLA clocks: pure functions over a desk calendar.

A calendar has working weekdays, opening hours, an optional lunch pause and holidays, in the
desk's time zone. `business_seconds(start, end, pauses)` counts the working seconds in
[start, end) outside the pauses (e.g. while a ticket waits for the customer);
`add_business_seconds(start, seconds)` finds the instant a target is reached. Both take and
return aware datetimes; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
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
        return _working_intervals(self, day)

    def _working_intervals(self, day: dt.date) -> list[Interval]:
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

    @functools.cached_property
    def day_seconds(self) -> float:
        """Working seconds of a whole working day (hours minus lunch, wall-clock)."""
        day = dt.date(2001, 1, 1)  # a Monday; only the hours matter
        plain = Calendar(
            self.time_zone, frozenset({0}), self.opens, self.closes, self.lunch_from, self.lunch_to
        )
        return sum((b - a).total_seconds() for a, b in plain.working_intervals(day))

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


@functools.lru_cache(maxsize=4096)
def _working_intervals(calendar: Calendar, day: dt.date) -> list[Interval]:
    # A queue page asks for the same few weeks of days for every row: build them once.
    # Callers never modify the list they get.
    return calendar._working_intervals(day)


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
    """Working seconds in [start, end) that fall outside every pause.

    The pauses are merged (disjoint), so their working seconds inside [start, end) are
    simply subtracted; whole days in between are counted by arithmetic, not one by one, so a
    ticket open for two years costs the same as one opened this morning."""
    if end <= start:
        return 0.0
    total = _working_seconds(calendar, start, end)
    for lo, hi in merge(pauses):
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            total -= _working_seconds(calendar, lo, hi)
    return total


def _working_seconds(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    zone = calendar.zone
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    if first == last:
        return sum((hi - lo).total_seconds() for lo, hi in calendar.intervals(start, end))
    # The first and the last day are clipped; every day in between is a whole one.
    total = sum(
        (hi - lo).total_seconds()
        for day in (first, last)
        for a, b in calendar.working_intervals(day)
        if (lo := max(a, start)) < (hi := min(b, end))
    )
    inner_first, inner_days = first + dt.timedelta(days=1), (last - first).days - 1
    weeks, rest = divmod(inner_days, 7)
    count = weeks * len(calendar.weekdays)
    count += sum(
        1
        for k in range(rest)
        if (inner_first + dt.timedelta(days=weeks * 7 + k)).weekday() in calendar.weekdays
    )
    count -= sum(
        1 for day in calendar.holidays if first < day < last and day.weekday() in calendar.weekdays
    )
    return total + count * calendar.day_seconds


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
    A whole working day that no pause touches is taken in one step.
    """
    merged = merge(pauses)
    remaining = seconds
    day = start.astimezone(calendar.zone).date()
    last = day + dt.timedelta(days=horizon_days)
    whole = calendar.day_seconds
    first_pause = 0
    while day <= last:
        periods = calendar.working_intervals(day)
        if periods:
            opens, closes = periods[0][0], periods[-1][1]
            while first_pause < len(merged) and merged[first_pause][1] <= opens:
                first_pause += 1
            pauses_today = merged[first_pause:]
            untouched = not pauses_today or pauses_today[0][0] >= closes
            if untouched and start <= opens and remaining > whole:
                remaining -= whole
            else:
                for a, b in periods:
                    for lo, hi in _subtract((max(a, start), b), pauses_today):
                        span = (hi - lo).total_seconds()
                        if span >= remaining:
                            return lo + dt.timedelta(seconds=remaining)
                        remaining -= span
        day += dt.timedelta(days=1)
    raise ValueError("target beyond the calendar horizon (no working days configured?)")
