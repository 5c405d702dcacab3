"""The customer's home: their organisation's open requests with the next step expected from
them, a prominent "Nueva solicitud", notes to countersign and their devices; nothing of
another organisation, nothing meant for staff."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.inventory.tests.factories import make_device
from soporte.tickets import services
from soporte.tickets.models import Channel, Status


def _open(personas, now, subject, *, org="a", chargeable=False):
    person = personas.person_a if org == "a" else personas.person_b
    return services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=person.organisation,
            requester=person,
            subject=subject,
            description="Descripción de prueba.",
            channel=Channel.PHONE,
            chargeable=chargeable,
        ),
        now=now,
    )


def _move(personas, ticket, now, *statuses):
    ticket = services.assign_ticket(
        ticket=ticket, actor=personas.agent, agent=personas.agent.agent, now=now
    )
    for status in statuses:
        ticket = services.change_status(
            ticket=ticket, actor=personas.agent, to_status=status, now=now
        )
    return ticket


def test_home_shows_each_pending_action_of_the_customer(personas, now, contract_logbook):
    later = now + dt.timedelta(minutes=1)
    _open(personas, now, "Cotizar cambio de disco", chargeable=True)
    asked = _open(personas, now, "La red se cae en caja")
    _move(personas, asked, later, Status.WAITING_CUSTOMER)
    fixed = _open(personas, now, "Instalar el lector de PDF")
    _move(personas, fixed, later, Status.RESOLVED)
    _open(personas, now, "Revisar el antivirus")
    _open(personas, now, "Solicitud de otra organización", org="b")
    make_device(personas.agent, personas.org_a, now, brand="Lenovo", model="ThinkCentre M70q")
    make_device(personas.agent, personas.org_b, now, brand="Dell", model="OptiPlex Oculto")

    body = personas.client("customer_a").get("/").content.decode()

    assert "Nueva solicitud" in body and 'href="/tickets/mis-solicitudes/nueva/"' in body
    assert "Esperan algo de usted" in body
    assert "Apruebe o rechace el costo" in body
    assert "Responda a la pregunta de la mesa" in body
    assert "Califique la atención" in body
    assert "Firme 1 nota de la bitácora" in body
    assert "Revisar el antivirus" in body and "la mesa trabaja en ella" in body
    assert "ThinkCentre M70q" in body
    # Nothing of organisation B, nothing meant for staff.
    assert "Solicitud de otra organización" not in body
    assert "OptiPlex Oculto" not in body
    for staff_only in ("Tokens de API", "Consola", "Tablero", "Agentes"):
        assert staff_only not in body, staff_only


def test_home_of_another_customer_shows_only_their_organisation(personas, now):
    _open(personas, now, "Solicitud de la ferretería")
    body = personas.client("customer_b").get("/").content.decode()
    assert "Solicitud de la ferretería" not in body
    assert "No tiene solicitudes abiertas." in body
    assert "Esperan algo de usted" not in body


@pytest.mark.parametrize(
    ("who", "status", "sees"),
    [
        ("anonymous", 302, None),
        ("agent", 200, "Mi estado"),
        ("supervisor", 200, "Mi estado"),
        ("customer_a", 200, "Solicitudes abiertas"),
        ("customer_b", 200, "Solicitudes abiertas"),
    ],
)
def test_home_access_by_persona(personas, who, status, sees):
    response = personas.client(who).get("/")
    assert response.status_code == status
    if sees:
        assert sees in response.content.decode()
