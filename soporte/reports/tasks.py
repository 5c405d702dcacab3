"""Reports over long ranges, built by the worker with their progress stored as they go."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from soporte.lib import clock
from soporte.lib.tasks import enqueue, job, periodic
from soporte.reports import builds, summaries
from soporte.reports.models import ReportBuild

MAX_QUERY_KEYS = 20


def stored_query(query: QueryDict) -> dict[str, Any]:
    """The page's query as a build keeps it (and as an export finds the build again)."""
    return {k: v[:40] for k, v in list(query.items())[:MAX_QUERY_KEYS]}


@job(title=_("Calcular un reporte de llamadas"), attempts=2)
def build_calls_report(*, build_id: int) -> None:
    """Idempotent: a build already done (or failed for good) is left as it is."""
    builds.run_build(build_id, now=clock.now())


def request_build(
    *, actor: Any, query: QueryDict, agent_scope: int | None, now: dt.datetime
) -> ReportBuild:
    """Store the query and queue its job in the same transaction."""
    data = stored_query(query)
    with transaction.atomic():
        build = ReportBuild.objects.create(
            requested_by=actor, query=data, agent_scope=agent_scope, created_at=now
        )
        enqueue(build_calls_report, key=f"report-build:{build.pk}", build_id=build.pk)
    return build


@periodic(seconds=60, title=_("Resumir las llamadas terminadas para los reportes"))
def summarise_calls(now: dt.datetime) -> None:
    """Summarise the hours that ended and re-summarise those whose calls changed (the calls
    report reads the summaries; see `reports.summaries`)."""
    summaries.refresh(now)
