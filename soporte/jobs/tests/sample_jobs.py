"""Jobs the tests enqueue; worker processes import them by path like any other job.

Their effect is a real row (an organisation named after `name`), made at most once through
`tasks.first_time`; every start leaves a file in `trace_dir`, so a test can tell how many times
a job ran and wait until one is mid-run before it kills the worker.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.db import transaction

from soporte.directory.models import Organisation
from soporte.lib import tasks


def _trace(trace_dir: str, name: str) -> int:
    """Leave a file for this start; return how many starts came before it."""
    folder = Path(trace_dir)
    folder.mkdir(parents=True, exist_ok=True)
    before = len(list(folder.glob(f"{name}-*")))
    (folder / f"{name}-{os.getpid()}-{time.monotonic_ns()}").touch()
    return before


@tasks.job(title="Prueba: crear una organización una sola vez", attempts=3, backoff_s=0.2)
def make_organisation(
    *, name: str, trace_dir: str, pause_before_commit: float = 0, pause_after_commit: float = 0
) -> str:
    first_start = _trace(trace_dir, f"start-{name}") == 0
    with transaction.atomic():
        if tasks.first_time(f"sample:{name}"):
            Organisation.objects.create(name=f"Efecto {name}")
        if first_start:  # the pauses give a test time to kill the first run
            time.sleep(pause_before_commit)
    if first_start:
        time.sleep(pause_after_commit)
    return name


@tasks.job(title="Prueba: fallar las primeras veces", attempts=3, backoff_s=30)
def fail_first(*, trace_dir: str, failures: int) -> str:
    if _trace(trace_dir, "fail_first") < failures:
        raise RuntimeError("falla de prueba")
    return "listo"


@tasks.periodic(seconds=2, title="Prueba: contar los periodos")
def count_periods(now) -> None:
    trace_dir = os.environ.get("SOPORTE_TEST_TRACE_DIR")
    if trace_dir:
        _trace(trace_dir, "period")
