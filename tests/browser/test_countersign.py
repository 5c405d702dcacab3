"""A customer countersigns a bitácora entry by drawing on a phone (on site, or on their own)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from soporte.logbook import services
from soporte.logbook.models import Entry, EntryKind, Signature, SignatureMethod

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MAINTENANCE = {
    "user_name": "Roberto Sánchez",
    "evaluated_date": "2026-11-23",
    "addressee_name": "Diego Castillo",
    "damage_at": "2026-11-22T17:40",
    "description": "La impresora de almacén no imprime y muestra luz ámbar.",
    "device_data": "HP LaserJet M404dn, serie VNB3K12345",
    "general_data": "Almacén, planta baja",
    "diagnosis": "Rodillo de alimentación desgastado.",
    "observations": "Se sustituyó el rodillo; quedó imprimiendo.",
    "reporting_name": "Roberto Sánchez",
}


@pytest.fixture
def entry(personas) -> Entry:
    now = timezone.now()
    logbook = services.open_logbook(
        actor=personas.supervisor,
        organisation=personas.org_a,
        title="Bitácora del contrato CS-2026-014",
        contract_reference="CS-2026-014",
        countersign_days=2,
        customer_signers=[personas.customer_a],
        fields={
            "desk_party": "Mesa",
            "customer_party": "Ferretería",
            "contract": "x",
            "scope": "y",
        },
        now=now,
    )
    return services.append_entry(
        logbook=logbook,
        kind=EntryKind.CORRECTIVE,
        author=personas.agent,
        summary="Cambio del rodillo de la impresora del almacén",
        fields=MAINTENANCE,
        now=now,
    )


@pytest.fixture
def phone(browser: Browser, live_server) -> BrowserContext:
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="es-MX",
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/entrar/")
    page.locator("main form").get_by_label("Usuario").fill(username)
    page.locator("main form").get_by_label("Contraseña").fill(password)
    page.locator("main form").get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hola")


def draw_with_mouse(page: Page) -> None:
    page.locator("canvas[data-signature-pad]").scroll_into_view_if_needed()
    box = page.locator("canvas[data-signature-pad]").bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x + w * (0.1 + 0.035 * i), y + h * (0.7 - 0.4 * ((i % 5) / 5)))
    page.mouse.up()


def draw_with_finger(page: Page, context: BrowserContext) -> None:
    """A finger stroke through Chromium's touch emulation (pointer events of type touch)."""
    page.locator("canvas[data-signature-pad]").scroll_into_view_if_needed()
    box = page.locator("canvas[data-signature-pad]").bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    cdp = context.new_cdp_session(page)
    points = [(x + w * (0.2 + 0.03 * i), y + h * (0.45 + 0.02 * (i % 4))) for i in range(20)]
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [dict(zip("xy", points[0], strict=True))]},
    )
    for point in points[1:]:
        cdp.send(
            "Input.dispatchTouchEvent",
            {"type": "touchMove", "touchPoints": [dict(zip("xy", point, strict=True))]},
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def page_overflow(page: Page) -> int:
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def assert_signed_with_drawing(page: Page, entry: Entry, signer) -> None:
    expect(page.locator(".entry-title")).to_contain_text(
        re.compile("firmada por el cliente", re.IGNORECASE)
    )
    image = page.locator("img.drawn")
    expect(image).to_be_visible()
    served = page.request.get(image.get_attribute("src") or "")
    assert served.status == 200
    assert served.headers["content-type"] == "image/png"
    assert served.body().startswith(b"\x89PNG")
    connection.close()  # read what the live server committed, not a cached view
    signature = Signature.objects.get(entry=entry, signer=signer)
    assert signature.method == SignatureMethod.ON_SITE
    assert bytes(signature.drawn_png or b"") == served.body()


def test_customer_draws_on_the_technicians_phone_and_types_their_password(
    personas, entry, phone, password
):
    page = phone.new_page()
    log_in(page, personas.agent.username, password)
    page.goto(f"/bitacora/{entry.logbook_id}/notas/{entry.number}/")
    page.get_by_role("button", name="Firma en sitio").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Firma en sitio")
    assert page_overflow(page) == 0, "the signing page scrolls sideways on a phone"
    expect(page.get_by_label("¿Quién firma?")).to_have_value(str(personas.customer_a.pk))
    sign = page.get_by_role("button", name="Firmar", exact=True)
    expect(sign).to_be_disabled()

    draw_with_finger(page, phone)
    draw_with_mouse(page)
    expect(sign).to_be_enabled()

    # A wrong password is refused and nothing is signed; the drawing is kept for the retry.
    page.get_by_label("Contraseña del portal de quien firma").fill("no-es-la-contraseña")
    sign.click()
    expect(page.get_by_text("La contraseña no es correcta; no se firmó la nota.")).to_be_visible()
    assert not Signature.objects.filter(entry=entry, signer=personas.customer_a).exists()
    expect(sign).to_be_enabled()

    page.get_by_label("Contraseña del portal de quien firma").fill(password)
    sign.click()

    expect(page.get_by_role("status")).to_contain_text("firmada en sitio por Roberto Prueba")
    assert_signed_with_drawing(page, entry, personas.customer_a)


def test_customer_signs_on_their_own_phone(personas, entry, phone, password):
    page = phone.new_page()
    log_in(page, personas.customer_a.username, password)
    page.goto(f"/bitacora/{entry.logbook_id}/notas/{entry.number}/")
    expect(page.get_by_role("button", name="Firmar en el portal")).to_be_visible()
    page.get_by_role("button", name="Firma en sitio").click()
    expect(page.get_by_label("Contraseña del portal de quien firma")).to_have_count(0)

    draw_with_finger(page, phone)
    page.get_by_role("button", name="Borrar").click()
    expect(page.get_by_role("button", name="Firmar", exact=True)).to_be_disabled()
    draw_with_finger(page, phone)
    page.get_by_role("button", name="Firmar", exact=True).click()

    assert_signed_with_drawing(page, entry, personas.customer_a)
    assert page_overflow(page) == 0, "the entry page scrolls sideways on a phone"
