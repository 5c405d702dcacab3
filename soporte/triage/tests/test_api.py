"""The triage API: a call's need typed in the console gets a suggestion; errors are structured."""

from __future__ import annotations

import json

from soporte.tickets.models import Escalation


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_a_calls_need_gets_a_suggestion_with_its_words(personas):
    response = post(
        personas.client("agent"), "/api/v1/triage/suggest", {"text": "se calienta la PC"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["level"] == 2 and body["shown"] is True
    assert body["words"] == ["se calienta"]


def test_customers_are_refused_with_a_code(personas):
    response = post(
        personas.client("customer_a"), "/api/v1/triage/suggest", {"text": "se calienta la PC"}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "triage_forbidden"


def test_empty_and_oversized_text_is_refused(personas):
    client = personas.client("agent")

    assert post(client, "/api/v1/triage/suggest", {"text": ""}).status_code == 422
    too_long = post(client, "/api/v1/triage/suggest", {"text": "x" * 2001})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"]


def test_accepting_through_the_api_escalates_with_a_hand_off(personas, open_request, areas):
    ticket = open_request("El servidor no responde", "Desde las 8 nadie entra al sistema.")
    client = personas.client("agent")

    seen = client.get(f"/api/v1/tickets/{ticket.number}/triage").json()
    assert seen["level"] == 4 and seen["decision"] == "pending"
    ticket.refresh_from_db()
    assert ticket.level == 1

    decided = post(client, f"/api/v1/tickets/{ticket.number}/triage", {"action": "accept"})

    assert decided.status_code == 200 and decided.json()["decision"] == "accepted"
    ticket.refresh_from_db()
    assert ticket.level == 4
    assert "Desde las 8 nadie entra al sistema." in Escalation.objects.get(ticket=ticket).reason
    again = post(client, f"/api/v1/tickets/{ticket.number}/triage", {"action": "accept"})
    assert again.status_code == 422 and again.json()["error"]["code"] == "already_decided"


def test_the_console_shows_the_suggestion_for_a_calls_need(personas):
    client = personas.client("agent")

    shown = client.get("/triaje/vista-previa/", {"texto": "el servidor no responde"})
    unsure = client.get("/triaje/vista-previa/", {"texto": "hola"})

    assert 'data-level="4"' in shown.content.decode()
    assert 'data-triage="none"' in unsure.content.decode()
    assert personas.client("customer_a").get("/triaje/vista-previa/").status_code == 403
