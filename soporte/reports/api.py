"""API of the reports: the same figures, access rules and query parameters as the pages.

Supervisors and administrators read everyone's figures, an agent only their own (the agent
filter is ignored for them), customers nothing (403). The query parameters are the pages'
(Spanish names: `desde`, `hasta`, `por`, …); a bad one is a 422 with the field's message.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from soporte.directory.api import ErrorOut
from soporte.lib import clock
from soporte.lib.errors import DomainError, Forbidden
from soporte.reports import access, builds, calls_report, reads, summaries, tasks
from soporte.reports.forms import PeriodForm, StaffingForm
from soporte.reports.models import ReportBuild
from soporte.reports.periods import PeriodError
from soporte.reports.staffing_views import plan
from soporte.reports.views import CallQuery, desk_data

router = Router(tags=["reportes"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


class FigureOut(Schema):
    code: str
    label: str
    value: float | None
    unit: str
    definition: str


class CallsReportOut(Schema):
    dimension: str
    calls: int
    definitions: dict[str, Any]
    figures: list[FigureOut]
    service_level_variants: list[FigureOut]
    qa: list[FigureOut]
    groups: list[dict[str, Any]]
    heat: list[list[int]]


class TableOut(Schema):
    id: str
    title: str
    columns: list[list[str]]
    rows: list[dict[str, Any]]
    summary: list[dict[str, Any]] | None = None


class DeskReportOut(Schema):
    tables: list[TableOut]


class StaffingOut(Schema):
    source: str
    service_level: float
    target_seconds: float
    shrinkage: float
    max_occupancy: float
    answer: dict[str, Any] | None = None
    around: list[dict[str, Any]] | None = None
    grid: list[dict[str, Any]] | None = None
    patience_seconds: float | None = None


class QueryError(DomainError):
    status = 422
    code = "invalid_query"


def _own(request: HttpRequest) -> int | None:
    return access.own_agent_id(request.user)  # raises Forbidden (403)


def _invalid(form: Any) -> QueryError:
    fields = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    first = next(iter(fields.values()))[0] if fields else _("Consulta no válida.")
    return QueryError(first, fields=fields)


class BuildOut(Schema):
    id: int
    status: str
    progress: int
    url: str  # this build in the API; the report is in `result` once `status` is "done"
    result: CallsReportOut | None = None
    error: str = ""


def _build_out(build: ReportBuild) -> dict[str, Any]:
    return {
        "id": build.pk,
        "status": build.status,
        "progress": build.progress,
        "url": f"/api/v1/reports/builds/{build.pk}",
        "result": build.result,
        "error": build.error,
    }


@router.get(
    "reports/calls",
    response={200: CallsReportOut, 202: BuildOut, **ERRORS},
    summary="Métricas de llamadas de un periodo, por grupo",
)
def calls(request: HttpRequest) -> Any:
    """A range past `MAX_CALLS_IN_REQUEST` calls answers 202 with a build to poll."""
    own = _own(request)
    query = CallQuery(request, own)
    if not query.valid:
        raise _invalid(query.form)
    if summaries.calls_to_read(query.scope, query.definitions) > reads.MAX_CALLS_IN_REQUEST:
        build = tasks.request_build(
            actor=request.user, query=request.GET, agent_scope=own, now=clock.now()
        )
        return Status(202, _build_out(build))
    return calls_report.build(query.scope, query.dimension, query.definitions)


@router.get(
    "reports/builds/{build_id}",
    response={200: BuildOut, 404: ErrorOut, **ERRORS},
    summary="Un reporte calculado en segundo plano: avance y resultado",
)
def build(request: HttpRequest, build_id: int) -> dict[str, Any]:
    _own(request)
    return _build_out(builds.build_for(request.user, build_id))


@router.get(
    "reports/desk",
    response={200: DeskReportOut, **ERRORS},
    summary="Métricas de la mesa de un periodo",
)
def desk(request: HttpRequest) -> dict[str, Any]:
    own = _own(request)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        raise _invalid(form)
    from soporte.reports.periods import make_period

    try:
        period = make_period(
            form.cleaned_data.get("desde"),
            form.cleaned_data.get("hasta"),
            today=clock.desk_date(clock.now()),
        )
    except PeriodError as exc:
        raise QueryError(str(exc)) from exc
    report = desk_data(own, period)
    return {
        "tables": [
            {**t, "columns": [[k, str(label), kind] for k, label, kind in t["columns"]]}
            for t in report["tables"]
        ]
    }


@router.get(
    "reports/staffing",
    response={200: StaffingOut, **ERRORS},
    summary="Plan de personal (Erlang C y Erlang A)",
)
def staffing(request: HttpRequest) -> dict[str, Any]:
    if _own(request) is not None:
        raise Forbidden(_("El plan de personal es para supervisores."), code="reports_forbidden")
    form = StaffingForm(request.GET)
    if not form.is_valid():
        raise _invalid(form)
    try:
        result = plan(form)
    except PeriodError as exc:
        raise QueryError(str(exc)) from exc
    goal = result["goal"]
    out: dict[str, Any] = {
        "source": result["source"],
        "service_level": goal.service_level,
        "target_seconds": goal.target_seconds,
        "shrinkage": goal.shrinkage,
        "max_occupancy": goal.max_occupancy,
    }
    if result["source"] == "cifras":
        out.update(answer=result["row"], around=result["around"])
    else:
        out.update(grid=result["grid"], patience_seconds=result["history"].patience_seconds)
    return out
