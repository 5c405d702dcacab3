"""Demo data that looks real: a desk in Mexico City, two customers, a team of 14 agents."""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import os
import random
from collections.abc import Generator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.calls import qa, scripts
from soporte.calls import services as calls
from soporte.calls.events import parse_event, token_hash
from soporte.calls.models import Call, EventSource, PhoneLine
from soporte.calls.simulation import Planner, SimAgent, arrivals, with_timestamp
from soporte.directory.models import (
    Agent,
    Area,
    Certification,
    ContactRole,
    Level,
    Organisation,
    Person,
    Presence,
    Role,
    User,
)
from soporte.knowledge import samples as knowledge_samples
from soporte.lib.clock import desk_date
from soporte.lib.errors import DomainError
from soporte.logbook import services as logbook
from soporte.logbook.models import EntryKind, Logbook
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel, DeskCalendar, Holiday, Priority, SlaPolicy

DEMO_PASSWORD = "soporte-demo"  # noqa: S105 - printed on the console for the demo logins


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str
    # The heading it is listed under: "Agentes · nivel 2", "Clientes · Ferretería …".
    group: str = ""


AREAS = [
    ("redes", "Redes y conectividad"),
    ("impresoras", "Impresoras y periféricos"),
    ("windows", "Windows y ofimática"),
    ("hardware", "Hardware y reparación"),
    ("servidores", "Servidores Microsoft/Linux"),
    ("respaldo", "Respaldo y recuperación de información"),
]

# (username, first, last, level, areas, extension, presence)
AGENTS: list[tuple[str, str, str, int, list[str], str, Presence]] = [
    (
        "blanca.herrera",
        "Blanca",
        "Herrera Solís",
        1,
        ["windows", "impresoras"],
        "101",
        Presence.AVAILABLE,
    ),
    ("gabriela.ruiz", "Gabriela", "Ruiz Mendoza", 1, ["windows"], "102", Presence.AVAILABLE),
    (
        "jose.martinez",
        "José Luis",
        "Martínez Ortega",
        1,
        ["impresoras", "hardware"],
        "103",
        Presence.ON_CALL,
    ),
    ("maria.lopez", "María Fernanda", "López Aguilar", 1, ["redes"], "104", Presence.AWAY),
    (
        "diego.castillo",
        "Diego",
        "Castillo Ramírez",
        2,
        ["hardware", "impresoras"],
        "201",
        Presence.AVAILABLE,
    ),
    (
        "ana.gutierrez",
        "Ana Sofía",
        "Gutiérrez Peña",
        2,
        ["redes", "windows"],
        "202",
        Presence.AVAILABLE,
    ),
    ("ricardo.vargas", "Ricardo", "Vargas Delgado", 2, ["hardware"], "203", Presence.OFFLINE),
    (
        "lucia.navarro",
        "Lucía",
        "Navarro Campos",
        3,
        ["respaldo", "windows"],
        "301",
        Presence.AVAILABLE,
    ),
    (
        "fernando.reyes",
        "Fernando",
        "Reyes Salazar",
        3,
        ["redes", "servidores"],
        "302",
        Presence.ON_CALL,
    ),
    (
        "patricia.morales",
        "Patricia",
        "Morales Vega",
        3,
        ["respaldo", "hardware"],
        "303",
        Presence.OFFLINE,
    ),
    (
        "alejandro.torres",
        "Alejandro",
        "Torres Ibarra",
        4,
        ["servidores", "redes"],
        "401",
        Presence.AVAILABLE,
    ),
    (
        "veronica.flores",
        "Verónica",
        "Flores Cárdenas",
        4,
        ["servidores", "respaldo"],
        "402",
        Presence.AWAY,
    ),
    ("sergio.medina", "Sergio", "Medina Rosales", 4, ["servidores"], "403", Presence.AVAILABLE),
    (
        "carmen.jimenez",
        "Carmen",
        "Jiménez Luna",
        2,
        ["windows", "impresoras"],
        "204",
        Presence.AVAILABLE,
    ),
]

CERTIFICATIONS: dict[str, list[tuple[str, str, int, int | None]]] = {
    "alejandro.torres": [
        (
            "Microsoft Certified: Windows Server Hybrid Administrator Associate",
            "Microsoft",
            400,
            700,
        ),
        ("Red Hat Certified System Administrator (RHCSA)", "Red Hat", 300, 800),
        ("CCNA", "Cisco", 900, 200),
    ],
    "veronica.flores": [
        ("Red Hat Certified Engineer (RHCE)", "Red Hat", 500, 600),
        (
            "Linux Foundation Certified System Administrator (LFCS)",
            "The Linux Foundation",
            200,
            900,
        ),
    ],
    "sergio.medina": [
        ("Microsoft Certified: Azure Administrator Associate", "Microsoft", 250, 480),
        ("CompTIA Linux+", "CompTIA", 600, 500),
    ],
    "fernando.reyes": [("CCNA", "Cisco", 300, 800)],
    "lucia.navarro": [("Veeam Certified Engineer (VMCE)", "Veeam", 100, 630)],
    "diego.castillo": [("CompTIA A+", "CompTIA", 700, None)],
}

PersonSpec = tuple[str, str, ContactRole, str, str | None]

ORGANISATIONS: list[tuple[dict[str, str], list[PersonSpec]]] = [
    (
        {
            "name": "Grupo Ferretero Anáhuac",
            "legal_name": "Grupo Ferretero Anáhuac, S.A. de C.V.",
            "tax_id": "GFA980312KL4",
            "phone": "+52 55 5341 2200",
            "email": "sistemas@ferreteroanahuac.mx",
            "address": "Calz. de Tlalpan 1820, Col. Country Club, Coyoacán, 04220 Ciudad de México",
            "contract_reference": "CS-2026-014",
        },
        [
            (
                "Roberto Sánchez Villalobos",
                "Jefe de compras",
                ContactRole.BOTH,
                "+52 55 5341 2201",
                "roberto.sanchez",
            ),
            (
                "Claudia Pérez Estrada",
                "Auxiliar administrativa",
                ContactRole.REQUESTER,
                "+52 55 5341 2214",
                "claudia.perez",
            ),
            (
                "Miguel Ángel Rangel",
                "Encargado de almacén",
                ContactRole.REQUESTER,
                "+52 55 5341 2230",
                None,
            ),
            (
                "Laura Domínguez Ochoa",
                "Directora de administración",
                ContactRole.DECISION_MAKER,
                "+52 55 5341 2205",
                "laura.dominguez",
            ),
        ],
    ),
    (
        {
            "name": "Clínica Dental Santa Lucía",
            "legal_name": "Servicios Odontológicos Santa Lucía, S.C.",
            "tax_id": "SOS120704QW9",
            "phone": "+52 55 5662 9080",
            "email": "administracion@clinicasantalucia.mx",
            "address": "Av. Insurgentes Sur 1457, Col. Insurgentes Mixcoac, Benito Juárez, 03920 Ciudad de México",
            "contract_reference": "CS-2026-022",
        },
        [
            (
                "Dra. Elena Cortés Ávila",
                "Directora médica",
                ContactRole.DECISION_MAKER,
                "+52 55 5662 9081",
                "elena.cortes",
            ),
            (
                "Jorge Ramos Téllez",
                "Recepción",
                ContactRole.REQUESTER,
                "+52 55 5662 9082",
                "jorge.ramos",
            ),
            (
                "Sofía Beltrán Nava",
                "Asistente dental",
                ContactRole.REQUESTER,
                "+52 55 5662 9085",
                None,
            ),
        ],
    ),
]


@functools.cache
def _demo_password_hash() -> str:
    # One hash for every demo login: hashing is deliberately slow, and they share a password.
    return make_password(DEMO_PASSWORD)


def database_is_empty() -> bool:
    return not User.objects.exists()


def _user(username: str, first: str, last: str, role: str, **extra: object) -> User:
    user = User(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@{'mesa.soporte.mx' if role != Role.CUSTOMER else 'cliente.mx'}",
        role=role,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        **extra,
    )
    user.password = _demo_password_hash()
    user.save()
    return user


# Business minutes (first response, next update, resolution) for level 1; higher levels get
# the same first response and proportionally longer to resolve. Only urgent tickets escalate
# by themselves when a target is missed.
SLA_LEVEL_1 = {
    Priority.URGENT: (15, 60, 240),
    Priority.HIGH: (30, 120, 480),
    Priority.NORMAL: (60, 240, 1080),
    Priority.LOW: (240, 480, 2700),
}


