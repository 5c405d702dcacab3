"""Pages of tickets: the desk's queues and ticket page, and the customer portal.

Views are glue: authorise, validate, one service call, render. Every ticket is obtained
through `Ticket.objects.visible_to(user)`, so another organisation's ticket, note or file
is a 404, never a 403. Staff pages answer 403 to customers; portal pages send staff to
the desk's page of the same ticket.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import json_script
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from markupsafe import Markup

from soporte.directory.backends import agent_of
from soporte.directory.models import Agent, Level, Person, User
from soporte.lib import clock
from soporte.lib.errors import DomainError, Forbidden
from soporte.lib.params import parse_id
from soporte.logbook import services as logbook
from soporte.tickets import attachments, jinja, queues, reads, search, services, sla
from soporte.tickets.api import attachment_response
from soporte.tickets.forms import (
    ApprovalForm,
    AssignForm,
    BulkAssignForm,
    EscalateForm,
    NoteForm,
    PortalTicketForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    SurveyForm,
    TicketForm,
    Upload,
    add_rule_error,
    agent_options,
    area_options,
    blank,
    read_files,
    staff_organisation_options,
)
from soporte.tickets.models import (
    AUXILIARY_WARNING,
    OPEN_STATUSES,
    TRANSITIONS,
    Approval,
    Attachment,
    Channel,
    Note,
    Priority,
    SlaTarget,
    Status,
    Survey,
    Ticket,
    format_folio,
)

SEARCH_LIMIT = 50

# Queue tabs: Spanish slugs in the address, the allow-listed queue names of `queues`.
QUEUE_SLUGS = {
    "mis-tickets": "mine",
    "sin-asignar": "level",
    "mi-equipo": "team",
    "vencidos": "breached",
    "todos": "all",
}
SORT_LABELS = {
    "-updated_at": gettext_lazy("Actividad más reciente"),
    "updated_at": gettext_lazy("Actividad más antigua"),
    "-created_at": gettext_lazy("Abiertos más recientemente"),
    "created_at": gettext_lazy("Abiertos hace más tiempo"),
}
# Spanish query parameters of the queue → the filters `queues.page` allows.
FILTER_PARAMS = {
    "estado": "status",
    "nivel": "level",
    "prioridad": "priority",
    "organizacion": "organisation",
    "canal": "channel",
}
# How a status button reads; escalation has its own form (a hand-off note, rule X2).
STATUS_ACTIONS: dict[str, str | Promise] = {
    Status.ASSIGNED: gettext_lazy("Marcar asignado"),
    Status.IN_PROGRESS: gettext_lazy("Trabajar en él"),
    Status.WAITING_CUSTOMER: gettext_lazy("Esperar al cliente"),
    Status.RESOLVED: gettext_lazy("Resolver"),
    Status.CLOSED: gettext_lazy("Cerrar"),
    Status.CANCELLED: gettext_lazy("Cancelar ticket"),
}
CLOCK_STATES: dict[str, str | Promise] = {
    "ok": gettext_lazy("En tiempo"),
    "warning": gettext_lazy("Por vencer"),
    "breached": gettext_lazy("Vencido"),
    "paused": gettext_lazy("En pausa"),
    "met": gettext_lazy("Cumplido"),
}
# The customer follows four steps; the desk's inner states all read "en atención".
PORTAL_STEPS = [
    ("received", gettext_lazy("Recibida")),
    ("working", gettext_lazy("En atención")),
    ("resolved", gettext_lazy("Resuelta")),
    ("closed", gettext_lazy("Cerrada")),
]
PORTAL_STEP_OF: dict[str, int] = {
    Status.NEW: 0,
    Status.ASSIGNED: 1,
    Status.IN_PROGRESS: 1,
    Status.WAITING_CUSTOMER: 1,
    Status.ESCALATED: 1,
    Status.RESOLVED: 2,
    Status.CLOSED: 3,
}


# --- access -------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _ticket(request: HttpRequest, number: int) -> Ticket:
    """The ticket with what its page prints of it, or 404 (also another organisation's)."""
    found = reads.ticket(request.user, number)
    if found is None:
        raise Http404
    return found


def _person(user: User) -> Person | None:
    return Person.objects.filter(user=user).select_related("organisation").first()


def _forbidden(exc: DomainError) -> None:
    """`Forbidden` is an access answer (403); any other refusal is shown as a message."""
    if isinstance(exc, Forbidden):
        raise PermissionDenied(str(exc)) from exc


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


def _clocks(ticket: Ticket, now: dt.datetime) -> list[ClockView]:
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


def _ticket_row_values(ticket: Ticket) -> dict[str, Any]:
    """A Ticket (search results) as the plain row `queues.row_page` gives."""
    user = ticket.assignee.user if ticket.assignee_id and ticket.assignee else None
    values = {name: getattr(ticket, name) for name in queues.ROW_FIELDS if "__" not in name}
    return values | {
        "organisation__name": ticket.organisation.name,
        "assignee__user__first_name": user.first_name if user else "",
        "assignee__user__last_name": user.last_name if user else "",
        "assignee__user__username": user.username if user else "",
    }


def _rows(values: list[dict[str, Any]], now: dt.datetime, selected: set[int]) -> list[Markup]:
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


# --- the desk: queues ---------------------------------------------------------------------


def _queue_state(request: HttpRequest, agent: Agent | None) -> dict[str, Any]:
    """The tab, filters, sort, cursor and search of the queue, from the address."""
    params = request.GET
    default_slug = "mis-tickets" if agent is not None else "todos"
    slug = params.get("cola", default_slug)
    if slug not in QUEUE_SLUGS:
        slug = default_slug
    filters = {FILTER_PARAMS[k]: params.get(k, "").strip() for k in FILTER_PARAMS}
    sort = params.get("orden", "-updated_at")
    if sort not in SORT_LABELS:
        sort = "-updated_at"
    kept = {"cola": slug, "orden": sort} | {k: params.get(k, "") for k in FILTER_PARAMS}
    kept = {k: v for k, v in kept.items() if v and not (k == "orden" and v == "-updated_at")}
    q = params.get("q", "").strip()[:200]
    if q:
        kept["q"] = q
    return {
        "slug": slug,
        "queue": QUEUE_SLUGS[slug],
        "filters": filters,
        "sort": sort,
        "cursor": params.get("despues") or None,
        "q": q,
        "kept": kept,
        "query": urlencode(kept),
    }


def _queue_context(
    request: HttpRequest,
    user: User,
    now: dt.datetime,
    bulk_form: BulkAssignForm | None = None,
    selected: set[int] | None = None,
) -> dict[str, Any]:
    selected = selected or set()
    agent = agent_of(user)
    state = _queue_state(request, agent)
    next_url = None
    if state["q"]:
        found = search.search_tickets(user, state["q"], limit=SEARCH_LIMIT)
        values = [_ticket_row_values(t) for t in found]
    else:
        result = queues.row_page(
            user,
            queue=state["queue"],
            filters=state["filters"],
            sort=state["sort"],
            cursor=state["cursor"],
            agent=agent,
        )
        values = result.rows
        if result.next_cursor:
            next_url = (
                jinja.url("tickets:queue")
                + "?"
                + urlencode(state["kept"] | {"despues": result.next_cursor})
            )
    tabs = _tabs(get_language(), jinja.url("tickets:queue"))
    rows = _rows(values, now, selected)
    bulk_errors: list[str] = []
    if bulk_form is not None and bulk_form.errors:
        bulk_errors = [str(error) for error in bulk_form.non_field_errors()] + [
            str(error) for field in bulk_form for error in field.errors
        ]
    return {
        **state,
        "rows": rows,
        "result_note": ngettext(
            "%(counter)s resultado para «%(q)s», el más relevante primero.",
            "%(counter)s resultados para «%(q)s», los más relevantes primero.",
            len(rows),
        )
        % {"counter": len(rows), "q": state["q"]}
        if state["q"]
        else "",
        "next_url": next_url,
        # Full addresses: the page is also shown at the bulk-assign address after a refusal.
        "first_url": jinja.url("tickets:queue") + "?" + state["query"] if state["cursor"] else None,
        "tabs": tabs,
        "filter_panel": _filter_panel(
            get_language(),
            state["slug"],
            tuple(sorted(state["filters"].items())),
            state["sort"],
            staff_organisation_options(),
        ),
        "filtered": any(state["filters"].values()) or state["sort"] != "-updated_at",
        "countdown_labels_json": json_script(countdown_labels(now), "sla-labels"),
        "agent_options": agent_options(user),
        "bulk_agent": bulk_form["agent"].value() if bulk_form is not None else None,
        "bulk_errors": bulk_errors,
    }


@functools.lru_cache(maxsize=16)
def _tabs(language: str | None, queue_url: str) -> list[tuple[str, str, str]]:
    """The queue tabs (slug, label, address) in `language`, the active one."""
    return [
        (slug, str(queues.QUEUES[name]), queue_url + "?" + urlencode({"cola": slug}))
        for slug, name in QUEUE_SLUGS.items()
    ]


@functools.lru_cache(maxsize=256)
def _filter_panel(
    language: str | None,
    slug: str,
    filters: tuple[tuple[str, str], ...],
    sort: str,
    organisations: tuple[tuple[int, str], ...],
) -> Markup:
    """The filters and order form: rendered once per language and choice, not per view."""
    chosen = dict(filters)
    context = {
        "slug": slug,
        "filters": chosen,
        "sort": sort,
        "filtered": any(chosen.values()) or sort != "-updated_at",
        "sorts": SORT_LABELS.items(),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "channels": Channel.choices,
        "levels": [1, 2, 3, 4],
        "organisations": organisations,
    }
    return Markup(jinja.template("tickets/_filters.html").render(context))  # noqa: S704 - autoescaped template


def _render_jinja(
    request: HttpRequest, name: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """A page of the Jinja2 engine (tickets/jinja.py) inside the desk's layout."""
    return HttpResponse(jinja.render(request, name, context | jinja.layout(request)), status=status)


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    context = _queue_context(request, user, clock.now())
    if getattr(request, "htmx", False):
        return HttpResponse(jinja.render(request, "tickets/_queue_results.html", context))
    return _render_jinja(request, "tickets/queue.html", context)


@require_POST
@login_required
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign every checked ticket to one agent: all of them, or none (one transaction)."""
    user = _staff(request)
    now = clock.now()
    form = BulkAssignForm(request.POST, actor=user)
    back = reverse("tickets:queue") + ("?" + request.GET.urlencode() if request.GET else "")
    if form.is_valid():
        agent: Agent = form.cleaned_data["agent"]
        tickets = list(form.cleaned_data["tickets"].order_by("number"))
        current: Ticket | None = None
        try:
            with transaction.atomic():
                for current in tickets:
                    services.assign_ticket(ticket=current, actor=user, agent=agent, now=now)
        except DomainError as exc:
            _forbidden(exc)
            prefix = f"{current.folio}: " if current else ""
            form.add_error(None, prefix + str(exc) + " " + _("No se asignó ningún ticket."))
        else:
            messages.success(
                request,
                _("%(count)d tickets asignados a %(agent)s.")
                % {"count": len(tickets), "agent": agent.name}
                if len(tickets) != 1
                else _("%(folio)s asignado a %(agent)s.")
                % {"folio": tickets[0].folio, "agent": agent.name},
            )
            return redirect(back)
    selected = {n for v in request.POST.getlist("tickets") if (n := parse_id(v)) is not None}
    context = _queue_context(request, user, now, bulk_form=form, selected=selected)
    return _render_jinja(request, "tickets/queue.html", context)


# --- the desk: a new ticket ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if request.method == "POST":
        form = TicketForm(request.POST, actor=user)
        if form.is_valid():
            try:
                ticket = services.open_ticket(actor=user, data=form.new_ticket(), now=clock.now())
            except DomainError as exc:
                _forbidden(exc)
                add_rule_error(form, exc.code, str(exc))
            else:
                messages.success(request, _("Ticket %(folio)s abierto.") % {"folio": ticket.folio})
                return redirect("tickets:detail", ticket.number)
    else:
        initial = {"organisation": request.GET.get("organisation", "")}
        form = TicketForm(initial=initial, actor=user)
    context = {"form": form, "auxiliary_warning": AUXILIARY_WARNING}
    template = "tickets/ticket_form.html"
    # Choosing the organisation reloads only the people it has (requester, decision-maker).
    if getattr(request, "htmx", False) and request.method == "GET":
        template += "#people"
    return render(request, template, context)


# --- the desk: one ticket -----------------------------------------------------------------


def _notes(ticket: Ticket, *, public_only: bool) -> list[Note]:
    notes = ticket.notes.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if public_only:
        notes = notes.filter(internal=False)
    return list(notes.order_by("created_at", "id"))


def _render_detail(
    request: HttpRequest,
    ticket: Ticket,
    *,
    now: dt.datetime,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    user = _user(request)
    me = agent_of(user)
    clocks = _clocks(ticket, now)
    # Only the moves that can succeed: a ticket nobody holds is assigned (or taken) first.
    transitions = [
        (value, STATUS_ACTIONS[value])
        for value in Status.values
        if value in TRANSITIONS.get(ticket.status, frozenset())
        and value in STATUS_ACTIONS
        and not (value in services.NEEDS_ASSIGNEE and ticket.assignee_id is None)
    ]
    handoff = reads.handoff(ticket)
    escalate_initial = {
        "to_level": min(ticket.level + 1, 4),
        "customer_name": ticket.requester.full_name,
    }
    notes = reads.notes(ticket)
    # Every file of the ticket in one query: the ticket's own, each note's, and the side list.
    files = reads.attachments(ticket)
    note_files: dict[int, list[Attachment]] = {}
    for file in files:
        if file.note_id is not None:
            note_files.setdefault(file.note_id, []).append(file)
    context = {
        "ticket": ticket,
        "handoff": handoff,
        "clocks": clocks,
        "nearest": sla.nearest(clocks),
        "notes": notes,
        "note_files": note_files,
        "internal_notes": {n.pk for n in notes if n.internal},
        "ticket_files": [f for f in files if f.note_id is None],
        "files": files,
        "transitions": transitions,
        "me": me,
        "can_take": me is not None
        and ticket.is_open
        and ticket.assignee_id != me.pk
        and me.level >= ticket.level,
        "survey": reads.survey(ticket),
        "timeline": logbook.timeline(
            actor=user, subject_type="ticket", subject_id=ticket.folio, details=False
        ),
        "status_form": forms.get("status_form") or blank(StatusForm),
        "assign_form": forms.get("assign_form") or blank(AssignForm),
        "priority_form": forms.get("priority_form")
        or blank(PriorityForm, priority=ticket.priority),
        "priority_choices": Priority.choices,
        "escalate_form": forms.get("escalate_form") or blank(EscalateForm, **escalate_initial),
        "note_form": forms.get("note_form") or blank(NoteForm),
        "agent_options": agent_options(user) if ticket.is_open else [],
        "area_options": area_options() if ticket.is_open else (),
        "level_choices": Level.choices,
        "open_escalate": "escalate_form" in forms,
        "countdown_labels_json": json_script(countdown_labels(now), "sla-labels"),
        "auxiliary_warning": AUXILIARY_WARNING,
        "Approval": Approval,
        "words": {
            "customer": _("Cliente"),
            "desk": _("Mesa"),
            "internal": _("Interna: el cliente no la ve"),
            "public": _("Pública"),
            "number": _("Nº"),
        },
    }
    return _render_jinja(request, "tickets/ticket_detail.html", context, status=status)


@require_GET
@login_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    _staff(request)
    return _render_detail(request, _ticket(request, number), now=clock.now())


@require_POST
@login_required
def ticket_status(request: HttpRequest, number: int) -> HttpResponse:
    user = _staff(request)
    ticket = _ticket(request, number)
    now = clock.now()
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            changed = services.change_status(
                ticket=ticket,
                actor=user,
                to_status=form.cleaned_data["to_status"],
                comment=form.cleaned_data["comment"],
                now=now,
            )
        except DomainError as exc:
            _forbidden(exc)
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(folio)s ahora está «%(status)s».")
                % {"folio": changed.folio, "status": changed.get_status_display()},
            )
            return redirect("tickets:detail", ticket.number)
    return _render_detail(request, ticket, now=now, status_form=form)


@require_POST
@login_required
def ticket_assign(request: HttpRequest, number: int) -> HttpResponse:
    user = _staff(request)
    ticket = _ticket(request, number)
    now = clock.now()
    form = AssignForm(request.POST, actor=user)
    if form.is_valid():
        agent = form.cleaned_data["agent"]
        try:
            services.assign_ticket(ticket=ticket, actor=user, agent=agent, now=now)
        except DomainError as exc:
            _forbidden(exc)
            form.add_error("agent", str(exc))
        else:
            messages.success(
                request,
                _("%(folio)s asignado a %(agent)s.") % {"folio": ticket.folio, "agent": agent.name},
            )
            return redirect("tickets:detail", ticket.number)
    return _render_detail(request, ticket, now=now, assign_form=form)


@require_POST
@login_required
def ticket_priority(request: HttpRequest, number: int) -> HttpResponse:
    user = _staff(request)
    ticket = _ticket(request, number)
    now = clock.now()
    form = PriorityForm(request.POST)
    if form.is_valid():
        try:
            services.set_priority(
                ticket=ticket,
                actor=user,
                priority=form.cleaned_data["priority"],
                reason=form.cleaned_data["priority_reason"],
                now=now,
            )
        except DomainError as exc:
            _forbidden(exc)
            form.add_error("priority", str(exc))
        else:
            messages.success(
                request,
                _("%(folio)s ahora tiene prioridad %(priority)s.")
                % {
                    "folio": ticket.folio,
                    "priority": Priority(form.cleaned_data["priority"]).label,
                },
            )
            return redirect("tickets:detail", ticket.number)
    return _render_detail(request, ticket, now=now, priority_form=form)


@require_POST
@login_required
def ticket_escalate(request: HttpRequest, number: int) -> HttpResponse:
    user = _staff(request)
    ticket = _ticket(request, number)
    now = clock.now()
    form = EscalateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            escalation = services.escalate_ticket(
                ticket=ticket,
                actor=user,
                to_level=data["to_level"],
                to_area=data["to_area"],
                customer_name=data["customer_name"],
                reason=data["reason"],
                tried=data["tried"],
                now=now,
            )
        except DomainError as exc:
            _forbidden(exc)
            add_rule_error(form, exc.code, str(exc))
        else:
            if escalation.to_agent_id:
                text = _("%(folio)s escalado al nivel %(level)d: lo recibe %(agent)s.") % {
                    "folio": ticket.folio,
                    "level": escalation.to_level,
                    "agent": escalation.to_agent.name,  # type: ignore[union-attr]
                }
            else:
                text = _("%(folio)s escalado al nivel %(level)d: espera en la cola del nivel.") % {
                    "folio": ticket.folio,
                    "level": escalation.to_level,
                }
            messages.success(request, text)
            return redirect("tickets:detail", ticket.number)
    return _render_detail(request, ticket, now=now, escalate_form=form)


def _add_note(
    *, ticket: Ticket, author: User, body: str, internal: bool, files: list[Upload]
) -> Note:
    """The note and its files are one change: a file that fails leaves no note behind."""
    attachments.check_upload(ticket, [(f.name, f.data) for f in files])
    return services.add_note(
        ticket=ticket,
        author=author,
        body=body,
        internal=internal,
        now=clock.now(),
        files=[services.FileIn(f.name, f.data, f.content_type) for f in files],
    )


@require_POST
@login_required
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    user = _staff(request)
    ticket = _ticket(request, number)
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            note = _add_note(
                ticket=ticket,
                author=user,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                files=read_files(form.cleaned_data["uploads"]),
            )
        except DomainError as exc:
            _forbidden(exc)
            add_rule_error(form, exc.code, str(exc))
        else:
            messages.success(
                request,
                _("Nota interna guardada.")
                if note.internal
                else _("Respuesta enviada: el cliente la ve en el portal."),
            )
            return redirect(reverse("tickets:detail", args=[ticket.number]) + f"#nota-{note.pk}")
    return _render_detail(request, ticket, now=clock.now(), note_form=form)


@require_GET
@login_required
def attachment_download(request: HttpRequest, number: int, attachment_id: int) -> FileResponse:
    """Always a download (never rendered inline); customers never get an internal note's file."""
    ticket = _ticket(request, number)
    found = Attachment.objects.filter(pk=attachment_id, ticket=ticket).select_related("note")
    attachment = get_object_or_404(found)
    if (
        not _user(request).is_desk_staff
        and attachment.note is not None
        and attachment.note.internal
    ):
        raise Http404
    return attachment_response(attachment)


# --- the customer portal ------------------------------------------------------------------


def _customer(request: HttpRequest) -> User | None:
    """The customer, or None for staff (who are sent to the desk's pages)."""
    user = _user(request)
    return None if user.is_desk_staff else user


@require_GET
@login_required
def portal_list(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    if user is None:
        return redirect("tickets:queue")
    only_open = request.GET.get("estado", "abiertas") != "todas"
    q = request.GET.get("q", "").strip()[:200]
    next_url = None
    if q:
        tickets = search.search_tickets(user, q, limit=SEARCH_LIMIT)
    else:
        result = queues.page(
            user,
            queue="all",
            filters={"status": "open"} if only_open else {},
            cursor=request.GET.get("despues") or None,
        )
        tickets = result.tickets
        if result.next_cursor:
            next_url = "?" + urlencode(
                {"estado": "abiertas" if only_open else "todas", "despues": result.next_cursor}
            )
    person = _person(user)
    answered = set(
        Survey.objects.filter(ticket__in=[t.pk for t in tickets]).values_list(
            "ticket_id", flat=True
        )
    )
    rows = [
        {
            "ticket": t,
            "step": PORTAL_STEP_OF.get(t.status),
            "needs_approval": _can_decide(t, person),
            "needs_survey": _can_answer_survey(t, user) and t.pk not in answered,
        }
        for t in tickets
    ]
    context = {
        "rows": rows,
        "only_open": only_open,
        "q": q,
        "next_url": next_url,
        "first_url": ("?estado=" + ("abiertas" if only_open else "todas"))
        if request.GET.get("despues")
        else None,
        "person": person,
    }
    template = "tickets/portal_list.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def portal_new(request: HttpRequest) -> HttpResponse:
    user = _customer(request)
    if user is None:
        return redirect("tickets:new")
    person = _person(user)
    if request.method == "POST":
        form = PortalTicketForm(request.POST, request.FILES, actor=user, person=person)
        if person is None:
            form.add_error(
                None,
                _(
                    "Su usuario no está registrado como persona de su organización; llame a la mesa."
                ),
            )
        elif form.is_valid():
            try:
                ticket = _open_from_portal(user, form.new_ticket(person), form)
            except DomainError as exc:
                _forbidden(exc)
                add_rule_error(form, exc.code, str(exc))
            else:
                messages.success(
                    request,
                    _("Recibimos su solicitud %(folio)s. Le avisaremos de cada avance.")
                    % {"folio": ticket.folio},
                )
                return redirect("tickets:portal_detail", ticket.number)
    else:
        form = PortalTicketForm(actor=user, person=person)
    return render(request, "tickets/portal_form.html", {"form": form, "person": person})


def _open_from_portal(user: User, data: services.NewTicket, form: PortalTicketForm) -> Ticket:
    """The ticket and its first files are one change: a refused file opens no ticket."""
    files = read_files(form.cleaned_data["uploads"])
    now = clock.now()
    with transaction.atomic():
        ticket = services.open_ticket(actor=user, data=data, now=now)
        attachments.check_upload(ticket, [(f.name, f.data) for f in files])
        if files:
            # Stored and named in the bitácora with their size and SHA-256.
            services.attach_files(
                ticket=ticket,
                actor=user,
                files=[services.FileIn(f.name, f.data, f.content_type) for f in files],
                now=now,
            )
    return ticket


def _can_decide(ticket: Ticket, person: Person | None) -> bool:
    return (
        person is not None
        and ticket.approval == Approval.PENDING
        and person.can_decide
        and person.organisation_id == ticket.organisation_id
        and ticket.decision_maker_id in (None, person.pk)
    )


def _can_answer_survey(ticket: Ticket, user: User) -> bool:
    return ticket.status in (Status.RESOLVED, Status.CLOSED) and (
        ticket.requester.user_id == user.pk
    )


def _render_portal(
    request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = _user(request)
    person = _person(user)
    survey = reads.survey(ticket)
    notes = _notes(ticket, public_only=True)
    changes = ticket.status_changes.order_by("at", "id")
    context = {
        "ticket": ticket,
        "notes": notes,
        "ticket_files": ticket.attachments.filter(note__isnull=True).order_by("id"),
        "steps": PORTAL_STEPS,
        "step": PORTAL_STEP_OF.get(ticket.status),
        "changes": changes,
        "can_reply": ticket.status not in (Status.CLOSED, Status.CANCELLED),
        "can_decide": _can_decide(ticket, person),
        "survey": survey,
        "can_answer_survey": survey is None and _can_answer_survey(ticket, user),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "approval_form": forms.get("approval_form") or ApprovalForm(),
        "survey_form": forms.get("survey_form") or SurveyForm(),
        "Approval": Approval,
        "Status": Status,
    }
    return render(request, "tickets/portal_detail.html", context, status=status)


@require_GET
@login_required
def portal_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    if _customer(request) is None:
        return redirect("tickets:detail", ticket.number)
    return _render_portal(request, ticket)


@require_POST
@login_required
def portal_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    user = _customer(request)
    if user is None:
        raise PermissionDenied
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            note = _add_note(
                ticket=ticket,
                author=user,
                body=form.cleaned_data["body"],
                internal=False,
                files=read_files(form.cleaned_data["uploads"]),
            )
        except DomainError as exc:
            _forbidden(exc)
            add_rule_error(form, exc.code, str(exc))
        else:
            messages.success(request, _("Enviamos su respuesta a la mesa de ayuda."))
            return redirect(
                reverse("tickets:portal_detail", args=[ticket.number]) + f"#nota-{note.pk}"
            )
    return _render_portal(request, ticket, reply_form=form)


@require_POST
@login_required
def portal_approval(request: HttpRequest, number: int) -> HttpResponse:
    """The decision-maker approves or rejects chargeable work (indirect attention)."""
    ticket = _ticket(request, number)
    user = _customer(request)
    if user is None:
        raise PermissionDenied
    form = ApprovalForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_approval(
                ticket=ticket,
                actor=user,
                approve=approve,
                comment=form.cleaned_data["comment"],
                now=clock.now(),
            )
        except DomainError as exc:
            _forbidden(exc)
            if exc.code == "no_pending_approval":
                # Decided already (a second click, another tab): the page no longer shows the
                # approval box, so the answer goes where the customer will read it.
                messages.error(request, str(exc))
                return redirect("tickets:portal_detail", ticket.number)
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Aprobó el trabajo con costo; la mesa continúa.")
                if approve
                else _("Rechazó el trabajo con costo; la mesa se lo confirmará."),
            )
            return redirect("tickets:portal_detail", ticket.number)
    return _render_portal(request, ticket, approval_form=form)


@require_POST
@login_required
def portal_survey(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket(request, number)
    user = _customer(request)
    if user is None:
        raise PermissionDenied
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.answer_survey(
                ticket=ticket,
                actor=user,
                satisfaction=form.cleaned_data["satisfaction"],
                resolved=form.cleaned_data["resolved"],
                comment=form.cleaned_data["comment"],
                now=clock.now(),
            )
        except DomainError as exc:
            _forbidden(exc)
            add_rule_error(form, exc.code, str(exc))
        else:
            messages.success(request, _("Gracias por responder la encuesta."))
            return redirect("tickets:portal_detail", ticket.number)
    return _render_portal(request, ticket, survey_form=form)
