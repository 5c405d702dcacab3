"""Pages of calls: the agent's console, the supervisors' wallboard, callbacks, calls and a call.

Views are glue: authorise, parse, one service call, render. Every button of the console
goes through the same services as the CTI webhook, so a desk without a phone system gets
the same events, metrics and QA. An htmx request gets the console back as a partial; a
plain form post is redirected to the console with the outcome as a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from soporte.calls import metrics, scripts, services
from soporte.calls.forms import (
    AttachTicketForm,
    CallbackDoneForm,
    CallerForm,
    HangUpForm,
    HoldForm,
    OpenTicketForm,
    RingingForm,
    TransferForm,
)
from soporte.calls.models import (
    RING_LIMIT,
    Call,
    Callback,
    CallState,
    EventKind,
    Hold,
    HoldChoice,
    Scorecard,
    Transfer,
    TransferKind,
    TransferState,
    rings_for,
)
from soporte.directory.models import Agent, Area, Level, Person, Presence, User
from soporte.lib import clock
from soporte.lib.errors import DomainError, Forbidden, NotFound
from soporte.tickets.models import Ticket

# Tokens the console's script filler replaces while the agent fills the transfer form (T4).
T4_TOKENS = {"colleague": "[[colega]]", "area": "[[area]]", "reason": "[[motivo]]"}
CALLS_PER_PAGE = 50
# A script for a moment (H4 on resuming, X3 on receiving) leaves the screen this long after.
SCRIPT_MOMENT_SECONDS = 30


# --- access -------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _me(user: User) -> Agent | None:
    return Agent.objects.select_related("user").filter(user=user).first()


def _call(user: User, call_id: int) -> Call:
    try:
        return services.access_call(user, call_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _transfer(call_id: int, transfer_id: int, user: User) -> Transfer:
    transfer = (
        Transfer.objects.select_related("call__line", "call__ticket", "to_agent__user")
        .filter(pk=transfer_id, call_id=call_id, call__in=Call.objects.visible_to(user))
        .first()
    )
    if transfer is None:
        raise Http404(_("No existe esa transferencia."))
    return transfer


T = TypeVar("T")


def _press(
    request: HttpRequest,
    user: User,
    now: dt.datetime,
    action: Callable[[], T],
    ok: Callable[[T], str],
) -> HttpResponse:
    """One console button: apply the service; a rule's refusal is shown, access is 403/404."""
    try:
        result = action()
    except DomainError as exc:
        _refused(exc)
        return _after(request, user, now, error=str(exc))
    return _after(request, user, now, ok=ok(result))


# --- the console's picture of a call ------------------------------------------------------


def rings_so_far(call: Call, now: dt.datetime) -> int:
    """T1 while it rings: the ring in progress (the first starts with the call)."""
    return max(1, rings_for((now - call.started_at).total_seconds(), call.line.ring_period))


def hold_state(elapsed_seconds: float, *, warn: int, limit: int) -> str:
    """H3 on the console: "ok", "warn" from the warning second, "over" from the limit on."""
    if elapsed_seconds >= limit:
        return "over"
    if elapsed_seconds >= warn:
        return "warn"
    return "ok"


@dataclass
class CallCard:
    """Everything the console shows for one of the agent's live calls."""

    call: Call
    greeting: str
    closing: str
    hold: Hold | None = None
    hold_elapsed: int = 0
    hold_state: str = "ok"
    hold_script: str = ""
    hold_return: str = ""
    resume: str = ""
    consulting: Transfer | None = None
    received: Transfer | None = None
    receiving: str = ""
    open_tickets: list[Ticket] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    rings: int = 0


@dataclass
class Offer:
    transfer: Transfer
    receiving: str


