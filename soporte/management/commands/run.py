"""`soporte run`: migrate, load the demo if the database is empty, and serve everything.

One process tree: this supervisor (which also hosts the live-event relay when there is no
Redis), the HTTP+websocket server (granian, ASGI, several workers) and the background worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from soporte import demo
from soporte.lib import clock
from soporte.lib.relay import start_relay_thread
from soporte.lib.siteurl import served_url
from soporte.management.commands.demo import print_logins

# pg_advisory_lock key of `soporte run`'s migrations and demo load ("soporte" in ASCII).
SETUP_LOCK_KEY = 0x736F706F727465


@contextlib.contextmanager
def setup_lock() -> Iterator[None]:
    """A session lock on PostgreSQL for the start-up steps; SQLite serves one machine."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [SETUP_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SETUP_LOCK_KEY])


def child_env(environ: dict[str, str], *, host: str, port: int) -> dict[str, str]:
    """The environment of the web server, the worker and the CTI writer: they serve (and link
    their e-mails to) the address this command was asked to serve, unless SITE_URL says
    otherwise (a proxy in front)."""
    env = dict(environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")
    env["HOST"] = host
    env["PORT"] = str(port)
    if not env.get("SITE_URL"):
        env["SITE_URL"] = served_url(host, port)
    return env


class Command(BaseCommand):
    help = "Runs Soporte: migrations, demo data if empty, web server, websockets and worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Serve only; the background jobs run in `soporte worker` processes elsewhere.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        say = self.stdout.write
        with setup_lock():
            # Several nodes starting together on one PostgreSQL: one migrates (and loads the
            # demo into an empty database) while the others wait, then find nothing to do.
            say("[1/4] Aplicando las migraciones de la base de datos…")
            call_command("migrate", interactive=False, verbosity=0)
            say("      Base de datos al día.")
            if not options["no_demo"] and demo.database_is_empty():
                say("[2/4] Cargando la mesa de demostración (un minuto, aproximadamente)…")
                print_logins(
                    say,
                    demo.load_demo(
                        now=clock.now(), history_weeks=demo.HISTORY_WEEKS, workshop=True
                    ),
                )
            else:
                say("[2/4] La base de datos ya tiene datos: no se carga la demostración.")
        say("[3/4] Reuniendo los archivos estáticos…")
        call_command("collectstatic", interactive=False, verbosity=0)

        env = child_env(dict(os.environ), host=options["host"], port=options["port"])
        env["VAR_DIR"] = str(settings.VAR_DIR)
        if not settings.REDIS_URL:
            run_dir = Path(settings.VAR_DIR) / "run"
            run_dir.mkdir(exist_ok=True)
            socket_path = str(run_dir / f"relay-{os.getpid()}.sock")
            start_relay_thread(socket_path)
            env["SOPORTE_RELAY_SOCKET"] = socket_path
        say("[4/4] Iniciando el servidor web, el escritor CTI y el trabajador…")

        bin_dir = Path(sys.executable).parent
        server_cmd = [
            str(bin_dir / "granian"),
            "--interface",
            "asgi",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--ws",
            "--log-level",
            "warning",
            "soporte.asgi:application",
        ]
        worker_cmd = [sys.executable, "-m", "soporte.cli", "worker"]
        run_dir = Path(settings.VAR_DIR) / "run"
        run_dir.mkdir(exist_ok=True)
        writer_path = str(run_dir / f"cti-writer-{os.getpid()}.sock")
        writer_cmd = [sys.executable, "-m", "soporte.cli", "cti_writer", "--socket", writer_path]
        children = [subprocess.Popen(writer_cmd, env=env)]  # noqa: S603
        deadline = time.monotonic() + 15
        while not os.path.exists(writer_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        # Every web worker hands its CTI events to that one writer (calls/writer.py).
        env["SOPORTE_CTI_WRITER_SOCKET"] = writer_path
        children.append(subprocess.Popen(server_cmd, env=env))  # noqa: S603
        if not options["no_worker"]:
            # Two workers: mail, SLA sweeps and the other jobs on one; PDF builds (seconds of
            # CPU each) on the other, so they never wait behind a render.
            for queue in ("default", "documents"):
                children.append(subprocess.Popen([*worker_cmd, "--queues", queue], env=env))  # noqa: S603
        url = served_url(options["host"], options["port"]) + "/"
        say(f"Soporte atiende en {url}  (Ctrl+C para detener)")

        def stop(signum: int, frame: Any) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
            sys.exit(0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while True:
            for child in children:
                code = child.poll()
                if code is not None:
                    self.stderr.write(f"a child process exited with code {code}; stopping")
                    stop(signal.SIGTERM, None)
            time.sleep(0.5)