def mexican_holidays(year: int) -> list[tuple[dt.date, str]]:
    """Mandatory rest days of the Ley Federal del Trabajo, art. 74 (the movable ones on
    their Mondays)."""

    def monday(month: int, nth: int) -> dt.date:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (nth - 1))

    days = [
        (dt.date(year, 1, 1), "Año Nuevo"),
        (monday(2, 1), "Día de la Constitución"),
        (monday(3, 3), "Natalicio de Benito Juárez"),
        (dt.date(year, 5, 1), "Día del Trabajo"),
        (dt.date(year, 9, 16), "Día de la Independencia"),
        (monday(11, 3), "Día de la Revolución"),
        (dt.date(year, 12, 25), "Navidad"),
    ]
    if year % 6 == 2:  # 2024, 2030…: transmission of the federal executive power
        days.append((dt.date(year, 10, 1), "Transmisión del Poder Ejecutivo Federal"))
    return sorted(days)


def _demo_desk_rules(today: dt.date) -> None:
    """The desk's calendar, its holidays this year and next, and an SLA policy per level
    and priority, so the queues show live countdowns from the first minute."""
    DeskCalendar.objects.create()
    for year in (today.year, today.year + 1):
        Holiday.objects.bulk_create(
            Holiday(day_date=day, name=name) for day, name in mexican_holidays(year)
        )
    SlaPolicy.objects.bulk_create(
        SlaPolicy(
            level=level,
            priority=priority,
            first_response_minutes=first,
            next_update_minutes=update,
            resolution_minutes=resolution * level,
            escalate_on_breach=priority == Priority.URGENT,
        )
        for level in (1, 2, 3, 4)
        for priority, (first, update, resolution) in SLA_LEVEL_1.items()
    )


@transaction.atomic
def load_demo(
    *, now: dt.datetime, history_weeks: int = 0, workshop: bool = True
) -> list[DemoLogin]:
    """Create the demo desk. Returns the logins to print."""
    today = desk_date(now)
    _demo_desk_rules(today)
    areas = {code: Area.objects.create(code=code, name=name) for code, name in AREAS}
    logins = [
        DemoLogin("admin", Role.ADMIN, "Administradora: Mónica Salgado"),
        DemoLogin("supervisor", Role.SUPERVISOR, "Supervisor: Héctor Domínguez"),
    ]
    _user("admin", "Mónica", "Salgado Pineda", Role.ADMIN)
    supervisor = _user("supervisor", "Héctor", "Domínguez Arriaga", Role.SUPERVISOR)
    Agent.objects.create(
        user=supervisor, level=Level.L3, presence=Presence.AVAILABLE, extension="500"
    )

    for username, first, last, level, area_codes, ext, presence in AGENTS:
        agent = Agent.objects.create(
            user=_user(username, first, last, Role.AGENT),
            level=level,
            extension=ext,
            presence=presence,
            presence_changed_at=now,
        )
        agent.areas.set([areas[c] for c in area_codes])
        for name, issuer, days_ago, days_left in CERTIFICATIONS.get(username, []):
            Certification.objects.create(
                agent=agent,
                name=name,
                issuer=issuer,
                valid_from_date=today - dt.timedelta(days=days_ago),
                valid_until_date=today + dt.timedelta(days=days_left) if days_left else None,
            )
    logins.append(DemoLogin("blanca.herrera", Role.AGENT, "Agente de nivel 1"))
    logins.append(DemoLogin("alejandro.torres", Role.AGENT, "Agente de nivel 4"))

    for fields, people in ORGANISATIONS:
        org = Organisation.objects.create(**fields)
        for full_name, title, contact_role, phone, login_name in people:
            portal_user: User | None = None
            if login_name:
                first, _sep, last = full_name.replace("Dra. ", "").partition(" ")
                portal_user = _user(
                    login_name, first, last, Role.CUSTOMER, organisation=org, phone=phone
                )
                logins.append(
                    DemoLogin(
                        login_name, Role.CUSTOMER, f"Cliente de {org.name} ({contact_role.label})"
                    )
                )
            Person.objects.create(
                organisation=org,
                full_name=full_name,
                job_title=title,
                contact_role=contact_role,
                phone=phone,
                email=f"{(login_name or full_name.split()[0].lower())}@cliente.mx",
                user=portal_user,
            )
    books = _demo_contracts(supervisor=supervisor, now=now)
    _demo_inventory(supervisor=supervisor, now=now)
    # A logbook stamps each entry no earlier than the one before it, so everything written to
    # the contract logbooks over the past months (maintenance notes, the shop's repairs) runs
    # in the order of its moments, within working hours.
    scripts = _maintenance_note_scripts(books=books, now=now)
    if workshop:
        scripts += _workshop_repair_scripts(supervisor=supervisor, now=now)
    run_in_time_order(scripts, now=now)
    _close_demo_logbooks(books=books, now=now)
    if history_weeks:
        _demo_call_history(now=now, weeks=history_weeks)
    _demo_calls(now=now)
    _demo_portal_tickets(supervisor=supervisor, now=now)
    _demo_device_histories(now=now)
    if workshop:
        _demo_counter(supervisor=supervisor, now=now)
    knowledge_samples.load(supervisor=supervisor, now=now)
    del logins  # every login is listed from the database, grouped: `demo_logins`
    return demo_logins()


# Checked once per stored hash: hashing is deliberately slow, and every demo login shares one.
_demo_hashes: dict[str, bool] = {}


def _is_demo_hash(encoded: str) -> bool:
    if encoded not in _demo_hashes:
        _demo_hashes[encoded] = check_password(DEMO_PASSWORD, encoded)
    return _demo_hashes[encoded]


def _common_demo_hash() -> str | None:
    """The password hash the demo logins share, if the most common one is the demo's."""
    common = (
        User.objects.filter(is_active=True)
        .values("password")
        .annotate(n=Count("id"))
        .order_by("-n", "password")
        .first()
    )
    if common is None or not _is_demo_hash(common["password"]):
        return None
    return str(common["password"])


def has_demo_logins() -> bool:
    return _common_demo_hash() is not None


def demo_logins() -> list[DemoLogin]:
    """Every active login that still has the demo password, grouped by role and level (the
    console after loading, and the demo-logins page): a new user finds a colleague of each
    level to transfer a call to without reading code. Empty on a desk with no demo logins."""
    shared = _common_demo_hash()
    if shared is None:
        return []
    users = list(
        User.objects.filter(is_active=True, password=shared)
        .select_related("agent", "organisation")
        .order_by("username")
    )
    people = {
        p.user_id: p for p in Person.objects.filter(user__in=users).select_related("organisation")
    }
    ranked: list[tuple[tuple[int, int, str, str], DemoLogin]] = []
    for user in users:
        agent: Agent | None = getattr(user, "agent", None)
        name = user.get_full_name() or user.username
        if user.role == Role.ADMIN:
            key, group, text = (0, 0, ""), _("Administración"), name
        elif user.role == Role.SUPERVISOR:
            key, group, text = (1, 0, ""), _("Supervisión"), name
        elif user.role == Role.AGENT:
            level = agent.level if agent else 0
            key = (2, level, "")
            group = _("Agentes · nivel %(level)s") % {"level": level}
            text = name
            if agent is not None and agent.extension:
                text = _("%(name)s, extensión %(ext)s") % {"name": name, "ext": agent.extension}
        else:
            person = people.get(user.pk)
            org_name = user.organisation.name if user.organisation else ""
            key, group = (3, 0, org_name), _("Clientes · %(org)s") % {"org": org_name}
            text = f"{name} ({person.get_contact_role_display()})" if person else name
        ranked.append(((*key, user.username), DemoLogin(user.username, user.role, text, group)))
    return [login for _key, login in sorted(ranked, key=lambda pair: pair[0])]


# (minutes ago, priority the desk gave it, subject, description): requests customers left in
# the portal that nobody has taken yet, for the "Sin asignar de mi nivel" queue and bulk
# assignment. A customer describes the problem; the supervisor sets the priority at triage.
PORTAL_REQUESTS = [
    (95, Priority.NORMAL, "No puedo entrar al correo", "Me pide la contraseña a cada rato."),
    (50, Priority.HIGH, "La terminal de cobro no imprime tickets", "Desde la apertura."),
    (25, Priority.LOW, "Instalar lector de PDF", "Para el equipo nuevo de recepción."),
    (10, Priority.NORMAL, "La VPN se cae cada hora", "En las dos sucursales."),
]


