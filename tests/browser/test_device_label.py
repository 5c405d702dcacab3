"""An agent scans a device's label with a phone: the label's address opens the device page
(after signing in), and the device's history is there, readable on a phone-sized screen."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from soporte.directory.models import ContactRole, Organisation, Role
from soporte.inventory import devices, labels, services
from soporte.inventory.models import Location, LocationKind, StockItem, Supplier
from soporte.lib import clock
from soporte.logbook import services as logbook
from soporte.logbook.models import EntryKind
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}


def test_agent_scans_a_device_label_and_sees_its_timeline(
    browser: Browser, live_server, settings, make_agent, make_customer, password
):
    settings.SITE_URL = live_server.url
    now = clock.now()
    supervisor = make_agent("hector.dominguez", level=3, role=Role.SUPERVISOR).user
    agent = make_agent("blanca.herrera", first_name="Blanca", last_name="Herrera Solís").user
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    customer = make_customer("roberto.sanchez", org, ContactRole.BOTH)
    device = devices.register_device(
        actor=agent,
        data=devices.DeviceData(
            organisation=org,
            kind="printer",
            brand="HP",
            model="LaserJet Pro M404dn",
            serial_number="VNB3K12345",
            owner=customer.person,
            location="Almacén",
        ),
        now=now - dt.timedelta(days=3),
    )
    ticket = tickets.open_ticket(
        actor=agent,
        data=tickets.NewTicket(
            organisation=org,
            requester=customer.person,
            subject="La impresora no alimenta papel",
            description="Atasca cada hoja.",
            channel=Channel.PHONE,
        ),
        now=now - dt.timedelta(days=2),
    )
    ticket.device = device
    ticket.save(update_fields=["device"])
    book = logbook.open_logbook(
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
        now=now - dt.timedelta(days=2),
    )
    logbook.append_entry(
        logbook=book,
        kind=EntryKind.CORRECTIVE,
        author=agent,
        summary="Cambio del rodillo de alimentación",
        fields={
            "user_name": str(customer),
            "evaluated_date": now.date().isoformat(),
            "addressee_name": str(agent),
            "damage_at": now.isoformat(timespec="minutes"),
            "description": "Atasca cada hoja.",
            **devices.maintenance_elements(device),
            "diagnosis": "Rodillo desgastado.",
            "observations": "Se cambió el rodillo.",
            "reporting_name": str(customer),
        },
        subject=logbook.Subject("equipment", device.subject_id, str(device)),
        now=now - dt.timedelta(days=1),
    )
    shelf = Location.objects.create(code="A", name="Estante A", kind=LocationKind.SHELF)
    roller = StockItem.objects.create(
        sku="ROD-M404", name="Kit de rodillos HP M404", created_at=now
    )
    services.receive_stock(
        actor=agent,
        supplier=Supplier.objects.create(name="Distribuidora"),
        location=shelf,
        invoice_number="F-1",
        lines=[services.ReceiptLine(roller, Decimal(2), Decimal("980"))],
        now=now,
    )
    services.issue_stock(
        actor=agent,
        item=roller,
        location=shelf,
        quantity=Decimal(1),
        device=device,
        ticket=ticket,
        now=now,
    )

    # The label carries the device's address (printed under the QR code, drawn from the same
    # string), and that address is what the phone opens.
    pdf = labels.devices_pdf([device])
    printed = re.search(rb"\((https?://[^)]+)\) Tj", pdf)
    assert printed is not None
    url = printed.group(1).decode()
    assert url == labels.device_url(device) and url.startswith(live_server.url)

    context = browser.new_context(locale="es-MX", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(url)
        expect(page).to_have_url(re.compile(r"/entrar/"))
        page.locator("main form").get_by_label("Usuario").fill("blanca.herrera")
        page.locator("main form").get_by_label("Contraseña").fill(password)
        page.locator("main form").get_by_role("button", name="Entrar").click()
        expect(page).to_have_url(url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(device.inventory_tag)
        timeline = page.locator("#timeline")
        expect(timeline).to_be_visible()
        expect(timeline.locator("li")).to_have_count(3)
        expect(timeline).to_contain_text("La impresora no alimenta papel")
        expect(timeline).to_contain_text("Cambio del rodillo de alimentación")
        expect(timeline).to_contain_text("ROD-M404")
        # Readable on the phone: nothing wider than the screen, the history near the top.
        overflow = page.evaluate(
            "Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)"
        )
        assert overflow == 0
        assert timeline.bounding_box()["y"] < 844 * 2
        # From the timeline, one tap opens the maintenance entry.
        timeline.get_by_role("link", name=re.compile("Cambio del rodillo")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Mantenimiento correctivo")
        expect(page.locator("main")).to_contain_text("Cambio del rodillo de alimentación")
    finally:
        context.close()
