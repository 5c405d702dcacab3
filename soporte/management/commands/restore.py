"""`soporte restore FILE`: bring a backup back into an empty VAR_DIR and check it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soporte import backup


class Command(BaseCommand):
    help = "Restaura un respaldo de `soporte backup` en un VAR_DIR (o base de datos) vacío."
    # System checks would open the database before it is restored.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup.restore_backup(options["file"], progress=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for problem in summary.problems:
            self.stderr.write(problem)
        if summary.problems:
            raise CommandError(f"Restaurado con {len(summary.problems)} problema(s).")
        self.stdout.write(
            f"Restaurado y comprobado: {summary.files} archivo(s), "
            f"{summary.attachments_checked} adjunto(s) con su huella correcta."
        )
