"""A customer asks for help in the portal; an agent finds it in the queue and answers.

Two browser contexts (two people, two sessions) against one live server: the customer on a
phone, the agent at a desk.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from soporte.directory.models import ContactRole, Organisation, Role
from soporte.tickets.models import Channel, Note, SlaPolicy, Ticket

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/entrar/")
    page.locator("main form").get_by_label("Usuario").fill(username)
    page.locator("main form").get_by_label("Contraseña").fill(password)
    page.locator("main form").get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hola")


def horizontal_overflow(page: Page) -> int:
    return page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth"
        " - Math.min(window.innerWidth, document.documentElement.clientWidth))"
    )


def new_page(browser: Browser, live_server, **options) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="es-MX", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def test_customer_asks_in_the_portal_and_sees_the_agents_answer(
    browser: Browser, live_server, make_agent, make_customer, password
):
    make_agent("hector.dominguez", level=3, role=Role.SUPERVISOR, first_name="Héctor")
    make_agent("blanca.herrera", level=1, first_name="Blanca", last_name="Herrera Solís")
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    SlaPolicy.objects.create(
        level=1,
        priority="normal",
        first_response_minutes=60,
        next_update_minutes=240,
        resolution_minutes=480,
    )
    make_customer("roberto.sanchez", org, ContactRole.BOTH)

    customer = new_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    agent = new_page(browser, live_server)
    try:
        # The customer opens a request from a phone, with a screenshot of the error.
        log_in(customer, "roberto.sanchez", password)
        customer.locator("header nav").get_by_role("link", name="Mis solicitudes").click()
        customer.get_by_role("button", name="Nueva solicitud").click()
        customer.get_by_label("Asunto").fill("La impresora de recepción no imprime")
        customer.get_by_label("¿Qué sucede?").fill(
            "Desde hoy muestra una luz ámbar y el error 50.4."
        )
        customer.get_by_label("Adjuntos").set_input_files(
            {"name": "error-504.txt", "mimeType": "text/plain", "buffer": b"Error 50.4 fusor"}
        )
        customer.get_by_role("button", name="Enviar solicitud").click()

        expect(customer.get_by_role("heading", level=1)).to_have_text(
            "La impresora de recepción no imprime"
        )
        ticket = Ticket.objects.get()
        assert ticket.channel == Channel.PORTAL
        expect(customer.get_by_text(ticket.folio).first).to_be_visible()
        expect(customer.get_by_role("link", name="error-504.txt")).to_be_visible()
        expect(customer.locator("[aria-current=step]")).to_have_text("Recibida")
        assert horizontal_overflow(customer) == 0, "the portal scrolls sideways on a phone"

        # The agent finds it among the unassigned tickets of level 1, with a live countdown.
        log_in(agent, "blanca.herrera", password)
        agent.locator("header nav").get_by_role("link", name="Tickets").click()
        agent.get_by_role("link", name="Sin asignar de mi nivel").click()
        row = agent.locator(f'tr[data-ticket="{ticket.folio}"]')
        expect(row).to_contain_text("La impresora de recepción no imprime")
        expect(row).to_contain_text("Ferretería Anáhuac")

        countdown = row.locator("time[data-due]")
        expect(countdown).to_have_text(re.compile(r"^(vence en|vencido hace) \d"))
        # tickets.js keeps it current every second: move the due time five minutes back.
        countdown.evaluate("node => node.dataset.due = new Date(Date.now() - 301000).toISOString()")
        expect(countdown).to_have_text("vencido hace 5 min")
        expect(countdown).to_have_class(re.compile(r"sla-breached"))

        row.get_by_role("link", name="La impresora de recepción no imprime").click()
        expect(agent.get_by_role("heading", level=1)).to_have_text(
            "La impresora de recepción no imprime"
        )
        expect(agent.get_by_role("link", name="error-504.txt").first).to_be_visible()
        agent.get_by_role("textbox", name="Nota", exact=True).fill(
            "Hola Roberto: es el fusor. Mañana a las 10:00 pasamos a cambiarlo."
        )
        agent.get_by_role("button", name="Responder al cliente").click()
        expect(agent.get_by_role("status")).to_contain_text("el cliente la ve en el portal")
        assert Note.objects.get().internal is False

        # The customer sees the answer in the portal.
        customer.reload()
        expect(customer.locator("#conversacion")).to_contain_text(
            "Hola Roberto: es el fusor. Mañana a las 10:00 pasamos a cambiarlo."
        )
        expect(customer.locator("#conversacion")).to_contain_text("Mesa de ayuda")
    finally:
        customer.context.close()
        agent.context.close()
