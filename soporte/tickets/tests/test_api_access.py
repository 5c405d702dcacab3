"""Tickets API: every endpoint under the same rules and organisation isolation as the pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from soporte.api import api
from soporte.directory.models import Agent
from soporte.tickets import attachments, services
from soporte.tickets.models import Channel, Ticket


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


@pytest.fixture
def ticket_b(personas, now):
    return services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_b,
            requester=personas.person_b,
            subject="Recetas",
            description="No imprime",
            channel=Channel.EMAIL,
        ),
        now=now,
    )


ROUTES = [
    ("get", ""),
    ("post", "/status"),
    ("post", "/notes"),
    ("post", "/escalate"),
    ("post", "/assign"),
    ("post", "/priority"),
    ("get", "/attachments/1"),
]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_customer_a_gets_404_for_every_route_of_a_b_ticket(personas, ticket_b, method, suffix):
    client = personas.client("customer_a")
    path = f"/api/v1/tickets/{ticket_b.number}{suffix}"
    body = {
        "status": "cancelled",
        "body": "hola",
        "to_level": 2,
        "customer_name": "x",
        "reason": "x",
        "tried": "x",
        "agent_id": 1,
        "priority": "urgent",
    }
    response = client.get(path) if method == "get" else post(client, path, body)
    assert response.status_code == 404


def test_customer_a_cannot_upload_to_b(personas, ticket_b):
    client = personas.client("customer_a")
    upload = SimpleUploadedFile("x.txt", b"hola")
    response = client.post(f"/api/v1/tickets/{ticket_b.number}/attachments", {"files": [upload]})
    assert response.status_code == 404


def test_lists_and_search_never_show_another_organisation(personas, ticket, ticket_b):
    client = personas.client("customer_a")
    listed = [t["folio"] for t in client.get("/api/v1/tickets").json()["results"]]
    assert listed == [ticket.folio]
    found = [t["folio"] for t in client.get("/api/v1/tickets?q=imprime").json()["results"]]
    assert ticket_b.folio not in found
    staff = {t["folio"] for t in personas.client("agent").get("/api/v1/tickets").json()["results"]}
    assert staff == {ticket.folio, ticket_b.folio}


def test_customer_opens_a_ticket_for_their_organisation_only(personas):
    client = personas.client("customer_a")
    ok = post(
        client,
        "/api/v1/tickets",
        {
            "organisation_id": personas.org_a.pk,
            "requester_id": personas.person_a.pk,
            "subject": "Sin correo",
            "description": "Outlook no abre",
            "channel": "portal",
        },
    )
    assert ok.status_code == 201
    assert ok.json()["folio"].startswith("SOP-")
    refused = post(
        client,
        "/api/v1/tickets",
        {
            "organisation_id": personas.org_b.pk,
            "requester_id": personas.person_b.pk,
            "subject": "x",
            "description": "y",
            "channel": "portal",
        },
    )
    assert refused.status_code == 404


def test_customer_cannot_change_status_or_escalate(personas, ticket):
    client = personas.client("customer_a")
    assert (
        post(client, f"/api/v1/tickets/{ticket.number}/status", {"status": "cancelled"}).status_code
        == 403
    )
    escalate = post(
        client,
        f"/api/v1/tickets/{ticket.number}/escalate",
        {"to_level": 2, "customer_name": "x", "reason": "y", "tried": "z"},
    )
    assert escalate.status_code == 403


def test_internal_notes_are_hidden_from_customers(personas, ticket):
    staff = personas.client("agent")
    post(
        staff,
        f"/api/v1/tickets/{ticket.number}/notes",
        {"body": "Cliente molesto, tratar con cuidado", "internal": True},
    )
    post(
        staff,
        f"/api/v1/tickets/{ticket.number}/notes",
        {"body": "Vamos en camino", "internal": False},
    )
    notes = personas.client("customer_a").get(f"/api/v1/tickets/{ticket.number}").json()["notes"]
    assert [n["body"] for n in notes] == ["Vamos en camino"]


def test_illegal_transition_is_a_422_with_its_code_and_a_message(personas, ticket):
    response = post(
        personas.client("agent"), f"/api/v1/tickets/{ticket.number}/status", {"status": "closed"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "illegal_transition"
    assert response.json()["error"]["message"]


def test_escalation_through_the_api_shows_the_handoff_first(personas, ticket):
    response = post(
        personas.client("agent"),
        f"/api/v1/tickets/{ticket.number}/escalate",
        {"to_level": 2, "reason": "Se calienta", "tried": "Limpieza"},
    )
    assert response.status_code == 200
    # Left out, the customer's name is the requester's.
    assert response.json()["handoff"]["customer_name"] == personas.person_a.full_name
    assert response.json()["status"] == "escalated"


def test_the_apis_handoff_names_a_person_of_the_tickets_organisation(personas, ticket):
    client = personas.client("agent")
    path = f"/api/v1/tickets/{ticket.number}/escalate"
    handoff = {"to_level": 2, "reason": "Se calienta", "tried": "Limpieza"}

    refused = post(client, path, {**handoff, "customer_name": "Roberto S."})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "customer_not_on_ticket"
    assert not ticket.escalations.exists()

    done = post(client, path, {**handoff, "customer_name": personas.person_a.full_name})
    assert done.status_code == 200
    assert done.json()["handoff"]["customer_name"] == personas.person_a.full_name


def test_attachments_download_never_renders_inline(personas, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = personas.client("customer_a")
    svg = SimpleUploadedFile(
        "dibujo.svg", b"<svg onload=alert(1)></svg>", content_type="image/svg+xml"
    )
    response = client.post(f"/api/v1/tickets/{ticket.number}/attachments", {"files": [svg]})
    assert response.status_code == 201
    attachment_id = response.json()[0]["id"]
    download = client.get(f"/api/v1/tickets/{ticket.number}/attachments/{attachment_id}")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"<svg onload=alert(1)></svg>"
    stored = list((tmp_path / "attachments").rglob("*"))
    assert all(".svg" not in p.name for p in stored)
    assert (
        personas.client("customer_b")
        .get(f"/api/v1/tickets/{ticket.number}/attachments/{attachment_id}")
        .status_code
        == 404
    )


def test_too_many_or_too_large_attachments_are_refused(
    personas, ticket, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(attachments, "MAX_BYTES", 10)
    client = personas.client("agent")
    big = SimpleUploadedFile("grande.bin", b"x" * 11)
    response = client.post(f"/api/v1/tickets/{ticket.number}/attachments", {"files": [big]})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "attachment_limit"
    many = [
        SimpleUploadedFile(f"{i}.txt", b"x") for i in range(attachments.MAX_FILES_PER_UPLOAD + 1)
    ]
    assert (
        client.post(f"/api/v1/tickets/{ticket.number}/attachments", {"files": many}).status_code
        == 413
    )
    assert ticket.attachments.count() == 0


def test_queue_pages_use_a_cursor_and_never_repeat(personas, now):
    agent = Agent.objects.get(user=personas.agent)
    for i in range(7):
        t = services.open_ticket(
            actor=personas.agent,
            data=services.NewTicket(
                organisation=personas.org_a,
                requester=personas.person_a,
                subject=f"T{i}",
                description="x",
                channel=Channel.PHONE,
            ),
            now=now + dt.timedelta(minutes=i),
        )
        services.assign_ticket(
            ticket=t, actor=personas.supervisor, agent=agent, now=now + dt.timedelta(minutes=i)
        )
    client = personas.client("agent")
    seen, cursor = [], None
    while True:
        url = "/api/v1/tickets?queue=mine&limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [t["subject"] for t in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"T{i}" for i in reversed(range(7))]


def test_level_queue_shows_unassigned_tickets_of_my_level(personas, ticket):
    body = personas.client("agent").get("/api/v1/tickets?queue=level").json()
    assert [t["folio"] for t in body["results"]] == [ticket.folio]
    Ticket.objects.filter(pk=ticket.pk).update(level=2)
    assert personas.client("agent").get("/api/v1/tickets?queue=level").json()["results"] == []


def test_every_ticket_route_is_covered_here():
    covered = {
        "/api/v1/tickets",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/status",
        "/api/v1/tickets/{number}/notes",
        "/api/v1/tickets/{number}/escalate",
        "/api/v1/tickets/{number}/assign",
        "/api/v1/tickets/{number}/priority",
        "/api/v1/tickets/{number}/attachments",
        "/api/v1/tickets/{number}/attachments/{attachment_id}",
    }
    schema = api.get_openapi_schema()
    paths = {
        p
        for p, ops in schema["paths"].items()
        if any("tickets" in o.get("tags", []) for o in ops.values())
    }
    assert paths == covered


def test_files_of_internal_notes_are_hidden_from_customers(
    personas, ticket, settings, tmp_path, now
):
    settings.MEDIA_ROOT = tmp_path
    note = services.add_note(
        ticket=ticket, author=personas.agent, body="Contraseña del router", internal=True, now=now
    )
    secret = attachments.store(
        ticket=ticket,
        uploaded_by=personas.agent,
        name="router.txt",
        data=b"admin:1234",
        content_type="text/plain",
        now=now,
        note=note,
    )
    customer = personas.client("customer_a")
    assert customer.get(f"/api/v1/tickets/{ticket.number}").json()["attachments"] == []
    assert (
        customer.get(f"/api/v1/tickets/{ticket.number}/attachments/{secret.pk}").status_code == 404
    )
    staff = personas.client("agent").get(f"/api/v1/tickets/{ticket.number}").json()["attachments"]
    assert [a["id"] for a in staff] == [secret.pk]
