"""The printed bitácora under load: built by the worker, bounded, once per state of the logbook.

One customer asking for their PDF many times at once stalled the whole desk (issue #19,
defect 2): the renders ran in the web workers. Now a web request never renders:

- a request reads the finished file from the cache when this state of the logbook was
  already printed; otherwise it asks for a build (`tasks.request_pdf_build`) and shows its
  progress;
- builds are deduplicated: one `PdfBuild` row (and one job) per state of what is printed
  (`logbook_key`, `equipment_key`), however many people or tabs ask for it;
- builds are bounded per person (`SOPORTE_PDF_BUILDS_PER_USER` queued or running; past that
  429 with Retry-After) and for the desk (`SOPORTE_PDF_QUEUE_MAX`; past that 503), and run on
  the worker's own "documents" queue, so mail and SLA jobs never wait behind a render;
- a render is bounded in time (`SOPORTE_PDF_RENDER_SECONDS`) and pages
  (`SOPORTE_PDF_MAX_PAGES`), and stops when nobody wants it any more: the progress page asks
  every second, and a build nobody asked about for `SOPORTE_PDF_ABANDON_SECONDS` is stopped
  (a closed tab, a client that gave up).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.lib import clock
from soporte.lib.errors import DomainError
from soporte.logbook import pdf
from soporte.logbook.models import (
    Acceptance,
    Entry,
    Logbook,
    PdfBuild,
    PdfBuildKind,
    PdfBuildStatus,
    Signature,
)

ACTIVE = (PdfBuildStatus.QUEUED, PdfBuildStatus.RUNNING)
PROGRESS_EVERY_S = 0.5  # how often a render writes its progress and asks if it is still wanted


class PrintRefused(DomainError):
    """The build was not started now; `retry_after` says when to ask again."""

    status = 503
    code = "print_busy"

    def __init__(self, message: str, *, status: int, code: str, retry_after: int) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.retry_after = retry_after


class Abandoned(Exception):
    """Nobody has asked about this build for a while: its render stops."""


def cache_dir() -> Path:
    return Path(settings.SOPORTE_PDF_CACHE_DIR or Path(settings.VAR_DIR) / "cache" / "pdf")


def file_for(key: str) -> Path:
    return cache_dir() / f"{key}.pdf"


def language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def logbook_key(logbook: Logbook, *, now: dt.datetime) -> str:
    """The state of a printed logbook: its head hash, its signatures, acceptances and
    checkpoints (what changes an entry's status), the language and the hour (statuses such as
    a tacit acceptance move with time). The same for everyone who may read the logbook."""
    logbook.refresh_from_db(fields=["head_hash", "head_number", "closed_at"])
    signatures = Signature.objects.filter(entry__logbook=logbook).count()
    acceptances = Acceptance.objects.filter(entry__logbook=logbook).count()
    checkpoints = logbook.checkpoints.count()
    hour = now.astimezone(dt.UTC).strftime("%Y%m%d%H")
    return (
        f"{logbook.uid}-{logbook.head_number}-{logbook.head_hash[:16]}-"
        f"{signatures}-{acceptances}-{checkpoints}-{int(logbook.closed_at is not None)}-"
        f"{language()}-{hour}"
    )


def equipment_key(*, user_id: int, equipment_id: str, entries: Any, now: dt.datetime) -> str:
    """An equipment's history as one reader sees it: which entries their access lets them
    read decides what is printed, so the reader is part of the key. The entries' hashes (each
    chains to its logbook's random genesis) tell this database's history from any other's."""
    hashes = sorted(entries.values_list("entry_hash", flat=True))
    entry_ids = entries.values("pk")
    signatures = Signature.objects.filter(entry__in=entry_ids).count()
    acceptances = Acceptance.objects.filter(entry__in=entry_ids).count()
    hour = now.astimezone(dt.UTC).strftime("%Y%m%d%H")
    state = f"{user_id}\n{equipment_id}\n{hashes}\n{signatures}\n{acceptances}\n{hour}"
    digest = hashlib.sha256(state.encode()).hexdigest()[:40]
    return f"equipo-{digest}-{language()}"


def cached(key: str) -> IO[bytes] | None:
    """The finished file of this state, if it was already printed."""
    try:
        return file_for(key).open("rb")
    except FileNotFoundError:
        return None


def check_limits(user: Any) -> None:
    active = PdfBuild.objects.filter(status__in=ACTIVE)
    if active.filter(requested_by=user).count() >= settings.SOPORTE_PDF_BUILDS_PER_USER:
        raise PrintRefused(
            _("Ya se están preparando documentos para usted; espere a que terminen."),
            status=429,
            code="print_in_progress",
            retry_after=max(1, settings.SOPORTE_PDF_RENDER_SECONDS),
        )
    if active.count() >= settings.SOPORTE_PDF_QUEUE_MAX:
        raise PrintRefused(
            _("Se están preparando otros documentos; vuelva a intentarlo en unos segundos."),
            status=503,
            code="print_busy",
            retry_after=5,
        )