def _demo_portal_tickets(*, supervisor: User, now: dt.datetime) -> None:

    customers = list(
        Person.objects.filter(user__isnull=False, user__is_active=True)
        .select_related("organisation", "user")
        .order_by("id")
    )
    for n, (minutes, priority, subject, description) in enumerate(PORTAL_REQUESTS):
        person = customers[n % len(customers)]
        pending = len(connection.run_on_commit)
        opened_at = working_moment(now - dt.timedelta(minutes=minutes))
        ticket = tickets.open_ticket(
            actor=person.user,  # type: ignore[arg-type]
            data=tickets.NewTicket(
                organisation=person.organisation,
                requester=person,
                subject=subject,
                description=description,
                channel=Channel.PORTAL,
            ),
            now=opened_at,
        )
        tickets.set_priority(
            ticket=ticket,
            actor=supervisor,
            priority=priority,
            now=opened_at + dt.timedelta(minutes=2),
        )
        # No e-mail receipts for tickets that never happened (the demo is one transaction).
        del connection.run_on_commit[pending:]


# (hours ago, technician, summary, device, diagnosis, observations, countersigned)
MAINTENANCE_NOTES = [
    (
        240,
        "diego.castillo",
        "Impresora de almacén no alimenta papel",
        "HP LaserJet Pro M404dn, serie VNB3K12345",
        "Rodillo de alimentación desgastado.",
        "Se sustituyó el rodillo; 50 páginas de prueba sin atascos.",
        True,
    ),
    (
        150,
        "blanca.herrera",
        "Equipo de caja lento al iniciar",
        "Lenovo ThinkCentre M70q, serie MJ0GH2KL",
        "Disco al 98 % y 14 programas al inicio.",
        "Se liberaron 60 GB y se desactivaron programas de inicio; arranca en 40 s.",
        True,
    ),
    (
        30,
        "ana.gutierrez",
        "Sin red en el área de compras",
        "Switch TP-Link TL-SG1016D, rack de planta alta",
        "Cable de enlace dañado entre el switch y el router.",
        "Se reemplazó el cable y se etiquetó el puerto 16.",
        False,
    ),
]


# The contracts are older than the shop's first repair in the demo (`_workshop_repair_scripts`).
CONTRACT_AGE = dt.timedelta(days=130)

# A step script yields the moment of its next step and receives it back, moved into working
# hours, when it is that step's turn (see `run_in_time_order`).
Script = Generator[dt.datetime, dt.datetime, None]


def run_in_time_order(scripts: list[Script], *, now: dt.datetime) -> None:
    """Run the scripts' steps interleaved in the order of their moments. Each moment is moved
    to the latest working time at or before it (`working_moment`); a script whose next step
    falls after `now` stops there (its repair stays where it is today)."""

    def advance(seq: int, script: Script, value: dt.datetime | None) -> None:
        try:
            raw = script.send(value)  # type: ignore[arg-type]  # None starts a generator
        except StopIteration:
            return
        if raw > now:
            script.close()
            return
        heapq.heappush(queue, (working_moment(raw), seq, script))

    queue: list[tuple[dt.datetime, int, Script]] = []
    for seq, script in enumerate(scripts):
        advance(seq, script, None)
    while queue:
        moment, seq, script = heapq.heappop(queue)
        advance(seq, script, moment)


def _demo_contracts(*, supervisor: User, now: dt.datetime) -> list[Logbook]:
    """A contract logbook per customer, its opening countersigned in the portal."""
    books = []
    for org in Organisation.objects.order_by("id"):
        signers = list(User.objects.filter(organisation=org, role=Role.CUSTOMER).order_by("id"))
        opened = working_moment(now - CONTRACT_AGE)
        book = logbook.open_logbook(
            actor=supervisor,
            organisation=org,
            title=f"Bitácora del contrato {org.contract_reference}",
            contract_reference=org.contract_reference,
            countersign_days=2,
            customer_signers=signers,
            fields={
                "desk_party": "Mesa de ayuda Soporte, Ciudad de México",
                "customer_party": f"{org.legal_name}, RFC {org.tax_id}, {org.address}",
                "contract": f"{org.contract_reference}: soporte técnico mensual",
                "scope": "Equipos de cómputo, impresoras y red de la organización",
            },
            now=opened,
        )
        if signers:
            entry = book.entries.get(number=1)
            logbook.countersign_entry(
                entry=entry, signer=signers[0], method="portal", now=opened + dt.timedelta(hours=3)
            )
        books.append(book)
    return books


def _maintenance_note_scripts(*, books: list[Logbook], now: dt.datetime) -> list[Script]:
    """The maintenance notes of each contract, one countersigned in the portal."""

    def note(book: Logbook, row: tuple[Any, ...]) -> Script:
        hours, tech, summary, device, diagnosis, observations, signed = row
        org = book.organisation
        assert org is not None
        signers = list(User.objects.filter(organisation=org, role=Role.CUSTOMER).order_by("id"))
        requester = signers[-1] if signers else None
        author = User.objects.get(username=tech)
        moment = yield now - dt.timedelta(hours=hours)
        entry = logbook.append_entry(
            logbook=book,
            kind=EntryKind.CORRECTIVE,
            author=author,
            summary=summary,
            fields={
                "user_name": str(requester or author),
                "evaluated_date": desk_date(moment).isoformat(),
                "addressee_name": str(author),
                "damage_at": (moment - dt.timedelta(hours=5)).isoformat(timespec="minutes"),
                "description": summary,
                "device_data": device,
                "general_data": org.name,
                "diagnosis": diagnosis,
                "observations": observations,
                "reporting_name": str(requester or author),
            },
            subject=logbook.Subject("equipment", device.rsplit(" ", 1)[-1], device),
            now=moment,
        )
        if signed and requester is not None:
            moment = yield moment + dt.timedelta(hours=2)
            logbook.countersign_entry(entry=entry, signer=requester, method="portal", now=moment)

    return [note(book, row) for book in books for row in MAINTENANCE_NOTES]


def _close_demo_logbooks(*, books: list[Logbook], now: dt.datetime) -> None:
    """What is past its deadline is accepted tacitly; the desk signs where each chain stands."""
    logbook.accept_tacitly(now=now)
    for book in books:
        logbook.sign_checkpoint(logbook=book, now=now)
    logbook.desk_logbook(now=now - dt.timedelta(days=30))


# --- A day of calls -----------------------------------------------------------------------

DEMO_CTI_LINE_NAME = "Conmutador (demo)"
# Documented in the README (`soporte simulate-calls`); demo data only, override with
# SOPORTE_DEMO_CTI_TOKEN. A real line gets a random token from the admin.
DEMO_CTI_TOKEN = "demo-conmutador-soporte"  # noqa: S105
DEMO_CALLS_SEED = 20260517
BUSINESS_HOURS = (9, 18)


def demo_cti_token() -> str:
    return os.environ.get("SOPORTE_DEMO_CTI_TOKEN", "").strip() or DEMO_CTI_TOKEN


def demo_cti_line(*, now: dt.datetime) -> tuple[PhoneLine, str]:
    """The demo PBX line (Zammad mode: the token in the URL), created if missing."""
    token = demo_cti_token()
    line = PhoneLine.objects.filter(token_hash=token_hash(token)).first()
    if line is None:
        line = PhoneLine.objects.create(
            name=DEMO_CTI_LINE_NAME,
            token_hash=token_hash(token),
            token_hint=token[-4:],
            created_at=now,
        )
    return line, token


def working_moment(moment: dt.datetime) -> dt.datetime:
    """The latest desk working time (Monday to Friday, BUSINESS_HOURS) at or before `moment`:
    a demo note is never stamped at 02:27 in the morning or on a Sunday."""
    opening, closing = BUSINESS_HOURS
    local = timezone.localtime(moment)
    while True:
        if local.weekday() < 5 and opening <= local.hour < closing:
            return local
        if local.weekday() < 5 and local.hour >= closing:
            local = local.replace(hour=closing - 1)
            continue
        # Before opening, or a weekend: the previous day's last working hour, same minute.
        local = (local - dt.timedelta(days=1)).replace(hour=closing - 1)


# The demo's calls end this long before the demo is loaded: the wallboard opens on calls of
# the last minutes, whatever the hour.
DEMO_CALLS_END_BEFORE = dt.timedelta(minutes=5)
DEMO_CALLS_SPAN = dt.timedelta(hours=9)


def demo_call_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """A working day of calls that ends minutes before `now`: during business hours (from
    three hours after opening) today's hours up to now; at any other hour the nine hours
    before now, so a desk opened at 08:30 or at night still sees today's and the last
    minutes' calls on its wallboard, not only yesterday's."""
    local = timezone.localtime(now)
    end = local - DEMO_CALLS_END_BEFORE
    opening = local.replace(hour=BUSINESS_HOURS[0], minute=0, second=0, microsecond=0)
    closing = opening.replace(hour=BUSINESS_HOURS[1])
    if opening + dt.timedelta(hours=3) <= end <= closing:
        return opening, end
    return end - DEMO_CALLS_SPAN, end


