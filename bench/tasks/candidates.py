"""The same two jobs for every candidate queue; BENCH_LIB picks which one this process defines.

`noop(i, sent)` appends "i elapsed" to $BENCH_OUT (one O_APPEND write: atomic between
processes); `slow(i, sent)` does the same after 0.5 s of work, so a SIGKILL lands mid-job.
"""

from __future__ import annotations

import os
import time

LIB = os.environ.get("BENCH_LIB", "")
OUT = os.environ.get("BENCH_OUT", "/tmp/bench-tasks.out")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")
REDELIVER_S = int(os.environ.get("BENCH_REDELIVER_S", "10"))


def record(i: int, sent: float) -> None:
    fd = os.open(OUT, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{i} {time.time() - sent:.6f}\n".encode())
    finally:
        os.close(fd)


def noop(i: int, sent: float) -> None:
    record(i, sent)


def slow(i: int, sent: float) -> None:
    time.sleep(0.5)
    record(i, sent)


if LIB.startswith("huey"):
    from huey import RedisHuey, SqliteHuey

    huey = (
        SqliteHuey(filename=os.environ["BENCH_SQLITE"], fsync=True)
        if LIB == "huey-sqlite"
        else RedisHuey(url=REDIS)
    )
    noop = huey.task()(noop)
    slow = huey.task()(slow)

    def send(job, i):  # noqa: ANN001
        job(i, time.time())

elif LIB == "dramatiq":
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(
        url=REDIS,
        heartbeat_timeout=REDELIVER_S * 1000,
        maintenance_chance=1_000_000,
        dead_message_ttl=60_000,
    )
    dramatiq.set_broker(broker)
    noop = dramatiq.actor(noop, actor_name="noop", max_retries=0)
    slow = dramatiq.actor(slow, actor_name="slow", max_retries=0)

    def send(job, i):  # noqa: ANN001
        job.send(i, time.time())

elif LIB == "rq":
    from redis import Redis
    from rq import Queue

    queue = Queue("bench", connection=Redis.from_url(REDIS))

    def send(job, i):  # noqa: ANN001
        queue.enqueue(job, i, time.time())

elif LIB == "celery":
    from celery import Celery

    app = Celery("bench", broker=REDIS)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": REDELIVER_S},
        task_ignore_result=True,
    )
    noop = app.task(name="noop")(noop)
    slow = app.task(name="slow")(slow)

    def send(job, i):  # noqa: ANN001
        job.delay(i, time.time())

elif LIB in ("django-tasks-db", "soporte"):
    import django

    if LIB == "django-tasks-db":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.tasks.dtdb_settings")
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")
    from django.apps import apps

    if not (apps.ready or apps.loading):  # a producer; a worker imports this during setup
        django.setup()
    from django_tasks import task

    noop = task()(noop)
    slow = task()(slow)

    def send(job, i):  # noqa: ANN001
        if LIB == "soporte":
            from soporte.lib import tasks

            tasks.enqueue(job, i=i, sent=time.time())
        else:
            job.enqueue(i, time.time())


def send_many(job, start: int, count: int, spacing: float) -> None:  # noqa: ANN001
    """The producer: one job after another; the database candidates in one transaction when
    there is no spacing (a burst of jobs handed off by one change)."""
    import contextlib

    batch = contextlib.nullcontext()
    if LIB in ("django-tasks-db", "soporte") and not spacing:
        from django.db import transaction

        batch = transaction.atomic()
    with batch:
        for i in range(start, start + count):
            send(job, i)
            if spacing:
                time.sleep(spacing)
