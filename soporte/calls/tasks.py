from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.calls import cti, services
from soporte.lib.tasks import periodic


@periodic(seconds=2, title=_("Registrar las llamadas terminadas"))
def record_finished_calls(now: dt.datetime) -> None:
    """Every ended call gets its ticket note, bitácora entry and QA scorecard (item 10).

    Under `soporte run` the CTI writer process does it in its idle moments (calls/writer.py).
    """
    from django.conf import settings

    if not settings.CTI_WRITER_SOCKET:
        services.record_finished_calls(now=now)


@periodic(seconds=300, title=_("Borrar las firmas CTI caducadas"))
def prune_nonces(now: dt.datetime) -> None:
    """Signed-mode replay keys are kept only as long as their timestamp could be accepted."""
    cti.prune_nonces(now=now)