def _demo_calls(*, now: dt.datetime) -> None:
    """A day of calls applied through the same use case as the CTI endpoint, with timestamps,
    then recorded as the worker records them (ticket notes, bitácora CALL entries, scorecards).
    """

    qa.ensure_default_glossary()  # D4's jargon list, so transcripts can be scored

    line, _token = demo_cti_line(now=now - dt.timedelta(days=30))
    start, end = demo_call_window(now)
    seconds = (end - start).total_seconds()
    rng = random.Random(DEMO_CALLS_SEED)
    agents = list(Agent.objects.select_related("user").filter(user__role=Role.AGENT).order_by("id"))
    presences = {a.pk: a.presence for a in agents}
    on_duty = [a for a in agents if a.level <= 2 and a.presence != Presence.OFFLINE]
    by_name = {a.user.get_full_name(): a for a in on_duty}
    people = list(Person.objects.select_related("organisation").exclude(phone="").order_by("id"))
    planner = Planner(
        rng,
        agents=[SimAgent(a.user.get_full_name(), a.extension) for a in on_duty],
        known_numbers=[p.phone for p in people],
        prefix="demo",
    )
    # About 200 calls in a full day (9 h); a shorter window keeps at least ~150.
    wanted = min(230, max(150, 200 * seconds / (9 * 3600)))
    rate = wanted / (seconds / 60)
    stories = [
        planner.plan(moment) for moment in arrivals(rng, rate_per_minute=rate, seconds=seconds)
    ]
    # Stories still going on at the end of the window are cut there: the demo starts with
    # every call finished (the simulator shows live ones).
    timeline = []
    for order, story in enumerate(stories):
        if story.arrival + story.steps[-1].offset > seconds:
            continue
        for step_no, step in enumerate(story.steps):
            moment = start + dt.timedelta(seconds=story.arrival + step.offset)
            timeline.append((moment, order, step_no, step.payload))
    timeline.sort(key=lambda item: item[:3])
    kept = {order for _m, order, _s, _p in timeline}

    def apply(items: list[tuple[dt.datetime, int, int, dict[str, Any]]]) -> None:
        subs = [
            calls.Submission(
                line=line,
                event=parse_event(with_timestamp(payload, moment)),
                source=EventSource.SIMULATOR,
                received_at=moment,
            )
            for moment, _o, _s, payload in items
        ]
        for outcome in calls.apply_events(subs, now=items[-1][0]):
            if outcome.error is not None:
                raise outcome.error

    # Everything but the hangups first, so that the agents can write down the caller's name
    # and need and open tickets while the calls are live, as the console does.
    live = [item for item in timeline if item[3]["event"] != "hangup"]
    apply(live)
    call_rows = {
        c.call_id: c
        for c in Call.objects.filter(line=line).select_related("line", "person", "organisation")
    }
    callbacks = 0
    for order in sorted(kept):
        story = stories[order]
        call = call_rows[story.call_id]
        agent = by_name.get(story.agent.name) if story.agent else None
        if call.answered_at is None or agent is None or call.direction != "in":
            continue
        moment = call.answered_at + dt.timedelta(seconds=rng.uniform(8, 25))
        if rng.random() < 0.9:
            call.caller_name = str(call.person) if call.person else story.caller_name
        call.need = story.need
        call.updated_at = moment
        # The console's T3 step, without its ownership check (the demo plays every agent).
        call.save(update_fields=["caller_name", "need", "updated_at"])
        # (Only requesters with an ASCII address: tickets.mail cannot yet address
        # "sofía@cliente.mx", reported to the tickets owner.)
        if call.person is not None and call.person.email.isascii() and rng.random() < 0.45:
            pending = len(connection.run_on_commit)
            call = calls.open_ticket_for_call(
                actor=agent.user,
                call=call,
                requester=call.person,
                subject=story.need,
                description=f"{story.need}. Reportado por teléfono.",
                now=moment + dt.timedelta(seconds=30),
            )
            # Demo customers get no e-mail receipt for a ticket that never happened: drop the
            # deliveries this ticket queued for the commit (the demo runs in one transaction).
            del connection.run_on_commit[pending:]
        if story.callback and callbacks < 6:
            callbacks += 1
            due = now + dt.timedelta(minutes=rng.choice((20, 45, 90)))
            calls.schedule_callback(
                actor=agent.user, call=call, agent=agent, due_at=due, reason=story.need, now=now
            )
    apply([item for item in timeline if item[3]["event"] == "hangup"])
    calls.record_finished_calls(now=now, limit=len(kept) + 10)
    _demo_transcripts(line=line, rng=rng, now=now)
    # The demo's presence board stays as designed, whatever the calls left behind.
    for agent in agents:
        Agent.objects.filter(pk=agent.pk).update(presence=presences[agent.pk])


DEMO_TRANSCRIPTS = 30
# What demo agents say that a careful agent would not (a few text rules fail, as in life).
SLIPS = (
    ("greeting", "Buenas, soporte, ¿qué necesita?"),
    ("resume", "Ya regresé, a ver…"),
    ("closing", "Listo, hasta luego."),
    ("jargon", "Voy a revisar su DNS y luego el firewall."),
)


def _demo_transcript(call: Call, rng: random.Random) -> list[qa.TurnData] | None:
    """A plausible transcript of a demo call, timed on its own holds and transfers; most
    agents follow the script, some slip (so the scorecards show both verdicts)."""
    assert call.answered_at is not None and call.ended_at is not None
    talk = (call.ended_at - call.answered_at).total_seconds()
    holds = list(call.holds.order_by("started_at"))
    transfers = list(call.transfers.select_related("to_agent__user").order_by("started_at"))
    if talk < 60 or len(holds) > 1 or len(transfers) > 1 or call.agent is None:
        return None
    agent = call.answered_by or call.agent
    slip = rng.choice(SLIPS)[0] if rng.random() < 0.35 else ""
    name = call.caller_name.split(" ")[0] if call.caller_name else ""
    rows: list[tuple[str, float, float, str]] = []

    def at(moment: dt.datetime) -> float:
        return (moment - call.answered_at).total_seconds()  # type: ignore[operator]

    greeting = scripts.greeting_script(
        desk="Mesa de ayuda", agent_first_name=agent.first_name, moment=call.answered_at
    )
    rows.append(("agent", 1.0, 4.0, dict(SLIPS)["greeting"] if slip == "greeting" else greeting))
    rows.append(
        ("caller", 4.5, 9.0, f"Hola, le llamo porque {call.need.lower() or 'tengo un problema'}.")
    )
    rows.append(("agent", 9.5, 11.0, "Con gusto le ayudo. " + scripts.NAME_PROMPT))
    rows.append(("caller", 11.5, 13.0, f"{call.caller_name or 'Soy un cliente'}."))
    rows.append(("caller", 13.5, 15.5, "¿Tardará mucho?"))
    rows.append(
        (
            "agent",
            16.0,
            19.0,
            dict(SLIPS)["jargon"] if slip == "jargon" else "Unos minutos; lo revisamos juntos.",
        )
    )
    for hold in holds:
        start = at(hold.started_at)
        if start < 22 or hold.ended_at is None:
            return None
        rows.append(
            (
                "agent",
                start - 3,
                start - 0.5,
                scripts.hold_script(reason=hold.reason or "revisar su equipo"),
            )
        )
        back = at(hold.ended_at)
        if back + 4 < talk - 8 and not hold.ended_by_hangup:
            text = (
                dict(SLIPS)["resume"]
                if slip == "resume"
                else scripts.resume_script(caller_name=name)
            )
            rows.append(("agent", back + 0.5, back + 3.5, text))
    closer = agent
    for transfer in transfers:
        start = at(transfer.started_at)
        if start < 22 or transfer.to_agent is None:
            return None
        rows.append(
            (
                "agent",
                start - 4,
                start - 0.5,
                scripts.transfer_script(
                    colleague=transfer.to_agent.first_name,
                    area="soporte",
                    reason=transfer.reason or call.need or "lo revise un especialista",
                ),
            )
        )
        if transfer.completed_at is not None and at(transfer.completed_at) + 5 < talk - 8:
            done = at(transfer.completed_at)
            rows.append(
                (
                    "agent2",
                    done + 0.5,
                    done + 4.5,
                    scripts.receiving_script(
                        caller_name=name,
                        agent_first_name=transfer.to_agent.first_name,
                        level=transfer.to_agent.level,
                        reason=transfer.reason or call.need or "necesita ayuda",
                    ),
                )
            )
            closer = transfer.to_agent
    closing = scripts.closing_script(agent_first_name=closer.first_name)
    speaker = "agent2" if closer is not agent else "agent"
    rows.append(
        (speaker, talk - 7, talk - 3, dict(SLIPS)["closing"] if slip == "closing" else closing)
    )
    rows.sort(key=lambda r: r[1])
    if any(b <= a or a < 0 for _s, a, b, _t in rows) or any(
        rows[i][1] < rows[i - 1][2] for i in range(1, len(rows))
    ):
        return None  # the call's own timings leave no room for this story
    return [qa.TurnData(s, int(a * 1000), int(b * 1000), t) for s, a, b, t in rows]


