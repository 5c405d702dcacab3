"""What an administrator does to a job: try a failed one again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from soporte.jobs.models import WorkerBeat
from soporte.lib.errors import DomainError

STATUS_LABELS: dict[str, Any] = {
    TaskResultStatus.READY: gettext_lazy("En cola"),
    TaskResultStatus.RUNNING: gettext_lazy("En curso"),
    TaskResultStatus.SUCCESSFUL: gettext_lazy("Hecho"),
    TaskResultStatus.FAILED: gettext_lazy("Fallido"),
}


@transaction.atomic
def retry_job(*, job_id: str, now: dt.datetime) -> DBTaskResult:
    """A failed job goes back in the queue with a full set of attempts; its last error stays
    visible until the job succeeds."""
    row = DBTaskResult.objects.select_for_update().filter(pk=job_id).first()
    if row is None:
        raise DomainError(_("El trabajo no existe."), code="not_found")
    if row.status != TaskResultStatus.FAILED:
        raise DomainError(_("Solo se reintenta un trabajo fallido."), code="not_failed")
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.READY, run_after=now, worker_ids=[], finished_at=None
    )
    row.refresh_from_db()
    return row


def queue_state(*, now: dt.datetime) -> dict[str, Any]:
    """For /readyz: workers beating, failed jobs, and how long the oldest due job has waited
    ("stalled" past SOPORTE_QUEUE_STALL_S: nobody is taking jobs)."""
    lease = dt.timedelta(seconds=settings.SOPORTE_JOB_LEASE_S)
    workers = WorkerBeat.objects.filter(seen_at__gte=now - lease).count()
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    # A job is due since it was enqueued, or since its run_after (a retry, a delayed job).
    due_since = [
        ready.filter(run_after=get_date_max()).aggregate(t=Min("enqueued_at"))["t"],
        ready.filter(run_after__lte=now).aggregate(t=Min("run_after"))["t"],
    ]
    since = min((t for t in due_since if t is not None), default=None)
    waited = max(0.0, (now - since).total_seconds()) if since else 0.0
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count()
    stalled = waited > settings.SOPORTE_QUEUE_STALL_S
    return {
        "status": "stalled" if stalled else "ok",
        "workers": workers,
        "oldest_wait_s": round(waited, 1),
        "failed": failed,
    }
