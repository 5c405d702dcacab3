from __future__ import annotations

import os
import signal
from typing import Any

from django.core.management.base import BaseCommand

from soporte.jobs.worker import Worker
from soporte.lib.tasks import JOBS, periodic_jobs


class Command(BaseCommand):
    help = "Ejecuta los trabajos en segundo plano (correo, SLA, certificaciones, llamadas)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run what is due and ready, then exit."
        )
        parser.add_argument("--id", default=None, help="Worker id (unique; default: generated).")
        parser.add_argument(
            "--queues", default="default", help="Comma-separated queues to take jobs from."
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=int(os.environ.get("SOPORTE_WORKER_NICE", "10")),
            help="Lower CPU priority: background work yields to the web workers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["nice"] > 0:
            # Recording calls, SLA sweeps and checkpoints can wait a moment; a CTI event or a
            # page an agent is waiting for cannot.
            os.nice(options["nice"])
        worker = Worker(worker_id=options["id"], queues=options["queues"].split(","))
        if options["once"]:
            done = worker.run_until_idle()
            self.stdout.write(f"worker: {done} job(s) run")
            return

        def stop(signum: int, frame: Any) -> None:
            # The job under way finishes; a second signal ends the process at once.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            worker.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"worker {worker.worker_id}: {len(JOBS)} job(s), {len(periodic_jobs())} periodic",
        )
        self.stdout.flush()
        worker.run_forever()