def _demo_transcripts(*, line: PhoneLine, rng: random.Random, now: dt.datetime) -> None:
    """Some demo calls get a transcript, as if uploaded: the text rules show real verdicts."""
    done = 0
    candidates = (
        Call.objects.filter(line=line, answered_at__isnull=False, direction="in")
        .exclude(caller_name="")
        .exclude(call_id__startswith="historia-")  # the reports' history keeps no scorecards
        .select_related("agent__user", "answered_by__user", "line")
        .order_by("started_at", "id")
    )
    for call in candidates:
        if done >= DEMO_TRANSCRIPTS:
            break
        turns = _demo_transcript(call, rng)
        agent = call.answered_by or call.agent
        if turns is None or agent is None:
            continue
        try:
            qa.save_transcript(actor=agent.user, call=call, turns=turns, now=now)
        except DomainError:
            continue  # a story that does not fit the call's timings is left without one
        done += 1


# Calls per hour of a working day (9:00 to 18:00), shaped like a desk's: a morning peak, a
# lunch dip and a smaller afternoon one, so the reports' heat map and staffing plan have a shape.
HISTORY_HOURLY_CALLS = (3, 5, 5, 4, 2, 2, 4, 3, 2)
# What `soporte demo` and `soporte run` load (the tests' demo loads none: it costs seconds).
HISTORY_WEEKS = 2


