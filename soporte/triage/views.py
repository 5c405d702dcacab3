"""Triage pages: the suggestion on a ticket's page (with the person's decision) and the
supervisors' review. Views are glue: authorise, validate, one service call, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from soporte.directory.models import Area, User
from soporte.lib import charts, clock, exports
from soporte.lib.errors import DomainError, Forbidden
from soporte.lib.tasks import enqueue
from soporte.tickets.models import Priority, Ticket
from soporte.triage import services, tasks
from soporte.triage.models import ModelStatus, ModelVersion, TriageSettings

LEVEL_CHOICES = [(n, _("Nivel %(n)d") % {"n": n}) for n in (1, 2, 3, 4)]
MONTH_CHOICES = (1, 3, 6, 12)


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _manager(request: HttpRequest) -> User:
    user = _staff(request)
    if not user.is_manager:
        raise PermissionDenied
    return user


def _ticket(user: User, number: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.visible_to(user).select_related("area", "requester"), number=number
    )


# --- the ticket's page -----------------------------------------------------------------------


@require_GET
@login_required
def ticket_panel(request: HttpRequest, number: int) -> HttpResponse:
    """The suggestion beside the ticket (loaded by htmx), or nothing below the threshold."""
    user = _staff(request)
    ticket = _ticket(user, number)
    suggestion = services.suggestion_for(ticket=ticket, now=clock.now())
    settings_row = TriageSettings.current()
    shown = suggestion is not None and services.is_shown(
        suggestion, threshold=settings_row.threshold
    )
    areas = {a.code: a.name for a in Area.objects.order_by("name", "id")}
    return render(
        request,
        "triage/_panel.html",
        {
            "ticket": ticket,
            "suggestion": suggestion,
            "shown": shown and ticket.is_open,
            "area_name": areas.get(suggestion.area_code, "") if suggestion else "",
            "areas": areas,
            "level_choices": LEVEL_CHOICES,
            "priority_choices": Priority.choices,
            "priority_label": Priority(suggestion.priority).label if suggestion else "",
            "is_manager": user.is_manager,
        },
    )


@require_POST
@login_required
def ticket_decide(request: HttpRequest, number: int) -> HttpResponse:
    """Accept (one click) or pick another level, area or priority."""
    user = _staff(request)
    ticket = _ticket(user, number)
    # Made here if the panel has not been seen yet (the click is still a person's).
    suggestion = services.suggestion_for(ticket=ticket, now=clock.now())
    if suggestion is None:
        messages.error(request, _("El ticket ya no está abierto: no hay triaje que decidir."))
        return redirect("tickets:detail", number=ticket.number)
    if request.POST.get("action") == "accept":
        choice = services.Choice(suggestion.level, suggestion.area_code, suggestion.priority)
    else:
        try:
            level = int(request.POST.get("level", "")[:2])
        except ValueError:
            level = 0
        choice = services.Choice(
            level,
            request.POST.get("area", "")[:40],
            request.POST.get("priority", "")[:8],
        )
    try:
        services.decide(suggestion=suggestion, actor=user, choice=choice, now=clock.now())
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Triaje aplicado: nivel %(level)d.") % {"level": choice.level})
    return redirect("tickets:detail", number=ticket.number)


@require_GET
@login_required
def preview(request: HttpRequest) -> HttpResponse:
    """What the assistant would suggest for a text not yet a ticket (a call's need as typed in
    the console): read-only; the decision is made on the ticket once it is opened."""
    _staff(request)
    text = request.GET.get("texto", "").strip()[: services.engine.MAX_TEXT]
    prediction = None
    if text:
        _version, found = services.predict(text, now=clock.now())
        if found.confidence >= TriageSettings.current().threshold:
            prediction = found
    areas = dict(Area.objects.values_list("code", "name"))
    return render(
        request,
        "triage/_preview.html",
        {
            "prediction": prediction,
            "area_name": areas.get(prediction.area, "") if prediction else "",
            "priority_label": Priority(prediction.priority).label
            if prediction and prediction.priority in Priority.values
            else "",
        },
    )


# --- supervisors -----------------------------------------------------------------------------


def _months(request: HttpRequest) -> int:
    try:
        months = int(request.GET.get("meses", "3")[:2])
    except ValueError:
        return 3
    return months if months in MONTH_CHOICES else 3


def _since(months: int, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=30 * months)


def _confusion_rows(review: services.Review) -> list[dict[str, Any]]:
    return [
        {
            "suggested": _("Nivel %(n)d") % {"n": i + 1},
            **{f"n{j + 1}": review.confusion[i][j] for j in range(4)},
        }
        for i in range(4)
    ]


@require_GET
@login_required
def supervisor(request: HttpRequest) -> HttpResponse:
    _manager(request)
    now = clock.now()
    months = _months(request)
    review = services.review(since=_since(months, now))
    active = services.active_version(now=now)
    candidate = (
        ModelVersion.objects.filter(status=ModelStatus.CANDIDATE)
        .defer("blob")
        .order_by("-version")
        .first()
    )
    levels = [_("Nivel %(n)d") % {"n": n} for n in (1, 2, 3, 4)]
    decided = any(d.accepted or d.overridden for d in review.per_level)
    decisions_chart = charts.bar_chart(
        title=_("Sugerencias por nivel sugerido"),
        labels=levels,
        # No decision yet: gaps, so the chart says "Sin datos" instead of an axis of zeros.
        series={
            _("Aceptadas"): [d.accepted if decided else None for d in review.per_level],
            _("Cambiadas"): [d.overridden if decided else None for d in review.per_level],
        },
    )
    confusion_chart = charts.heat_map(
        title=_("Nivel sugerido × nivel en que se resolvió"),
        rows=levels,
        columns=levels,
        values=review.confusion,
    )
    peak = max((v for row in review.confusion for v in row), default=0)
    return render(
        request,
        "triage/supervisor.html",
        {
            "review": review,
            "months": months,
            "month_choices": MONTH_CHOICES,
            "levels": levels,
            "decisions_chart": decisions_chart,
            "confusion_chart": confusion_chart,
            "confusion_cells": [
                (levels[i], [(v, charts.heat_shade(v, peak)) for v in row])
                for i, row in enumerate(review.confusion)
            ],
            "active": active,
            "candidate": candidate,
            "candidate_figure": services.shown_figure(candidate) if candidate else "",
            "history": ModelVersion.objects.defer("blob").order_by("-version")[:10],
            "settings": TriageSettings.current(),
            "formats": exports.FORMATS,
        },
    )


@require_GET
@login_required
def confusion_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    _manager(request)
    if fmt not in exports.FORMATS:
        raise Http404
    months = _months(request)
    review = services.review(since=_since(months, clock.now()))
    columns = [exports.Column("suggested", _("Nivel sugerido"))] + [
        exports.Column(f"n{n}", _("Resuelto en nivel %(n)d") % {"n": n}, "int")
        for n in (1, 2, 3, 4)
    ]
    return exports.export_response(
        fmt,
        name="triaje-matriz",
        title=_("Matriz de confusión del triaje"),
        subtitle=_("Últimos %(months)d meses") % {"months": months},
        columns=columns,
        rows=_confusion_rows(review),
    )


@require_POST
@login_required
def retrain(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    now = clock.now()
    # One on-demand run per minute, however often the button is pressed.
    enqueue(tasks.retrain, key=f"triage-retrain:{now:%Y%m%d%H%M}", user_id=user.pk)
    messages.success(
        request,
        _("Reentrenamiento en curso: el modelo nuevo aparecerá aquí para su revisión."),
    )
    return redirect("triage:supervisor")


def _version(version_id: int) -> ModelVersion:
    return get_object_or_404(ModelVersion.objects.defer("blob"), pk=version_id)


@require_POST
@login_required
def activate(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _manager(request)
    version = _version(version_id)
    try:
        services.activate(
            version=version,
            actor=user,
            shown_accuracy=request.POST.get("shown_accuracy", "")[:12],
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("El modelo v%(v)d está en uso.") % {"v": version.version})
    return redirect("triage:supervisor")


@require_POST
@login_required
def reject(request: HttpRequest, version_id: int) -> HttpResponse:
    user = _manager(request)
    try:
        services.reject(version=_version(version_id), actor=user, now=clock.now())
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("triage:supervisor")


@require_POST
@login_required
def update_settings(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    raw = request.POST.get("threshold", "").strip().replace(",", ".")[:6]
    try:
        threshold = float(raw) / 100
    except ValueError:
        messages.error(request, _("La confianza mínima debe ser un número de 0 a 100."))
        return redirect("triage:supervisor")
    try:
        services.update_settings(
            actor=user,
            threshold=threshold,
            auto_activate=request.POST.get("auto_activate") == "on",
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Ajustes del triaje guardados."))
    return redirect("triage:supervisor")
