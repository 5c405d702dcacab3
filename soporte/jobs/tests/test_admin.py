"""Administrators see failed jobs with their error and put them back in the queue; nobody
else reaches the jobs' pages."""

from __future__ import annotations

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from soporte.jobs import worker as engine
from soporte.jobs.tests import sample_jobs
from soporte.lib import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_job(tmp_path):
    """A job that failed all its attempts (the backoff waits are skipped)."""
    job_id = tasks.enqueue(sample_jobs.fail_first, trace_dir=str(tmp_path), failures=3)
    worker = engine.Worker(worker_id="prueba", schedule=False)
    worker.beat()
    for _ in range(3):
        DBTaskResult.objects.filter(pk=job_id, status=TaskResultStatus.READY).update(
            run_after=DBTaskResult.objects.get(pk=job_id).enqueued_at
        )
        worker.tick()
    assert DBTaskResult.objects.get(pk=job_id).status == TaskResultStatus.FAILED
    return job_id


def test_the_admin_lists_a_failed_job_with_its_spanish_name_and_error(personas, failed_job):
    page = personas.client("admin").get("/admin/jobs/job/?estado=FAILED")
    body = page.content.decode()

    assert page.status_code == 200
    assert "Prueba: fallar las primeras veces" in body
    assert "Fallido" in body and "RuntimeError" in body


def test_the_job_page_shows_the_traceback_and_a_retry_button(personas, failed_job):
    body = personas.client("admin").get(f"/admin/jobs/job/{failed_job}/change/").content.decode()

    assert "falla de prueba" in body  # the traceback
    assert 'data-testid="retry-job"' in body


def test_retry_puts_a_failed_job_back_in_the_queue_and_it_runs(personas, failed_job, tmp_path):
    response = personas.client("admin").post(f"/admin/jobs/job/{failed_job}/reintentar/")

    assert response.status_code == 302
    row = DBTaskResult.objects.get(pk=failed_job)
    assert row.status == TaskResultStatus.READY
    assert row.exception_class_path == "builtins.RuntimeError"  # last error stays visible
    worker = engine.Worker(worker_id="otra", schedule=False)
    worker.beat()
    worker.tick()
    row.refresh_from_db()
    assert (row.status, row.return_value) == (TaskResultStatus.SUCCESSFUL, "listo")


def test_a_job_that_did_not_fail_has_no_retry(personas, failed_job):
    client = personas.client("admin")
    client.post(f"/admin/jobs/job/{failed_job}/reintentar/")
    response = client.post(f"/admin/jobs/job/{failed_job}/reintentar/", follow=True)

    assert DBTaskResult.objects.get(pk=failed_job).status == TaskResultStatus.READY
    assert "Solo se reintenta un trabajo fallido" in response.content.decode()
    page = client.get(f"/admin/jobs/job/{failed_job}/change/").content.decode()
    assert 'data-testid="retry-job"' not in page


def test_the_admin_action_retries_the_selected_failed_jobs(personas, failed_job):
    personas.client("admin").post(
        "/admin/jobs/job/", {"action": "retry_selected", "_selected_action": [failed_job]}
    )
    assert DBTaskResult.objects.get(pk=failed_job).status == TaskResultStatus.READY


def test_periodic_schedules_and_workers_are_listed(personas):
    engine.Worker(worker_id="visible").run_until_idle()
    client = personas.client("admin")
    schedules = client.get("/admin/jobs/periodicschedule/").content.decode()
    assert "Revisar los plazos de SLA" in schedules
    assert client.get("/admin/jobs/workerbeat/").status_code == 200


@pytest.mark.parametrize("who", ["agent", "supervisor", "customer_a", "customer_b", "anonymous"])
def test_only_administrators_reach_the_jobs(personas, failed_job, who):
    client = personas.client(who)
    assert client.get("/admin/jobs/job/").status_code == 302  # to the admin's login
    assert client.get(f"/admin/jobs/job/{failed_job}/change/").status_code == 302
    client.post(f"/admin/jobs/job/{failed_job}/reintentar/")
    assert DBTaskResult.objects.get(pk=failed_job).status == TaskResultStatus.FAILED
