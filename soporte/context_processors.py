"""What every page's layout needs, for both template engines: the desk's name and time zone,
where the language switch returns to, and the menu.

One source: `templates/base.html` gets these through Django's context processors (settings),
and the Jinja2 twin `tickets/_layout.html` through `soporte.tickets.jinja.layout`, which runs
the same processors. Both draw the menu from `MENU`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy

# Who sees an entry: desk staff, supervisors (and admins), customers (signed in, not staff),
# everyone signed in, admins.
STAFF, MANAGER, CUSTOMER, SIGNED_IN, ADMIN = "staff", "manager", "customer", "signed_in", "admin"

# The menu, in the order it reads.
MENU: tuple[tuple[str, str | Promise, str], ...] = (
    ("tickets:queue", gettext_lazy("Tickets"), STAFF),
    ("tickets:portal_list", gettext_lazy("Mis solicitudes"), CUSTOMER),
    ("calls:list", gettext_lazy("Llamadas"), STAFF),
    ("calls:console", gettext_lazy("Consola"), STAFF),
    ("calls:wallboard", gettext_lazy("Tablero"), STAFF),
    ("directory:agent_list", gettext_lazy("Agentes"), STAFF),
    ("reports:index", gettext_lazy("Reportes"), STAFF),
    ("inventory:item_list", gettext_lazy("Inventario"), STAFF),
    ("inventory:device_list", gettext_lazy("Equipos"), STAFF),
    ("inventory:device_list", gettext_lazy("Mis equipos"), CUSTOMER),
    ("workshop:repair_list", gettext_lazy("Taller"), STAFF),
    ("workshop:repair_list", gettext_lazy("Mis reparaciones"), CUSTOMER),
    ("triage:supervisor", gettext_lazy("Triaje"), MANAGER),
    ("knowledge:desk_articles", gettext_lazy("Conocimiento"), STAFF),
    ("knowledge:help_home", gettext_lazy("Centro de ayuda"), CUSTOMER),
    ("knowledge:blog_home", gettext_lazy("Blog"), CUSTOMER),
    ("directory:organisation_list", gettext_lazy("Organizaciones"), STAFF),
    ("directory:organisation_list", gettext_lazy("Mi organización"), CUSTOMER),
    ("logbook:list", gettext_lazy("Bitácoras"), SIGNED_IN),
    ("logbook:review", gettext_lazy("Por firmar"), CUSTOMER),
    ("directory:tokens", gettext_lazy("Tokens de API"), STAFF),
    ("admin:index", gettext_lazy("Administración"), ADMIN),
)


@dataclass(frozen=True)
class MenuItem:
    href: str
    label: str


@functools.lru_cache(maxsize=64)
def _menu(
    prefix: str, language: str | None, staff: bool, admin: bool, manager: bool = False
) -> tuple[MenuItem, ...]:
    """The menu of one kind of person, built once per process and language."""
    shown = (
        {SIGNED_IN, STAFF if staff else CUSTOMER}
        | ({ADMIN} if admin else set())
        | ({MANAGER} if manager else set())
    )
    return tuple(MenuItem(reverse(name), str(label)) for name, label, who in MENU if who in shown)


def menu(user: Any) -> tuple[MenuItem, ...]:
    if not user.is_authenticated:
        return ()
    return _menu(
        get_script_prefix(),
        translation.get_language(),
        bool(user.is_desk_staff),
        user.role == "admin",
        bool(user.is_manager),
    )


def desk(request: HttpRequest) -> dict[str, Any]:
    return {
        "DESK_NAME": settings.DESK_NAME,
        "DESK_TIME_ZONE": settings.TIME_ZONE,
        "LANGUAGE_NEXT": language_next(request),
        "MENU": menu(request.user),
    }


def language_next(request: HttpRequest) -> str:
    """Where the language switch returns to: this page, or, on a page that answers a form (a
    refused note, escalation or reply, whose address takes only POST), the page the form
    was on."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"
