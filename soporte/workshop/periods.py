"""Periods people choose on the register and the sales logbook: half-open [start, end) in the
desk's time zone, from `?desde=AAAA-MM-DD&hasta=AAAA-MM-DD` (both days included)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

# A period longer than this is refused (every page and export stays bounded).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    first_day: dt.date
    last_day: dt.date

    @property
    def start(self) -> dt.datetime:
        return _midnight(self.first_day)

    @property
    def end(self) -> dt.datetime:
        return _midnight(self.last_day + dt.timedelta(days=1))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_current_timezone())


def _parse(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None


def last_twelve_months(today: dt.date) -> Period:
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return Period(first, today)


def from_query(query: dict[str, str], *, now: dt.datetime) -> tuple[Period, str]:
    """The chosen period, or the last twelve months; and an error to show when the input was
    unusable (bad date, end before start, longer than three years)."""
    today = timezone.localtime(now).date()
    default = last_twelve_months(today)
    first, last = _parse(query.get("desde")), _parse(query.get("hasta"))
    if not query.get("desde") and not query.get("hasta"):
        return default, ""
    if first is None or last is None:
        return default, "bad_date"
    if last < first or (last - first).days > MAX_DAYS:
        return default, "bad_range"
    return Period(first, last), ""