def _cards(agent: Agent, user: User, now: dt.datetime) -> list[CallCard]:
    live = (
        Call.objects.exclude(state=CallState.ENDED)
        .filter(Q(agent=agent) | Q(state=CallState.RINGING, agent__isnull=True))
        .select_related("line", "person", "organisation", "ticket", "agent__user")
        .order_by("started_at", "id")
    )
    # Ringing calls are few; the JSON list of who is rung is read here, not in SQL (SQLite).
    calls = [c for c in live if c.agent_id == agent.pk or agent.pk in c.ringing_agent_ids]
    cards = []
    for call in calls:
        card = CallCard(
            call=call,
            greeting=scripts.greeting_script(
                desk=settings.DESK_NAME, agent_first_name=agent.first_name, moment=now
            ),
            closing=scripts.closing_script(agent_first_name=agent.first_name),
            rings=rings_so_far(call, now),
        )
        if call.state == CallState.ON_HOLD:
            card.hold = call.holds.filter(ended_at__isnull=True).order_by("-started_at").first()
            if card.hold is not None:
                card.hold_elapsed = max(0, int((now - card.hold.started_at).total_seconds()))
                card.hold_state = hold_state(
                    card.hold_elapsed,
                    warn=call.line.hold_warn_seconds,
                    limit=call.line.hold_limit_seconds,
                )
                card.hold_script = scripts.hold_script(reason=card.hold.reason)
        card.hold_return = scripts.hold_return_script(caller_name=call.caller_name)
        last = call.events.order_by("-at", "-id").values_list("kind", "at").first()
        if (
            call.state == CallState.TALKING
            and last is not None
            and last[0] == EventKind.UNHOLD
            and (now - last[1]).total_seconds() <= SCRIPT_MOMENT_SECONDS
        ):
            # H4 is said on resuming; once that moment has passed the prompt leaves.
            card.resume = scripts.resume_script(caller_name=call.caller_name)
        card.consulting = (
            call.transfers.filter(state=TransferState.CONSULTING, from_agent=agent)
            .select_related("to_agent__user", "to_area")
            .order_by("-id")
            .first()
        )
        received = (
            call.transfers.filter(state=TransferState.COMPLETED).order_by("-id").first()
            if call.transfer_count
            else None
        )
        if (
            received is not None
            and received.to_agent_id == agent.pk
            and received.completed_at is not None
            and (now - received.completed_at).total_seconds() <= SCRIPT_MOMENT_SECONDS
        ):
            # X3 is said when the caller is connected; later in the call it is stale.
            card.received = received
            card.receiving = scripts.receiving_script(
                caller_name=call.caller_name,
                agent_first_name=agent.first_name,
                level=agent.level,
                reason=received.reason,
            )
        if call.ticket_id is None:
            # The screen-pop (ringing) and the ticket step (answered) list the same tickets.
            card.open_tickets, people = _ticket_choices(call, user)
            if call.answered_at is not None:
                card.people = people
        cards.append(card)
    return cards


def _ticket_choices(call: Call, user: User) -> tuple[list[Ticket], list[Person]]:
    """The caller's organisation's open tickets (to attach) and people (to open one)."""
    if call.organisation_id is None:
        people = Person.objects.visible_to(user).select_related("organisation")
        return [], list(people.order_by("organisation__name", "full_name", "id")[:300])
    tickets = (
        Ticket.objects.visible_to(user)
        .open()
        .filter(organisation_id=call.organisation_id)
        .select_related("requester")
        .order_by("-updated_at", "-id")[:20]
    )
    people = Person.objects.visible_to(user).filter(organisation_id=call.organisation_id)
    return list(tickets), list(people.order_by("full_name", "id"))


def _offers(agent: Agent) -> list[Offer]:
    """X2: consultations waiting for this agent, with the caller's name first."""
    offers = (
        Transfer.objects.filter(to_agent=agent, state=TransferState.CONSULTING)
        .select_related("call__organisation", "call__ticket", "from_agent__user", "to_area")
        .order_by("started_at", "id")
    )
    return [
        Offer(
            transfer=t,
            receiving=scripts.receiving_script(
                caller_name=t.call.caller_name,
                agent_first_name=agent.first_name,
                level=agent.level,
                reason=t.reason,
            ),
        )
        for t in offers
    ]


