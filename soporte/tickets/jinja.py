"""Jinja2 for the desk's hot pages (the queues and a ticket's page).

Those pages are opened hundreds of times an hour by every agent; rendered with Django's
template language they cost 10–20 ms of Python each, 40 times the database work
(bench/RESULTS.md, "Tickets"). Jinja2 compiles a template to Python once per process.

Translations: templates call `_("…")` with a literal and `|format(name=…)` for variables,
the one shape `makemessages` extracts from template files; plurals are built in the view
with `ngettext`. Pages are rendered through `render()`, which compiles each template once per
language with those literals already translated (`CompiledTranslations`): a page no longer
looks up a hundred phrases in the catalogue on every request. The layout `tickets/_layout.html` is the Jinja2 twin of
`templates/base.html` (a test renders both and compares them).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import engines
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from jinja2 import Environment, StrictUndefined, Template
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup, escape


@functools.lru_cache(maxsize=4096)
def _reverse(prefix: str, name: str, args: tuple[Any, ...]) -> str:
    return reverse(name, args=args or None)


def url(name: str, *args: Any) -> str:
    """`reverse()` remembered per process: the URL map does not change while it runs."""
    return _reverse(get_script_prefix(), name, args)


@functools.lru_cache(maxsize=256)
def _static(path: str) -> str:
    """`static()` remembered per process: the manifest of hashed names is fixed at start-up."""
    return static(path)


@functools.lru_cache(maxsize=8)
def _now_text(language: str | None, minute: dt.datetime) -> str:
    """The footer's desk time, formatted once per minute and language."""
    return formats.date_format(minute, "DATETIME_FORMAT")


SHORT = "j M Y, H:i"


def date(value: dt.datetime | None, fmt: str = SHORT) -> str:
    """Django's `date` filter (local time of the desk, localized month names); the usual
    short format without the general formatter (a ticket page prints one per note)."""
    if value is None:
        return ""
    if fmt == SHORT:
        return short_datetime(value)
    return formats.date_format(timezone.localtime(value), fmt)


@functools.lru_cache(maxsize=16)
def _month_abbreviations(language: str | None) -> tuple[str, ...]:
    from django.utils.dates import MONTHS_3

    return tuple(str(MONTHS_3[month]).title() for month in range(1, 13))


@functools.lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def short_datetime(value: dt.datetime) -> str:
    """`date(value)` ("j M Y, H:i" at the desk) without Django's general formatter: a queue
    page prints one per row."""
    local = value.astimezone(_zone(settings.TIME_ZONE))
    month = _month_abbreviations(translation.get_language())[local.month - 1]
    return f"{local.day} {month} {local.year}, {local.hour:02d}:{local.minute:02d}"


def countdown_html(clock_: Any) -> Markup:
    """A clock as the queues and the ticket page show it (tickets.js keeps `data-due`
    counting): the target, then the countdown, or a dash when no clock runs."""
    if clock_ is None:
        return Markup('<span class="muted">—</span>')
    # Every value is escaped here (state is one of sla.Clock's five words); built as one
    # string, the queue's 25 rows cost a few microseconds each.
    label, text, state = escape(clock_.label), escape(clock_.text), escape(clock_.state)
    if clock_.due_at is not None and clock_.met_at is None:
        due = escape(clock_.due_at.astimezone(_zone(settings.TIME_ZONE)).isoformat())
        title = escape(short_datetime(clock_.due_at))
        return Markup(  # noqa: S704 - parts escaped above
            f'<span class="sla-target">{label}</span><time class="sla sla-{state}" '
            f'data-due="{due}" datetime="{due}" title="{label}: {title}">{text}</time>'
        )
    return Markup(  # noqa: S704 - parts escaped above
        f'<span class="sla-target">{label}</span><span class="sla sla-{state}">{text}</span>'
    )


