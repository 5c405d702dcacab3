"""Demo data that looks real: a desk in Mexico City, two customers, a team of 14 agents."""

from __future__ import annotations

import datetime as dt
import functools
import os
import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from soporte.calls import qa
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
from soporte.lib.clock import desk_date
from soporte.logbook import services as logbook
from soporte.logbook.models import EntryKind
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel, DeskCalendar, Holiday, Priority, SlaPolicy

DEMO_PASSWORD = "soporte-demo"  # noqa: S105 - printed on the console for the demo logins


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


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
def load_demo(*, now: dt.datetime) -> list[DemoLogin]:
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
                first, _, last = full_name.replace("Dra. ", "").partition(" ")
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
    _demo_logbooks(supervisor=supervisor, now=now)
    _demo_calls(now=now)
    _demo_portal_tickets(supervisor=supervisor, now=now)
    return logins


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
        opened_at = now - dt.timedelta(minutes=minutes)
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


def _demo_logbooks(*, supervisor: User, now: dt.datetime) -> None:
    """A contract logbook per customer with maintenance notes, one countersigned on site."""

    for org in Organisation.objects.order_by("id"):
        signers = list(User.objects.filter(organisation=org, role=Role.CUSTOMER).order_by("id"))
        opened = now - dt.timedelta(days=30)
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
        requester = signers[-1] if signers else supervisor
        for hours, tech, summary, device, diagnosis, observations, signed in MAINTENANCE_NOTES:
            author = User.objects.get(username=tech)
            moment = now - dt.timedelta(hours=hours)
            entry = logbook.append_entry(
                logbook=book,
                kind=EntryKind.CORRECTIVE,
                author=author,
                summary=summary,
                fields={
                    "user_name": str(requester),
                    "evaluated_date": desk_date(moment).isoformat(),
                    "addressee_name": str(author),
                    "damage_at": (moment - dt.timedelta(hours=5)).isoformat(timespec="minutes"),
                    "description": summary,
                    "device_data": device,
                    "general_data": org.name,
                    "diagnosis": diagnosis,
                    "observations": observations,
                    "reporting_name": str(requester),
                },
                subject=logbook.Subject("equipment", device.rsplit(" ", 1)[-1], device),
                now=moment,
            )
            if signed and signers:
                logbook.countersign_entry(
                    entry=entry,
                    signer=requester,
                    method="portal",
                    now=moment + dt.timedelta(hours=2),
                )
        logbook.accept_tacitly(now=now)
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


def demo_call_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Today's business hours up to now, or all of yesterday's when today has barely begun."""
    local = timezone.localtime(now)
    opening = local.replace(hour=BUSINESS_HOURS[0], minute=0, second=0, microsecond=0)
    closing = opening.replace(hour=BUSINESS_HOURS[1])
    end = min(local - dt.timedelta(minutes=5), closing)
    if end - opening < dt.timedelta(hours=3):
        opening -= dt.timedelta(days=1)
        end = closing - dt.timedelta(days=1)
    return opening, end


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
    # The demo's presence board stays as designed, whatever the calls left behind.
    for agent in agents:
        Agent.objects.filter(pk=agent.pk).update(presence=presences[agent.pk])
