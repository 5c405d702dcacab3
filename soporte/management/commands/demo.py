from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from soporte import demo
from soporte.lib import clock


class Command(BaseCommand):
    help = "Loads the demo desk (only into an empty database)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--minimal",
            action="store_true",
            help="The desk without the weeks of call history and the workshop (quick tries, tests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not demo.database_is_empty():
            self.stdout.write("La base de datos ya tiene datos; no se cargó la demostración.")
            return
        if options["minimal"]:
            logins = demo.load_demo(now=clock.now(), history_weeks=0, workshop=False)
        else:
            logins = demo.load_demo(
                now=clock.now(), history_weeks=demo.HISTORY_WEEKS, workshop=True
            )
        print_logins(self.stdout.write, logins)


def print_logins(write: Any, logins: list[demo.DemoLogin]) -> None:
    """Every demo login under its heading (role, level, organisation)."""
    write(f"Accesos de demostración (contraseña para todos: {demo.DEMO_PASSWORD}):")
    group = None
    for login in logins:
        if login.group != group:
            group = login.group
            write(f"  {group}")
        write(f"    {login.username:<20} {login.description}")
    write("  También en la página /demo/accesos/ mientras la demostración esté cargada.")
