from __future__ import annotations

import os
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from soporte.jobs.worker import Worker
from soporte.lib.tasks import JOBS, periodic_jobs


class Command(BaseCommand):
    help = "Ejecuta los trabajos en segundo plano (correo, SLA, certificaciones, llamadas)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Ejecuta lo pendiente y termina.")
        parser.add_argument(
            "--id", default=None, help="Identificador único (por omisión, generado)."
        )
        parser.add_argument(
            "--queues",
            # Every queue by default, so one worker does everything; `soporte run` gives the
            # PDF builds ("documents") a worker of their own.
            default=",".join(settings.TASKS["default"]["QUEUES"]),
            help="Colas de las que toma trabajos (separadas por comas).",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=int(os.environ.get("SOPORTE_WORKER_NICE", "10")),
            help="Prioridad de CPU más baja: el trabajo de fondo cede ante el servidor web.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["nice"] > 0:
            # Recording calls, SLA sweeps and checkpoints can wait a moment; a CTI event or a
            # page an agent is waiting for cannot.
            os.nice(options["nice"])
        worker = Worker(worker_id=options["id"], queues=options["queues"].split(","))
        if options["once"]:
            done = worker.run_until_idle()
            self.stdout.write(f"Trabajador: {done} trabajo(s) ejecutado(s).")
            return

        def stop(signum: int, frame: Any) -> None:
            # The job under way finishes; a second signal ends the process at once.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            worker.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"Trabajador {worker.worker_id} en marcha: {len(JOBS)} tipo(s) de trabajo, "
            f"{len(periodic_jobs())} periódico(s). Ctrl+C para detener.",
        )
        self.stdout.flush()
        worker.run_forever()
