from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.directory import services
from soporte.lib.tasks import periodic


@periodic(seconds=3600, title=_("Revisar las certificaciones de nivel 4"))
def recheck_level_four(now: dt.datetime) -> None:
    """Certifications expire at midnight; the hourly check flags level-4 agents left short."""
    services.recheck_level_four(now=now)
