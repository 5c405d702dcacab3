"""Old one-time claims are forgotten by a periodic job of the task interface, so the table of
form tokens and idempotency keys does not grow for ever; recent ones still answer a repeat."""

from __future__ import annotations

import datetime as dt

from soporte.lib import clock
from soporte.lib.tasks import periodic_jobs
from soporte.once import tasks
from soporte.once.models import Submission


def _claim(key: str, created_at: dt.datetime) -> Submission:
    return Submission.objects.create(
        scope="u1",
        key=key,
        fingerprint="POST /tickets/1/notas/",
        state=Submission.State.DONE,
        status_code=302,
        created_at=created_at,
    )


def test_the_hourly_job_forgets_claims_older_than_the_window(db, settings):
    settings.SOPORTE_ONCE_KEEP_HOURS = 48
    now = clock.now()
    _claim("old", now - dt.timedelta(hours=49))
    Submission.objects.filter(pk=_claim("pending-and-old", now - dt.timedelta(days=10)).pk).update(
        state=Submission.State.PENDING
    )
    _claim("recent", now - dt.timedelta(hours=47))

    tasks.forget_old_submissions.call()

    assert list(Submission.objects.values_list("key", flat=True)) == ["recent"]


def test_the_job_is_declared_periodic_through_the_task_interface():
    paths = {spec.task.module_path: spec for spec in periodic_jobs()}
    spec = paths["soporte.once.tasks.forget_old_submissions"]
    assert spec.every == dt.timedelta(hours=1)
