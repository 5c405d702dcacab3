"""The equipment registry: serials unique per brand, retired never deleted, one timeline of
tickets, calls, bitácora entries and parts, and maintenance entries that start filled in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from soporte.calls.models import Call, CallDirection, PhoneLine
from soporte.inventory import devices, services
from soporte.inventory.models import Device
from soporte.inventory.tests.conftest import receive
from soporte.inventory.tests.factories import make_device
from soporte.logbook.models import Entry
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel


def test_serial_number_is_unique_per_brand(personas, now):
    make_device(personas.agent, personas.org_a, now, brand="Dell", serial_number="abc 123")
    with pytest.raises(devices.DeviceError) as clash:
        make_device(personas.agent, personas.org_b, now, brand="DELL", serial_number="ABC123")
    assert "serial_number" in clash.value.details["fields"]
    make_device(personas.agent, personas.org_b, now, brand="HP", serial_number="ABC123")
    with pytest.raises(IntegrityError), transaction.atomic():
        Device.objects.create(
            organisation=personas.org_a,
            kind="laptop",
            brand="dell",
            serial_number="ABC123",
            inventory_tag="X-1",
            created_at=now,
            updated_at=now,
        )


def test_a_device_is_retired_never_deleted(personas, now):
    device = make_device(personas.agent, personas.org_a, now)
    with pytest.raises(devices.DeviceError):
        devices.retire_device(actor=personas.agent, device=device, reason=" ", now=now)
    retired = devices.retire_device(
        actor=personas.agent, device=device, reason="Tarjeta madre dañada", now=now
    )
    assert retired.is_retired
    with pytest.raises(Exception, match="retired, not deleted"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM inventory_device WHERE id = %s", [device.pk])
    assert Device.objects.filter(pk=device.pk).exists()


def test_the_inventory_tag_never_changes(personas, now):
    device = make_device(personas.agent, personas.org_a, now)
    data = devices.DeviceData.of(device)
    data.inventory_tag = "OTRA-1"
    with pytest.raises(devices.DeviceError) as refused:
        devices.update_device(actor=personas.agent, device=device, data=data, now=now)
    assert refused.value.code == "tag_immutable"


def test_the_device_page_shows_one_timeline(personas, now, contract_logbook, supplier, shelf, ram):
    device = make_device(personas.agent, personas.org_a, now, serial_number="PF-9")
    ticket = tickets.open_ticket(
        actor=personas.agent,
        data=tickets.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="No enciende",
            description="La laptop no enciende.",
            channel=Channel.PHONE,
        ),
        now=now,
    )
    ticket.device = device
    ticket.save(update_fields=["device"])
    line = PhoneLine.objects.create(name="Conmutador", created_at=now)
    Call.objects.create(
        line=line,
        call_id="c-1",
        direction=CallDirection.IN,
        from_number="5550001111",
        to_number="100",
        organisation=personas.org_a,
        caller_name="Roberto",
        ticket=ticket,
        started_at=now + dt.timedelta(minutes=1),
        updated_at=now,
    )
    receive(personas.agent, supplier, shelf, now, (ram, 2, "300"))
    services.issue_stock(
        actor=personas.agent,
        item=ram,
        location=shelf,
        quantity=Decimal(1),
        device=device,
        ticket=ticket,
        now=now + dt.timedelta(minutes=3),
    )
    agent = personas.client("agent")
    form = agent.get(reverse("inventory:device_maintenance", args=[device.pk])).content.decode()
    assert "PF-9" in form and device.organisation.name in form  # elements 6 and 7 filled in
    response = agent.post(
        reverse("inventory:device_maintenance", args=[device.pk]),
        {
            "logbook": contract_logbook.pk,
            "kind": "corrective",
            "summary": "Cambio de memoria",
            **{**devices.maintenance_elements(device)},
            "user_name": "Roberto",
            "evaluated_date": "2026-11-23",
            "addressee_name": "Blanca",
            "damage_at": "2026-11-23T08:00",
            "description": "No enciende",
            "diagnosis": "RAM dañada",
            "observations": "Se cambió la RAM",
            "responsible_name": "Blanca",
            "reporting_name": "Roberto",
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(subject_type="equipment", subject_id=device.inventory_tag)
    assert "PF-9" in entry.fields["device_data"]
    assert entry.fields["general_data"].startswith(personas.org_a.name)

    events = devices.timeline(device=device, actor=personas.agent)
    assert {e.kind for e in events} == {"ticket", "call", "entry", "movement"}
    page = agent.get(reverse("inventory:device_detail", args=[device.pk])).content.decode()
    assert "No enciende" in page and "Cambio de memoria" in page and "RAM-DDR4-8" in page
    # The customer sees the ticket and the entry of their logbook, not the desk's costs.
    customer_events = devices.timeline(device=device, actor=personas.customer_a)
    assert {e.kind for e in customer_events} == {"ticket", "entry"}
    assert devices.timeline(device=device, actor=personas.customer_b) == []
