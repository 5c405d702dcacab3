"""Report periods: dates at the desk (its time zone), half-open [first day 00:00, day after the
last 00:00), so a call at 23:59:59 local belongs to its day and one at 00:00 to the next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

MAX_DAYS = 731  # two years: the longest period a report answers


class PeriodError(ValueError):
    """A period that cannot be reported; the message is for people."""


def local_midnight(day: dt.date) -> dt.datetime:
    """Midnight at the desk, recomputed per day: a DST change makes a day 23 or 25 hours."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    first_date: dt.date
    last_date: dt.date  # included, as people say "del 1 al 30"

    @property
    def start_at(self) -> dt.datetime:
        return local_midnight(self.first_date)

    @property
    def end_at(self) -> dt.datetime:
        return local_midnight(self.last_date + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last_date - self.first_date).days + 1

    def dates(self) -> list[dt.date]:
        return [self.first_date + dt.timedelta(days=i) for i in range(self.days)]

    def label(self) -> str:
        first = formats.date_format(self.first_date, "SHORT_DATE_FORMAT")
        last = formats.date_format(self.last_date, "SHORT_DATE_FORMAT")
        return first if first == last else _("del %(a)s al %(b)s") % {"a": first, "b": last}

    def query(self) -> str:
        return f"desde={self.first_date.isoformat()}&hasta={self.last_date.isoformat()}"


def month_to_date(today: dt.date) -> Period:
    return Period(today.replace(day=1), today)


def make_period(first: dt.date | None, last: dt.date | None, *, today: dt.date) -> Period:
    """The period asked for, defaulting to this month so far; refused in Spanish if backwards
    or longer than MAX_DAYS."""
    if first is None and last is None:
        return month_to_date(today)
    first = first or (last or today).replace(day=1)
    last = last or today
    if last < first:
        raise PeriodError(_("La fecha final es anterior a la inicial."))
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(_("El periodo pasa de %(n)s días.") % {"n": MAX_DAYS})
    return Period(first, last)
