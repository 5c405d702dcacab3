"""An agent signs in through the real login form and is greeted in Spanish (or English)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import translation
from playwright.sync_api import Browser, Page, ViewportSize, expect

pytestmark = pytest.mark.browser

ENGLISH_PO = (
    Path(__file__).resolve().parents[2] / "soporte" / "locale" / "en" / "LC_MESSAGES" / "django.po"
)
PHONE: ViewportSize = {"width": 390, "height": 844}


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/entrar/")
    page.locator("main form").get_by_label("Usuario").fill(username)
    page.locator("main form").get_by_label("Contraseña").fill(password)
    page.locator("main form").get_by_role("button", name="Entrar").click()


def english_for(msgid: str) -> str:
    """The English translation of `msgid`, or "" when the catalogue does not have one yet."""
    if not ENGLISH_PO.exists():
        return ""
    with ENGLISH_PO.open("rb") as po:
        catalog = read_po(po)
    message = catalog.get(msgid)
    if message is None or message.fuzzy or not isinstance(message.string, str):
        return ""
    return message.string


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the phone's screen (0 when it fits).

    Measured against the layout viewport (clientWidth, the 390 px of the device): with mobile
    emulation Chromium zooms out to fit wide content, so window.innerWidth grows with the
    overflow and `scrollWidth <= innerWidth` would always hold.
    """
    return page.evaluate(
        "Math.max(0, document.documentElement.scrollWidth"
        " - Math.min(window.innerWidth, document.documentElement.clientWidth))"
    )


def test_agent_logs_in_and_is_greeted_in_spanish(
    browser_page: Page, live_server, make_agent, password
):
    make_agent("blanca.herrera", first_name="Blanca", last_name="Herrera Solís")
    page = browser_page

    log_in(page, "blanca.herrera", password)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hola, Blanca")
    expect(page.locator("header nav").get_by_role("link", name="Agentes")).to_be_visible()


def test_wrong_password_keeps_the_agent_on_the_login_page(browser_page: Page, make_agent):
    make_agent("blanca.herrera", first_name="Blanca")
    page = browser_page

    log_in(page, "blanca.herrera", "no-es-la-contraseña")

    expect(page.get_by_role("alert")).to_contain_text("Usuario o contraseña incorrectos")
    expect(page.locator("main form").get_by_label("Usuario")).to_have_value("blanca.herrera")
    assert page.url.endswith("/entrar/")


def test_login_and_agents_pages_fit_a_phone_screen(
    browser: Browser, live_server, make_agent, password
):
    make_agent("blanca.herrera", first_name="Blanca", last_name="Herrera Solís")
    make_agent("maria.lopez", level=2, first_name="María Fernanda", last_name="López Aguilar")
    make_agent("rodrigo.villalobos", level=3, first_name="Rodrigo", last_name="Villalobos Garza")
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="es-MX"
    )
    page = context.new_page()
    try:
        page.goto("/entrar/")
        assert horizontal_overflow(page) == 0, "the login page scrolls sideways on a phone"

        log_in(page, "blanca.herrera", password)
        expect(page.get_by_role("heading", level=1)).to_have_text("Hola, Blanca")
        page.goto("/directorio/agentes/")
        expect(page.get_by_text("Villalobos Garza")).to_be_visible()
        assert horizontal_overflow(page) == 0, "the agents page scrolls sideways on a phone"
    finally:
        context.close()


def test_choosing_english_switches_the_interface(browser_page: Page, make_agent, password):
    make_agent("blanca.herrera", first_name="Blanca")
    page = browser_page
    log_in(page, "blanca.herrera", password)
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # The select submits its form on change; wait for the page that comes back.
    with page.expect_navigation():
        page.locator("header form select[name=language]").select_option("en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header select[name=language]")).to_have_value("en")
    agents_in_english = english_for("Agentes")
    if agents_in_english:
        with translation.override("en"):
            served = translation.gettext("Agentes")
        assert served == agents_in_english, (
            "django.po translates 'Agentes' but the compiled catalogue does not: run `make messages`"
        )
        nav = page.locator("header nav")
        expect(nav.get_by_role("link", name=agents_in_english, exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name="Agentes", exact=True)).to_have_count(0)
