from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.calls import cti, services
from soporte.calls.models import Call, CallState
from soporte.lib import clock, tasks
from soporte.lib.tasks import periodic
from soporte.lib.writelock import writers_take_turns

RECORD_DELAY = dt.timedelta(seconds=5)


@tasks.job(title=_("Registrar una llamada terminada"), attempts=6, backoff_s=30)
def record_call(*, call_id: int) -> None:
    """An ended call's ticket note, bitácora entry and QA scorecard (item 10), queued by the
    CTI batch that ended it. Idempotent: `record_call` reads the call under its row lock and
    does nothing once it is recorded. Raises (and so is retried, then shown to administrators)
    when the record cannot be written, e.g. before the desk has a supervisor."""
    # On SQLite, queue with the CTI writers on their file lock rather than SQLite's busy
    # handler, which would let a stream of records starve them.
    with writers_take_turns():
        services.record_call(call=Call(pk=call_id), now=clock.now())


@periodic(seconds=60, title=_("Registrar las llamadas terminadas"))
def record_finished_calls(now: dt.datetime) -> None:
    """Catch-up: an ended call without its record (ended before its job existed, or its job
    pruned) gets one queued."""
    pending = Call.objects.filter(recorded_at__isnull=True, state=CallState.ENDED).order_by(
        "ended_at", "id"
    )
    tasks.enqueue_many(
        record_call,
        [(f"call:{pk}", {"call_id": pk}) for pk in pending.values_list("pk", flat=True)[:500]],
    )


@periodic(seconds=300, title=_("Borrar las firmas CTI caducadas"))
def prune_nonces(now: dt.datetime) -> None:
    """Signed-mode replay keys are kept only as long as their timestamp could be accepted."""
    cti.prune_nonces(now=now)
