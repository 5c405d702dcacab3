"""The customer portal's pages (virtual attention): the customer's requests, a new request,
one request with its reply, approval and survey. Staff are sent to the desk's page of the
same ticket.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.directory.models import Person, User
from soporte.lib import clock
from soporte.lib.errors import DomainError
from soporte.tickets import queues, reads, search, services
from soporte.tickets.forms import (
    ApprovalForm,
    PortalTicketForm,
    ReplyForm,
    SurveyForm,
    add_rule_error,
    read_files,
)
from soporte.tickets.models import (
    Approval,
    Status,
    Survey,
    Ticket,
)
from soporte.tickets.views.access import (
    file_ins,
    person_of,
    refuse_forbidden,
    ticket_notes,
    ticket_or_404,
    user_of,
)
from soporte.tickets.views.display import (
    SEARCH_LIMIT,
)

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


# --- the customer portal ------------------------------------------------------------------


def _customer(request: HttpRequest) -> User | None:
    """The customer, or None for staff (who are sent to the desk's pages)."""
    user = user_of(request)
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
    person = person_of(user)
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
    person = person_of(user)
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
                # The ticket and its first files are one change: a refused file opens none.
                ticket = services.open_ticket(
                    actor=user,
                    data=form.new_ticket(person),
                    now=clock.now(),
                    files=file_ins(read_files(form.cleaned_data["uploads"])),
                )
            except DomainError as exc:
                refuse_forbidden(exc)
                add_rule_error(form, exc.code, str(exc))
            else:
                messages.success(
                    request,
                    _("Recibimos su solicitud %(folio)s. Le avisaremos de cada avance.")
                    % {"folio": ticket.folio},
                )
                return redirect("tickets:portal_detail", ticket.number)
    else:
        # "Pedir ayuda con este equipo" on a device's page names the device.
        form = PortalTicketForm(
            actor=user, person=person, initial={"device": request.GET.get("equipo", "")}
        )
    return render(request, "tickets/portal_form.html", {"form": form, "person": person})


# The portal home lists at most this many open requests; "Ver todas" leads to the full list.
HOME_REQUESTS = 20


def portal_home_requests(user: User) -> tuple[list[dict[str, Any]], int]:
    """The organisation's open requests (and resolved ones still waiting for this customer's
    rating), those waiting for the customer first, each with the next step expected from the
    customer: approve the cost, answer the desk's question, rate the attention, or nothing
    (the desk is working on it). Returns the rows shown and how many are open in all."""
    person = person_of(user)
    visible = Ticket.objects.visible_to(user)
    open_tickets = visible.open()
    total = open_tickets.count()
    unrated = (
        visible.filter(status=Status.RESOLVED, requester__user=user, survey__isnull=True)
        .select_related("requester")
        .order_by("-updated_at", "-id")[:5]
    )
    tickets = list(
        open_tickets.select_related("requester").order_by("-updated_at", "-id")[:HOME_REQUESTS]
    )
    rows = []
    for ticket in [*tickets, *unrated]:
        detail = reverse("tickets:portal_detail", args=[ticket.number])
        step: tuple[str, str] | None = None
        if _can_decide(ticket, person):
            step = (_("Apruebe o rechace el costo"), detail + "#approval-title")
        elif ticket.status == Status.WAITING_CUSTOMER:
            step = (_("Responda a la pregunta de la mesa"), detail + "#responder")
        elif ticket.status == Status.RESOLVED:
            step = (_("Califique la atención"), detail + "#survey-title")
        rows.append({"ticket": ticket, "step": step, "portal_step": PORTAL_STEP_OF[ticket.status]})
    # What waits for the customer comes first, then the most recently changed.
    rows.sort(key=lambda row: row["step"] is None)
    return rows, total


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
    user = user_of(request)
    person = person_of(user)
    survey = reads.survey(ticket)
    notes = ticket_notes(ticket, public_only=True)
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
    ticket = ticket_or_404(request, number)
    if _customer(request) is None:
        return redirect("tickets:detail", ticket.number)
    return _render_portal(request, ticket)


@require_POST
@login_required
def portal_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = ticket_or_404(request, number)
    user = _customer(request)
    if user is None:
        raise PermissionDenied
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            note = services.add_note(
                ticket=ticket,
                author=user,
                body=form.cleaned_data["body"],
                internal=False,
                now=clock.now(),
                files=file_ins(read_files(form.cleaned_data["uploads"])),
            )
        except DomainError as exc:
            refuse_forbidden(exc)
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
    ticket = ticket_or_404(request, number)
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
            refuse_forbidden(exc)
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
    ticket = ticket_or_404(request, number)
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
            refuse_forbidden(exc)
            add_rule_error(form, exc.code, str(exc))
        else:
            messages.success(request, _("Gracias por responder la encuesta."))
            return redirect("tickets:portal_detail", ticket.number)
    return _render_portal(request, ticket, survey_form=form)
