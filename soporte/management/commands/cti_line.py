"""`soporte cti_line add|list|rotate`: connect a phone system (PBX) to the CTI endpoint."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from soporte.calls import services
from soporte.calls.models import Cadence, PhoneLine
from soporte.lib import clock
from soporte.lib.errors import DomainError


class Command(BaseCommand):
    help = "Crea, lista o renueva las líneas telefónicas (conmutadores) que envían eventos CTI."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Nueva línea; muestra el token y el secreto una vez.")
        add.add_argument("name")
        add.add_argument("--cadence", default=Cadence.MX, choices=Cadence.values)
        add.add_argument("--signed-only", action="store_true")
        sub.add_parser("list", help="Líneas con su cadencia y el final de su token.")
        rotate = sub.add_parser("rotate", help="Token y secreto nuevos para una línea.")
        rotate.add_argument("line_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        base = getattr(settings, "SOPORTE_BASE_URL", "") or "http://127.0.0.1:8000"
        try:
            if options["action"] == "add":
                line, secrets = services.create_phone_line(
                    name=options["name"],
                    cadence=options["cadence"],
                    signed_only=options["signed_only"],
                    now=now,
                )
                self._show(line, secrets, base)
            elif options["action"] == "rotate":
                found = PhoneLine.objects.filter(pk=options["line_id"], is_console=False).first()
                if found is None:
                    raise CommandError(f"No existe la línea {options['line_id']}.")
                self._show(found, services.rotate_line_credentials(line=found, now=now), base)
            else:
                for line in PhoneLine.objects.order_by("id"):
                    kind = "consola" if line.is_console else f"…{line.token_hint}"
                    self.stdout.write(
                        f"{line.pk}\t{line.name}\t{line.cadence}\t{kind}\t"
                        f"{'firmado' if line.signed_only else 'token o firmado'}"
                    )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc

    def _show(self, line: PhoneLine, secrets: services.LineSecrets, base: str) -> None:
        self.stdout.write(f"Línea {line.pk}: {line.name} (cadencia {line.cadence})")
        if not line.signed_only:
            self.stdout.write(f"  Modo Zammad: POST {base}/api/v1/cti/{secrets.token}")
        self.stdout.write(f"  Modo firmado: POST {base}/api/v1/cti")
        self.stdout.write(f"    X-Soporte-Key: {secrets.key_id}")
        self.stdout.write(f"    secreto HMAC: {secrets.hmac_secret}")
        self.stdout.write("  Guárdelos ahora: no se vuelven a mostrar.")
