"""Report pages. Views are glue: the access gate (`reports.access`), the query form, one build,
render. Customers get 403; an agent's figures are always their own, whatever the query says."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from soporte.calls.models import PhoneLine
from soporte.directory.models import Agent, Area
from soporte.lib import clock, exports
from soporte.lib.errors import Forbidden, NotFound
from soporte.reports import access, builds, calls_report, desk_report, reads, summaries, tasks
from soporte.reports.forms import CallReportForm, PeriodForm
from soporte.reports.models import BuildStatus, MetricSettings
from soporte.reports.periods import Period, PeriodError, make_period


def _gate(request: HttpRequest) -> int | None:
    try:
        return access.own_agent_id(request.user)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    _gate(request)
    return redirect("reports:calls")


class CallQuery:
    """A valid query: its period, scope and definitions; or the form with its errors."""

    def __init__(self, request: HttpRequest | None, own: int | None, data: Any = None) -> None:
        self.form = CallReportForm(request.GET if request is not None else data)
        self.period: Period | None = None
        if not self.form.is_valid():
            return
        data = self.form.cleaned_data
        try:
            self.period = make_period(
                data.get("desde"), data.get("hasta"), today=clock.desk_date(clock.now())
            )
        except PeriodError as exc:
            self.form.add_error(None, str(exc))
            return
        self.dimension = data.get("por") or "day"
        self.definitions = self.form.definitions(MetricSettings.current().definitions())
        self.scope = reads.Scope(
            start_at=self.period.start_at,
            end_at=self.period.end_at,
            agent_id=own if own is not None else data.get("agente"),
            line_id=data.get("linea"),
            level=data.get("nivel"),
            area_id=data.get("area"),
        )

    @classmethod
    def from_data(cls, data: dict[str, str], own: int | None) -> CallQuery:
        query = QueryDict(mutable=True)
        query.update(data)
        return cls(None, own, query)

    @property
    def valid(self) -> bool:
        return self.period is not None


@login_required
@require_GET
def calls(request: HttpRequest) -> HttpResponse:
    own = _gate(request)
    query = CallQuery(request, own)
    context: dict[str, Any] = {
        "form": query.form,
        "sees_everyone": own is None,
        "agents": (
            Agent.objects.select_related("user").order_by("user__first_name", "id")
            if own is None
            else []
        ),
        "lines": PhoneLine.objects.order_by("name", "id"),
        "areas": Area.objects.order_by("name", "id"),
        "querystring": request.GET.urlencode(),
    }
    if not query.valid:
        return render(request, "reports/calls.html", context, status=400)
    assert query.period is not None
    if summaries.calls_to_read(query.scope, query.definitions) > reads.MAX_CALLS_IN_REQUEST:
        # Too long to answer while the person waits: the worker builds it, the page follows.
        build = tasks.request_build(
            actor=request.user, query=request.GET, agent_scope=own, now=clock.now()
        )
        return redirect("reports:build", build_id=build.pk)
    report = calls_report.build(query.scope, query.dimension, query.definitions)
    return _render_calls(request, context, report, query.period, query.dimension)


def _render_calls(
    request: HttpRequest,
    context: dict[str, Any],
    report: dict[str, Any],
    period: Period,
    dimension: str,
) -> HttpResponse:
    context.update(
        report=report,
        period=period,
        charts=calls_report.charts_for(report),
        columns=calls_report.group_columns(report),
        heat_rows=calls_report.heat_rows(report),
        table_rows=calls_report.table_rows(report),
        hours=range(24),
        dimension_label=calls_report.dimension_labels()[dimension],
    )
    return render(request, "reports/calls.html", context)


@login_required
@require_GET
def build(request: HttpRequest, build_id: int) -> HttpResponse:
    """A background build: its progress while it runs (the page refreshes itself), the report
    when it is ready."""
    own = _gate(request)
    try:
        row = builds.build_for(request.user, build_id)
    except NotFound as exc:
        raise Http404 from exc
    query = CallQuery.from_data(row.query, own)
    context: dict[str, Any] = {
        "form": query.form,
        "sees_everyone": own is None,
        "agents": [],
        "lines": PhoneLine.objects.order_by("name", "id"),
        "areas": Area.objects.order_by("name", "id"),
        "querystring": urlencode(row.query),
        "build": row,
    }
    if row.status != BuildStatus.DONE or row.result is None or query.period is None:
        return render(request, "reports/build.html", context)
    return _render_calls(request, context, row.result, query.period, row.result["dimension"])


@login_required
@require_GET
def calls_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    own = _gate(request)
    if fmt not in exports.FORMATS:
        raise Http404
    query = CallQuery(request, own)
    if not query.valid:
        errors = "; ".join(str(e) for errs in query.form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    assert query.period is not None
    if reads.count_calls(query.scope) > reads.MAX_CALLS_IN_REQUEST:
        # Too long for a request, as the page: the export reads the worker's finished build
        # of this query (the build page's export links), or asks for one and shows its progress.
        now = clock.now()
        done = builds.finished_for(
            request.user,
            tasks.stored_query(request.GET),
            agent_scope=own,
            since=now - dt.timedelta(hours=1),
        )
        if done is None:
            build = tasks.request_build(
                actor=request.user, query=request.GET, agent_scope=own, now=now
            )
            return redirect("reports:build", build_id=build.pk)
        report = done.result
    else:
        report = calls_report.build(query.scope, query.dimension, query.definitions)
    title = _("Llamadas por %(d)s") % {
        "d": calls_report.dimension_labels()[query.dimension].lower()
    }
    return exports.export_response(
        fmt,
        name=f"llamadas-{query.dimension}-{query.period.first_date}-{query.period.last_date}",
        title=title,
        subtitle=query.period.label(),
        columns=calls_report.group_columns(report),
        rows=report["groups"],
    )


def _period(request: HttpRequest) -> tuple[PeriodForm, Period | None]:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    try:
        period = make_period(
            form.cleaned_data.get("desde"),
            form.cleaned_data.get("hasta"),
            today=clock.desk_date(clock.now()),
        )
    except PeriodError as exc:
        form.add_error(None, str(exc))
        return form, None
    return form, period


def desk_data(own: int | None, period: Period) -> dict[str, Any]:
    scope = desk_report.DeskScope(period.start_at, period.end_at, agent_id=own)
    return desk_report.build(scope, period.dates(), now=clock.now())


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    own = _gate(request)
    form, period = _period(request)
    context: dict[str, Any] = {
        "form": form,
        "sees_everyone": own is None,
        "querystring": request.GET.urlencode(),
    }
    if period is None:
        return render(request, "reports/desk.html", context, status=400)
    report = desk_data(own, period)
    context.update(
        period=period,
        report=report,
        tables=[desk_report.rendered(t) for t in report["tables"]],
    )
    return render(request, "reports/desk.html", context)


@login_required
@require_GET
def desk_export(
    request: HttpRequest, table_id: str, fmt: str
) -> HttpResponse | StreamingHttpResponse:
    own = _gate(request)
    if fmt not in exports.FORMATS:
        raise Http404
    form, period = _period(request)
    if period is None:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    table = desk_report.table(desk_data(own, period), table_id)
    if table is None:
        raise Http404
    return exports.export_response(
        fmt,
        name=f"mesa-{table_id}-{period.first_date}-{period.last_date}",
        title=table["title"],
        subtitle=period.label(),
        columns=desk_report.columns_of(table),
        rows=table["rows"],
    )
