"""How tickets are shown: SLA countdowns and clocks, the queue's rows (remembered HTML), and
the Jinja2 pages inside the desk's layout.

Pure display helpers: no access decisions, no writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from markupsafe import Markup

from soporte.tickets import jinja, queues, sla
from soporte.tickets.models import (
    OPEN_STATUSES,
    SlaTarget,
    Ticket,
    format_folio,
)

SEARCH_LIMIT = 50

CLOCK_STATES: dict[str, str | Promise] = {
    "ok": gettext_lazy("En tiempo"),
    "warning": gettext_lazy("Por vencer"),
    "breached": gettext_lazy("Vencido"),
    "paused": gettext_lazy("En pausa"),
    "met": gettext_lazy("Cumplido"),
}


# --- SLA countdowns -----------------------------------------------------------------------


def span_text(seconds: int) -> str:
    """A short duration as people say it: "2 d 3 h", "1 h 20 min", "5 min", "40 s"."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def countdown_text(due_at: dt.datetime, now: dt.datetime) -> str:
    """What tickets.js writes every second; rendered once here so the page reads without it."""
    return _countdown(due_at, now, _clock_words(get_language()))


def _countdown(due_at: dt.datetime, now: dt.datetime, words: ClockWords) -> str:
    seconds = int((due_at - now).total_seconds())
    if seconds >= 0:
        return words.due % {"span": span_text(seconds)}
    return words.overdue % {"span": span_text(-seconds)}


def countdown_labels(now: dt.datetime) -> dict[str, str]:
    words = _clock_words(get_language())
    return {"due": words.due, "overdue": words.overdue, "now": now.isoformat()}


@dataclass(frozen=True)
class ClockWords:
    """A clock's words in one language, translated once per process (a queue page shows
    up to a hundred clocks)."""

    states: dict[str, str]
    targets: dict[str, str]
    due: str
    overdue: str
    paused: str


@functools.lru_cache(maxsize=16)
def _clock_words(language: str | None) -> ClockWords:
    return ClockWords(
        states={state: str(label) for state, label in CLOCK_STATES.items()},
        targets={str(value): str(label) for value, label in SlaTarget.choices},
        due=_("vence en %(span)s"),
        overdue=_("vencido hace %(span)s"),
        paused=_("en pausa"),
    )


@dataclass(frozen=True)
class ClockView:
    target: str
    label: str
    state: str
    state_label: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    paused: bool
    text: str
    percent: int
    elapsed_minutes: int
    budget_minutes: int


def _clock_view(clock_: sla.Clock, now: dt.datetime, words: ClockWords) -> ClockView:
    state = clock_.state
    if clock_.met_at is not None:
        text = words.states[state]
    elif clock_.paused or clock_.due_at is None:
        text = words.paused
    else:
        text = _countdown(clock_.due_at, now, words)
    return ClockView(
        target=clock_.target,
        label=words.targets[str(clock_.target)],
        state=state,
        state_label=words.states[state],
        due_at=clock_.due_at,
        met_at=clock_.met_at,
        paused=clock_.paused,
        text=text,
        percent=min(100, round(clock_.ratio * 100)),
        elapsed_minutes=round(clock_.elapsed_seconds / 60),
        budget_minutes=round(clock_.budget_seconds / 60),
    )


def clock_views(ticket: Ticket, now: dt.datetime) -> list[ClockView]:
    calendar = sla.desk_calendar(settings.TIME_ZONE)
    words = _clock_words(get_language())
    found = sla.ticket_clocks(ticket, calendar=calendar, now=now)
    return [_clock_view(c, now, words) for c in found]


def _snapshot_clock(
    row: dict[str, Any], now: dt.datetime, words: ClockWords
) -> tuple[str, str] | None:
    """A queue row's clock at `now`, from the snapshot the services keep on the ticket: its
    state and the countdown's words (None when no clock runs)."""
    if not row["sla_target"] or row["status"] not in OPEN_STATUSES:
        return None
    due = row["sla_due_at"]
    state = sla.snapshot_state(due, row["sla_warn_at"], row["sla_paused"], now)
    text = words.paused if state == "paused" or due is None else _countdown(due, now, words)
    return state, text