def refusal(build: PdfBuild) -> PrintRefused:
    """What a failed build says to the person who asked for it."""
    if build.error_code == "print_too_long":
        message = _(
            "El documento pasa de %(pages)d páginas y no se imprime entero; descargue la "
            "exportación o pida a la mesa una copia."
        ) % {"pages": settings.SOPORTE_PDF_MAX_PAGES}
    elif build.error_code == "print_timeout":
        message = _(
            "El documento tardó demasiado en prepararse (más de %(s)d s) y se detuvo; "
            "descargue la exportación o pida a la mesa una copia."
        ) % {"s": settings.SOPORTE_PDF_RENDER_SECONDS}
    else:
        message = _("No se pudo preparar el documento; la mesa ya tiene el error.")
    return PrintRefused(
        message, status=503, code=build.error_code or "print_failed", retry_after=3600
    )


# --- the worker's side --------------------------------------------------------------------


def run_build(build_id: int) -> None:
    """Render one build (the `build_pdf` job). Idempotent: a build that is finished, failed or
    abandoned is left as it is; one that a dead worker left running is rendered again."""
    build = PdfBuild.objects.select_related("logbook", "requested_by").filter(pk=build_id).first()
    if build is None or build.status not in ACTIVE:
        return
    abandon_after = dt.timedelta(seconds=settings.SOPORTE_PDF_ABANDON_SECONDS)
    now = clock.now()
    if now - build.wanted_at > abandon_after:
        _finish(build, PdfBuildStatus.ABANDONED, now=now)
        return
    PdfBuild.objects.filter(pk=build.pk).update(status=PdfBuildStatus.RUNNING, progress=0)
    path = file_for(build.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    last = time.monotonic()

    def progress(share: float) -> None:
        nonlocal last
        if time.monotonic() - last < PROGRESS_EVERY_S:
            return
        last = time.monotonic()
        PdfBuild.objects.filter(pk=build.pk).update(progress=min(99, int(share * 100)))
        wanted_at = PdfBuild.objects.filter(pk=build.pk).values_list("wanted_at", flat=True)
        if clock.now() - wanted_at[0] > abandon_after:
            raise Abandoned

    bounds: dict[str, Any] = {
        "now": now,
        "deadline": time.monotonic() + settings.SOPORTE_PDF_RENDER_SECONDS,
        "max_pages": settings.SOPORTE_PDF_MAX_PAGES,
        "progress": progress,
    }
    try:
        with translation.override(build.language), partial.open("wb") as handle:
            if build.kind == PdfBuildKind.LOGBOOK:
                assert build.logbook is not None
                pages = pdf.logbook_pdf(handle, logbook=build.logbook, **bounds)
            else:
                entries = Entry.objects.visible_to(build.requested_by).filter(
                    subject_type="equipment", subject_id=build.equipment_id
                )
                pages = pdf.equipment_pdf(
                    handle, entries=entries, equipment_id=build.equipment_id, **bounds
                )
        os.replace(partial, path)
    except Abandoned:
        _finish(build, PdfBuildStatus.ABANDONED, now=clock.now())
        return
    except pdf.RenderTimeout:
        _finish(build, PdfBuildStatus.FAILED, now=clock.now(), error_code="print_timeout")
        return
    except pdf.RenderTooLong:
        _finish(build, PdfBuildStatus.FAILED, now=clock.now(), error_code="print_too_long")
        return
    except Exception:
        # Shown to administrators with the job's error ("Trabajos en segundo plano").
        _finish(build, PdfBuildStatus.FAILED, now=clock.now(), error_code="print_failed")
        raise
    finally:
        partial.unlink(missing_ok=True)
    _finish(build, PdfBuildStatus.DONE, now=clock.now(), pages=pages)
    if build.logbook is not None:
        # Older states of this logbook will never be asked for again.
        for old in path.parent.glob(f"{build.logbook.uid}-*.pdf"):
            if old != path:
                old.unlink(missing_ok=True)


def _finish(
    build: PdfBuild, status: str, *, now: dt.datetime, error_code: str = "", pages: int = 0
) -> None:
    PdfBuild.objects.filter(pk=build.pk).update(
        status=status,
        progress=100 if status == PdfBuildStatus.DONE else build.progress,
        error_code=error_code,
        pages=pages,
        finished_at=now,
    )


def prune(*, now: dt.datetime, keep: dt.timedelta) -> int:
    """Builds older than `keep` go, with their files (a new request builds the file again)."""
    old = PdfBuild.objects.filter(created_at__lt=now - keep).exclude(status__in=ACTIVE)
    for key in old.values_list("key", flat=True).iterator():
        file_for(key).unlink(missing_ok=True)
    return old.delete()[0]
