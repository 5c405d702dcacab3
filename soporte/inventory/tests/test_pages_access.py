"""Every inventory route with the personas: customers see only their organisation's devices
(pages, exports, labels' pages), stock pages are the desk's, anonymous people sign in."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from soporte.inventory import services
from soporte.inventory.models import StockCount
from soporte.inventory.tests.conftest import receive
from soporte.inventory.tests.factories import make_device


@pytest.fixture
def world(personas, now, supplier, shelf, ram):
    device_a = make_device(
        personas.agent, personas.org_a, now, serial_number="PF-A1", inventory_tag="EQ-A1"
    )
    device_b = make_device(
        personas.agent, personas.org_b, now, serial_number="PF-B1", inventory_tag="EQ-B1"
    )
    receipt = receive(personas.agent, supplier, shelf, now, (ram, 4, "300"))
    count = StockCount.objects.create(location=shelf, created_by=personas.agent, created_at=now)
    [order] = services.propose_purchase_orders(actor=personas.agent, location=shelf, now=now)
    return {
        "device_a": device_a,
        "device_b": device_b,
        "receipt": receipt,
        "movement": receipt.movements.get(),
        "count": count,
        "order": order,
        "item": ram,
        "shelf": shelf,
    }


def staff_routes(w):
    return [
        reverse("inventory:device_new"),
        reverse("inventory:device_edit", args=[w["device_a"].pk]),
        reverse("inventory:device_label", args=[w["device_a"].pk]),
        reverse("inventory:device_labels"),
        reverse("inventory:device_maintenance", args=[w["device_a"].pk]),
        reverse("inventory:device_import"),
        reverse("inventory:item_list"),
        reverse("inventory:item_new"),
        reverse("inventory:item_detail", args=[w["item"].pk]),
        reverse("inventory:item_edit", args=[w["item"].pk]),
        reverse("inventory:bin_label", args=[w["item"].pk, w["shelf"].pk]),
        reverse("inventory:stock_export", args=["csv"]),
        reverse("inventory:movement_list"),
        reverse("inventory:movement_export", args=["xlsx"]),
        reverse("inventory:movement_detail", args=[w["movement"].pk]),
        reverse("inventory:receipt_list"),
        reverse("inventory:receipt_new"),
        reverse("inventory:receipt_detail", args=[w["receipt"].pk]),
        reverse("inventory:count_list"),
        reverse("inventory:count_detail", args=[w["count"].pk]),
        reverse("inventory:order_list"),
        reverse("inventory:order_detail", args=[w["order"].pk]),
    ]


def test_staff_pages_answer_staff_and_refuse_customers(personas, world):
    agent, customer, anonymous = (personas.client(w) for w in ("agent", "customer_a", "anonymous"))
    for url in staff_routes(world):
        assert agent.get(url).status_code == 200, url
        assert customer.get(url).status_code in (403, 404), url
        response = anonymous.get(url)
        assert response.status_code == 302 and "/entrar/" in response["Location"], url


def test_customers_see_only_their_organisation_devices(personas, world):
    a, b = world["device_a"], world["device_b"]
    customer_a = personas.client("customer_a")
    page = customer_a.get(reverse("inventory:device_list")).content.decode()
    assert a.inventory_tag in page and b.inventory_tag not in page
    assert customer_a.get(reverse("inventory:device_detail", args=[a.pk])).status_code == 200
    assert customer_a.get(reverse("inventory:device_detail", args=[b.pk])).status_code == 404
    customer_b = personas.client("customer_b")
    assert customer_b.get(reverse("inventory:device_detail", args=[a.pk])).status_code == 404
    assert customer_b.get(reverse("inventory:device_detail", args=[b.pk])).status_code == 200
    # The staff see both; the supervisor too.
    for who in ("agent", "supervisor"):
        page = personas.client(who).get(reverse("inventory:device_list")).content.decode()
        assert a.inventory_tag in page and b.inventory_tag in page
    assert personas.client("anonymous").get(reverse("inventory:device_list")).status_code == 302


def test_device_export_holds_only_the_customer_organisation(personas, world):
    response = personas.client("customer_a").get(reverse("inventory:device_export", args=["csv"]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    tags = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert tags == ["EQ-A1"]
    staff = personas.client("agent").get(reverse("inventory:device_export", args=["csv"]))
    staff_tags = [
        row[0]
        for row in csv.reader(io.StringIO(b"".join(staff.streaming_content).decode("utf-8-sig")))
    ][1:]
    assert sorted(staff_tags) == ["EQ-A1", "EQ-B1"]
    assert (
        personas.client("agent").get(reverse("inventory:device_export", args=["doc"])).status_code
        == 404
    )


def test_exports_neutralise_spreadsheet_formulas(personas, now):
    make_device(
        personas.agent,
        personas.org_a,
        now,
        model='=HYPERLINK("http://x.example","clic")',
        inventory_tag="EQ-F1",
    )
    response = personas.client("agent").get(reverse("inventory:device_export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    xlsx = personas.client("agent").get(reverse("inventory:device_export", args=["xlsx"]))
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    models = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    cell = next(c for c in sheet["E"][1:] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s" and models == ['=HYPERLINK("http://x.example","clic")']


def test_device_label_is_a_pdf_with_the_device_address(personas, world, settings):
    settings.SITE_URL = "https://soporte.example.mx"
    device = world["device_a"]
    response = personas.client("agent").get(reverse("inventory:device_label", args=[device.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        f"https://soporte.example.mx/inventario/equipos/{device.pk}/".encode() in response.content
    )


def test_stock_pages_show_levels_and_flags(personas, world):
    page = personas.client("agent").get(reverse("inventory:item_list")).content.decode()
    assert "RAM-DDR4-8" in page
    assert "200,00" in page  # 4 × 300.00, in the desk's number format
    low = (
        personas.client("agent")
        .get(reverse("inventory:item_list") + "?marca=bajo")
        .content.decode()
    )
    assert "RAM-DDR4-8" in low  # 4 on hand, reorder point 5


def test_an_agent_records_an_issue_from_the_item_page(personas, world):
    device = world["device_a"]
    response = personas.client("agent").post(
        reverse("inventory:item_detail", args=[world["item"].pk]),
        {
            "kind": "issue",
            "location": world["shelf"].pk,
            "quantity": "1",
            "device": device.inventory_tag,
        },
    )
    assert response.status_code == 302
    moved = device.stock_movements.get()
    assert moved.quantity == Decimal(-1) and moved.organisation_id == device.organisation_id
    too_many = personas.client("agent").post(
        reverse("inventory:item_detail", args=[world["item"].pk]),
        {"kind": "issue", "location": world["shelf"].pk, "quantity": "50"},
    )
    assert too_many.status_code == 200
    assert "No hay existencia suficiente" in too_many.content.decode()