def _demo_call_history(*, now: dt.datetime, weeks: int) -> None:
    """`weeks` of finished calls before today (working days), through the CTI use case, for
    the reports' charts and the staffing planner's history. Not recorded as tickets."""
    line, _token = demo_cti_line(now=now - dt.timedelta(days=60))
    rng = random.Random(DEMO_CALLS_SEED + 1)
    agents = list(Agent.objects.select_related("user").filter(user__role=Role.AGENT).order_by("id"))
    presences = {a.pk: a.presence for a in agents}
    on_duty = [a for a in agents if a.level <= 2]
    people = list(Person.objects.exclude(phone="").order_by("id").values_list("phone", flat=True))
    planner = Planner(
        rng,
        agents=[SimAgent(a.user.get_full_name(), a.extension) for a in on_duty],
        known_numbers=people,
        prefix="historia",
    )
    today = timezone.localtime(now).date()
    for back in range(weeks * 7, 0, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        opening = timezone.make_aware(dt.datetime.combine(day, dt.time(BUSINESS_HOURS[0])))
        busier = 1.0 + 0.25 * (day.weekday() == 0) - 0.15 * (day.weekday() == 4)
        planner.busy_until = {}
        items = []
        for hour, per_hour in enumerate(HISTORY_HOURLY_CALLS):
            rate = per_hour * busier * rng.uniform(0.8, 1.2) / 60
            for arrival in arrivals(rng, rate_per_minute=rate, seconds=3600):
                story = planner.plan(hour * 3600 + arrival)
                for step_no, step in enumerate(story.steps):
                    moment = opening + dt.timedelta(seconds=story.arrival + step.offset)
                    items.append((moment, planner.count, step_no, step.payload))
        items.sort(key=lambda item: item[:3])
        if not items:
            continue
        subs = [
            calls.Submission(
                line=line,
                event=parse_event(with_timestamp(payload, moment)),
                source=EventSource.SIMULATOR,
                received_at=moment,
            )
            for moment, _o, _s, payload in items
        ]
        for outcome in calls.apply_events(subs, now=items[-1][0]):
            if outcome.error is not None:
                raise outcome.error
    # The history is read by the reports only: no ticket notes or scorecards to write for it.
    Call.objects.filter(line=line, call_id__startswith="historia-").update(
        recorded_at=now - dt.timedelta(days=1)
    )
    for agent in agents:
        Agent.objects.filter(pk=agent.pk).update(presence=presences[agent.pk])


# --- Inventory: equipment, parts, a few months of movements, a count ------------------------

DEMO_INVENTORY_SEED = 20261123
# (kind, brand, models, processor, memory, disk, operating system)
DEVICE_MODELS: list[tuple[str, str, list[str], str, str, str, str]] = [
    (
        "desktop",
        "Lenovo",
        ["ThinkCentre M70q", "ThinkCentre M90s"],
        "Intel Core i5-12400T",
        "16 GB",
        "SSD 512 GB",
        "Windows 11 Pro",
    ),
    (
        "desktop",
        "HP",
        ["ProDesk 400 G9", "EliteDesk 800 G6"],
        "Intel Core i5-12500",
        "8 GB",
        "SSD 256 GB",
        "Windows 11 Pro",
    ),
    (
        "laptop",
        "Dell",
        ["Latitude 5440", "Vostro 3520"],
        "Intel Core i7-1355U",
        "16 GB",
        "SSD 512 GB",
        "Windows 11 Pro",
    ),
    (
        "laptop",
        "Lenovo",
        ["ThinkPad T14 Gen 3", "IdeaPad 3"],
        "AMD Ryzen 5 7530U",
        "16 GB",
        "SSD 512 GB",
        "Windows 11 Pro",
    ),
    ("printer", "HP", ["LaserJet Pro M404dn", "LaserJet MFP M428fdw"], "", "", "", ""),
    ("printer", "Brother", ["HL-L2350DW", "DCP-L2540DW"], "", "", "", ""),
    ("network", "TP-Link", ["TL-SG1016D", "Archer AX55"], "", "", "", ""),
    (
        "server",
        "Dell",
        ["PowerEdge T150"],
        "Intel Xeon E-2314",
        "32 GB",
        "2 × HDD 2 TB RAID 1",
        "Windows Server 2022",
    ),
    ("monitor", "Samsung", ["S24R350", "LS27C310"], "", "", "", ""),
    ("peripheral", "Zebra", ["ZD220 (etiquetas)"], "", "", "", ""),
    ("phone", "Yealink", ["T31P", "T43U"], "", "", "", ""),
]
DEVICES_PER_ORGANISATION = 150
SITES = [
    "Recepción",
    "Caja 1",
    "Caja 2",
    "Almacén",
    "Compras",
    "Dirección",
    "Consultorio 1",
    "Consultorio 2",
    "Sucursal Coyoacán",
    "Sucursal Tlalpan",
]

# (sku, name, brand, unit, serialised, method, reorder point, target, cost)
PARTS: list[tuple[str, str, str, str, bool, str, int, int, str]] = [
    ("RAM-D4-8", "Memoria DDR4 8 GB 3200", "Kingston", "pza", False, "", 6, 20, "389.00"),
    ("RAM-D4-16", "Memoria DDR4 16 GB 3200", "Kingston", "pza", False, "", 4, 12, "689.00"),
    ("RAM-SO-8", "Memoria SO-DIMM DDR4 8 GB", "Crucial", "pza", False, "", 4, 12, "419.00"),
    ("RAM-SO-16", "Memoria SO-DIMM DDR4 16 GB", "Crucial", "pza", False, "", 3, 10, "749.00"),
    ("SSD-240", "Disco SSD SATA 240 GB", "Kingston", "pza", True, "fifo", 3, 10, "429.00"),
    ("SSD-480", "Disco SSD SATA 480 GB", "Kingston", "pza", True, "fifo", 3, 10, "629.00"),
    ("NVME-512", "Disco NVMe 512 GB", "WD", "pza", True, "fifo", 2, 8, "899.00"),
    ("HDD-1T", "Disco duro 1 TB 7200 rpm", "Seagate", "pza", True, "fifo", 2, 6, "899.00"),
    ("HDD-2T", "Disco duro 2 TB NAS", "Seagate", "pza", True, "fifo", 1, 4, "1549.00"),
    ("TON-58A", "Tóner HP 58A", "HP", "pza", False, "fifo", 4, 12, "1390.00"),
    ("TON-26A", "Tóner HP 26A", "HP", "pza", False, "fifo", 3, 10, "1890.00"),
    ("TON-TN760", "Tóner Brother TN-760", "Brother", "pza", False, "fifo", 4, 12, "1149.00"),
    ("DRU-DR730", "Tambor Brother DR-730", "Brother", "pza", False, "fifo", 2, 5, "1320.00"),
    ("CAB-UTP-C6", "Cable UTP categoría 6", "Panduit", "m", False, "", 60, 305, "11.50"),
    ("CAB-PATCH-1", "Cable patch cat 6 de 1 m", "Panduit", "pza", False, "", 20, 60, "39.00"),
    ("CAB-PATCH-3", "Cable patch cat 6 de 3 m", "Panduit", "pza", False, "", 15, 50, "59.00"),
    ("CAB-HDMI-2", "Cable HDMI 2 m", "Steren", "pza", False, "", 6, 20, "89.00"),
    ("CAB-DP-2", "Cable DisplayPort 2 m", "Steren", "pza", False, "", 4, 12, "129.00"),
    ("CAB-USBC", "Cable USB-C a USB-C 1 m", "Belkin", "pza", False, "", 6, 20, "199.00"),
    ("CAB-PWR", "Cable de corriente para PC", "Steren", "pza", False, "", 8, 25, "45.00"),
    ("RJ45-C6", "Conector RJ45 cat 6", "Panduit", "caja", False, "", 2, 6, "349.00"),
    ("PSU-500", "Fuente de poder ATX 500 W", "EVGA", "pza", False, "", 2, 6, "899.00"),
    ("PSU-650", "Fuente de poder ATX 650 W 80+ Bronze", "EVGA", "pza", False, "", 2, 5, "1190.00"),
    ("ADP-65W", "Cargador para laptop 65 W USB-C", "Lenovo", "pza", False, "", 3, 8, "690.00"),
    ("ADP-90W", "Cargador para laptop 90 W", "Dell", "pza", False, "", 2, 6, "890.00"),
    ("BAT-CR2032", "Pila CR2032 para BIOS", "Energizer", "pza", False, "", 10, 40, "18.00"),
    ("KBD-USB", "Teclado USB", "Logitech", "pza", False, "", 4, 12, "249.00"),
    ("MOU-USB", "Mouse USB", "Logitech", "pza", False, "", 5, 15, "149.00"),
    ("PASTA-TERM", "Pasta térmica 4 g", "Arctic", "pza", False, "", 3, 10, "129.00"),
    ("FAN-92", "Ventilador 92 mm", "Cooler Master", "pza", False, "", 2, 6, "159.00"),
    ("NIC-USB", "Adaptador de red USB 3.0 gigabit", "TP-Link", "pza", False, "", 2, 6, "299.00"),
    ("WIFI-AX", "Tarjeta Wi-Fi 6 PCIe", "TP-Link", "pza", False, "", 1, 4, "649.00"),
    ("SW-8P", "Switch de 8 puertos gigabit", "TP-Link", "pza", True, "", 1, 3, "549.00"),
    ("UPS-750", "No break 750 VA", "APC", "pza", True, "", 1, 3, "1890.00"),
    ("ROD-M404", "Kit de rodillos HP M404", "HP", "juego", False, "fifo", 1, 4, "980.00"),
    ("LIMP-AIRE", "Aire comprimido 400 ml", "Silimex", "pza", False, "", 6, 24, "119.00"),
]
SUPPLIERS = [
    (
        "Distribuidora Cómputo del Bajío",
        "DCB990101AB1",
        "Sergio Aranda",
        "ventas@dcbajio.mx",
        "+52 477 712 4400",
    ),
    (
        "Consumibles y Redes del Centro",
        "CRC050505CD2",
        "Patricia Lozano",
        "pedidos@cyrcentro.mx",
        "+52 55 5510 7788",
    ),
]


def _demo_inventory(*, supervisor: User, now: dt.datetime) -> None:
    """A few hundred devices, three dozen parts with three months of movements (through the
    ledger's own use cases, so balances and bitácora entries are real), a count waiting for
    approval with differences, and tickets that point to devices."""
    from soporte.inventory import devices as device_cases
    from soporte.inventory import services as stock
    from soporte.inventory.models import (
        Device,
        InventorySettings,
        Location,
        LocationKind,
        StockItem,
        Supplier,
    )

    rng = random.Random(DEMO_INVENTORY_SEED)
    InventorySettings.objects.get_or_create(pk=1)
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("id"))
    start = now - dt.timedelta(days=90)

    devices: list[Device] = []
    number = 0
    for org in Organisation.objects.order_by("id"):
        people = list(org.people.order_by("id"))
        for n in range(DEVICES_PER_ORGANISATION):
            number += 1
            kind, brand, models, cpu, ram, disk, os_name = DEVICE_MODELS[n % len(DEVICE_MODELS)]
            bought = desk_date(now) - dt.timedelta(days=rng.randint(60, 1600))
            computer = kind in ("desktop", "laptop", "server")
            devices.append(
                Device(
                    organisation=org,
                    owner=people[n % len(people)] if computer and people else None,
                    kind=kind,
                    brand=brand,
                    model=rng.choice(models),
                    serial_number=f"{brand[:2].upper()}{org.pk}{number:05d}{rng.randint(100, 999)}",
                    inventory_tag=f"EQ-{number:06d}",
                    location=rng.choice(SITES),
                    purchase_date=bought,
                    warranty_end_date=bought + dt.timedelta(days=365 * rng.choice((1, 2, 3))),
                    processor=cpu,
                    memory=ram,
                    disk=disk,
                    operating_system=os_name,
                    ip_address=f"192.168.{org.pk}.{10 + n}"
                    if computer or kind == "printer"
                    else "",
                    created_at=start,
                    updated_at=start,
                )
            )
    Device.objects.bulk_create(devices)
    devices = list(Device.objects.order_by("id"))
    by_org: dict[int, list[Device]] = {}
    for device in devices:
        by_org.setdefault(device.organisation_id, []).append(device)
    for org_devices in by_org.values():
        computers = [d for d in org_devices if d.kind in ("desktop", "laptop")]
        for peripheral in [d for d in org_devices if d.kind in ("monitor", "peripheral")][:20]:
            Device.objects.filter(pk=peripheral.pk).update(attached_to=rng.choice(computers))
        device_cases.add_remote_access(
            actor=supervisor, device=computers[0], tool="AnyDesk", remote_id="1 234 567 890"
        )
    retired = by_org[min(by_org)][-1]
    device_cases.retire_device(
        actor=supervisor,
        device=retired,
        reason="Equipo obsoleto: se sustituyó",
        now=now - dt.timedelta(days=10),
    )

    suppliers = [
        Supplier.objects.create(
            name=name, tax_id=tax, contact_name=contact, email=email, phone=phone
        )
        for name, tax, contact, email, phone in SUPPLIERS
    ]
    shelf_a = Location.objects.create(
        code="ALM-A", name="Almacén, estante A", kind=LocationKind.SHELF
    )
    shelf_b = Location.objects.create(
        code="ALM-B", name="Almacén, estante B", kind=LocationKind.SHELF
    )
    van = Location.objects.create(
        code="CAM-1", name="Camioneta de servicio 1", kind=LocationKind.VAN
    )
    items = [
        StockItem.objects.create(
            sku=sku,
            name=name,
            brand=brand,
            unit=unit,
            serialised=serialised,
            cost_method=method,
            reorder_point=reorder,
            target_level=target,
            preferred_supplier=suppliers[0]
            if sku.startswith(("RAM", "SSD", "NVME", "HDD", "PSU", "ADP", "UPS"))
            else suppliers[1],
            created_at=start,
        )
        for sku, name, brand, unit, serialised, method, reorder, target, _cost in PARTS
    ]
    costs = {item.pk: Decimal(part[8]) for item, part in zip(items, PARTS, strict=True)}
    serial_counter = [0]

    def serials_for(item: StockItem, quantity: int) -> list[str]:
        if not item.serialised:
            return []
        serial_counter[0] += quantity
        return [f"{item.sku}-{serial_counter[0] - k:06d}" for k in range(quantity)]

    # A receipt every week from each supplier (two in the first week: the opening stock),
    # issues to devices and tickets on business days, a trip in the van now and then.
    for week in range(13):
        day = start + dt.timedelta(days=7 * week, hours=16)
        for supplier in suppliers:
            mine = [i for i in items if i.preferred_supplier_id == supplier.pk]
            chosen = mine if week == 0 else rng.sample(mine, k=min(len(mine), 4))
            lines = []
            for item in chosen:
                units = int(
                    item.target_level
                    if week == 0
                    else rng.randint(2, max(2, int(item.reorder_point) + 2))
                )
                drift = Decimal(rng.randint(-4, 6)) / 100
                lines.append(
                    stock.ReceiptLine(
                        item,
                        Decimal(units),
                        (costs[item.pk] * (1 + drift)).quantize(Decimal("0.01")),
                        serials_for(item, units),
                    )
                )
            stock.receive_stock(
                actor=rng.choice(agents),
                supplier=supplier,
                location=shelf_a if week % 3 else shelf_b,
                invoice_number=f"F-{supplier.pk}{week + 1:04d}",
                lines=lines,
                now=day,
            )
    for step in range(150):
        moment = start + dt.timedelta(days=1 + step * 89 / 150, hours=rng.randint(0, 8))
        if moment >= now:
            break
        item = rng.choice(items)
        location = shelf_a if rng.random() < 0.7 else shelf_b
        balance = item.balances.filter(location=location).first()
        if balance is None or balance.on_hand < 1:
            continue
        quantity = (
            Decimal(1) if item.serialised or item.unit != "m" else Decimal(rng.choice((5, 10, 15)))
        )
        quantity = min(quantity, balance.on_hand)
        serials = (
            list(
                item.serials.filter(location=location)
                .order_by("serial")
                .values_list("serial", flat=True)[: int(quantity)]
            )
            if item.serialised
            else []
        )
        if step % 17 == 0:
            stock.transfer_stock(
                actor=rng.choice(agents),
                item=item,
                from_location=location,
                to_location=van,
                quantity=quantity,
                serials=serials,
                reason="Salida a servicio en sitio",
                now=moment,
            )
            continue
        device = rng.choice(devices[:-1])
        stock.issue_stock(
            actor=rng.choice(agents),
            item=item,
            location=location,
            quantity=quantity,
            kind="sale" if step % 11 == 0 else "issue",
            device=device,
            reference=f"Servicio {device.inventory_tag}",
            serials=serials,
            now=moment,
        )
    last = (
        StockItem.objects.get(sku="CAB-HDMI-2")
        .movements.filter(kind="issue")
        .order_by("-id")
        .first()
    )
    if last is not None:
        stock.reverse_movement(
            actor=supervisor,
            movement=last,
            reason="Se capturó en el artículo equivocado",
            now=now - dt.timedelta(days=2),
        )

    # A count of shelf A with differences, waiting for the supervisor's approval.
    count = stock.start_count(actor=agents[0], location=shelf_a, now=now - dt.timedelta(hours=3))
    counted = {}
    for balance in shelf_a.balances.select_related("item").order_by("item__sku")[:12]:
        surprise = rng.choice((0, 0, 0, -1, 1)) if balance.on_hand >= 1 else 0
        counted[balance.item] = balance.on_hand + surprise
    if all(counted[i] == i.balances.get(location=shelf_a).on_hand for i in counted):
        first = next(iter(counted))
        counted[first] = max(Decimal(0), counted[first] - 1)
    stock.record_count(count=count, actor=agents[0], counted=counted)
    stock.submit_count(count=count, actor=agents[0], now=now - dt.timedelta(hours=2))


