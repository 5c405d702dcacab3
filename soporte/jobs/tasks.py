from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from soporte.lib.tasks import periodic


@periodic(seconds=3600, title=_("Borrar los trabajos terminados antiguos"))
def prune_finished_jobs(now: dt.datetime) -> None:
    """Successful jobs are kept SOPORTE_JOB_KEEP_DAYS, failed ones SOPORTE_JOB_KEEP_FAILED_DAYS."""
    from soporte.jobs.worker import prune

    prune(
        now=now,
        keep=dt.timedelta(days=settings.SOPORTE_JOB_KEEP_DAYS),
        keep_failed=dt.timedelta(days=settings.SOPORTE_JOB_KEEP_FAILED_DAYS),
    )
