"""A second click on "Responder al cliente" while the first request is still on its way: the
button says it is sending, the second send never leaves the browser, and one note is made."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from soporte.directory.models import ContactRole, Organisation
from soporte.lib import clock
from soporte.tickets import services
from soporte.tickets.models import Channel, Note
from tests.browser.test_portal_ticket import log_in, new_page

pytestmark = pytest.mark.browser

# Runs in the page when the form is sent: 50 ms later (the request is held on the server),
# it reports the button's state and sends the form again, as a second click would.
SECOND_SEND = """() => {
  const button = [...document.querySelectorAll('button')]
    .find(b => b.textContent.includes('Responder al cliente'));
  const form = button.form;
  form.addEventListener('submit', () => setTimeout(() => {
    console.log('sending ' + button.disabled + ' ' + button.getAttribute('aria-busy'));
    form.requestSubmit();
  }, 50));
}"""


def test_reply_held_in_flight_is_sent_once(
    browser: Browser, live_server, make_agent, make_customer, password, monkeypatch
):
    agent = make_agent("blanca.herrera", level=1, first_name="Blanca").user
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    customer = make_customer("roberto.sanchez", org, ContactRole.BOTH)
    ticket = services.open_ticket(
        actor=agent,
        data=services.NewTicket(
            organisation=org,
            requester=customer.person,
            subject="La impresora no imprime",
            description="Luz ámbar.",
            channel=Channel.PHONE,
        ),
        now=clock.now(),
    )
    add_note = services.add_note

    def slow_add_note(**kwargs: Any) -> Note:
        time.sleep(1.5)  # the request is held on its way: a slow network or a busy desk
        return add_note(**kwargs)

    monkeypatch.setattr(services, "add_note", slow_add_note)
    page = new_page(browser, live_server)
    said: list[str] = []
    posts: list[str] = []
    page.on("console", lambda message: said.append(message.text))
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    try:
        log_in(page, "blanca.herrera", password)
        page.goto(f"/tickets/{ticket.number}/")
        page.get_by_label("Nota").fill("Cambie el tóner, por favor.")
        page.evaluate(SECOND_SEND)
        page.get_by_role("button", name="Responder al cliente").click()

        expect(
            page.get_by_text("Respuesta enviada: el cliente la ve en el portal.")
        ).to_be_visible()
        assert "sending true true" in said
        assert [url for url in posts if "/notas/" in url] == [
            f"{live_server.url}/tickets/{ticket.number}/notas/"
        ]
        assert Note.objects.filter(ticket=ticket, body="Cambie el tóner, por favor.").count() == 1
    finally:
        page.context.close()
