"""Background jobs: the one interface every app uses.

Jobs are Django's task framework tasks (django-tasks, the backport of Django 6's `django.tasks`)
stored by its database backend (django-tasks-db): in the SQLite database by default, so a job
needs no extra service, and in PostgreSQL when `DATABASE_URL` points there, where any number of
`soporte worker` processes on any number of machines take jobs with `SELECT … FOR UPDATE SKIP
LOCKED`. bench/tasks/ measured the alternatives (bench/RESULTS.md, "Task queue").

    from soporte.lib import tasks

    @tasks.job(title=_("Registrar una llamada terminada"), attempts=5)
    def record_call(*, call_id: int) -> None: ...

    tasks.enqueue(record_call, key=f"call:{call.pk}", call_id=call.pk)

    @tasks.periodic(seconds=60, title=_("Revisar los plazos de SLA"))
    def sweep_sla(now: dt.datetime) -> None: ...

What a job can count on, and what it owes:

- `enqueue` writes the job in the caller's transaction: it exists only if the change that asked
  for it commits, and it is on disk when that commit returns (no lost job, no phantom job).
  `key` makes it idempotent: the same key enqueues one job (a failed one is queued again).
- A job runs at least once. A worker that dies mid-run (SIGKILL, power loss) stops beating, and
  another worker puts its jobs back in the queue after `SOPORTE_JOB_LEASE_S`. So every job is
  idempotent: it checks its domain state under a row lock, or calls `first_time(key)` inside the
  transaction that makes its effect.
- A failure is retried `attempts` times in all, waiting `backoff_s`, then twice as long each
  time (capped at an hour). Then the job stays failed, shown to administrators with its error
  in the admin ("Trabajos en segundo plano"), which has a "Reintentar" button.
- A periodic job runs once per period whatever the number of workers: the worker whose
  conditional UPDATE moves the schedule row forward is the one that enqueues it.
- Arguments and return values are JSON. A job reads the clock itself (it is the edge).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django_tasks import task
from django_tasks.base import Task, TaskResultStatus
from django_tasks.utils import normalize_json

P = ParamSpec("P")
T = TypeVar("T")

# Idempotency keys become the job's id: uuid5(namespace, task path + key).
_KEY_NAMESPACE = uuid.UUID("6f1d3b52-3c2e-4f4e-9a77-2f0a8c4b9e01")
MAX_BACKOFF_S = 3600.0
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_S = 10.0


def default_delay(attempt: int) -> dt.timedelta:
    """Backoff of a job declared without `job()` (a plain django-tasks task)."""
    return dt.timedelta(seconds=min(MAX_BACKOFF_S, DEFAULT_BACKOFF_S * 2 ** max(0, attempt - 1)))


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """What the worker and the admin need to know about a job beyond its function."""

    task: Task[Any, Any]
    title: str | Promise  # Spanish, translated in the admin
    attempts: int
    backoff_s: float
    every: dt.timedelta | None = None  # periodic jobs only

    @property
    def path(self) -> str:
        return self.task.module_path

    def delay_after(self, attempt: int) -> dt.timedelta:
        """How long to wait before the next attempt, after `attempt` failed ones."""
        return dt.timedelta(seconds=min(MAX_BACKOFF_S, self.backoff_s * 2 ** max(0, attempt - 1)))


JOBS: dict[str, JobSpec] = {}


def job(
    *,
    title: str | Promise,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_s: float = DEFAULT_BACKOFF_S,
    priority: int = 0,
    queue: str = "default",
) -> Callable[[Callable[P, T]], Task[P, T]]:
    """Declare a background job; `title` is what administrators read."""
    if attempts < 1:
        raise ValueError("a job has at least one attempt")

    def register(func: Callable[P, T]) -> Task[P, T]:
        declared = task(priority=priority, queue_name=queue)(func)
        JOBS[declared.module_path] = JobSpec(declared, title, attempts, backoff_s)
        return declared

    return register


def periodic(
    *, seconds: int, title: str | Promise, attempts: int = 1
) -> Callable[[Callable[[dt.datetime], object]], Task[[], None]]:
    """Run `func(now)` once every `seconds` across all workers.

    One attempt by default: the next period is the retry. A run is skipped while the previous
    one is still queued or running, so a slow job never piles up behind itself.
    """

    def register(func: Callable[[dt.datetime], object]) -> Task[[], None]:
        from soporte.lib import clock

        @functools.wraps(func)
        def run() -> None:
            func(clock.now())

        declared = task(priority=10)(run)
        JOBS[declared.module_path] = JobSpec(
            declared, title, attempts, 10.0, every=dt.timedelta(seconds=seconds)
        )
        return declared

    return register


def spec_for(path: str) -> JobSpec | None:
    return JOBS.get(path)


def periodic_jobs() -> list[JobSpec]:
    return [spec for spec in JOBS.values() if spec.every is not None]


def key_id(job: Task[Any, Any], key: str) -> uuid.UUID:
    return uuid.uuid5(_KEY_NAMESPACE, f"{job.module_path}\n{key}")


def enqueue(
    job: Task[P, T],
    /,
    *,
    key: str | None = None,
    run_after: dt.datetime | None = None,
    **kwargs: Any,
) -> str:
    """Queue `job(**kwargs)` in the current transaction; returns the job's id.

    With `key`, enqueuing again is a no-op while the job is queued, running or done; a failed
    job with that key is queued again (someone asked for the work once more).
    """
    from django_tasks_db.models import DBTaskResult

    job.get_backend().validate_task(job)
    if key is None:
        row = DBTaskResult.objects.create(
            id=uuid.uuid4(), **_row_fields(job, kwargs, run_after=run_after)
        )
        return str(row.id)
    job_id = key_id(job, key)
    try:
        with transaction.atomic():
            DBTaskResult.objects.create(id=job_id, **_row_fields(job, kwargs, run_after=run_after))
    except IntegrityError:
        DBTaskResult.objects.filter(id=job_id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=run_after or timezone.now(), worker_ids=[]
        )
    return str(job_id)


def _row_fields(
    job: Task[Any, Any], kwargs: dict[str, Any], *, run_after: dt.datetime | None
) -> dict[str, Any]:
    from django_tasks_db.models import get_date_max

    return {
        "args_kwargs": normalize_json({"args": [], "kwargs": kwargs}),
        "priority": job.priority,
        "task_path": job.module_path,
        "queue_name": job.queue_name,
        "run_after": run_after or get_date_max(),
        "backend_name": job.backend,
    }


def first_time(key: str) -> bool:
    """True the first time `key` is claimed, False ever after (once it commits).

    Call it inside the transaction that makes a job's effect: if the worker dies before the
    commit, neither the effect nor the claim is kept and the retry does the work; if it dies
    after, the retry finds the claim and does nothing.
    """
    from soporte.jobs.models import JobEffect

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("first_time() belongs inside the transaction that makes the effect")
    try:
        with transaction.atomic():
            JobEffect.objects.create(key=key[:200], done_at=timezone.now())
    except IntegrityError:
        return False
    return True
