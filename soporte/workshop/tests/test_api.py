"""The shop's API with the personas: repairs, quotes and receipts isolated by organisation,
the decision-maker decides in the portal, the counter's work and the books are the desk's,
errors in the stable shape."""

from __future__ import annotations

import json

from soporte.workshop import sales
from soporte.workshop.models import Repair
from soporte.workshop.tests.conftest import receive, receive_repair

API = "/api/v1"


def post(client, path, data=None):
    return client.post(API + path, json.dumps(data or {}), content_type="application/json")


def test_a_repair_through_the_api_from_intake_to_delivery(
    personas, now, device_a, ram, shelf, supplier
):
    receive(personas.agent, supplier, shelf, now, (ram, 2, "400"))
    agent, customer = personas.client("agent"), personas.client("customer_a")
    created = post(
        agent,
        "/repairs",
        {
            "device_id": device_a.pk,
            "brought_by_id": personas.person_a.pk,
            "fault": "No carga",
            "condition": "Bien",
        },
    )
    assert created.status_code == 201, created.content
    repair = created.json()
    assert repair["folio"].startswith("R-") and repair["portal_url"].endswith(
        f"/taller/reparaciones/{repair['id']}/"
    )
    assert post(agent, f"/repairs/{repair['id']}/diagnosis").status_code == 200
    quote = post(
        agent,
        f"/repairs/{repair['id']}/quotes",
        {
            "diagnosis": "Conector dañado",
            "labour": "600",
            "parts": [
                {"item_id": ram.pk, "location_id": shelf.pk, "quantity": "1", "unit_price": "650"}
            ],
        },
    )
    assert quote.status_code == 201 and quote.json()["total"] == "1250.00"
    quote_id = quote.json()["id"]
    # Customer B cannot even see it; customer A (decision-maker) decides.
    other = personas.client("customer_b")
    assert other.get(f"{API}/repairs/{repair['id']}").status_code == 404
    denied = post(other, f"/repairs/{repair['id']}/quotes/{quote_id}/decision", {"approve": True})
    assert denied.status_code == 404
    decided = post(
        customer, f"/repairs/{repair['id']}/quotes/{quote_id}/decision", {"approve": True}
    )
    assert decided.status_code == 200 and decided.json()["channel"] == "portal"
    again = post(
        customer, f"/repairs/{repair['id']}/quotes/{quote_id}/decision", {"approve": False}
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "already_decided"
    # The counter's work is the desk's.
    refused = post(
        customer, f"/repairs/{repair['id']}/repaired", {"work_done": "x", "labour_minutes": 1}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert (
        post(
            agent,
            f"/repairs/{repair['id']}/repaired",
            {"work_done": "Conector", "labour_minutes": 50},
        ).status_code
        == 200
    )
    delivered = post(
        agent,
        f"/repairs/{repair['id']}/delivery",
        {"handed_back": "Laptop", "payment_method": "cash", "amount": "1250"},
    )
    assert delivered.status_code == 200 and delivered.json()["amount_charged"] == "1450.00"
    detail = customer.get(f"{API}/repairs/{repair['id']}").json()
    assert detail["status"] == "delivered" and detail["quotes"][0]["status"] == "approved"
    # Receipts: the customer sees the repair's sale without its cost; B sees nothing.
    [sale] = customer.get(API + "/sales").json()
    assert sale["repair_id"] == repair["id"] and sale["cost"] is None
    assert other.get(API + "/sales").json() == []
    assert other.get(f"{API}/sales/{sale['id']}").status_code == 404
    assert agent.get(f"{API}/sales/{sale['id']}").json()["cost"] == "400.00"


def test_lists_are_isolated_and_bad_input_is_refused_in_the_stable_shape(
    personas, now, device_a, device_b
):
    receive_repair(personas.agent, device_a, personas.person_a, now)
    receive_repair(personas.agent, device_b, personas.person_b, now)
    a = personas.client("customer_a").get(API + "/repairs").json()
    assert [r["organisation_id"] for r in a] == [personas.org_a.pk]
    assert len(personas.client("supervisor").get(API + "/repairs").json()) == 2
    assert personas.client("anonymous").get(API + "/repairs").status_code == 401
    too_long = post(
        personas.client("agent"),
        "/repairs",
        {
            "device_id": device_a.pk,
            "brought_by_id": personas.person_a.pk,
            "fault": "x" * 2001,
            "condition": "y",
        },
    )
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "invalid_input"
    aux = post(
        personas.client("agent"),
        "/repairs",
        {
            "device_id": device_a.pk,
            "brought_by_id": personas.person_a.pk,
            "fault": "x",
            "condition": "y",
            "auxiliary": True,
        },
    )
    assert aux.json()["error"]["code"] == "auxiliary_not_acknowledged"
    customer_intake = post(
        personas.client("customer_a"),
        "/repairs",
        {
            "device_id": device_a.pk,
            "brought_by_id": personas.person_a.pk,
            "fault": "x",
            "condition": "y",
        },
    )
    assert customer_intake.status_code == 403
    assert Repair.objects.count() == 2


def test_sales_register_and_book_are_the_desks(personas, now):
    sales.sell(
        actor=personas.agent,
        lines=[sales.Line("Servicio", "1", "500")],
        payment_method="cash",
        now=now,
    )
    agent = personas.client("agent")
    created = post(
        agent,
        "/sales",
        {
            "payment_method": "card",
            "lines": [{"description": "Limpieza", "quantity": "1", "unit_price": "99.99"}],
        },
    )
    assert created.status_code == 201 and created.json()["tax"] == "16.00"
    bad = post(agent, "/sales", {"payment_method": "card", "lines": []})
    assert bad.status_code == 422
    day = now.date().isoformat()
    book = agent.get(
        f"{API}/workshop/sales-book", {"date_from": day, "date_to": day, "grain": "day"}
    ).json()
    assert book[0]["revenue"] == "599.99" and book[0]["documents"] == 2
    assert (
        agent.get(f"{API}/workshop/register", {"date_from": day, "date_to": day}).status_code == 200
    )
    wrong = agent.get(f"{API}/workshop/sales-book", {"date_from": day, "date_to": "2020-01-01"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "bad_range"
    for who in ("customer_a", "customer_b"):
        client = personas.client(who)
        assert client.get(f"{API}/workshop/sales-book").status_code == 403
        assert client.get(f"{API}/workshop/register").status_code == 403
        assert (
            post(
                client,
                "/sales",
                {
                    "payment_method": "cash",
                    "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
                },
            ).status_code
            == 403
        )
        assert client.get(API + "/sales").json() == []  # walk-in sales belong to no organisation
