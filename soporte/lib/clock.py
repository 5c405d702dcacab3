"""The clock is read once at the edge (a view, a command, a task) and passed in as `now`."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def desk_date(moment: dt.datetime) -> dt.date:
    """The calendar date at the desk (settings.TIME_ZONE) for an aware datetime."""
    return timezone.localtime(moment).date()
