"""The inventory API: the same rules and access as the pages, errors in the stable shape."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest

from soporte.inventory.models import StockBalance
from soporte.inventory.tests.factories import make_device

API = "/api/v1"


def post(client, path, data):
    return client.post(API + path, json.dumps(data), content_type="application/json")


@pytest.fixture
def devices_ab(personas, now):
    return (
        make_device(
            personas.agent, personas.org_a, now, serial_number="A-1", inventory_tag="EQ-A1"
        ),
        make_device(
            personas.agent, personas.org_b, now, serial_number="B-1", inventory_tag="EQ-B1"
        ),
    )


def test_devices_are_isolated_by_organisation(personas, devices_ab):
    a, b = devices_ab
    customer_a = personas.client("customer_a")
    listed = customer_a.get(API + "/devices").json()
    assert [d["inventory_tag"] for d in listed] == ["EQ-A1"]
    assert customer_a.get(f"{API}/devices/{b.pk}").status_code == 404
    assert customer_a.get(f"{API}/devices/{b.pk}/timeline").json()["error"]["code"] == "not_found"
    assert customer_a.get(f"{API}/devices/{a.pk}").json()["remote_access"] == []
    assert personas.client("customer_b").get(f"{API}/devices/{a.pk}").status_code == 404
    assert sorted(
        d["inventory_tag"] for d in personas.client("agent").get(API + "/devices").json()
    ) == ["EQ-A1", "EQ-B1"]
    assert personas.client("anonymous").get(API + "/devices").status_code == 401


def test_customers_cannot_write_devices_or_read_stock(personas, devices_ab, shelf, ram):
    customer = personas.client("customer_a")
    created = post(
        customer,
        "/devices",
        {"organisation_id": personas.org_a.pk, "kind": "laptop", "brand": "HP"},
    )
    assert created.status_code == 403 and created.json()["error"]["code"] == "forbidden"
    for path in (
        "/stock/items",
        f"/stock/items/{ram.pk}",
        "/stock/movements",
        "/stock/counts",
        "/stock/purchase-orders",
    ):
        response = customer.get(API + path)
        assert response.status_code == 403, path
        assert set(response.json()["error"]) == {"code", "message", "details"}


def test_register_a_device_and_refuse_a_serial_of_the_same_brand(personas, devices_ab):
    agent = personas.client("agent")
    body = {
        "organisation_id": personas.org_a.pk,
        "kind": "printer",
        "brand": "Brother",
        "serial_number": "br-1",
    }
    created = post(agent, "/devices", body)
    assert created.status_code == 201 and created.json()["serial_number"] == "BR-1"
    again = post(agent, "/devices", {**body, "brand": "BROTHER"})
    assert again.status_code == 422
    error = again.json()["error"]
    assert error["code"] == "invalid_device" and "serial_number" in error["details"]["fields"]
    bad = post(agent, "/devices", {**body, "kind": "tostadora", "serial_number": ""})
    assert bad.status_code == 422 and "kind" in bad.json()["error"]["details"]["fields"]


def test_receipt_issue_reverse_and_levels_through_the_api(
    personas, supplier, shelf, ram, ssd, devices_ab
):
    agent = personas.client("agent")
    receipt = post(
        agent,
        "/stock/receipts",
        {
            "supplier_id": supplier.pk,
            "location_id": shelf.pk,
            "invoice_number": "F-88",
            "lines": [
                {"item_id": ram.pk, "quantity": "3", "unit_cost": "310.50"},
                {"item_id": ssd.pk, "quantity": "1", "unit_cost": "700", "serials": ["SN-API-1"]},
            ],
            "document": {
                "name": "f88.pdf",
                "content_type": "application/pdf",
                "content_base64": base64.b64encode(b"%PDF-1.4").decode(),
            },
        },
    )
    assert receipt.status_code == 201, receipt.json()
    body = receipt.json()
    assert body["entry_number"] >= 2 and len(body["document_sha256"]) == 64
    assert [m["value"] for m in body["movements"]] == ["931.50", "700.00"]
    refused = post(
        agent,
        "/stock/movements",
        {"kind": "issue", "item_id": ram.pk, "location_id": shelf.pk, "quantity": "4"},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "negative_stock"
    issued = post(
        agent,
        "/stock/movements",
        {
            "kind": "issue",
            "item_id": ram.pk,
            "location_id": shelf.pk,
            "quantity": "1",
            "device_id": devices_ab[0].pk,
        },
    )
    assert issued.status_code == 201
    [movement] = issued.json()
    reversed_ = post(agent, f"/stock/movements/{movement['id']}/reverse", {"reason": "Equivocado"})
    assert reversed_.status_code == 201 and reversed_.json()[0]["reverses_id"] == movement["id"]
    item = agent.get(f"{API}/stock/items/{ram.pk}").json()
    assert item["on_hand"] == "3.000" and item["value"] == "931.50"
    assert item["balances"][0]["location_id"] == shelf.pk
    assert StockBalance.objects.get(item=ram).on_hand == Decimal(3)


def test_count_and_orders_through_the_api(personas, supplier, shelf, ram):
    agent, supervisor = personas.client("agent"), personas.client("supervisor")
    post(
        agent,
        "/stock/receipts",
        {
            "supplier_id": supplier.pk,
            "location_id": shelf.pk,
            "invoice_number": "F-1",
            "lines": [{"item_id": ram.pk, "quantity": "4", "unit_cost": "100"}],
        },
    )
    count = post(agent, "/stock/counts", {"location_id": shelf.pk}).json()
    post(
        agent,
        f"/stock/counts/{count['id']}/lines",
        {"lines": [{"item_id": ram.pk, "counted": "3"}]},
    )
    submitted = post(agent, f"/stock/counts/{count['id']}/submit", {}).json()
    assert submitted["lines"][0]["difference"] == "-1.000"
    assert post(agent, f"/stock/counts/{count['id']}/approve", {}).status_code == 403
    approved = post(supervisor, f"/stock/counts/{count['id']}/approve", {}).json()
    assert approved["status"] == "approved" and approved["entry_number"]
    [order] = post(agent, "/stock/purchase-orders/propose", {"location_id": shelf.pk}).json()
    assert order["lines"][0]["quantity"] == "17.000"  # target 20 − 3
    post(agent, f"/stock/purchase-orders/{order['id']}/place", {})
    line = order["lines"][0]["id"]
    first = post(
        agent,
        f"/stock/purchase-orders/{order['id']}/receive",
        {"invoice_number": "R-1", "lines": [{"line_id": line, "quantity": "7"}]},
    )
    assert first.status_code == 201
    assert agent.get(f"{API}/stock/purchase-orders/{order['id']}").json()["status"] == "partial"
    post(
        agent,
        f"/stock/purchase-orders/{order['id']}/receive",
        {"invoice_number": "R-2", "lines": [{"line_id": line, "quantity": "10"}]},
    )
    final = agent.get(f"{API}/stock/purchase-orders/{order['id']}").json()
    assert final["status"] == "received" and len(final["receipt_ids"]) == 2
