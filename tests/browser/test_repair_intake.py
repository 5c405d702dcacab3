"""The counter's intake on a phone: the agent records the device, the customer draws their
signature and types their password on the same phone, and the receipt's QR code opens the
repair in the customer's portal."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Browser, expect

from soporte.directory.models import ContactRole, Organisation, Role
from soporte.inventory import devices
from soporte.logbook import services as logbook
from soporte.logbook.models import Signature, SignatureMethod
from soporte.workshop import receipts, services
from soporte.workshop.models import Repair
from soporte.workshop.tests import qr
from soporte.workshop.tests.test_intake_photos_and_receipt import camera_jpeg
from tests.browser.test_countersign import PHONE, draw_with_finger, log_in, page_overflow

pytestmark = pytest.mark.browser


def test_intake_on_a_phone_signed_by_drawing_and_the_receipt_qr_opens_the_portal(
    browser: Browser, live_server, settings, make_agent, make_customer, password, tmp_path
):
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    expect.set_options(timeout=30_000)  # a loaded machine; restored at the end
    now = timezone.now()
    supervisor = make_agent("hector.dominguez", level=3, role=Role.SUPERVISOR).user
    make_agent("blanca.herrera", first_name="Blanca", last_name="Herrera")
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    customer = make_customer("roberto.sanchez", org, ContactRole.BOTH)
    device = devices.register_device(
        actor=supervisor,
        data=devices.DeviceData(
            organisation=org, kind="laptop", brand="Lenovo", model="ThinkPad T14"
        ),
        now=now,
    )
    logbook.open_logbook(
        actor=supervisor,
        organisation=org,
        title="Bitácora del contrato CS-2026-014",
        contract_reference="CS-2026-014",
        countersign_days=2,
        customer_signers=[customer],
        fields={
            "desk_party": "Mesa",
            "customer_party": org.name,
            "contract": "CS",
            "scope": "Equipos",
        },
        now=now,
    )
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="es-MX"
    )
    context.set_default_timeout(60_000)  # a loaded machine
    page = context.new_page()
    try:
        log_in(page, "blanca.herrera", password)
        page.goto(f"/taller/reparaciones/nueva/?organizacion={org.pk}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Recibir equipo")
        assert page_overflow(page) == 0, "the intake form scrolls sideways on a phone"
        form = page.locator("#intake")
        form.get_by_label("Equipo registrado").select_option(str(device.pk))
        form.get_by_label("Entrega el equipo").select_option(str(customer.person.pk))
        form.get_by_label("Falla reportada").fill("No enciende después de un apagón")
        form.get_by_label("Estado físico").fill("Rayón en la tapa; falta la tecla F5")
        form.get_by_label("Accesorios que deja").fill("Cargador original")
        form.get_by_label("Presupuesto estimado").fill("850")
        # A photo from the phone's camera (with its EXIF), as the counter takes it.
        form.get_by_label("Fotos del equipo").set_input_files(
            [{"name": "tapa.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg((1200, 900))}]
        )
        form.get_by_role("button", name="Recibir y pasar a la firma").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Firma del cliente")
        assert page_overflow(page) == 0, "the signing page scrolls sideways on a phone"
        sign = page.get_by_role("button", name="Firmar", exact=True)
        expect(sign).to_be_disabled()
        draw_with_finger(page, context)
        expect(sign).to_be_enabled()
        page.get_by_label("Contraseña del portal de quien firma").fill(password)
        sign.click()

        expect(page.locator("#intake-signature")).to_contain_text(
            "Recepción firmada por el cliente"
        )
        connection.close()  # read what the live server committed
        repair = Repair.objects.get()
        signature = Signature.objects.get(entry=repair.intake_entry, signer=customer)
        assert signature.method == SignatureMethod.ON_SITE
        assert bytes(signature.drawn_png or b"").startswith(b"\x89PNG")
        (photo,) = repair.photos.all()
        shown = page.request.get(f"/taller/reparaciones/{repair.pk}/fotos/{photo.key}.jpg")
        assert shown.status == 200 and shown.headers["content-type"] == "image/jpeg"

        # The receipt, as the counter prints it: its QR code is the portal address printed under it.
        response = page.request.get(f"/taller/reparaciones/{repair.pk}/recibo.pdf")
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
        pdf = response.body()
        printed = re.search(rb"\((https?://[^)]+)\) Tj", pdf)
        assert printed is not None
        url = printed.group(1).decode()
        assert url == services.portal_url(repair) and url.startswith(live_server.url)
        assert qr.encodes(pdf, url)
        assert repair.folio.encode() in pdf and b"Firmado por el cliente" in pdf
        assert receipts.QR_SIZE > 0
    finally:
        context.close()

    # The customer scans it with their own phone: after signing in, their repair.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="es-MX")
    phone.set_default_timeout(60_000)
    mine = phone.new_page()
    try:
        mine.goto(url)
        expect(mine).to_have_url(re.compile(r"/entrar/"))
        mine.locator("main form").get_by_label("Usuario").fill("roberto.sanchez")
        mine.locator("main form").get_by_label("Contraseña").fill(password)
        mine.locator("main form").get_by_role("button", name="Entrar").click()
        expect(mine).to_have_url(url)
        expect(mine.get_by_role("heading", level=1)).to_contain_text(repair.folio)
        expect(mine.locator("#status")).to_have_text("Recibido")
        expect(mine.locator("main")).to_contain_text("No enciende después de un apagón")
        assert page_overflow(mine) == 0
    finally:
        phone.close()
        expect.set_options(timeout=5_000)
