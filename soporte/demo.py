"""Demo data that looks real: a desk in Mexico City, two customers, a team of 14 agents."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

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


@transaction.atomic
def load_demo(*, now: dt.datetime) -> list[DemoLogin]:
    """Create the demo desk. Returns the logins to print."""
    today = desk_date(now)
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
    return logins


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
    from soporte.logbook import services as logbook
    from soporte.logbook.models import EntryKind

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
