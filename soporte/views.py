"""Project-level pages: home, health and readiness."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from soporte import demo
from soporte.directory.models import Agent, Organisation, Presence, User
from soporte.inventory.models import Device
from soporte.jobs.services import queue_state
from soporte.knowledge import blog
from soporte.lib import clock
from soporte.logbook.services import pending_for
from soporte.tickets.views.portal import portal_home_requests


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: answers without touching the database."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database answers, Redis answers (when configured), the job queue is read.

    503 when the database or Redis does not answer: this node cannot serve. The queue's state
    is reported (workers beating, the longest a due job has waited) without failing the node:
    pages are served while the workers are restarted, and monitoring reads "stalled".
    """
    checks: dict[str, object] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        return JsonResponse(
            {"status": "error", "database": str(exc.__class__.__name__)}, status=503
        )
    if settings.REDIS_URL:
        try:
            _redis().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = exc.__class__.__name__
            ok = False
    try:
        checks["queue"] = queue_state(now=timezone.now())
    except Exception as exc:
        checks["queue"] = {"status": exc.__class__.__name__}
        ok = False
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


@functools.cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def login(request: HttpRequest) -> HttpResponseBase:
    """Django's login page; on a demo desk it points to the demo logins."""
    view = auth_views.LoginView.as_view(
        redirect_authenticated_user=True, extra_context={"demo_desk": _demo_desk()}
    )
    return view(request)


def _demo_desk() -> bool:
    return not settings.PRODUCTION and demo.has_demo_logins()


@require_GET
def demo_logins(request: HttpRequest) -> HttpResponse:
    """Every demo login grouped by role and level, while the demo is loaded (never in
    production): the same list `soporte run` prints, for whoever missed the console."""
    if settings.PRODUCTION:
        raise Http404
    logins = demo.demo_logins()
    if not logins:
        raise Http404
    groups: dict[str, list[demo.DemoLogin]] = {}
    for login_ in logins:
        groups.setdefault(login_.group, []).append(login_)
    return render(
        request,
        "demo_logins.html",
        {"groups": groups, "password": demo.DEMO_PASSWORD},
    )


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
        context["freshness"] = blog.freshness(now=timezone.now())
        return render(request, "home.html", context)
    return render(request, "tickets/portal_home.html", _portal_home(user))


# The portal home shows this many devices; "Mis equipos" lists them all.
HOME_DEVICES = 8


def _portal_home(user: User) -> dict[str, object]:
    """A customer's home: what waits for them (requests, notes to countersign) and what they
    have with the desk (devices). Composed here because it reads three apps; each part is
    the owning app's own query, scoped to the customer's organisation."""
    rows, open_count = portal_home_requests(user)
    devices = Device.objects.visible_to(user).in_service()
    return {
        "organisation": Organisation.objects.visible_to(user).first(),
        "rows": rows,
        "open_count": open_count,
        "waiting_count": sum(1 for row in rows if row["step"]),
        "to_sign": pending_for(user, now=clock.now()).count(),
        "devices": list(devices.order_by("kind", "brand", "id")[:HOME_DEVICES]),
        "device_count": devices.count(),
    }
