from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from soporte.jobs.models import WorkerBeat
from soporte.jobs.tests import sample_jobs
from soporte.lib import tasks


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database_and_reads_the_queue(client):
    now = dt.datetime.now(dt.UTC)
    WorkerBeat.objects.create(worker_id="w", host="h", pid=1, started_at=now, seen_at=now)
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["database"] == "ok"
    assert body["queue"] == {"status": "ok", "workers": 1, "oldest_wait_s": 0.0, "failed": 0}


@pytest.mark.django_db
def test_readyz_says_the_queue_is_stalled_when_nobody_takes_due_jobs(client, tmp_path):
    tasks.enqueue(sample_jobs.fail_first, trace_dir=str(tmp_path), failures=0)
    with override_settings(SOPORTE_QUEUE_STALL_S=-1):
        body = client.get("/readyz").json()
    assert body["queue"]["status"] == "stalled"
    assert body["queue"]["workers"] == 0


@pytest.mark.django_db
def test_readyz_fails_when_redis_does_not_answer(client):
    from soporte import views

    views._redis.cache_clear()
    try:
        with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
            response = client.get("/readyz")
    finally:
        views._redis.cache_clear()
    assert response.status_code == 503
    assert response.json()["redis"] == "ConnectionError"
