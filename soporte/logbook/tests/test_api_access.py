"""The bitácora API: same rules as the services, and a customer reads only its organisation's."""

from __future__ import annotations

import base64
import json

import pytest

from soporte.api import api
from soporte.logbook import services
from soporte.logbook.models import Entry
from soporte.logbook.verify import verify_file

from .conftest import add_maintenance, add_note

PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 32


@pytest.fixture
def logbook_b(personas, now):
    return services.open_logbook(
        actor=personas.supervisor,
        organisation=personas.org_b,
        title="Bitácora de la clínica",
        contract_reference="CS-2026-022",
        countersign_days=2,
        customer_signers=[personas.customer_b],
        fields={"desk_party": "Mesa", "customer_party": "Clínica", "contract": "x", "scope": "y"},
        now=now,
    )


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def test_customer_lists_only_its_logbook(personas, logbook, logbook_b):
    ids = [lb["id"] for lb in personas.client("customer_a").get("/api/v1/logbooks").json()]
    assert ids == [logbook.pk]
    staff_ids = {lb["id"] for lb in personas.client("agent").get("/api/v1/logbooks").json()}
    assert {logbook.pk, logbook_b.pk} <= staff_ids


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "/entries"),
        ("get", "/entries/1"),
        ("post", "/entries"),
        ("post", "/entries/1/countersign"),
        ("post", "/entries/1/annul"),
        ("post", "/export"),
    ],
)
def test_customer_a_gets_404_for_every_route_of_b(personas, logbook_b, method, suffix):
    client = personas.client("customer_a")
    path = f"/api/v1/logbooks/{logbook_b.pk}{suffix}"
    response = (
        client.get(path)
        if method == "get"
        else post(client, path, {"reason": "x", "kind": "note", "summary": "x"})
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_gets_401(personas, logbook):
    assert (
        personas.client("anonymous").get(f"/api/v1/logbooks/{logbook.pk}/entries").status_code
        == 401
    )


def test_agent_creates_a_maintenance_entry_and_the_api_lists_what_is_missing(personas, logbook):
    client = personas.client("agent")
    response = post(
        client,
        f"/api/v1/logbooks/{logbook.pk}/entries",
        {"kind": "corrective", "summary": "No enciende", "fields": {"user_name": "Roberto"}},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "missing_elements"
    assert "diagnosis" in error["details"]["missing"]


def test_customer_countersigns_with_a_drawing_through_the_api(personas, logbook, now):
    add_maintenance(logbook, personas.agent, now)
    client = personas.client("customer_a")
    response = post(
        client,
        f"/api/v1/logbooks/{logbook.pk}/entries/2/countersign",
        {
            "method": "on_site",
            "drawn_png_base64": "data:image/png;base64," + base64.b64encode(PNG).decode(),
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "countersigned"
    assert any(s["has_drawing"] and s["role"] == "reporting" for s in body["signatures"])


def test_customer_cannot_write_or_annul(personas, logbook, now):
    add_note(logbook, personas.agent, now)
    client = personas.client("customer_a")
    write = post(
        client, f"/api/v1/logbooks/{logbook.pk}/entries", {"kind": "corrective", "summary": "x"}
    )
    annul = post(
        client, f"/api/v1/logbooks/{logbook.pk}/entries/2/annul", {"reason": "no me gusta"}
    )
    assert write.status_code == 403
    assert annul.status_code == 403
    assert Entry.objects.filter(logbook=logbook).count() == 2


def test_annul_with_correction_shows_the_chain(personas, logbook, now):
    add_note(logbook, personas.agent, now, summary="Se instaló Office 2019")
    client = personas.client("agent")
    response = post(
        client,
        f"/api/v1/logbooks/{logbook.pk}/entries/2/annul",
        {"reason": "Era Office 2021", "correction": {"summary": "Se instaló Office 2021"}},
    )
    assert response.status_code == 201
    annulment, corrected = response.json()
    assert (annulment["kind"], annulment["references"]) == ("annulment", 2)
    assert (corrected["summary"], corrected["references"]) == ("Se instaló Office 2021", 2)
    original = client.get(f"/api/v1/logbooks/{logbook.pk}/entries/2").json()
    assert original["referenced_by"] == [3, 4]
    assert original["summary"] == "Se instaló Office 2019"


def test_customer_exports_its_logbook_and_it_verifies(personas, logbook, now, tmp_path):
    add_note(logbook, personas.agent, now)
    response = personas.client("customer_a").post(f"/api/v1/logbooks/{logbook.pk}/export")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    assert verify_file(str(path), workers=1).ok


def test_timeline_is_filtered_by_organisation(personas, logbook, logbook_b, now):
    subject = services.Subject("ticket", "SOP-000001", "Impresora")
    add_note(logbook, personas.agent, now, subject=subject)
    add_note(logbook_b, personas.agent, now, subject=subject)
    path = "/api/v1/timeline?subject_type=ticket&subject_id=SOP-000001"
    assert len(personas.client("agent").get(path).json()) == 2
    assert len(personas.client("customer_a").get(path).json()) == 1


def test_every_logbook_route_is_covered_here():
    covered = {
        "/api/v1/logbooks",
        "/api/v1/logbooks/{logbook_id}",
        "/api/v1/logbooks/{logbook_id}/entries",
        "/api/v1/logbooks/{logbook_id}/entries/{number}",
        "/api/v1/logbooks/{logbook_id}/entries/{number}/countersign",
        "/api/v1/logbooks/{logbook_id}/entries/{number}/annul",
        "/api/v1/logbooks/{logbook_id}/export",
        "/api/v1/timeline",
    }
    schema = api.get_openapi_schema()
    paths = {
        p
        for p, ops in schema["paths"].items()
        if any("bitacora" in o.get("tags", []) for o in ops.values())
    }
    assert paths == covered
