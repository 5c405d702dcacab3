"""Backfill (or rebuild) the calls report's summaries: `soporte summarise_calls [--rebuild]`.

The periodic job keeps them up to date; this catches up a desk's whole history at once (an
upgrade, a restored database) and `--rebuild` recomputes every hour, after a line's ring
cadence or the summaries' code changed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from soporte.lib import clock
from soporte.reports import summaries
from soporte.reports.models import CallSummary, QaSummary, SummaryState


class Command(BaseCommand):
    help = "Resume las llamadas terminadas para los reportes (todo el historial)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Borra los resúmenes y los calcula de nuevo."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            with transaction.atomic():
                CallSummary.objects.all().delete()
                QaSummary.objects.all().delete()
                SummaryState.objects.filter(pk=1).delete()
        total = 0
        previous = None
        while True:
            read = summaries.refresh(
                clock.now(), progress=lambda at: self.stdout.write(f"  resumido hasta {at}")
            )
            total += read
            until = SummaryState.objects.get(pk=1).summarised_until
            if until == previous:
                break
            previous = until
        self.stdout.write(f"{total} llamadas leídas; resumido hasta {previous}")
