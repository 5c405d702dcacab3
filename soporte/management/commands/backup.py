"""`soporte backup FILE`: one archive with the database and every stored file (soporte/backup.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soporte import backup
from soporte.lib import clock


class Command(BaseCommand):
    help = "Escribe en FILE un respaldo con la base de datos y todos los archivos guardados."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup.write_backup(
                options["file"], now=clock.now(), progress=self.stdout.write
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Respaldo escrito en {options['file']}: base de datos y {summary.files} archivo(s), "
            f"{summary.bytes / 2**20:.1f} MB."
        )