def _console_context(request: HttpRequest, user: User, now: dt.datetime) -> dict[str, Any]:
    agent = _me(user)
    context: dict[str, Any] = {
        "me": agent,
        "now": now,
        "labels": _labels(now),
        "hold_choices": HoldChoice.choices,
        "hangup_choices": HangUpForm.CHOICES,
        "callback_default": timezone.localtime(now + dt.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "name_prompt": scripts.NAME_PROMPT,
    }
    if agent is not None:
        context |= {
            "cards": _cards(agent, user, now),
            "offers": _offers(agent),
            "callbacks": list(services.pending_callbacks(agent=agent)[:20]),
        }
    return context


def _labels(now: dt.datetime) -> dict[str, str]:
    """What calls.js writes while timers run; the server's clock for the offset."""
    return {
        "now": now.isoformat(),
        "remaining": _("quedan %(s)s s"),
        "over": _("excedida por %(s)s s"),
        "elapsed": _("%(s)s s"),
        "ring": _("timbre %(n)s"),
        "ring_limit": str(RING_LIMIT),
    }


def _console_response(request: HttpRequest, user: User, now: dt.datetime) -> HttpResponse:
    context = _console_context(request, user, now)
    part = request.GET.get("parte", "")
    name = {"ofertas": "offers", "devoluciones": "callbacks"}.get(part, "console")
    return render(request, f"calls/console.html#{name}", context)


def _after(
    request: HttpRequest, user: User, now: dt.datetime, *, ok: str = "", error: str = ""
) -> HttpResponse:
    """The console after a button: the partial for htmx, a redirect with a message otherwise."""
    if getattr(request, "htmx", False):
        context = _console_context(request, user, now)
        context |= {"flash_ok": ok, "flash_error": error}
        return render(request, "calls/console.html#console", context)
    if error:
        messages.error(request, error)
    elif ok:
        messages.success(request, ok)
    return redirect("calls:console")


def _refused(exc: DomainError) -> None:
    """`Forbidden` is an access answer (403); `NotFound` a 404; other refusals are messages."""
    if isinstance(exc, Forbidden):
        raise PermissionDenied(str(exc)) from exc
    if isinstance(exc, NotFound):
        raise Http404(str(exc)) from exc


# --- the console --------------------------------------------------------------------------


@require_GET
@login_required
def console(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    if getattr(request, "htmx", False):
        return _console_response(request, user, now)
    return render(request, "calls/console.html", _console_context(request, user, now))


@require_POST
@login_required
def ringing(request: HttpRequest) -> HttpResponse:
    """Without CTI: the desk phone rings and the agent presses "Está sonando"."""
    user = _staff(request)
    now = clock.now()
    form = RingingForm(request.POST)
    number = form.cleaned_data["number"] if form.is_valid() else ""
    return _press(
        request,
        user,
        now,
        lambda: services.register_ringing(actor=user, number=number, now=now),
        lambda call: _("Llamada de %(n)s sonando.") % {"n": call.from_number},
    )


@require_POST
@login_required
def answer(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    return _press(
        request,
        user,
        now,
        lambda: services.answer_call(actor=user, call=call, now=now),
        lambda _result: _("Llamada contestada."),
    )


@require_POST
@login_required
def record_caller(request: HttpRequest, call_id: int) -> HttpResponse:
    """T3: the need, then the caller's name."""
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    form = CallerForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {"need": "", "caller_name": ""}
    return _press(
        request,
        user,
        now,
        lambda: services.record_caller(
            actor=user, call=call, need=data["need"], caller_name=data["caller_name"], now=now
        ),
        lambda _result: _("Datos de quien llama guardados."),
    )


@require_POST
@login_required
def hold(request: HttpRequest, call_id: int) -> HttpResponse:
    """H1 reason, H2 choice: wait on the line, or a callback in the agent's task list."""
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _after(
            request,
            user,
            now,
            error=_("Indique la fecha y hora de la devolución (AAAA-MM-DD HH:MM)."),
        )
    data = form.cleaned_data
    try:
        services.place_on_hold(
            actor=user,
            call=call,
            reason=data["reason"],
            choice=data["choice"],
            callback_at=data["callback_at"],
            now=now,
        )
    except DomainError as exc:
        _refused(exc)
        return _after(request, user, now, error=str(exc))
    if data["choice"] == HoldChoice.CALLBACK:
        due = timezone.localtime(data["callback_at"])
        return _after(
            request,
            user,
            now,
            ok=_("Devolución programada para el %(when)s.") % {"when": due.strftime("%d/%m %H:%M")},
        )
    return _after(request, user, now, ok=_("Llamada en espera."))


@require_POST
@login_required
def resume(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    return _press(
        request,
        user,
        now,
        lambda: services.resume_call(actor=user, call=call, now=now),
        lambda _result: _("Llamada retomada."),
    )


@require_POST
@login_required
def open_ticket(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    form = OpenTicketForm(request.POST)
    if not form.is_valid():
        return _after(request, user, now, error=_("Elija al solicitante y escriba el asunto."))
    requester = (
        Person.objects.visible_to(user)
        .select_related("organisation")
        .filter(pk=form.cleaned_data["requester"])
        .first()
    )
    if requester is None:
        return _after(request, user, now, error=_("No existe esa persona."))
    try:
        call = services.open_ticket_for_call(
            actor=user,
            call=call,
            requester=requester,
            subject=form.cleaned_data["subject"],
            description=form.cleaned_data["description"],
            now=now,
        )
    except DomainError as exc:
        _refused(exc)
        return _after(request, user, now, error=str(exc))
    folio = call.ticket.folio if call.ticket else ""
    return _after(request, user, now, ok=_("Ticket %(folio)s abierto.") % {"folio": folio})


@require_POST
@login_required
def attach_ticket(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    form = AttachTicketForm(request.POST)
    ticket = (
        Ticket.objects.visible_to(user).filter(number=form.cleaned_data["ticket"]).first()
        if form.is_valid()
        else None
    )
    if ticket is None:
        return _after(request, user, now, error=_("No existe ese ticket."))
    try:
        services.attach_ticket(actor=user, call=call, ticket_id=ticket.pk, now=now)
    except DomainError as exc:
        _refused(exc)
        return _after(request, user, now, error=str(exc))
    return _after(
        request, user, now, ok=_("Llamada vinculada a %(folio)s.") % {"folio": ticket.folio}
    )


def _transfer_context(
    request: HttpRequest, user: User, call: Call, form: TransferForm | None = None
) -> dict[str, Any]:
    agent = _me(user)
    default_level = min((agent.level if agent else 1) + 1, 4)
    params = request.POST if request.method == "POST" else request.GET
    try:
        level = int(params.get("level", default_level))
    except ValueError:
        level = default_level
    level = level if level in Level.values else default_level
    areas = list(Area.objects.order_by("name", "id"))
    area = next((a for a in areas if str(a.pk) == params.get("area", "")), None)
    candidates = services.transfer_candidates(call=call, level=level, area=area)
    return {
        "call": call,
        "levels": Level.choices,
        "level": level,
        "areas": areas,
        "area": area,
        "candidates": candidates,
        "Presence": Presence,
        "kinds": TransferKind.choices,
        "kind": params.get("kind", TransferKind.WARM),
        "form": form,
        "t4_template": scripts.transfer_script(
            colleague=T4_TOKENS["colleague"],
            area=T4_TOKENS["area"],
            reason=T4_TOKENS["reason"],
        ),
        "t4_tokens": T4_TOKENS,
    }


@login_required
def transfer(request: HttpRequest, call_id: int) -> HttpResponse:
    """GET: the dialog (level, area, who is available, the T4 script); POST: transfer."""
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    if request.method != "POST":
        return render(
            request, "calls/console.html#transfer-dialog", _transfer_context(request, user, call)
        )
    form = TransferForm(request.POST)
    if not form.is_valid():
        return _transfer_refused(
            request, user, call, now, _("Elija el nivel y el tipo de transferencia.")
        )
    data = form.cleaned_data
    area = Area.objects.filter(pk=data["area"]).first() if data["area"] else None
    to_agent = (
        Agent.objects.select_related("user").filter(pk=data["to_agent"]).first()
        if data["to_agent"]
        else None
    )
    try:
        if data["kind"] == TransferKind.WARM:
            if to_agent is None:
                return _transfer_refused(
                    request, user, call, now, _("Elija al colega que recibirá la consulta.")
                )
            services.start_warm_transfer(
                actor=user,
                call=call,
                to_agent=to_agent,
                area=area,
                reason=data["reason"],
                summary=data["summary"],
                announced=data["announced"],
                now=now,
            )
            ok = _("Consulta enviada a %(name)s: espere a que acepte.") % {"name": to_agent.name}
        else:
            services.blind_transfer(
                actor=user,
                call=call,
                level=data["level"],
                area=area,
                to_agent=to_agent,
                reason=data["reason"],
                summary=data["summary"],
                announced=data["announced"],
                now=now,
            )
            ok = _("Transferencia en frío registrada.")
    except DomainError as exc:
        _refused(exc)
        return _transfer_refused(request, user, call, now, str(exc))
    return _after(request, user, now, ok=ok)


def _transfer_refused(
    request: HttpRequest, user: User, call: Call, now: dt.datetime, error: str
) -> HttpResponse:
    """The console with the transfer dialog still open, its fields as typed and the reason
    it was refused next to them (nothing is consulted or escalated)."""
    if not getattr(request, "htmx", False):
        return _after(request, user, now, error=error)
    context = _console_context(request, user, now)
    context |= _transfer_context(request, user, call)
    context |= {
        "flash_error": error,
        "retry_call_id": call.pk,
        "transfer_error": error,
        "typed": {
            "reason": request.POST.get("reason", "")[:2000],
            "summary": request.POST.get("summary", "")[:4000],
            "announced": bool(request.POST.get("announced")),
            "to_agent": request.POST.get("to_agent", ""),
        },
    }
    return render(request, "calls/console.html#console", context)


@require_POST
@login_required
def transfer_accept(request: HttpRequest, call_id: int, transfer_id: int) -> HttpResponse:
    """X2: the colleague takes the consultation before the caller is connected."""
    user = _staff(request)
    now = clock.now()
    item = _transfer(call_id, transfer_id, user)
    return _press(
        request,
        user,
        now,
        lambda: services.accept_transfer(actor=user, transfer=item, now=now),
        lambda _result: _("Consulta aceptada: espere a que le conecten."),
    )


@require_POST
@login_required
def transfer_complete(request: HttpRequest, call_id: int, transfer_id: int) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    item = _transfer(call_id, transfer_id, user)
    try:
        services.complete_transfer(actor=user, transfer=item, now=now)
    except DomainError as exc:
        _refused(exc)
        return _after(request, user, now, error=str(exc))
    name = item.to_agent.name if item.to_agent else item.target
    return _after(request, user, now, ok=_("Llamada transferida a %(name)s.") % {"name": name})


@require_POST
@login_required
def transfer_cancel(request: HttpRequest, call_id: int, transfer_id: int) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    item = _transfer(call_id, transfer_id, user)
    return _press(
        request,
        user,
        now,
        lambda: services.cancel_transfer(actor=user, transfer=item, now=now),
        lambda _result: _("Consulta cancelada: la llamada sigue con usted."),
    )


@require_POST
@login_required
def hang_up(request: HttpRequest, call_id: int) -> HttpResponse:
    """C3: who hung up first."""
    user = _staff(request)
    now = clock.now()
    call = _call(user, call_id)
    form = HangUpForm(request.POST)
    by = form.cleaned_data["by"] if form.is_valid() else ""
    try:
        services.hang_up(actor=user, call=call, by=by, now=now)
    except DomainError as exc:
        _refused(exc)
        return _after(request, user, now, error=str(exc))
    # The agent lands on the call's summary: its ticket, its record and its scorecard.
    messages.success(request, _("Llamada terminada."))
    summary = reverse("calls:detail", args=[call.pk])
    if getattr(request, "htmx", False):
        return HttpResponse(headers={"HX-Redirect": summary})
    return redirect(summary)


# --- callbacks ----------------------------------------------------------------------------


@require_GET
@login_required
def callbacks(request: HttpRequest) -> HttpResponse:
    """H2: the agent's pending callbacks; supervisors also see the team's."""
    user = _staff(request)
    agent = _me(user)
    mine = list(services.pending_callbacks(agent=agent)) if agent else []
    team: list[Callback] = []
    if user.is_manager:
        team = list(
            Callback.objects.visible_to(user)
            .filter(done_at__isnull=True)
            .exclude(agent=agent)
            .select_related("agent__user", "organisation", "ticket")
            .order_by("due_at", "id")[:200]
        )
    return render(
        request,
        "calls/callbacks.html",
        {"me": agent, "mine": mine, "team": team, "now": clock.now()},
    )


@require_POST
@login_required
def callback_done(request: HttpRequest, callback_id: int) -> HttpResponse:
    user = _staff(request)
    now = clock.now()
    item = Callback.objects.visible_to(user).filter(pk=callback_id).first()
    if item is None:
        raise Http404(_("No existe esa devolución."))
    form = CallbackDoneForm(request.POST)
    result = form.cleaned_data["result"] if form.is_valid() else ""
    try:
        services.complete_callback(actor=user, callback=item, result=result, now=now)
    except DomainError as exc:
        _refused(exc)
        if getattr(request, "htmx", False):
            return _after(request, user, now, error=str(exc))
        messages.error(request, str(exc))
        return redirect(request.POST.get("next") or "calls:callbacks")
    if getattr(request, "htmx", False):
        return _after(request, user, now, ok=_("Devolución marcada como hecha."))
    messages.success(request, _("Devolución marcada como hecha."))
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/llamadas/") else "calls:callbacks")


# --- the wallboard ------------------------------------------------------------------------


@dataclass
class HoldRow:
    call: Call
    hold: Hold
    elapsed: int
    over: bool


def _board_context(now: dt.datetime) -> dict[str, Any]:
    live = list(services.live_calls())
    ringing = [(c, rings_so_far(c, now)) for c in live if c.state == CallState.RINGING]
    open_holds = {
        h.call_id: h
        for h in Hold.objects.filter(ended_at__isnull=True, call__state=CallState.ON_HOLD).order_by(
            "started_at", "id"
        )
    }
    holds = []
    for call in live:
        h = open_holds.get(call.pk)
        if call.state == CallState.ON_HOLD and h is not None:
            elapsed = max(0, int((now - h.started_at).total_seconds()))
            holds.append(HoldRow(call, h, elapsed, elapsed > call.line.hold_limit_seconds))
    names = {a.pk: a.name for a in Agent.objects.select_related("user")}
    return {
        "now": now,
        "labels": _labels(now),
        "figures": metrics.day_figures(now=now),
        "ringing": [(c, s, [names.get(a, "") for a in c.ringing_agent_ids]) for c, s in ringing],
        "holds": holds,
        "talking": [c for c in live if c.state == CallState.TALKING],
        "transfers": list(
            Transfer.objects.filter(state=TransferState.CONSULTING)
            .select_related("call", "from_agent__user", "to_agent__user", "to_area")
            .order_by("started_at", "id")
        ),
        "agents": list(
            Agent.objects.select_related("user")
            .filter(user__is_active=True)
            .order_by("-level", "user__first_name", "id")
        ),
    }


@require_GET
@login_required
def wallboard(request: HttpRequest) -> HttpResponse:
    _staff(request)
    template = "calls/wallboard.html"
    if getattr(request, "htmx", False):
        template += "#board"
    return render(request, template, _board_context(clock.now()))


# --- calls and a call ---------------------------------------------------------------------


@require_GET
@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    calls = (
        Call.objects.visible_to(user)
        .select_related("person", "organisation", "agent__user", "ticket")
        .order_by("-started_at", "-id")
    )
    page = Paginator(calls, CALLS_PER_PAGE).get_page(request.GET.get("pagina"))
    return render(request, "calls/call_list.html", {"page": page})


@require_GET
@login_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponse:
    user = _staff(request)
    call = _call(user, call_id)
    return render(
        request,
        "calls/call_detail.html",
        {
            "call": call,
            "events": list(call.events.order_by("at", "id")),
            "holds": list(call.holds.select_related("agent__user").order_by("started_at", "id")),
            "transfers": list(
                call.transfers.select_related(
                    "from_agent__user", "to_agent__user", "to_area", "escalation"
                ).order_by("started_at", "id")
            ),
            "callbacks": list(
                call.callbacks.select_related("agent__user").order_by("due_at", "id")
            ),
            "hold_limit": call.line.hold_limit_seconds,
            "scorecard": Scorecard.objects.filter(call=call).first(),
        },
    )