def _demo_device_histories(*, now: dt.datetime) -> None:
    """The first laptop of each organisation has a history: a ticket, a maintenance entry,
    the part fitted to it; and the portal's open requests point to devices (after the
    tickets exist)."""
    from soporte.inventory import devices as device_cases
    from soporte.inventory.models import Device
    from soporte.logbook.models import Logbook
    from soporte.tickets.models import Ticket

    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("id"))
    for org_id in Organisation.objects.order_by("id").values_list("id", flat=True):
        device = Device.objects.filter(organisation_id=org_id, kind="laptop").order_by("id").first()
        if device is None:
            continue
        for ticket in Ticket.objects.filter(organisation_id=org_id, device__isnull=True).order_by(
            "id"
        )[:3]:
            Ticket.objects.filter(pk=ticket.pk).update(device=device, equipment=str(device))
        book = Logbook.objects.filter(organisation_id=org_id).order_by("id").first()
        if book is not None and agents:
            moment = now - dt.timedelta(days=5)
            elements = device_cases.maintenance_elements(device)
            logbook.append_entry(
                logbook=book,
                kind=EntryKind.PREVENTIVE,
                author=agents[0],
                summary=f"Mantenimiento preventivo de {device.inventory_tag}",
                fields={
                    "user_name": str(device.owner or device.organisation),
                    "evaluated_date": desk_date(moment).isoformat(),
                    "addressee_name": str(agents[0]),
                    "damage_at": moment.isoformat(timespec="minutes"),
                    "description": "Limpieza interna y revisión de temperatura.",
                    **elements,
                    "diagnosis": "Ventilador con polvo; temperatura en reposo 68 °C.",
                    "observations": "Se limpió y se cambió la pasta térmica; 44 °C en reposo.",
                    "reporting_name": str(device.owner or device.organisation),
                },
                subject=logbook.Subject("equipment", device.subject_id, str(device)),
                now=moment,
            )


DEMO_WORKSHOP_SEED = 20261207
# (fault, diagnosis, work done, labour) of the shop's everyday repairs.
REPAIR_CASES = [
    ("No enciende", "Fuente de poder dañada", "Cambio de fuente", "450"),
    (
        "Se calienta y se apaga",
        "Ventilador obstruido, pasta térmica seca",
        "Limpieza y pasta térmica",
        "350",
    ),
    ("Está muy lenta", "Disco con sectores dañados", "Cambio de disco y clonación", "600"),
    ("Pantalla parpadea", "Cable flex de pantalla dañado", "Cambio de cable flex", "500"),
    ("No carga la batería", "Conector de carga flojo", "Resoldado del conector", "550"),
    ("Se reinicia sola", "Memoria defectuosa", "Cambio de memoria", "300"),
    ("No imprime", "Rodillo de arrastre gastado", "Cambio de rodillo", "400"),
]


