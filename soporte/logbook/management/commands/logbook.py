"""`soporte logbook export|verify|checkpoint|list`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from soporte.lib import clock
from soporte.lib.params import parse_id
from soporte.logbook import export, services
from soporte.logbook.models import Logbook
from soporte.logbook.verify import verify_file


def find_logbook(ref: str) -> Logbook:
    query = (
        Logbook.objects.filter(uid=ref)
        if len(ref) == 36
        else Logbook.objects.filter(pk=parse_id(ref) or -1)
    )
    logbook = query.first()
    if logbook is None:
        raise CommandError(f"No existe la bitácora {ref!r} (use el número o el uid).")
    return logbook


class Command(BaseCommand):
    help = "Exports, verifies and checkpoints bitácoras."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="List the logbooks.")
        exp = sub.add_parser("export", help="Export a logbook to a self-contained file.")
        exp.add_argument("logbook", help="Logbook id or uid.")
        exp.add_argument("-o", "--output", help="File to write (default: bitacora-<id>.jsonl).")
        ver = sub.add_parser("verify", help="Verify an export file offline.")
        ver.add_argument("file")
        ver.add_argument("--workers", type=int, default=None)
        sub.add_parser("checkpoint", help="Sign today's checkpoints and tacit acceptances.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for lb in Logbook.objects.select_related("organisation").order_by("id"):
                self.stdout.write(
                    f"{lb.pk:>4}  {lb.uid}  {lb.head_number:>8} notas  {lb.head_hash}  {lb.title}"
                )
        elif action == "export":
            self.export(find_logbook(options["logbook"]), options["output"])
        elif action == "verify":
            self.verify(options["file"], options["workers"])
        elif action == "checkpoint":
            now = clock.now()
            signed = services.daily_checkpoints(now=now)
            accepted = services.accept_tacitly(now=now)
            self.stdout.write(
                f"{signed} punto(s) de control firmados; {accepted} nota(s) aceptadas tácitamente."
            )

    def export(self, logbook: Logbook, output: str | None) -> None:
        path = Path(output or f"bitacora-{logbook.pk}.jsonl")
        with (
            open(path, "wb") as handle,
            tqdm(total=logbook.head_number, unit=" notas", disable=not sys.stderr.isatty()) as bar,
        ):
            count = export.export_logbook(logbook, handle, now=clock.now(), progress=bar.update)
            handle.flush()
            os.fsync(handle.fileno())
        self.stdout.write(f"{count} notas exportadas a {path}")

    def verify(self, path: str, workers: int | None) -> None:
        if not os.path.exists(path):
            raise CommandError(f"No existe el archivo {path}.")
        size = os.path.getsize(path)
        with tqdm(
            total=size, unit="B", unit_scale=True, disable=size < 8 << 20, desc="Verificando"
        ) as bar:
            try:
                report = verify_file(path, workers=workers, progress=bar.update)
            except (ValueError, KeyError) as exc:
                raise CommandError(f"El archivo no es una exportación válida: {exc}") from exc
        if report.ok:
            self.stdout.write(report.summary())
        else:
            self.stderr.write(report.summary())
            raise SystemExit(1)
