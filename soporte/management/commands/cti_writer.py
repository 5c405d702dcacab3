"""`soporte cti_writer --socket PATH`: the one CTI writer `soporte run` starts (calls/writer.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from soporte.calls.writer import WriterServer


class Command(BaseCommand):
    help = "Confirma en lotes los eventos CTI de todos los procesos web (lo inicia soporte run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--socket", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        WriterServer(options["socket"]).serve_forever()
