from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from soporte.lib.tasks import periodic
from soporte.tickets import services


@periodic(seconds=60, title=_("Revisar los plazos de SLA"))
def sweep_sla(now: dt.datetime) -> None:
    """Warn assignees at 75 % of a target; on breach tell supervisors and escalate."""
    services.sweep_sla(now=now)


@periodic(seconds=60, title=_("Leer el buzón de correo (IMAP)"))
def poll_mailbox(now: dt.datetime) -> None:
    """Read the desk's IMAP mailbox when one is configured (IMAP_HOST); otherwise nothing."""
    import os

    from django.conf import settings
    from django.core.management import call_command

    if getattr(settings, "IMAP_HOST", "") or os.environ.get("IMAP_HOST"):
        call_command("mail_poll")
