"""Two real worker processes on one database (SQLite here, PostgreSQL in its suite): a worker
killed with SIGKILL mid-job loses nothing and the effect happens once; a periodic job runs once
per period however many workers there are."""

from __future__ import annotations

import itertools
import os
import signal
import time

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from soporte.directory.models import Organisation
from soporte.jobs.models import PeriodicSchedule
from soporte.jobs.tests import sample_jobs
from soporte.jobs.tests.processes import Spawner, wait_for
from soporte.lib import tasks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spawn(tmp_path):
    spawner = Spawner(tmp_path, SOPORTE_TEST_TRACE_DIR=str(tmp_path / "trace"))
    yield spawner
    spawner.close()


def job_state(job_id: str) -> str:
    return DBTaskResult.objects.get(pk=job_id).status


@pytest.mark.parametrize("phase", ["before_commit", "after_commit"])
def test_a_job_whose_worker_is_killed_mid_run_is_run_by_the_other_once(spawn, tmp_path, phase):
    trace = tmp_path / "trace"
    before, after = (2.0, 0.0) if phase == "before_commit" else (0.0, 60.0)
    job_id = tasks.enqueue(
        sample_jobs.make_organisation,
        key="kill",
        name="kill",
        trace_dir=str(trace),
        pause_before_commit=before,
        pause_after_commit=after,
    )
    first = spawn("primero")
    wait_for(
        lambda: list(trace.glob("start-kill-*")),
        timeout=60,
        what="the first worker to start the job",
    )
    spawn("segundo")
    time.sleep(0.5)  # mid-run: inside its transaction, or after its commit
    os.kill(first.pid, signal.SIGKILL)
    first.wait()

    wait_for(lambda: job_state(job_id) == TaskResultStatus.SUCCESSFUL, timeout=60, what="the retry")
    row = DBTaskResult.objects.get(pk=job_id)
    assert row.worker_ids == ["primero", "segundo"]
    assert len(list(trace.glob("start-kill-*"))) == 2  # it ran twice...
    assert Organisation.objects.filter(name="Efecto kill").count() == 1  # ...its effect once


def test_a_periodic_job_runs_once_per_period_with_two_workers(spawn, tmp_path):
    trace = tmp_path / "trace"
    spawn("uno")
    spawn("dos")
    path = sample_jobs.count_periods.module_path
    wait_for(lambda: len(list(trace.glob("period-*"))) >= 4, timeout=60, what="four periods")

    runs = list(DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at"))
    gaps = [(b.enqueued_at - a.enqueued_at).total_seconds() for a, b in itertools.pairwise(runs)]
    # One run per 2-second period, whichever worker won it: two workers enqueuing the same
    # period would be milliseconds apart (a run is inserted a moment after its tick, so a
    # gap can be a little under 2 s).
    assert min(gaps) >= 1.5, gaps
    assert {w for r in runs for w in r.worker_ids} <= {"uno", "dos"}
    assert all(len(r.worker_ids) == 1 for r in runs if r.status == TaskResultStatus.SUCCESSFUL)
    assert len(list(trace.glob("period-*"))) <= len(runs)  # no run twice
    assert PeriodicSchedule.objects.get(name=path).runs >= len(runs)
