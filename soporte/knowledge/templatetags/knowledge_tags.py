"""Template filters of the blog: Spanish long dates, as the seed's blog shows them."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext

register = template.Library()


@register.filter
def long_date(value: dt.datetime | dt.date | None) -> str:
    """ "domingo, 10 de febrero de 2019" (in English: "Sunday, February 10, 2019")."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return formats.date_format(value, gettext("l, j \\d\\e F \\d\\e Y"))
