"""Attachments: stored under MEDIA_ROOT (outside the web root) by a random key, never inline.

The original name lives only in the database; the download view always answers with
Content-Disposition: attachment and an inert content type, so an HTML or SVG file is never
rendered by the browser in the desk's origin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import unicodedata
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db.models import Sum
from django.utils.translation import gettext as _

from soporte.directory.models import User
from soporte.lib import limits
from soporte.lib.errors import DomainError
from soporte.tickets.models import Attachment, Note, Ticket

# Per file (SOPORTE_UPLOAD_MAX_FILE_MB); the upload handler stops reading a request at the
# first file past it, and the per-request and per-customer-per-day limits are in settings too.
MAX_BYTES = limits.upload_max_file_bytes()
MAX_FILES_PER_UPLOAD = 10
MAX_FILES_PER_TICKET = 50


class AttachmentError(DomainError):
    status = 413
    code = "attachment_limit"


class AttachmentMissing(DomainError):
    """The file's record exists but its bytes are gone (a restore without the files, a disk
    lost): 410, never a 500."""

    status = 410
    code = "attachment_missing"


def open_stored(attachment: Attachment) -> BinaryIO:
    """The stored bytes, open for reading; `AttachmentMissing` when the file is gone."""
    try:
        return path_for(attachment.storage_key).open("rb")
    except FileNotFoundError:
        raise AttachmentMissing(
            _(
                "El archivo «%(name)s» ya no está guardado en el servidor (se registró el "
                "%(date)s). Pida a la mesa que lo recupere de un respaldo o que le pida una copia "
                "a quien lo envió."
            )
            % {"name": attachment.original_name, "date": attachment.uploaded_at.date().isoformat()}
        ) from None


def storage_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments"


def path_for(key: str) -> Path:
    return storage_root() / key[:2] / key[2:4] / key


def clean_name(name: str) -> str:
    """Keep a readable name for the download header; never used as a path."""
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"/\\|?*')
    return name.strip(" .")[:200] or "archivo"


def check_upload(
    ticket: Ticket | None,
    files: list[tuple[str, bytes]],
    *,
    uploader: User | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Refuse files beyond the limits; `ticket` None: the files of a ticket being opened.
    A customer `uploader` also keeps within the daily quota: what they uploaded in the 24
    hours before `now` plus these files (the desk's staff have none)."""
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise AttachmentError(
            _("Se pueden adjuntar hasta %(n)d archivos a la vez.") % {"n": MAX_FILES_PER_UPLOAD}
        )
    existing = ticket.attachments.count() if ticket is not None else 0
    if existing + len(files) > MAX_FILES_PER_TICKET:
        raise AttachmentError(_("El ticket ya tiene el máximo de archivos adjuntos."))
    for name, data in files:
        if len(data) > MAX_BYTES:
            raise AttachmentError(
                _("«%(name)s» pesa más de %(mb)d MB.")
                % {"name": clean_name(name), "mb": MAX_BYTES // 2**20}
            )
    if uploader is not None and now is not None and uploader.is_customer and files:
        quota = limits.upload_quota_bytes_per_day()
        used = (
            Attachment.objects.filter(
                uploaded_by=uploader, uploaded_at__gt=now - dt.timedelta(days=1)
            ).aggregate(total=Sum("size"))["total"]
            or 0
        )
        if used + sum(len(data) for _name, data in files) > quota:
            raise AttachmentError(
                _(
                    "Superó su cuota de adjuntos: %(mb)d MB en 24 horas (ya subió %(used)s MB). "
                    "Inténtelo más tarde o pida ayuda a la mesa."
                )
                % {"mb": quota // 2**20, "used": f"{used / 2**20:.1f}"},
                code="upload_quota",
            )


def store(
    *,
    ticket: Ticket,
    uploaded_by: User,
    name: str,
    data: bytes,
    content_type: str,
    now: dt.datetime,
    note: Note | None = None,
) -> Attachment:
    """Write the bytes (fsynced) and record them; call inside the caller's transaction."""
    key = secrets.token_hex(16)
    path = path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Attachment.objects.create(
        ticket=ticket,
        note=note,
        storage_key=key,
        original_name=clean_name(name),
        content_type=(content_type or "application/octet-stream")[:100],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=uploaded_by,
        uploaded_at=now,
    )
