"""Long reports in the background: asked for by `tasks.request_build`, run here by the worker
(`run_build`), read with `build_for`. The calls report is built with the same code as the page; progress is
the share of the range's calls already read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from soporte.lib.errors import NotFound
from soporte.reports import calls_report, reads, summaries
from soporte.reports.forms import CallReportForm
from soporte.reports.models import BuildStatus, MetricSettings, ReportBuild
from soporte.reports.periods import make_period


def _scope(build: ReportBuild, now: dt.datetime) -> tuple[reads.Scope, str, Any]:
    query = QueryDict(mutable=True)
    query.update(build.query)
    form = CallReportForm(query)
    if not form.is_valid():
        raise ValueError("stored query no longer valid")
    data = form.cleaned_data
    from soporte.lib import clock

    period = make_period(data.get("desde"), data.get("hasta"), today=clock.desk_date(now))
    scope = reads.Scope(
        start_at=period.start_at,
        end_at=period.end_at,
        agent_id=build.agent_scope if build.agent_scope is not None else data.get("agente"),
        line_id=data.get("linea"),
        level=data.get("nivel"),
        area_id=data.get("area"),
    )
    definitions = form.definitions(MetricSettings.current().definitions())
    return scope, data.get("por") or "day", definitions


def run_build(build_id: int, *, now: dt.datetime) -> None:
    build = ReportBuild.objects.filter(pk=build_id).first()
    if build is None or build.status in (BuildStatus.DONE, BuildStatus.FAILED):
        return
    ReportBuild.objects.filter(pk=build_id).update(status=BuildStatus.RUNNING, progress=0)
    try:
        scope, dimension, definitions = _scope(build, now)
        total = max(1, summaries.calls_to_read(scope, definitions))

        def progress(done: int) -> None:
            ReportBuild.objects.filter(pk=build_id).update(progress=min(99, done * 100 // total))

        result = calls_report.build(scope, dimension, definitions, progress=progress)
    except Exception as exc:
        ReportBuild.objects.filter(pk=build_id).update(
            status=BuildStatus.FAILED, error=str(exc)[:300], finished_at=now
        )
        raise
    ReportBuild.objects.filter(pk=build_id).update(
        status=BuildStatus.DONE, progress=100, result=result, finished_at=now
    )


def build_for(actor: Any, build_id: int) -> ReportBuild:
    """The actor's own build; anybody else's is "missing"."""
    build = ReportBuild.objects.filter(pk=build_id, requested_by=actor).first()
    if build is None:
        raise NotFound(_("No existe ese reporte."))
    return build


def finished_for(actor: Any, query: dict[str, Any], *, agent_scope: int | None, since: Any) -> Any:
    """The actor's latest finished build of this query since `since`, or None: what an export
    of a range too long for a request reads instead of computing it again."""
    recent = ReportBuild.objects.filter(
        requested_by=actor, status=BuildStatus.DONE, agent_scope=agent_scope, created_at__gte=since
    ).order_by("-created_at", "-id")[:20]
    # Compared in Python: JSON equality differs between SQLite (text) and PostgreSQL (jsonb).
    return next((build for build in recent if build.query == query), None)
