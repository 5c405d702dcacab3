"""Project-level pages: home, health and readiness."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from soporte.directory.models import Agent, Organisation, Presence, User


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: answers without touching the database."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse(
            {"status": "error", "database": str(exc.__class__.__name__)}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, object] = {}
    if user.is_desk_staff:
        agents = Agent.objects.visible_to(user)
        context["me_agent"] = agents.filter(user=user).first()
        context["presence_counts"] = {
            p.label: agents.filter(presence=p.value).count() for p in Presence
        }
        context["organisation_count"] = Organisation.objects.visible_to(user).count()
        context["Presence"] = Presence
    else:
        context["organisation"] = Organisation.objects.visible_to(user).first()
    return render(request, "home.html", context)
