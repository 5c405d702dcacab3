"""From the ring to the scorecard in Chromium (issue 20): a call from a number nobody knows
arrives through the CTI endpoint and rings in Blanca's console (websocket); she answers,
follows the protocol (the need, then the name), registers the caller as a new person of a new
organisation, opens the ticket and hangs up; she lands on the call's summary, and once the
worker has recorded the call its scorecard shows a verdict per rule."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import Browser, expect

from soporte.calls import services
from soporte.calls.models import Call
from soporte.directory.models import Person
from soporte.lib import clock
from tests.browser.test_calls_console import (  # noqa: F401 - fixtures
    asgi_server,
    console_of,
    desk,
)

pytestmark = pytest.mark.browser
UNKNOWN = "5559990000"


def _cti(base: str, token: str, **event: object) -> None:
    request = urllib.request.Request(
        f"{base}/api/v1/cti/{token}",
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 200


def test_from_ring_to_scorecard_for_a_caller_not_yet_registered(
    browser: Browser,
    asgi_server: str,  # noqa: F811
    desk,  # noqa: F811
    password,
):
    _line, secrets_ = services.create_phone_line(name="Conmutador Norte", now=clock.now())
    page = console_of(browser, asgi_server, "blanca.herrera", password)

    # The PBX announces the call and names the agent whose phone rings.
    _cti(
        asgi_server,
        secrets_.token,
        event="newCall",
        direction="in",
        callId="ring-to-scorecard",
        to="100",
        user=["blanca.herrera"],
        **{"from": UNKNOWN},
    )
    card = page.locator("#calls article.call-card")
    expect(card.locator(".rings")).to_contain_text("timbre")

    card.get_by_role("button", name="Contestar", exact=True).click()
    expect(card.locator('[data-script="greeting"]')).to_contain_text("le atiende Blanca")
    card.get_by_label("¿Qué necesita quien llama?").fill("No puede entrar al correo")
    card.get_by_role("button", name="Guardar la necesidad").click()
    card.get_by_label("Nombre de quien llama").fill("Lucía Méndez")
    card.get_by_role("button", name="Guardar el nombre").click()
    expect(card.locator(".caller-name")).to_have_text("Lucía Méndez")

    register = card.locator("[data-register-caller]")
    register.locator("summary").click()
    register.get_by_label("Nueva organización").fill("Papelería El Sol")
    register.get_by_role("button", name="Registrar").click()
    expect(page.locator("#console")).to_contain_text("Lucía Méndez quedó registrado")
    person = Person.objects.get(full_name="Lucía Méndez")
    assert (person.phone, person.organisation.name) == (UNKNOWN, "Papelería El Sol")

    card = page.locator("#calls article.call-card")
    card.get_by_role("button", name="Abrir ticket").click()
    expect(card.locator(".ticket-link")).to_be_visible()

    card.get_by_role("button", name="Colgó quien llamó").click()
    call = Call.objects.get(call_id="ring-to-scorecard")
    # The agent lands on the call's summary: its ticket and its scorecard.
    expect(page).to_have_url(re.compile(rf"/llamadas/{call.pk}/$"))
    expect(page.locator("main")).to_contain_text(call.ticket.folio)  # type: ignore[union-attr]

    # The worker records finished calls (its periodic job), here run as it runs it.
    assert services.record_finished_calls(now=clock.now()) == 1
    page.reload()
    page.locator("[data-scorecard-link]").click()
    expect(page).to_have_url(re.compile(rf"/llamadas/calidad/{call.pk}/$"))
    verdicts = page.locator("table .verdict")
    expect(verdicts.first).to_be_visible()
    assert verdicts.count() >= 10  # a line per rule
    texts = set(verdicts.all_inner_texts())
    assert "Cumple" in texts  # e.g. T1: answered before the third ring
    assert texts <= {"Cumple", "No cumple", "No aplica", "Por revisar"}
