"""The desk's pages: queues and bulk assignment, a new ticket, one ticket's page and its
actions. Views are glue: authorise, validate, one service call, render. Staff pages answer 403
to customers.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
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
from soporte.directory.models import Agent, Level, User
from soporte.lib import clock
from soporte.lib.errors import DomainError
from soporte.lib.params import parse_id
from soporte.logbook import services as logbook
from soporte.tickets import attachments, jinja, queues, reads, search, services, sla
from soporte.tickets.api import attachment_response
from soporte.tickets.forms import (
    AssignForm,
    BulkAssignForm,
    EscalateForm,
    NoteForm,
    PriorityForm,
    StatusForm,
    TicketForm,
    add_rule_error,
    agent_options,
    area_options,
    blank,
    read_files,
    staff_organisation_options,
)
from soporte.tickets.models import (
    AUXILIARY_WARNING,
    TRANSITIONS,
    Approval,
    Attachment,
    Channel,
    Priority,
    Status,
    Ticket,
)
from soporte.tickets.views.access import (
    file_ins,
    refuse_forbidden,
    staff_only,
    ticket_or_404,
    user_of,
)
from soporte.tickets.views.display import (
    SEARCH_LIMIT,
    clock_views,
    countdown_labels,
    queue_rows,
    render_jinja,
    ticket_row_values,
)

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
        values = [ticket_row_values(t) for t in found]
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
    rows = queue_rows(values, now, selected)
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


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = staff_only(request)
    context = _queue_context(request, user, clock.now())
    if getattr(request, "htmx", False):
        return HttpResponse(jinja.render(request, "tickets/_queue_results.html", context))
    return render_jinja(request, "tickets/queue.html", context)


@require_POST
@login_required
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign every checked ticket to one agent: all of them, or none (one transaction)."""
    user = staff_only(request)
    now = clock.now()
    form = BulkAssignForm(request.POST, actor=user)
    back = reverse("tickets:queue") + ("?" + request.GET.urlencode() if request.GET else "")
    if form.is_valid():
        agent: Agent = form.cleaned_data["agent"]
        tickets = list(form.cleaned_data["tickets"].order_by("number"))
        try:
            services.assign_tickets(tickets=tickets, actor=user, agent=agent, now=now)
        except DomainError as exc:
            refuse_forbidden(exc)
            prefix = f"{exc.details['folio']}: " if "folio" in exc.details else ""
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
    return render_jinja(request, "tickets/queue.html", context)


# --- the desk: a new ticket ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = staff_only(request)
    if request.method == "POST":
        form = TicketForm(request.POST, actor=user)
        if form.is_valid():
            try:
                ticket = services.open_ticket(actor=user, data=form.new_ticket(), now=clock.now())
            except DomainError as exc:
                refuse_forbidden(exc)
                add_rule_error(form, exc.code, str(exc))
            else:
                messages.success(request, _("Ticket %(folio)s abierto.") % {"folio": ticket.folio})
                return redirect("tickets:detail", ticket.number)
    else:
        initial = {
            "organisation": request.GET.get("organisation", ""),
            "device": request.GET.get("device", ""),  # "Abrir ticket" from a device's page
        }
        form = TicketForm(initial=initial, actor=user)
    context = {"form": form, "auxiliary_warning": AUXILIARY_WARNING}
    template = "tickets/ticket_form.html"
    # Choosing the organisation reloads only the people it has (requester, decision-maker).
    if getattr(request, "htmx", False) and request.method == "GET":
        template += "#people"
    return render(request, template, context)


# --- the desk: one ticket -----------------------------------------------------------------


def _render_detail(
    request: HttpRequest,
    ticket: Ticket,
    *,
    now: dt.datetime,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    user = user_of(request)
    me = agent_of(user)
    clocks = clock_views(ticket, now)
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
    customer_names = services.handoff_customer_names(ticket) if ticket.is_open else []
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
        "customer_choices": [(name, name) for name in customer_names],
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
    return render_jinja(request, "tickets/ticket_detail.html", context, status=status)


@require_GET
@login_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    staff_only(request)
    return _render_detail(request, ticket_or_404(request, number), now=clock.now())


@require_POST
@login_required
def ticket_status(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_only(request)
    ticket = ticket_or_404(request, number)
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
            refuse_forbidden(exc)
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
    user = staff_only(request)
    ticket = ticket_or_404(request, number)
    now = clock.now()
    form = AssignForm(request.POST, actor=user)
    if form.is_valid():
        agent = form.cleaned_data["agent"]
        try:
            services.assign_ticket(ticket=ticket, actor=user, agent=agent, now=now)
        except DomainError as exc:
            refuse_forbidden(exc)
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
    user = staff_only(request)
    ticket = ticket_or_404(request, number)
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
            refuse_forbidden(exc)
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
    user = staff_only(request)
    ticket = ticket_or_404(request, number)
    now = clock.now()
    form = EscalateForm(request.POST, customer_names=services.handoff_customer_names(ticket))
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
            refuse_forbidden(exc)
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


@require_POST
@login_required
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    user = staff_only(request)
    ticket = ticket_or_404(request, number)
    form = NoteForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            # The note and its files are one change: a refused file leaves no note behind.
            note = services.add_note(
                ticket=ticket,
                author=user,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
                now=clock.now(),
                files=file_ins(read_files(form.cleaned_data["uploads"])),
            )
        except DomainError as exc:
            refuse_forbidden(exc)
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
def attachment_download(
    request: HttpRequest, number: int, attachment_id: int
) -> FileResponse | HttpResponse:
    """Always a download (never rendered inline); customers never get an internal note's file."""
    ticket = ticket_or_404(request, number)
    found = Attachment.objects.filter(pk=attachment_id, ticket=ticket).select_related("note")
    attachment = get_object_or_404(found)
    if (
        not user_of(request).is_desk_staff
        and attachment.note is not None
        and attachment.note.internal
    ):
        raise Http404
    try:
        return attachment_response(attachment)
    except attachments.AttachmentMissing as missing:
        return render(request, "410.html", {"message": missing.message}, status=410)
