from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

from soporte.lib import clock
from soporte.lib.tasks import REGISTRY, run_due


class Command(BaseCommand):
    help = "Runs the background jobs (certification checks, SLA clocks, reminders)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run due jobs once and exit.")
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between checks.")

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("tasks")
        self.stdout.write(f"worker: {len(REGISTRY)} periodic job(s)")
        while True:
            close_old_connections()
            run_due(clock.now())
            if options["once"]:
                return
            time.sleep(options["tick"])