def _signature_png() -> bytes:
    """A small drawn signature (a scribble) as a real PNG, like the counter's pad sends."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("L", (240, 80), 255)
    ImageDraw.Draw(image).line(
        [(12, 60), (40, 20), (62, 58), (90, 18), (120, 62), (150, 30), (200, 44), (228, 26)],
        fill=0,
        width=3,
    )
    handle = io.BytesIO()
    image.save(handle, format="PNG")
    return handle.getvalue()


def _workshop_repair_scripts(*, supervisor: User, now: dt.datetime) -> list[Script]:
    """Four months of the repair shop, one step script per repair (`run_in_time_order`):
    repairs received, diagnosed, quoted (some rejected and quoted again), repaired by several
    technicians (not always who received or charged them), unrepairable and abandoned ones,
    warranty returns. The customer signs at the counter (drawn) what the shop writes in the
    contract logbook, but for a few intakes left to sign (tacitly accepted once old). Every
    action through the use cases, by active agents."""
    from soporte.inventory.models import Device, Location, StockBalance, StockItem
    from soporte.workshop import services as shop
    from soporte.workshop.models import Repair, RepairStatus, WorkshopSettings

    rng = random.Random(DEMO_WORKSHOP_SEED)
    drawing = _signature_png()
    WorkshopSettings.objects.update_or_create(
        pk=1,
        defaults={
            "shop_name": "Soporte · Taller de cómputo",
            "shop_address": "Av. Insurgentes Sur 1234, Ciudad de México",
            "shop_tax_id": "STC200101AB1",
            "shop_phone": "55 5555 0101",
        },
    )
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("id"))
    technicians = agents[:4]
    shelf = Location.objects.get(code="ALM-A")
    parts = list(
        StockItem.objects.filter(serialised=False, unit="pza", is_active=True).order_by("sku")
    )
    start = now - dt.timedelta(days=120)
    orgs = list(Organisation.objects.order_by("id"))

    def in_stock(item: StockItem) -> bool:
        balance = StockBalance.objects.filter(item=item, location=shelf).first()
        return balance is not None and balance.on_hand >= 2

    def sign(entry: Any, signer: User | None, moment: dt.datetime, drawn: bool = True) -> None:
        if signer is not None and entry is not None and shop.can_sign(entry):
            logbook.countersign_entry(
                entry=entry,
                signer=signer,
                method="on_site" if drawn else "portal",
                drawn_png=drawing if drawn else None,
                now=moment,
            )

    def repair_script(n: int) -> Script:
        moment = yield start + dt.timedelta(days=n * 116 / 48, hours=rng.randint(0, 6))
        org = orgs[n % len(orgs)]
        people = list(org.people.order_by("id"))
        candidates = list(
            Device.objects.filter(
                organisation=org, retired_at__isnull=True, kind__in=("laptop", "desktop", "printer")
            ).order_by("id")[:40]
        )
        if not candidates or not people:
            return
        signer = User.objects.filter(organisation=org, role=Role.CUSTOMER).order_by("id").first()
        device = rng.choice(candidates)
        fault, diagnosis, work, labour = REPAIR_CASES[n % len(REPAIR_CASES)]
        receiver, charger = rng.choice(agents), rng.choice(agents)
        technician = technicians[n % len(technicians)]
        person = people[0]
        received = moment
        repair = shop.receive_repair(
            actor=receiver,
            intake=shop.Intake(
                device=device,
                brought_by=person,
                fault=fault,
                condition=rng.choice(
                    ("Rayones en la tapa", "Sin daños visibles", "Falta una tecla", "Bisagra floja")
                ),
                accessories=rng.choice(("Cargador", "Cargador y funda", "", "Cable de corriente")),
                preserve_data=rng.random() < 0.8,
                estimate=labour,
                auxiliary=n % 23 == 5,
                auxiliary_acknowledged=n % 23 == 5,
                technician=technician,
            ),
            now=moment,
        )
        if n % 3:
            # Signed on the counter's tablet; the rest are left to sign (tacit once old).
            moment = yield moment + dt.timedelta(minutes=3)
            sign(repair.intake_entry, signer, moment)
        moment = yield received + dt.timedelta(hours=2)
        shop.start_diagnosis(actor=technician, repair=repair, now=moment)
        if n % 13 == 7:
            moment = yield received + dt.timedelta(hours=5)
            repair = shop.mark_unrepairable(
                actor=technician,
                repair=repair,
                reason="Tarjeta madre dañada: no hay refacción",
                now=moment,
            )
            moment = yield received + dt.timedelta(days=2)
            repair = shop.deliver_repair(
                actor=charger,
                repair=repair,
                handed_back=str(device),
                payment_method="cash",
                amount="150",
                now=moment,
            )
            moment = yield moment + dt.timedelta(minutes=5)
            sign(repair.delivery_entry, signer, moment)
            return
        part = rng.choice(parts) if parts and n % 2 else None
        moment = yield received + dt.timedelta(hours=4)
        lines = (
            [
                shop.PartLine(
                    item=part,
                    location=shelf,
                    quantity="1",
                    unit_price=str(
                        (
                            part.total.value_avg / max(part.total.on_hand, 1) * Decimal("1.6")
                        ).quantize(Decimal("1"))
                    ),
                )
            ]
            if part is not None and in_stock(part)
            else []
        )
        decider = next((p for p in people if p.can_decide), person)
        quote = shop.quote_repair(
            actor=technician,
            repair=repair,
            diagnosis=diagnosis,
            labour=labour if n % 9 else "900",
            parts=lines,
            now=moment,
        )
        if quote.status == "pending":
            approve = n % 9 != 0
            moment = yield received + dt.timedelta(hours=20)
            quote = shop.decide_quote(
                actor=charger,
                quote=quote,
                approve=approve,
                decided_by=decider,
                reason="" if approve else "Muy caro",
                now=moment,
            )
            sign(quote.decision_entry, signer, moment)
            if not approve:
                moment = yield received + dt.timedelta(days=1)
                quote = shop.quote_repair(
                    actor=technician,
                    repair=repair,
                    diagnosis=diagnosis,
                    labour=labour,
                    parts=lines,
                    now=moment,
                )
                if quote.status == "pending":
                    moment = yield received + dt.timedelta(days=1, hours=3)
                    quote = shop.decide_quote(
                        actor=charger,
                        quote=quote,
                        approve=True,
                        decided_by=decider,
                        now=moment,
                    )
                    sign(quote.decision_entry, signer, moment)
        repair.refresh_from_db()
        if repair.status == RepairStatus.AWAITING_PARTS:
            return
        moment = yield received + dt.timedelta(days=rng.randint(1, 3), hours=3)
        repair = shop.mark_repaired(
            actor=technician,
            repair=repair,
            work_done=work,
            labour_minutes=rng.randint(20, 150),
            now=moment,
        )
        # The customer reads and signs the maintenance note in the portal.
        moment = yield moment + dt.timedelta(hours=3)
        sign(repair.maintenance_entry, signer, moment, drawn=False)
        if n % 29 == 11:
            # Ready, and the customer never came back for it.
            moment = yield received + dt.timedelta(days=34)
            shop.abandon_repair(
                actor=supervisor,
                repair=repair,
                reason="El cliente no volvió por el equipo",
                now=moment,
            )
            return
        total = shop.approved_quote(repair)
        moment = yield received + dt.timedelta(days=4)
        repair = shop.deliver_repair(
            actor=charger,
            repair=repair,
            handed_back=f"{device}, {repair.accessories or 'sin accesorios'}",
            payment_method=rng.choice(("cash", "card", "transfer")),
            amount=str(total.total() if total else labour),
            now=moment,
        )
        moment = yield moment + dt.timedelta(minutes=5)
        sign(repair.delivery_entry, signer, moment)
        if n % 9 == 0 and n < 36 and repair.delivered_at is not None:
            # The same fault again within the warranty: a warranty repair of the original.
            moment = yield repair.delivered_at + dt.timedelta(days=12)
            returned = shop.receive_warranty_return(
                actor=rng.choice(agents),
                original=Repair.objects.get(pk=repair.pk),
                brought_by=repair.brought_by,
                fault="Volvió la misma falla",
                condition="Igual que al entregarla",
                now=moment,
            )
            moment = yield moment + dt.timedelta(minutes=3)
            sign(returned.intake_entry, signer, moment)

    return [repair_script(n) for n in range(48)]


def _demo_counter(*, supervisor: User, now: dt.datetime) -> None:
    """Counter sales of parts and services every business day, refunds now and then, and the
    shop's monthly expenses, so the sales logbook shows something true."""
    from soporte.inventory.models import Location, StockBalance, StockItem
    from soporte.workshop import sales as shop_sales

    rng = random.Random(DEMO_WORKSHOP_SEED + 1)
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("id"))
    shelf = Location.objects.get(code="ALM-A")
    parts = list(
        StockItem.objects.filter(serialised=False, unit="pza", is_active=True).order_by("sku")
    )
    start = now - dt.timedelta(days=120)

    def in_stock(item: StockItem) -> bool:
        balance = StockBalance.objects.filter(item=item, location=shelf).first()
        return balance is not None and balance.on_hand >= 2

    # The counter: parts and services sold every business day, a refund now and then.
    services_sold = [
        ("Formateo e instalación de sistema", "450"),
        ("Limpieza preventiva", "300"),
        ("Respaldo de información", "350"),
    ]
    for day in range(120):
        moment = start + dt.timedelta(days=day, hours=17)
        if timezone.localtime(moment).weekday() >= 5:
            continue
        for k in range(rng.randint(1, 3)):
            sold: list[shop_sales.Line] = []
            part = rng.choice(parts) if parts else None
            if part is not None and in_stock(part):
                unit_cost = part.total.value_avg / max(part.total.on_hand, 1)
                sold.append(
                    shop_sales.Line(
                        part.name,
                        "1",
                        str((unit_cost * Decimal("1.5")).quantize(Decimal("1"))),
                        item=part,
                        location=shelf,
                    )
                )
            if not sold or rng.random() < 0.4:
                name, price = rng.choice(services_sold)
                sold.append(
                    shop_sales.Line(name, "1", price, discount="50" if rng.random() < 0.2 else "0")
                )
            sale = shop_sales.sell(
                actor=rng.choice(agents),
                lines=sold,
                payment_method=rng.choice(("cash", "card", "transfer")),
                customer_name="Público en general",
                now=moment + dt.timedelta(minutes=20 * k),
            )
            if day % 19 == 3 and k == 0 and moment + dt.timedelta(days=1) <= now:
                first = sale.lines.order_by("id").first()
                assert first is not None
                shop_sales.refund(
                    actor=rng.choice(agents),
                    sale=sale,
                    quantities={first.pk: "1"},
                    reason="Producto defectuoso",
                    now=moment + dt.timedelta(days=1),
                )
    month = desk_date(start).replace(day=1)
    while month <= desk_date(now):
        for category, description, amount in (
            ("rent", "Renta del local", "9500"),
            ("salaries", "Sueldos del taller", "18000"),
            ("services", "Luz, agua e internet", "1850"),
        ):
            shop_sales.record_expense(
                actor=supervisor,
                category=category,
                description=f"{description}, {month:%m/%Y}",
                amount=amount,
                incurred_date=month,
                now=now,
            )
        month = (month + dt.timedelta(days=32)).replace(day=1)
