"""An agent opens a customer's request, sees the suggested level with the words behind it,
accepts it with one click, and the ticket moves to level 4 with its hand-off note."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from soporte.directory.models import Area, ContactRole, Organisation
from soporte.tickets import services
from soporte.tickets.models import Channel, Escalation, Ticket
from tests.browser.test_portal_ticket import log_in, new_page

pytestmark = pytest.mark.browser


def test_the_agent_accepts_the_suggested_level_with_one_click(
    browser: Browser, live_server, make_agent, make_customer, password
):
    make_agent("blanca.herrera", level=1, first_name="Blanca")
    servers = Area.objects.create(code="servidores", name="Servidores Microsoft/Linux")
    make_agent("lucia.l4", level=4, first_name="Lucía").areas.add(servers)
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    customer = make_customer("roberto.sanchez", org, ContactRole.BOTH)
    ticket = services.open_ticket(
        actor=customer,
        data=services.NewTicket(
            organisation=org,
            requester=customer.person,
            subject="El servidor no responde",
            description="Desde las 8 ninguna caja puede cobrar.",
            channel=Channel.PORTAL,
        ),
        now=timezone.now(),
    )

    page = new_page(browser, live_server)
    log_in(page, "blanca.herrera", password)
    page.goto(f"/tickets/{ticket.number}/")
    panel = page.locator("#triage-suggestion")
    expect(panel).to_contain_text("Nivel 4")
    expect(panel).to_contain_text("servidor no responde")
    assert Ticket.objects.get(pk=ticket.pk).level == 1  # seen, not applied

    panel.get_by_role("button", name="Aceptar la sugerencia").click()

    expect(page.locator(".messages")).to_contain_text("Triaje aplicado: nivel 4")
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.level == 4 and moved.area == servers
    assert moved.assignee is not None and moved.assignee.name.startswith("Lucía")
    assert "ninguna caja puede cobrar" in Escalation.objects.get(ticket=moved).reason
    page.close()
