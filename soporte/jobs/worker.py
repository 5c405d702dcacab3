"""`soporte worker`'s loop: take jobs from django-tasks-db's table, run them, retry, schedule.

django-tasks-db's own `db_worker` takes one job per transaction and leaves the job of a worker
that was killed RUNNING for ever; this loop adds what the desk needs on top of the same table:

- a heartbeat (`WorkerBeat`, every HEARTBEAT_S from a thread) and a lease: a RUNNING job whose
  worker has not beaten for LEASE_S goes back to the queue (or fails when out of attempts);
- retries with exponential backoff (`JobSpec.delay_after`), the error kept for the admin;
- periodic jobs enqueued once per period across all workers (`enqueue_due`);
- claims in batches that grow while jobs are short (one transaction and one fsync for many
  jobs: bench/RESULTS.md, "Task queue"), and shrink to one as soon as a batch is slow, so a slow
  job never holds quick ones behind it on a busy worker while another worker is idle.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from soporte.jobs.models import JobEffect, PeriodicSchedule, WorkerBeat
from soporte.lib import tasks

log = logging.getLogger(__name__)

MAX_BATCH = 64
LOST_WORKER_ATTEMPTS = 3
FAST_BATCH_S = 0.05  # a batch that ran faster than this may grow


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SOPORTE_JOB_LEASE_S)


def heartbeat_seconds() -> float:
    return max(0.2, settings.SOPORTE_JOB_LEASE_S / 5)


class Worker:
    def __init__(
        self,
        *,
        worker_id: str | None = None,
        queues: Iterable[str] = ("default",),
        schedule: bool = True,
    ):
        self.schedule = schedule  # enqueue periodic jobs when due
        self.worker_id = worker_id or f"{socket.gethostname()[:40]}-{get_random_string(12)}"
        self.queues = list(queues)
        self.stopping = threading.Event()
        self.batch = 1
        self.jobs_done = 0
        self._beat_thread: threading.Thread | None = None
        self._last_recover = 0.0

    # --- Heartbeat ----------------------------------------------------------------------------

    def beat(self) -> None:
        now = timezone.now()
        updated = WorkerBeat.objects.filter(worker_id=self.worker_id).update(
            seen_at=now, jobs_done=self.jobs_done
        )
        if not updated:
            WorkerBeat.objects.create(
                worker_id=self.worker_id,
                host=socket.gethostname()[:200],
                pid=os.getpid(),
                started_at=now,
                seen_at=now,
                jobs_done=self.jobs_done,
            )

    def start_heartbeat(self) -> None:
        self.beat()

        def beat_forever() -> None:
            while not self.stopping.wait(heartbeat_seconds()):
                try:
                    self.beat()
                except Exception:
                    log.exception("el latido del trabajador falló")
                    close_old_connections()
            connection.close()

        self._beat_thread = threading.Thread(target=beat_forever, name="jobs-beat", daemon=True)
        self._beat_thread.start()

    def stop(self) -> None:
        self.stopping.set()

    # --- The loop -----------------------------------------------------------------------------

    def run_forever(self, *, idle_s: float = 0.25) -> None:
        self.start_heartbeat()
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    worked = self.tick()
                except OperationalError:
                    # SQLite busy past its timeout, PostgreSQL restarting: try again shortly.
                    log.exception("la cola de trabajos no responde")
                    close_old_connections()
                    worked = 0
                if not worked:
                    self.stopping.wait(idle_s)
        finally:
            self.stopping.set()
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()

    def run_until_idle(self) -> int:
        """`soporte worker --once`: enqueue what is due, run everything ready, return."""
        self.beat()
        done = 0
        try:
            while worked := self.tick():
                done += worked
        finally:
            WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
        return done

    def tick(self) -> int:
        now = timezone.now()
        if self.schedule:
            enqueue_due(now=now, worker_id=self.worker_id)
        if time.monotonic() - self._last_recover > heartbeat_seconds():
            self._last_recover = time.monotonic()
            recover_lost_jobs(now=now)
        rows = self.claim(now=now)
        if not rows:
            self.batch = 1
            return 0
        started = time.monotonic()
        outcomes = [self.run_one(row) for row in rows]
        self.record(outcomes)
        self.jobs_done += len(rows)
        fast = time.monotonic() - started < FAST_BATCH_S
        self.batch = min(MAX_BATCH, self.batch * 2) if fast else 1
        return len(rows)

    # --- Claiming, running, recording ---------------------------------------------------------

    def claim(self, *, now: dt.datetime) -> list[DBTaskResult]:
        ready = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY, queue_name__in=self.queues)
            .filter(Q(run_after=get_date_max()) | Q(run_after__lte=now))
            .order_by("-priority", "run_after", "enqueued_at")
        )
        with transaction.atomic():
            rows = list(ready.select_for_update(skip_locked=True)[: self.batch])
            for row in rows:
                row.status = TaskResultStatus.RUNNING
                row.started_at = now
                row.worker_ids = [*row.worker_ids, self.worker_id]
            if rows:  # one statement for the whole batch
                DBTaskResult.objects.bulk_update(rows, ["status", "started_at", "worker_ids"])
        return rows

    def run_one(self, row: DBTaskResult) -> tuple[DBTaskResult, Any, BaseException | None]:
        try:
            job = resolve(row.task_path)
            args = row.args_kwargs
            value = job.call(*args["args"], **args["kwargs"])
            return row, normalize(value), None
        except Exception as exc:
            return row, None, exc

    def record(self, outcomes: list[tuple[DBTaskResult, Any, BaseException | None]]) -> None:
        now = timezone.now()
        with transaction.atomic():
            # Most jobs return nothing: their rows are marked done in one statement.
            mark_done(
                [row for row, value, exc in outcomes if exc is None and value is None],
                None,
                now=now,
            )
            for row, value, exc in outcomes:
                if exc is not None:
                    mark_failed(row, exc, now=now)
                elif value is not None:
                    mark_done([row], value, now=now)


@functools.cache
def resolve(path: str) -> Task[Any, Any]:
    """The job's task, imported once per worker (the path is checked like django-tasks-db's)."""
    job = import_string(path)
    if not isinstance(job, Task):
        raise SuspiciousOperation(f"{path} is not a task")
    return job


def normalize(value: Any) -> Any:
    from django_tasks.utils import normalize_json

    try:
        return normalize_json(value)
    except TypeError:
        return repr(value)[:1000]


def mark_done(rows: list[DBTaskResult], value: Any, *, now: dt.datetime) -> None:
    if not rows:
        return
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    running.filter(pk__in=[row.pk for row in rows]).update(
        status=TaskResultStatus.SUCCESSFUL,
        finished_at=now,
        return_value=value,
        exception_class_path="",
        traceback="",
    )


def mark_failed(row: DBTaskResult, exc: BaseException, *, now: dt.datetime) -> None:
    """Retry later with backoff while attempts are left; otherwise the job stays failed."""
    spec = tasks.spec_for(row.task_path)
    attempts = spec.attempts if spec else tasks.DEFAULT_ATTEMPTS
    if isinstance(exc, WorkerLost):
        # A job is not to blame for a dead worker; but one that kills every worker it lands
        # on (out of memory) must stop somewhere.
        attempts = max(attempts, LOST_WORKER_ATTEMPTS)
    attempt = len(row.worker_ids)
    error = {
        "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traceback": "".join(traceback.format_exception(exc))[-20_000:],
    }
    log.warning(
        "el trabajo %s (%s) falló, intento %d de %d", row.pk, row.task_path, attempt, attempts
    )
    running = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING)
    if attempt < attempts:
        delay = spec.delay_after(attempt) if spec else tasks.default_delay(attempt)
        running.update(status=TaskResultStatus.READY, run_after=now + delay, **error)
    else:
        running.update(status=TaskResultStatus.FAILED, finished_at=now, **error)


class WorkerLost(Exception):
    """The worker running this job stopped beating (killed, or its machine went down)."""


def recover_lost_jobs(*, now: dt.datetime) -> int:
    """Jobs held by workers that stopped beating go back in the queue (at-least-once)."""
    alive = set(
        WorkerBeat.objects.filter(seen_at__gte=now - lease()).values_list("worker_id", flat=True)
    )
    candidates = [
        row
        for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
            "id", "worker_ids", "task_path", "status"
        )
        if not row.worker_ids or row.worker_ids[-1] not in alive
    ]
    for row in candidates:
        held_by = row.worker_ids[-1] if row.worker_ids else "?"
        exc = WorkerLost(f"worker {held_by} stopped beating while running this job")
        with transaction.atomic():
            mark_failed(row, exc, now=now)
        # The lost attempt's retry waits no backoff: nothing says the job itself is at fault.
        DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.READY).update(run_after=now)
        log.warning("el trabajo %s del trabajador perdido %s vuelve a la cola", row.pk, held_by)
    return len(candidates)


def enqueue_due(*, now: dt.datetime, worker_id: str) -> list[str]:
    """Enqueue every periodic job whose period has come; exactly one worker wins each period.

    One read of the schedule per tick; a write only for a job that is due, and only the worker
    whose compare-and-set on `next_run_at` matches enqueues it (a row lock on PostgreSQL, the
    database lock on SQLite).
    """
    specs = tasks.periodic_jobs()
    if not specs:
        return []
    schedule = {row.name: row for row in PeriodicSchedule.objects.all()}
    enqueued = []
    for spec in specs:
        assert spec.every is not None
        row = schedule.get(spec.path)
        if row is None:
            PeriodicSchedule.objects.bulk_create(
                [PeriodicSchedule(name=spec.path, next_run_at=now)], ignore_conflicts=True
            )
            row = PeriodicSchedule.objects.get(name=spec.path)
        if row.next_run_at > now:
            continue
        with transaction.atomic():
            won = PeriodicSchedule.objects.filter(
                name=spec.path, next_run_at=row.next_run_at
            ).update(
                next_run_at=now + spec.every,
                last_run_at=now,
                last_worker=worker_id,
                runs=row.runs + 1,
            )
            if not won:
                continue
            unfinished = DBTaskResult.objects.filter(
                task_path=spec.path,
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
            ).exists()
            if not unfinished:
                tasks.enqueue(spec.task)
                enqueued.append(spec.path)
    return enqueued


def prune(*, now: dt.datetime, keep: dt.timedelta, keep_failed: dt.timedelta) -> int:
    """Finished jobs, effect claims and departed workers are kept only so long."""
    done, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - keep
    ).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=now - keep_failed
    ).delete()
    JobEffect.objects.filter(done_at__lt=now - keep_failed).delete()
    WorkerBeat.objects.filter(seen_at__lt=now - dt.timedelta(days=1)).delete()
    return done + failed
