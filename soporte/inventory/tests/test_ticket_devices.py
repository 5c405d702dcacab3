"""Tickets point to devices: the desk and the portal pick one of the organisation's devices,
never another organisation's, and the device's page lists the ticket."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from soporte.inventory.tests.factories import make_device
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel, Ticket


@pytest.fixture
def devices_ab(personas, now):
    return (
        make_device(
            personas.agent, personas.org_a, now, serial_number="A-1", inventory_tag="EQ-A1"
        ),
        make_device(
            personas.agent, personas.org_b, now, serial_number="B-1", inventory_tag="EQ-B1"
        ),
    )


def new_ticket(personas, device, org="a"):
    return tickets.NewTicket(
        organisation=personas.org_a if org == "a" else personas.org_b,
        requester=personas.person_a if org == "a" else personas.person_b,
        subject="No imprime",
        description="Atasca el papel.",
        channel=Channel.PHONE,
        device_id=device.pk,
    )


def test_a_ticket_points_to_a_device_of_its_organisation(personas, now, devices_ab):
    a, b = devices_ab
    ticket = tickets.open_ticket(actor=personas.agent, data=new_ticket(personas, a), now=now)
    assert ticket.device_id == a.pk and a.inventory_tag in ticket.equipment
    with pytest.raises(tickets.TicketError) as refused:
        tickets.open_ticket(actor=personas.agent, data=new_ticket(personas, b), now=now)
    assert refused.value.code == "device_org"


def test_the_desk_form_offers_the_organisation_devices(personas, devices_ab):
    a, _b = devices_ab
    agent = personas.client("agent")
    form = agent.get(
        reverse("tickets:new") + f"?organisation={personas.org_a.pk}&device={a.pk}"
    ).content.decode()
    assert "EQ-A1" in form and "EQ-B1" not in form
    response = agent.post(
        reverse("tickets:new"),
        {
            "organisation": personas.org_a.pk,
            "requester": personas.person_a.pk,
            "channel": "phone",
            "direction": "reactive",
            "support_kind": "distance",
            "level": 1,
            "priority": "normal",
            "subject": "Laptop lenta",
            "description": "Tarda en arrancar.",
            "device": a.pk,
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Laptop lenta")
    assert ticket.device_id == a.pk
    page = agent.get(reverse("inventory:device_detail", args=[a.pk])).content.decode()
    assert "Laptop lenta" in page
    detail = agent.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert reverse("inventory:device_detail", args=[a.pk]) in detail


def test_a_customer_picks_one_of_their_devices_in_the_portal(personas, devices_ab):
    a, b = devices_ab
    customer = personas.client("customer_a")
    form = customer.get(reverse("tickets:portal_new")).content.decode()
    assert "EQ-A1" in form and "EQ-B1" not in form
    refused = customer.post(
        reverse("tickets:portal_new"),
        {"subject": "No prende", "description": "Nada.", "device": b.pk},
    )
    assert refused.status_code == 200 and not Ticket.objects.filter(subject="No prende").exists()
    sent = customer.post(
        reverse("tickets:portal_new"),
        {"subject": "No prende", "description": "Nada.", "device": a.pk},
    )
    assert sent.status_code == 302
    ticket = Ticket.objects.get(subject="No prende")
    assert ticket.device_id == a.pk
    detail = customer.get(reverse("tickets:portal_detail", args=[ticket.number])).content.decode()
    assert reverse("inventory:device_detail", args=[a.pk]) in detail
    page = customer.get(reverse("inventory:device_detail", args=[a.pk])).content.decode()
    assert "No prende" in page


def test_the_api_takes_a_device_id_under_the_same_rule(personas, devices_ab):
    a, b = devices_ab
    body = {
        "organisation_id": personas.org_a.pk,
        "requester_id": personas.person_a.pk,
        "subject": "Sin red",
        "description": "Sin red.",
        "channel": "portal",
    }
    customer = personas.client("customer_a")
    ok = customer.post(
        "/api/v1/tickets", json.dumps({**body, "device_id": a.pk}), content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["device_id"] == a.pk
    other = customer.post(
        "/api/v1/tickets", json.dumps({**body, "device_id": b.pk}), content_type="application/json"
    )
    assert other.status_code == 422 and other.json()["error"]["code"] == "device_org"
