from __future__ import annotations

import os
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
        parser.add_argument(
            "--nice",
            type=int,
            default=int(os.environ.get("SOPORTE_WORKER_NICE", "10")),
            help="Lower CPU priority: background work yields to the web workers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("tasks")
        if options["nice"] > 0:
            # Recording calls, SLA sweeps and checkpoints can wait a moment; a CTI event or a
            # page an agent is waiting for cannot.
            os.nice(options["nice"])
        self.stdout.write(f"worker: {len(REGISTRY)} periodic job(s)")
        while True:
            close_old_connections()
            run_due(clock.now())
            if options["once"]:
                return
            time.sleep(options["tick"])
