from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from soporte.lib.tasks import enqueue, job, periodic
from soporte.logbook import printing, services
from soporte.logbook.models import Logbook, PdfBuild, PdfBuildKind, PdfBuildStatus


@periodic(seconds=600, title=_("Registrar las aceptaciones tácitas"))
def accept_tacitly(now: dt.datetime) -> None:
    """Notes whose countersign deadline passed are marked tacitly accepted."""
    services.accept_tacitly(now=now)


@periodic(seconds=3600, title=_("Firmar los puntos de control diarios"))
def daily_checkpoints(now: dt.datetime) -> None:
    """The desk signs each logbook's head at least daily (more often when it moved)."""
    services.daily_checkpoints(now=now)


@job(title=_("Preparar un PDF de la bitácora"), attempts=2, queue="documents")
def build_pdf(*, build_id: int) -> None:
    """Render a printed logbook or equipment history (`printing.run_build`, idempotent)."""
    printing.run_build(build_id)


@periodic(seconds=3600, title=_("Borrar los PDF preparados antiguos"))
def prune_pdf_builds(now: dt.datetime) -> None:
    """A printed state is kept a day: past that a new request builds it again."""
    printing.prune(now=now, keep=dt.timedelta(days=1))


def request_pdf_build(
    *,
    key: str,
    user: Any,
    now: dt.datetime,
    logbook: Logbook | None = None,
    equipment_id: str = "",
) -> PdfBuild:
    """The build of this state: the one already asked for (by anyone), or a new one queued
    within the per-person and desk-wide limits. Asking is also saying "still wanted"."""
    with transaction.atomic():
        build = PdfBuild.objects.select_for_update().filter(key=key).first()
        lost = (
            build is not None
            and build.status == PdfBuildStatus.DONE
            and not printing.file_for(key).exists()
        )
        if build is not None and build.status != PdfBuildStatus.ABANDONED and not lost:
            PdfBuild.objects.filter(pk=build.pk).update(wanted_at=now)
            return build
        # One person's requests are counted one at a time (their row is the lock), so two
        # tabs opened at once cannot both slip under the limit.
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        printing.check_limits(user)
        if build is not None:  # abandoned (or its file lost): built again under a new job key
            build.status = PdfBuildStatus.QUEUED
            build.progress = 0
            build.runs += 1
            build.requested_by = user
            build.wanted_at = now
            build.save(update_fields=["status", "progress", "runs", "requested_by", "wanted_at"])
        else:
            try:
                with transaction.atomic():
                    build = PdfBuild.objects.create(
                        key=key,
                        kind=PdfBuildKind.LOGBOOK if logbook else PdfBuildKind.EQUIPMENT,
                        logbook=logbook,
                        equipment_id=equipment_id,
                        requested_by=user,
                        language=printing.language(),
                        created_at=now,
                        wanted_at=now,
                    )
            except IntegrityError:  # someone else asked for the same state at that instant
                return PdfBuild.objects.get(key=key)
        enqueue(build_pdf, key=f"pdf-build:{build.pk}:{build.runs}", build_id=build.pk)
    return build
