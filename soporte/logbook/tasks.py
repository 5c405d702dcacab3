from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.lib.tasks import periodic
from soporte.logbook import services


@periodic(seconds=600, title=_("Registrar las aceptaciones tácitas"))
def accept_tacitly(now: dt.datetime) -> None:
    """Notes whose countersign deadline passed are marked tacitly accepted."""
    services.accept_tacitly(now=now)


@periodic(seconds=3600, title=_("Firmar los puntos de control diarios"))
def daily_checkpoints(now: dt.datetime) -> None:
    """The desk signs each logbook's head at least daily (more often when it moved)."""
    services.daily_checkpoints(now=now)
