"""Phone lines: a PBX integration's credentials, shown once, kept only as hashes."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from soporte.calls.events import token_hash
from soporte.calls.models import Cadence, PhoneLine
from soporte.calls.services.common import CallError


@dataclass(frozen=True)
class LineSecrets:
    """Shown once when a line is created or its credentials rotated; only hashes are kept."""

    token: str
    key_id: str
    hmac_secret: str


def _new_secrets(name: str) -> LineSecrets:
    return LineSecrets(
        token=secrets.token_urlsafe(32),
        key_id=f"{slugify(name)[:24] or 'linea'}-{secrets.token_hex(4)}",
        hmac_secret=secrets.token_urlsafe(32),
    )


@transaction.atomic
def create_phone_line(
    *, name: str, cadence: str = "mx", signed_only: bool = False, now: dt.datetime
) -> tuple[PhoneLine, LineSecrets]:
    """A PBX integration: the URL token (Zammad mode) and the HMAC key (signed mode)."""
    if not name.strip():
        raise CallError(_("Ponga un nombre a la línea."), code="name_required")
    if cadence not in Cadence.values:
        raise CallError(_("Cadencia de timbre desconocida."), code="invalid_cadence")
    secrets_ = _new_secrets(name)
    line = PhoneLine.objects.create(
        name=name.strip()[:100],
        token_hash=token_hash(secrets_.token),
        token_hint=secrets_.token[-4:],
        key_id=secrets_.key_id,
        hmac_secret=secrets_.hmac_secret,
        signed_only=signed_only,
        cadence=cadence,
        created_at=now,
    )
    return line, secrets_


@transaction.atomic
def rotate_line_credentials(*, line: PhoneLine, now: dt.datetime) -> LineSecrets:
    """New token and secret; the old ones stop working within the endpoint's cache time."""
    secrets_ = _new_secrets(line.name)
    line.token_hash = token_hash(secrets_.token)
    line.token_hint = secrets_.token[-4:]
    line.key_id = secrets_.key_id
    line.hmac_secret = secrets_.hmac_secret
    line.save(update_fields=["token_hash", "token_hint", "key_id", "hmac_secret"])
    return secrets_