@functools.lru_cache(maxsize=256)
def choice_labels(model: Any, name: str, language: str | None) -> dict[Any, str]:
    """A field's choices as {value: label} in `language` (the active one)."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def display(instance: Any, name: str) -> Any:
    """`instance.get_<name>_display()`, the labels translated once per process and language
    (Django's rebuilds the field's choices on every call: 30 µs, five of them per ticket page)."""
    value = getattr(instance, name)
    model: Any = type(instance)
    return choice_labels(model, name, translation.get_language()).get(value, value)


def iso(value: dt.datetime | None) -> str:
    """Django's `date:'c'` (ISO 8601 in the desk's time zone)."""
    return "" if value is None else value.astimezone(_zone(settings.TIME_ZONE)).isoformat()


def filesize(value: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(value))


def layout(request: Any) -> dict[str, Any]:
    """What `base.html` gets: the context processors of Django's engine (settings, one source
    for both engines), plus the footer's time ({% now %} in Django's template)."""
    context: dict[str, Any] = {}
    for processor in _context_processors():
        context.update(processor(request))
    context["now_text"] = _now_text(
        translation.get_language(), timezone.localtime().replace(second=0, microsecond=0)
    )
    return context


@functools.cache
def _context_processors() -> tuple[Any, ...]:
    return tuple(engines["django"].engine.template_context_processors)  # type: ignore[attr-defined]


class CompiledTranslations(Extension):
    """`_("literal")` becomes the literal's translation when the template is compiled.

    Only in the per-language environments of `template()` (which carry `soporte_language`);
    the Django backend's own environment keeps calling `_()` at render time. Jinja2 folds a
    constant `{{ "…" }}` into the template's text, so a translated phrase costs nothing."""

    def filter_stream(self, stream: TokenStream) -> Any:
        language = getattr(self.environment, "soporte_language", None)
        if language is None:
            return stream
        tokens = list(stream)
        out: list[Token] = []
        i = 0
        with translation.override(language):
            while i < len(tokens):
                window = tokens[i : i + 4]
                if (
                    len(window) == 4
                    and window[0].type == "name"
                    and window[0].value == "_"
                    and window[1].type == "lparen"
                    and window[2].type == "string"
                    and window[3].type == "rparen"
                    and not (out and out[-1].type == "dot")
                ):
                    out.append(Token(window[0].lineno, "string", gettext(window[2].value)))
                    i += 4
                    continue
                out.append(tokens[i])
                i += 1
        return iter(out)


_by_language: dict[str, Environment] = {}


def template(name: str) -> Template:
    """The template compiled for the active language (see `CompiledTranslations`)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    env = _by_language.get(language)
    if env is None:
        base: Environment = engines["jinja2"].env  # type: ignore[attr-defined]
        env = base.overlay(cache_size=400)
        env.soporte_language = language  # type: ignore[attr-defined]
        _by_language[language] = env
    return env.get_template(name)


def render(request: HttpRequest, name: str, context: dict[str, Any]) -> str:
    """What Django's Jinja2 backend does (request and CSRF in the context), per language."""
    # One masked token per page, however many forms it has (each `get_token` draws 32 random
    # characters); what Django's backend puts in the context, taken once.
    token = get_token(request)
    return template(name).render(
        context,
        request=request,
        csrf_input=Markup(  # noqa: S704 - the token is escaped
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'
        ),
        csrf_token=token,
    )


def environment(**options: Any) -> Environment:
    options.setdefault("undefined", StrictUndefined)
    extensions = list(options.pop("extensions", []))
    extensions.append(CompiledTranslations)
    env = Environment(extensions=extensions, **options)  # noqa: S701 - the Django backend turns autoescape on
    env.globals.update(
        _=gettext,
        ngettext=ngettext,
        url=url,
        static=_static,
        countdown_html=countdown_html,
        display=display,
        layout=layout,
        mark_safe=mark_safe,
    )
    env.filters.update(date=date, iso=iso, filesize=filesize)
    return env
