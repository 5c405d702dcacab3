"""The task interface in one process: enqueue in the caller's transaction, idempotent keys,
retries with backoff, failures kept for the admin, periodic jobs enqueued once per period."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from soporte.directory.models import Organisation
from soporte.jobs import worker as engine
from soporte.jobs.models import PeriodicSchedule, WorkerBeat
from soporte.jobs.tests import sample_jobs
from soporte.lib import tasks

pytestmark = pytest.mark.django_db


def run_all(worker: engine.Worker) -> int:
    done = 0
    while worked := worker.tick():
        done += worked
    return done


@pytest.fixture
def worker():
    w = engine.Worker(worker_id="prueba-1", schedule=False)
    w.beat()
    return w


def test_a_job_enqueued_by_a_change_that_rolls_back_does_not_exist(tmp_path):
    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.enqueue(sample_jobs.make_organisation, key="a", name="a", trace_dir=str(tmp_path))
        raise RuntimeError("the change failed")
    assert not DBTaskResult.objects.exists()


def test_an_enqueued_job_runs_and_its_result_is_kept(worker, tmp_path):
    job_id = tasks.enqueue(
        sample_jobs.make_organisation, key="b", name="b", trace_dir=str(tmp_path)
    )

    assert run_all(worker) >= 1
    row = DBTaskResult.objects.get(pk=job_id)
    assert row.status == TaskResultStatus.SUCCESSFUL, row.traceback
    assert row.return_value == "b"
    assert Organisation.objects.filter(name="Efecto b").count() == 1


def test_the_same_key_enqueues_one_job(worker, tmp_path):
    first = tasks.enqueue(sample_jobs.make_organisation, key="c", name="c", trace_dir=str(tmp_path))
    second = tasks.enqueue(
        sample_jobs.make_organisation, key="c", name="c", trace_dir=str(tmp_path)
    )
    run_all(worker)
    again = tasks.enqueue(sample_jobs.make_organisation, key="c", name="c", trace_dir=str(tmp_path))
    run_all(worker)

    assert first == second == again
    assert DBTaskResult.objects.filter(task_path__endswith="make_organisation").count() == 1
    assert len(list(tmp_path.glob("start-c-*"))) == 1


def test_an_effect_claimed_once_is_not_made_again(worker, tmp_path):
    # Two jobs without an idempotency key asking for the same effect: both run, one effect.
    ids = [
        sample_jobs.make_organisation.enqueue(name="d", trace_dir=str(tmp_path)).id
        for _ in range(2)
    ]
    run_all(worker)

    assert all(DBTaskResult.objects.get(pk=i).status == TaskResultStatus.SUCCESSFUL for i in ids)
    assert len(list(tmp_path.glob("start-d-*"))) == 2
    assert Organisation.objects.filter(name="Efecto d").count() == 1


def test_a_failing_job_is_retried_with_growing_backoff_then_kept_failed(worker, tmp_path):
    job_id = tasks.enqueue(sample_jobs.fail_first, trace_dir=str(tmp_path), failures=5)
    start = dt.datetime.now(dt.UTC)

    run_all(worker)
    row = DBTaskResult.objects.get(pk=job_id)
    assert row.status == TaskResultStatus.READY  # waiting for its second attempt
    first_wait = (row.run_after - start).total_seconds()
    assert 29 <= first_wait <= 40
    assert row.exception_class_path == "builtins.RuntimeError"

    with time_machine.travel(row.run_after + dt.timedelta(seconds=1), tick=True):
        run_all(worker)
        row.refresh_from_db()
        assert row.status == TaskResultStatus.READY
        second_wait = (row.run_after - dt.datetime.now(dt.UTC)).total_seconds()
        assert 55 <= second_wait <= 61  # twice as long
    with time_machine.travel(row.run_after + dt.timedelta(seconds=1), tick=True):
        run_all(worker)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED  # three attempts were all it had
    assert len(row.worker_ids) == 3
    assert "falla de prueba" in row.traceback


def test_a_job_that_fails_then_succeeds_ends_successful(worker, tmp_path):
    job_id = tasks.enqueue(sample_jobs.fail_first, trace_dir=str(tmp_path), failures=1)
    run_all(worker)
    row = DBTaskResult.objects.get(pk=job_id)
    with time_machine.travel(row.run_after + dt.timedelta(seconds=1), tick=True):
        run_all(worker)
    row.refresh_from_db()
    assert (row.status, row.return_value, len(row.worker_ids)) == (
        TaskResultStatus.SUCCESSFUL,
        "listo",
        2,
    )


def test_a_job_held_by_a_worker_that_stopped_beating_goes_back_to_the_queue(tmp_path):
    job_id = tasks.enqueue(
        sample_jobs.make_organisation, key="e", name="e", trace_dir=str(tmp_path)
    )
    dead = engine.Worker(worker_id="muerto", schedule=False)
    dead.beat()
    assert [str(r.pk) for r in dead.claim(now=dt.datetime.now(dt.UTC))] == [job_id]

    # Still beating: its job is left alone.
    assert engine.recover_lost_jobs(now=dt.datetime.now(dt.UTC)) == 0
    later = dt.datetime.now(dt.UTC) + engine.lease() + dt.timedelta(seconds=1)
    assert engine.recover_lost_jobs(now=later) == 1

    row = DBTaskResult.objects.get(pk=job_id)
    assert row.status == TaskResultStatus.READY
    assert row.exception_class_path.endswith("WorkerLost")
    with time_machine.travel(later, tick=True):
        alive = engine.Worker(worker_id="vivo", schedule=False)
        alive.beat()
        run_all(alive)
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.worker_ids == ["muerto", "vivo"]


def test_periodic_jobs_are_enqueued_once_per_period_by_one_of_many_workers(tmp_path):
    workers = [engine.Worker(worker_id=f"w{i}") for i in range(3)]
    start = dt.datetime.now(dt.UTC)
    path = sample_jobs.count_periods.module_path

    winners = [engine.enqueue_due(now=start, worker_id=w.worker_id) for w in workers]
    assert sum(path in won for won in winners) == 1
    # Within the period nobody enqueues it again, even after it ran.
    run_all(workers[0])
    for w in workers:
        assert path not in engine.enqueue_due(
            now=start + dt.timedelta(seconds=1), worker_id=w.worker_id
        )
    # The next period: one of them again.
    later = start + dt.timedelta(seconds=2)
    winners = [engine.enqueue_due(now=later, worker_id=w.worker_id) for w in workers]
    assert sum(path in won for won in winners) == 1
    assert PeriodicSchedule.objects.get(name=path).runs == 2


def test_a_periodic_run_is_skipped_while_the_previous_one_waits(tmp_path):
    start = dt.datetime.now(dt.UTC)
    path = sample_jobs.count_periods.module_path
    engine.enqueue_due(now=start, worker_id="w")
    engine.enqueue_due(now=start + dt.timedelta(seconds=5), worker_id="w")
    assert DBTaskResult.objects.filter(task_path=path).count() == 1


def test_the_worker_once_runs_every_periodic_job_of_the_apps():
    w = engine.Worker(worker_id="una-vez")
    assert w.run_until_idle() >= 8
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert {
        "soporte.tickets.tasks.sweep_sla",
        "soporte.tickets.tasks.poll_mailbox",
        "soporte.logbook.tasks.accept_tacitly",
        "soporte.logbook.tasks.daily_checkpoints",
        "soporte.directory.tasks.recheck_level_four",
        "soporte.calls.tasks.record_finished_calls",
        "soporte.calls.tasks.prune_nonces",
        "soporte.jobs.tasks.prune_finished_jobs",
    } <= paths
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
    assert not failed.exists(), [(r.task_path, r.traceback[-300:]) for r in failed]
    assert not WorkerBeat.objects.exists()  # a worker that ends says so


def test_old_finished_jobs_are_pruned(worker, tmp_path):
    tasks.enqueue(sample_jobs.make_organisation, key="f", name="f", trace_dir=str(tmp_path))
    run_all(worker)
    now = dt.datetime.now(dt.UTC)
    assert engine.prune(now=now, keep=dt.timedelta(days=7), keep_failed=dt.timedelta(days=90)) == 0
    later = now + dt.timedelta(days=8)
    assert (
        engine.prune(now=later, keep=dt.timedelta(days=7), keep_failed=dt.timedelta(days=90)) == 1
    )
