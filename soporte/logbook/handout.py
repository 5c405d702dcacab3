"""Checkpoints handed to the customer: a small signed file they keep (downloaded from the
portal, and e-mailed once a day), so the desk cannot later cut the history back or rewrite it
unnoticed: `soporte logbook verify EXPORT --checkpoint FILE` proves the export still holds it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from soporte.logbook.chain import CHECKPOINT_FORMAT_2
from soporte.logbook.models import Checkpoint, LogbookKind, SignerSide

log = logging.getLogger(__name__)
# A customer does not need more than one a day in their mailbox.
EMAIL_EVERY = dt.timedelta(hours=20)


def checkpoint_file(checkpoint: Checkpoint) -> dict[str, Any]:
    """What the customer keeps: the signed checkpoint, with the desk's public key that signed
    it (its fingerprint is the one printed on the contract's PDF)."""
    from soporte.logbook.records import checkpoint_record

    return {
        "format": CHECKPOINT_FORMAT_2,
        "logbook": str(checkpoint.logbook.uid),
        "desk_key": {"key": checkpoint.key.fingerprint, "public_key": checkpoint.key.public_key},
        "checkpoint": checkpoint_record(checkpoint),
    }


def checkpoint_bytes(checkpoint: Checkpoint) -> bytes:
    return json.dumps(checkpoint_file(checkpoint), ensure_ascii=False, indent=1).encode()


def filename(checkpoint: Checkpoint) -> str:
    return f"punto-de-control-{checkpoint.logbook_id}-nota-{checkpoint.number}.json"


def send_checkpoint(checkpoint: Checkpoint) -> bool:
    """E-mail the day's first checkpoint of a customer's logbook to its customer signers."""
    logbook = checkpoint.logbook
    if logbook.kind != LogbookKind.CUSTOMER or checkpoint.version < 2:
        return False
    earlier = Checkpoint.objects.filter(
        logbook=logbook,
        daily=True,
        created_at__lt=checkpoint.created_at,
        created_at__gte=checkpoint.created_at - EMAIL_EVERY,
    )
    if earlier.exists():
        return False
    recipients = sorted(
        {
            s.user.email
            for s in logbook.signers.filter(side=SignerSide.CUSTOMER).select_related("user")
            if s.user.email and s.user.is_active
        }
    )
    if not recipients:
        return False
    with override(settings.LANGUAGE_CODE):
        when = date_format(timezone.localtime(checkpoint.created_at), "j M Y, H:i")
        message = EmailMessage(
            subject=_("[Bitácora] Punto de control de %(title)s: nota %(number)d")
            % {"title": logbook.title, "number": checkpoint.number},
            body=_(
                "Adjuntamos el punto de control firmado de la bitácora %(title)s al %(when)s: "
                "cubre las notas 1 a %(number)d. Guárdelo: con él puede comprobar que ninguna "
                "exportación posterior recorta ni reescribe esa historia "
                "(soporte logbook verify ARCHIVO --checkpoint %(file)s)."
            )
            % {
                "title": logbook.title,
                "when": when,
                "number": checkpoint.number,
                "file": filename(checkpoint),
            },
            to=recipients,
        )
    message.attach(filename(checkpoint), checkpoint_bytes(checkpoint), "application/json")
    try:
        message.send()
    except OSError:
        log.exception("checkpoint %s not e-mailed", checkpoint.pk)
        return False
    return True
