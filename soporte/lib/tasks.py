"""The in-process task runner: periodic jobs registered by each app's `tasks.py`.

`soporte worker` runs them; every job takes `now` and must be idempotent, because a job
that was interrupted is simply run again on the next tick.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Job = Callable[[dt.datetime], object]


@dataclass
class PeriodicJob:
    name: str
    every: dt.timedelta
    func: Job
    last_run_at: dt.datetime | None = field(default=None)

    def due(self, now: dt.datetime) -> bool:
        return self.last_run_at is None or now - self.last_run_at >= self.every


REGISTRY: dict[str, PeriodicJob] = {}


def periodic(*, seconds: int) -> Callable[[Job], Job]:
    def register(func: Job) -> Job:
        name = f"{func.__module__}.{func.__name__}"
        REGISTRY[name] = PeriodicJob(name=name, every=dt.timedelta(seconds=seconds), func=func)
        return func

    return register


def run_due(now: dt.datetime) -> list[str]:
    """Run every job that is due; one failing job does not stop the others."""
    ran = []
    for job in REGISTRY.values():
        if not job.due(now):
            continue
        try:
            job.func(now)
        except Exception:
            log.exception("periodic job %s failed", job.name)
        job.last_run_at = now
        ran.append(job.name)
    return ran
