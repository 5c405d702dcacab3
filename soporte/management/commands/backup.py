"""`soporte backup FILE`: a consistent copy of the database while it keeps serving.

SQLite: the online backup API (a plain file copy of a live WAL database can be torn).
PostgreSQL: pg_dump in custom format (a consistent snapshot that blocks nobody); restore
with pg_restore into an empty database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = "Writes a consistent backup of the database to FILE."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["file"]
        settings_dict = connection.settings_dict
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            source = connection.connection
            with sqlite3.connect(target) as destination:
                source.backup(destination)
            destination.close()
        elif connection.vendor == "postgresql":
            pg_dump = shutil.which("pg_dump")
            if pg_dump is None:
                raise CommandError("pg_dump no está instalado.")
            env = dict(os.environ)
            if settings_dict.get("PASSWORD"):
                env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
            subprocess.run(  # noqa: S603
                [
                    pg_dump,
                    "--format=custom",
                    f"--file={target}",
                    f"--host={settings_dict.get('HOST') or '127.0.0.1'}",
                    f"--port={settings_dict.get('PORT') or 5432}",
                    f"--username={settings_dict.get('USER') or 'postgres'}",
                    str(settings_dict["NAME"]),
                ],
                check=True,
                env=env,
            )
        else:
            raise CommandError(f"Base de datos no soportada: {connection.vendor}")
        self.stdout.write(f"Respaldo escrito en {target}")
