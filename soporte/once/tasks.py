from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from soporte.lib.tasks import periodic


@periodic(seconds=3600, title=_("Olvidar los envíos únicos antiguos"))
def forget_old_submissions(now: dt.datetime) -> None:
    """Form tokens and Idempotency-Key claims older than SOPORTE_ONCE_KEEP_HOURS."""
    from soporte.once import services

    services.forget_before(before=now - dt.timedelta(hours=settings.SOPORTE_ONCE_KEEP_HOURS))
