from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.lib.tasks import job, periodic
from soporte.triage import services


@periodic(seconds=7 * 86400, title=_("Reentrenar el asistente de triaje (semanal)"))
def retrain_weekly(now: dt.datetime) -> None:
    """Train a candidate from the desk's resolved tickets; a supervisor reviews it. A week
    with no ticket resolved teaches nothing: no candidate then."""
    if services.has_new_labels(now=now):
        services.train_candidate(now=now)


@job(title=_("Reentrenar el asistente de triaje (a pedido)"), attempts=2)
def retrain(*, user_id: int | None = None) -> None:
    from soporte.directory.models import User
    from soporte.lib import clock

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    services.train_candidate(now=clock.now(), actor=actor)
