"""`soporte logbook export|verify|checkpoint|list`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from soporte.lib import clock
from soporte.lib.params import parse_id
from soporte.logbook import export, services
from soporte.logbook import verify as verifier
from soporte.logbook.models import Logbook


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
        verifier.add_arguments(ver)
        sub.add_parser("checkpoint", help="Sign today's checkpoints and tacit acceptances.")
        rot = sub.add_parser("rotate-key", help="Give a person a new signing key.")
        rot.add_argument("username")

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
            self.verify(options)
        elif action == "rotate-key":
            self.rotate(options["username"])
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

    def rotate(self, username: str) -> None:
        from soporte.directory.models import User
        from soporte.logbook import keys

        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No existe el usuario {username!r}.")
        key = keys.rotate_key(user, now=clock.now())
        self.stdout.write(f"Llave nueva de {user}: {key.fingerprint}")

    def verify(self, options: dict[str, Any]) -> None:
        path = options["file"]
        for name in [
            path,
            *options["checkpoint"],
            *([options["tsa_ca"]] if options["tsa_ca"] else []),
        ]:
            if not os.path.exists(name):
                raise CommandError(f"No existe el archivo {name}.")
        size = os.path.getsize(path)
        with tqdm(
            total=size, unit="B", unit_scale=True, disable=size < 8 << 20, desc="Verificando"
        ) as bar:
            try:
                report = verifier.run(SimpleNamespace(**options), progress=bar.update)
            except (ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"El archivo no es una exportación válida: {exc}") from exc
        if report.ok:
            self.stdout.write(report.summary())
        else:
            self.stderr.write(report.summary())
            raise SystemExit(1)
