"""A customer signs in and finds, on a phone and at a desk, what waits for them and a large
"Nueva solicitud"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from soporte.directory.models import ContactRole, Organisation, Role
from soporte.lib import clock
from soporte.tickets import services
from soporte.tickets.models import Channel
from tests.browser.test_portal_ticket import PHONE, horizontal_overflow, log_in, new_page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_customer_home_shows_what_waits_for_them(
    browser: Browser, live_server, make_agent, make_customer, password, width
):
    agent = make_agent("blanca.herrera", level=1, first_name="Blanca").user
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    customer = make_customer("roberto.sanchez", org, ContactRole.BOTH)
    make_agent("hector.dominguez", level=3, role=Role.SUPERVISOR)
    services.open_ticket(
        actor=agent,
        data=services.NewTicket(
            organisation=org,
            requester=customer.person,
            subject="Cambiar el disco del servidor de caja",
            description="Cotización del disco y la mano de obra.",
            channel=Channel.PHONE,
            chargeable=True,
        ),
        now=clock.now(),
    )
    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if width == "phone" else {}
    page = new_page(browser, live_server, **options)
    try:
        log_in(page, "roberto.sanchez", password)
        new_request = page.get_by_role("button", name="Nueva solicitud")
        expect(new_request).to_be_visible()
        expect(page.get_by_role("heading", name="Esperan algo de usted")).to_be_visible()
        assert horizontal_overflow(page) == 0
        page.get_by_role("link", name="Apruebe o rechace el costo").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Cambiar el disco del servidor de caja"
        )
        expect(page.locator("#approval-title")).to_be_visible()
    finally:
        page.context.close()
