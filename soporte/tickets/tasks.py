from __future__ import annotations

import datetime as dt

from soporte.lib.tasks import periodic
from soporte.tickets import services


@periodic(seconds=60)
def sweep_sla(now: dt.datetime) -> None:
    """Warn assignees at 75 % of a target; on breach tell supervisors and escalate."""
    services.sweep_sla(now=now)
