"""Jinja2 for the desk's hot pages (the queues and a ticket's page).

Those pages are opened hundreds of times an hour by every agent; rendered with Django's
template language they cost 10–20 ms of Python each, 40 times the database work
(bench/RESULTS.md, "Tickets"). Jinja2 compiles a template to Python once per process.

Translations: templates call `_("…")` with a literal and `|format(name=…)` for variables,
the one shape `makemessages` extracts from template files; plurals are built in the view
with `ngettext`. The layout `tickets/_layout.html` is the Jinja2 twin of
`templates/base.html` (a test renders both and compares them).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup


@functools.lru_cache(maxsize=4096)
def _reverse(prefix: str, name: str, args: tuple[Any, ...]) -> str:
    return reverse(name, args=args or None)


def url(name: str, *args: Any) -> str:
    """`reverse()` remembered per process: the URL map does not change while it runs."""
    return _reverse(get_script_prefix(), name, args)


@functools.lru_cache(maxsize=64)
def _has_url(prefix: str, name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def has_url(name: str) -> bool:
    return _has_url(get_script_prefix(), name)


@functools.cache
def _static_text(name: str) -> Markup:
    # Template files without tags (e.g. tickets/_styles.html), shared with the DTL pages.
    return Markup(render_to_string(name))  # noqa: S704 - our own static file, no variables


def date(value: dt.datetime | None, fmt: str = "j M Y, H:i") -> str:
    """Django's `date` filter (local time of the desk, localized month names)."""
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), fmt)


def iso(value: dt.datetime | None) -> str:
    """Django's `date:'c'` (ISO 8601 in the desk's time zone)."""
    return "" if value is None else timezone.localtime(value).isoformat()


def filesize(value: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(value))


def layout(request: Any) -> dict[str, Any]:
    """What `base.html` gets from Django's context processors, without running them all."""
    return {
        "LANGUAGE_CODE": translation.get_language(),
        "LANGUAGES": settings.LANGUAGES,
        "DESK_NAME": settings.DESK_NAME,
        "DESK_TIME_ZONE": settings.TIME_ZONE,
        "messages": get_messages(request),
        "user": request.user,
        "now_text": formats.date_format(timezone.localtime(), "DATETIME_FORMAT"),
    }


def environment(**options: Any) -> Environment:
    options.setdefault("undefined", StrictUndefined)
    env = Environment(**options)  # noqa: S701 - the Django backend turns autoescape on
    env.globals.update(
        _=gettext,
        ngettext=ngettext,
        url=url,
        has_url=has_url,
        static=static,
        static_text=_static_text,
        layout=layout,
        mark_safe=mark_safe,
    )
    env.filters.update(date=date, iso=iso, filesize=filesize)
    return env
