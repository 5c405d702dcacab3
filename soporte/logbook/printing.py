"""The printed bitácora under load: bounded, and built once per state of the logbook.

One customer asking for their PDF many times at once stalled the whole desk (issue #19,
defect 2). Here every render is:

- bounded per person: one render at a time per user (across processes when the cache is
  Redis); a second one at the same moment is answered 429 with Retry-After;
- bounded per process: at most `SOPORTE_PDF_CONCURRENCY` renders at once; past that 503 with
  Retry-After, so the other workers' pages and API keep answering;
- bounded in time: `pdf.RenderTimeout` past `SOPORTE_PDF_RENDER_SECONDS`;
- cached per logbook head: the file is keyed by the logbook, its head hash, its signatures,
  acceptances and checkpoints (what changes an entry's status), the language and the hour
  (statuses such as a tacit acceptance move with time); a repeated request reads the file.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.lib.errors import DomainError
from soporte.logbook import pdf
from soporte.logbook.models import Acceptance, Logbook, Signature


class PrintRefused(DomainError):
    """The render was not done now; `retry_after` says when to ask again."""

    status = 503
    code = "print_busy"

    def __init__(self, message: str, *, status: int, code: str, retry_after: int) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.retry_after = retry_after


_renders = threading.BoundedSemaphore(int(getattr(settings, "SOPORTE_PDF_CONCURRENCY", 2)))


def render_seconds() -> float:
    return float(settings.SOPORTE_PDF_RENDER_SECONDS)


def cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "pdf"


def logbook_cache_key(logbook: Logbook, *, now: dt.datetime) -> str:
    logbook.refresh_from_db(fields=["head_hash", "head_number", "closed_at"])
    signatures = Signature.objects.filter(entry__logbook=logbook).count()
    acceptances = Acceptance.objects.filter(entry__logbook=logbook).count()
    checkpoints = logbook.checkpoints.count()
    hour = now.astimezone(dt.UTC).strftime("%Y%m%d%H")
    language = translation.get_language() or settings.LANGUAGE_CODE
    return (
        f"{logbook.uid}-{logbook.head_number}-{logbook.head_hash[:16]}-"
        f"{signatures}-{acceptances}-{checkpoints}-{int(logbook.closed_at is not None)}-"
        f"{language}-{hour}"
    )


def bounded(user_id: int, build: Callable[[float], None]) -> None:
    """Run `build(deadline)` within the per-user, per-process and time limits."""
    user_slot = f"logbook-pdf-render:{user_id}"
    seconds = render_seconds()
    if not cache.add(user_slot, 1, timeout=int(seconds) + 5):
        raise PrintRefused(
            _("Ya se está preparando un PDF para usted; espere a que termine."),
            status=429,
            code="print_in_progress",
            retry_after=int(seconds),
        )
    try:
        if not _renders.acquire(blocking=False):
            raise PrintRefused(
                _("Se están preparando otros documentos; vuelva a intentarlo en unos segundos."),
                status=503,
                code="print_busy",
                retry_after=5,
            )
        try:
            build(time.monotonic() + seconds)
        except pdf.RenderTimeout:
            raise PrintRefused(
                _(
                    "El documento tardó demasiado en prepararse (más de %(s)d s) y se detuvo; "
                    "descargue la exportación o pida a la mesa una copia."
                )
                % {"s": int(seconds)},
                status=503,
                code="print_timeout",
                retry_after=60,
            ) from None
        finally:
            _renders.release()
    finally:
        cache.delete(user_slot)


def logbook_pdf_file(*, logbook: Logbook, user_id: int, now: dt.datetime) -> IO[bytes]:
    """An open file with the logbook's PDF: from the cache, or built now within the limits."""
    key = logbook_cache_key(logbook, now=now)
    path = cache_dir() / f"{key}.pdf"
    if path.exists():
        return path.open("rb")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")

    def build(deadline: float) -> None:
        with partial.open("wb") as handle:
            pdf.logbook_pdf(handle, logbook=logbook, now=now, deadline=deadline)

    try:
        bounded(user_id, build)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    # Older states of this logbook will never be asked for again.
    for old in path.parent.glob(f"{logbook.uid}-*.pdf"):
        if old != path:
            old.unlink(missing_ok=True)
    return path.open("rb")