def _snapshot_view(row: dict[str, Any], clock_: tuple[str, str], words: ClockWords) -> ClockView:
    state, text = clock_
    target = row["sla_target"]
    return ClockView(
        target=target,
        label=words.targets[target],
        state=state,
        state_label=words.states[state],
        due_at=row["sla_due_at"],
        met_at=None,
        paused=state == "paused",
        text=text,
        percent=0,
        elapsed_minutes=0,
        budget_minutes=0,
    )


@dataclass(frozen=True, slots=True)
class Row:
    """A queue or search row: only what the row prints, ready to print."""

    pk: int
    folio: str
    href: str
    subject: str
    organisation: str
    level: int
    priority: str
    priority_label: str
    status: str
    status_label: str
    is_open: bool
    assignee: str
    clock: Markup


def ticket_row_values(ticket: Ticket) -> dict[str, Any]:
    """A Ticket (search results) as the plain row `queues.row_page` gives."""
    user = ticket.assignee.user if ticket.assignee_id and ticket.assignee else None
    values = {name: getattr(ticket, name) for name in queues.ROW_FIELDS if "__" not in name}
    return values | {
        "organisation__name": ticket.organisation.name,
        "assignee__user__first_name": user.first_name if user else "",
        "assignee__user__last_name": user.last_name if user else "",
        "assignee__user__username": user.username if user else "",
    }


def queue_rows(values: list[dict[str, Any]], now: dt.datetime, selected: set[int]) -> list[Markup]:
    """Each queue or search row as HTML. A row is the same HTML while its ticket, its clock's
    words and the language stay the same: agents reopen their queues all day, so the HTML is
    remembered per process (`_row_html`) and only the clocks are worked out per request."""
    language = get_language()
    words = _clock_words(language)
    return [
        _row_html(language, _row_items(v), _snapshot_clock(v, now, words), v["id"] in selected)
        for v in values
    ]


# A row's printed values as one tuple, the key of its remembered HTML.
_row_items = operator.itemgetter(*queues.ROW_FIELDS)


@functools.cache
def _detail_href() -> str:
    # The URL map and the script prefix do not change while the process runs.
    return jinja.url("tickets:detail", 999999999).replace("999999999", "%d")


@functools.lru_cache(maxsize=8192)
def _row_html(
    language: str | None,
    items: tuple[Any, ...],
    clock_: tuple[str, str] | None,
    selected: bool,
) -> Markup:
    v = dict(zip(queues.ROW_FIELDS, items, strict=True))
    words = _clock_words(language)
    statuses = jinja.choice_labels(Ticket, "status", language)
    priorities = jinja.choice_labels(Ticket, "priority", language)
    first, last = v["assignee__user__first_name"], v["assignee__user__last_name"]
    row = Row(
        pk=v["id"],
        folio=format_folio(v["number"]),
        href=_detail_href() % v["number"],
        subject=v["subject"],
        organisation=v["organisation__name"],
        level=v["level"],
        priority=v["priority"],
        priority_label=priorities.get(v["priority"], v["priority"]),
        status=v["status"],
        status_label=statuses.get(v["status"], v["status"]),
        is_open=v["status"] in OPEN_STATUSES,
        assignee=(f"{first} {last}".strip() or v["assignee__user__username"] or "")
        if v["assignee_id"]
        else "",
        clock=jinja.countdown_html(_snapshot_view(v, clock_, words) if clock_ else None),
    )
    context = {
        "row": row,
        "selected": selected,
        "mark": _("Marcar %(folio)s") % {"folio": row.folio},
        "unassigned": _("Sin asignar"),
        "level_prefix": _("N"),
    }
    return Markup(jinja.template("tickets/_queue_row.html").render(context))  # noqa: S704 - autoescaped template


def render_jinja(
    request: HttpRequest, name: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """A page of the Jinja2 engine (tickets/jinja.py) inside the desk's layout."""
    return HttpResponse(jinja.render(request, name, context | jinja.layout(request)), status=status)
