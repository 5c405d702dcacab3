"""Every shop route with the personas: a customer sees their own organisation's repairs,
quotes and receipts (another's is a 404), the counter's pages are the desk's, anonymous
people sign in first."""

from __future__ import annotations

import pytest
from django.urls import reverse

from soporte.workshop.models import Repair
from soporte.workshop.tests.conftest import receive_repair


@pytest.fixture
def repairs(personas, now, device_a, device_b):
    return (
        receive_repair(personas.agent, device_a, personas.person_a, now),
        receive_repair(personas.agent, device_b, personas.person_b, now),
    )


def _own_routes(repair):
    return [
        reverse("workshop:repair_detail", args=[repair.pk]),
        reverse("workshop:repair_receipt", args=[repair.pk]),
    ]


def test_each_persona_sees_only_what_is_theirs(personas, repairs):
    repair_a, repair_b = repairs
    expected = {
        "agent": {repair_a.pk: 200, repair_b.pk: 200},
        "supervisor": {repair_a.pk: 200, repair_b.pk: 200},
        "customer_a": {repair_a.pk: 200, repair_b.pk: 404},
        "customer_b": {repair_a.pk: 404, repair_b.pk: 200},
    }
    for who, codes in expected.items():
        client = personas.client(who)
        for repair in repairs:
            for url in _own_routes(repair):
                assert client.get(url).status_code == codes[repair.pk], (who, url)
    anonymous = personas.client("anonymous")
    for repair in repairs:
        for url in [*_own_routes(repair), reverse("workshop:repair_list")]:
            response = anonymous.get(url)
            assert response.status_code == 302 and "/entrar/" in response["Location"], url


def test_the_portal_list_shows_only_the_customers_repairs(personas, repairs):
    repair_a, repair_b = repairs
    page = personas.client("customer_a").get(reverse("workshop:repair_list")).content.decode()
    assert repair_a.folio in page and repair_b.folio not in page
    page = personas.client("agent").get(reverse("workshop:repair_list")).content.decode()
    assert repair_a.folio in page and repair_b.folio in page


def test_counter_pages_and_buttons_are_the_desks(personas, repairs):
    repair_a, repair_b = repairs
    for who in ("customer_a", "customer_b"):
        client = personas.client(who)
        assert client.get(reverse("workshop:repair_new")).status_code == 403
        for action in ("diagnosticar", "piezas", "entregar"):
            response = client.post(reverse("workshop:repair_action", args=[repair_a.pk, action]))
            assert response.status_code in (403, 404), (who, action)
    assert Repair.objects.get(pk=repair_a.pk).status == "received"
    assert personas.client("agent").get(reverse("workshop:repair_new")).status_code == 200
    # Another organisation's signature page is a 404 to a customer.
    sign_b = reverse("workshop:repair_sign", args=[repair_b.pk, "recepcion"])
    assert personas.client("customer_a").get(sign_b).status_code == 404


def test_the_agent_starts_the_diagnosis_from_the_page(personas, repairs):
    repair_a, _b = repairs
    response = personas.client("agent").post(
        reverse("workshop:repair_action", args=[repair_a.pk, "diagnosticar"])
    )
    assert response.status_code == 302
    assert Repair.objects.get(pk=repair_a.pk).status == "diagnosing"
