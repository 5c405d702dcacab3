"""A serialised piece sold at the counter: the counter picks which one, and the ledger moves
exactly that one; a sale started from a ticket's page names the ticket."""

from __future__ import annotations

from django.urls import reverse

from soporte.inventory.models import StockSerial
from soporte.inventory.tests.conftest import receive
from soporte.tickets import services as ticket_services
from soporte.tickets.models import Channel
from soporte.workshop.models import Sale


def _disks(personas, supplier, shelf, ssd, now):
    receive(personas.agent, supplier, shelf, now, (ssd, 2, "900", ["SN-AAA1", "SN-BBB2"]))


def test_the_counter_picks_the_serial_it_sells(personas, now, supplier, shelf, ssd):
    _disks(personas, supplier, shelf, ssd, now)
    client = personas.client("agent")
    page = client.get(reverse("workshop:sale_new"))
    assert "SN-BBB2" in page.content.decode()  # the pick list shows the pieces on the shelf
    picked = StockSerial.objects.get(serial="SN-BBB2")
    response = client.post(
        reverse("workshop:sale_new"),
        {
            "lines": f"{ssd.sku}, 1, 1500, 0, {shelf.code}",
            "serials": [picked.pk],
            "payment_method": "cash",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    sale = Sale.objects.get()
    line = sale.lines.get()
    assert [s.serial.serial for s in line.movement.serials.select_related("serial")] == ["SN-BBB2"]
    assert StockSerial.objects.get(serial="SN-BBB2").location is None  # left with the customer
    assert StockSerial.objects.get(serial="SN-AAA1").location == shelf
    assert line.cost == 900


def test_a_serialised_piece_is_not_sold_without_picking_it(personas, now, supplier, shelf, ssd):
    _disks(personas, supplier, shelf, ssd, now)
    response = personas.client("agent").post(
        reverse("workshop:sale_new"),
        {"lines": f"{ssd.sku}, 1, 1500, 0, {shelf.code}", "payment_method": "cash"},
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not Sale.objects.exists()
    assert StockSerial.objects.filter(location=shelf).count() == 2


def test_a_sale_started_from_a_ticket_names_it(personas, now):
    ticket = ticket_services.open_ticket(
        actor=personas.agent,
        data=ticket_services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="Cambiar el cargador",
            description="El cargador no funciona.",
            channel=Channel.PHONE,
        ),
        now=now,
    )
    client = personas.client("agent")
    detail = client.get(reverse("tickets:detail", args=[ticket.number]))
    start = f"{reverse('workshop:sale_new')}?ticket={ticket.number}"
    assert start in detail.content.decode()
    page = client.get(start)
    assert page.context["form"].initial["organisation"] == personas.org_a.pk
    response = client.post(
        reverse("workshop:sale_new"),
        {
            "ticket": ticket.number,
            "organisation": personas.org_a.pk,
            "lines": "Cargador genérico, 1, 450",
            "payment_method": "card",
        },
    )
    assert response.status_code == 302
    sale = Sale.objects.get()
    assert sale.ticket_id == ticket.pk and sale.organisation_id == personas.org_a.pk
    # A customer cannot start one (the counter is the staff's).
    assert personas.client("customer_a").get(start).status_code == 403
