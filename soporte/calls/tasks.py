from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.calls import cti
from soporte.calls.models import Call, CallState
from soporte.calls.services.records import RECORD_DELAY, queue_records
from soporte.lib.tasks import periodic


@periodic(seconds=60, title=_("Registrar las llamadas terminadas"))
def record_finished_calls(now: dt.datetime) -> None:
    """Catch-up: an ended call without its record (ended before its job existed, or its job
    pruned) gets one queued."""
    pending = Call.objects.filter(recorded_at__isnull=True, state=CallState.ENDED).order_by(
        "ended_at", "id"
    )
    # Due at once: these calls waited long enough.
    queue_records(list(pending.only("id")[:500]), now=now - RECORD_DELAY)


@periodic(seconds=300, title=_("Borrar las firmas CTI caducadas"))
def prune_nonces(now: dt.datetime) -> None:
    """Signed-mode replay keys are kept only as long as their timestamp could be accepted."""
    cti.prune_nonces(now=now)
