"""A double-clicked "Responder", a portal form sent twice and a retried API POST each make one
note or ticket and send one e-mail (real SMTP on loopback)."""

from __future__ import annotations

import pytest

from soporte.once.models import Submission
from soporte.tickets.models import Note, Ticket
from soporte.tickets.tests.test_mail_notifications import (  # noqa: F401 - fixtures
    ROBERTO,
    committed,
    media,
    open_for_a,
    smtp,
)


def test_a_reply_sent_twice_makes_one_note_and_one_email(personas, now, smtp, committed):  # noqa: F811
    ticket = open_for_a(personas, now)
    client = personas.client("agent")
    form = {"body": "Reinicie el equipo, por favor.", "internal": "", "_once": "a1b2c3"}
    url = f"/tickets/{ticket.number}/notas/"

    with committed():
        first = client.post(url, form)
    with committed():
        second = client.post(url, form, follow=True)

    assert first.status_code == 302
    assert Note.objects.filter(ticket=ticket, body="Reinicie el equipo, por favor.").count() == 1
    assert len(smtp.to(ROBERTO)) == 1
    # The repeat lands where the first did and says why nothing happened.
    assert second.redirect_chain[0][0] == first["Location"]
    assert "Ya habíamos recibido este envío; no se repitió." in second.content.decode()


def test_a_refused_form_can_be_corrected_and_sent_with_the_same_token(personas, now):
    ticket = open_for_a(personas, now)
    client = personas.client("agent")
    url = f"/tickets/{ticket.number}/notas/"

    refused = client.post(url, {"body": "", "internal": "", "_once": "t-1"})
    accepted = client.post(url, {"body": "Ya quedó.", "internal": "", "_once": "t-1"})

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert Note.objects.filter(ticket=ticket, body="Ya quedó.").count() == 1


def test_a_portal_request_sent_twice_opens_one_ticket(personas, now):
    client = personas.client("customer_a")
    form = {
        "subject": "No enciende el monitor",
        "description": "Desde esta mañana.",
        "_once": "portal-1",
    }
    first = client.post("/tickets/mis-solicitudes/nueva/", form)
    second = client.post("/tickets/mis-solicitudes/nueva/", form)

    assert first.status_code == 302
    assert second.status_code == 303
    assert second["Location"] == first["Location"]
    assert Ticket.objects.filter(subject="No enciende el monitor").count() == 1


def test_the_same_token_of_two_people_is_two_submissions(personas, now):
    ticket = open_for_a(personas, now)
    url = f"/tickets/{ticket.number}/notas/"
    personas.client("agent").post(url, {"body": "Uno.", "internal": "", "_once": "same"})
    personas.client("supervisor").post(url, {"body": "Dos.", "internal": "", "_once": "same"})
    assert Note.objects.filter(ticket=ticket, body__in=["Uno.", "Dos."]).count() == 2


def _post_note(client, number, body, key, **headers):
    return client.post(
        f"/api/v1/tickets/{number}/notes",
        {"body": body},
        content_type="application/json",
        headers={"Idempotency-Key": key, **headers},
    )


def test_an_api_retry_returns_the_first_answer_and_sends_one_email(
    personas,
    now,
    smtp,  # noqa: F811
    committed,  # noqa: F811
):
    ticket = open_for_a(personas, now)
    client = personas.client("agent")

    with committed():
        first = _post_note(client, ticket.number, "Va el técnico a las 12.", "retry-1")
    with committed():
        retry = _post_note(client, ticket.number, "Va el técnico a las 12.", "retry-1")

    assert first.status_code == 201
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Note.objects.filter(ticket=ticket, body="Va el técnico a las 12.").count() == 1
    assert len(smtp.to(ROBERTO)) == 1


def test_an_api_key_reused_for_another_request_is_refused(personas, now):
    ticket = open_for_a(personas, now)
    client = personas.client("agent")
    _post_note(client, ticket.number, "Primera.", "k-1")

    other = _post_note(client, ticket.number, "Otra cosa.", "k-1")

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert not Note.objects.filter(body="Otra cosa.").exists()


def test_an_api_refusal_is_the_answer_a_retry_gets(personas, now):
    """A 4xx is an answer: the retry gets the same refusal, with the same error code."""
    ticket = open_for_a(personas, now)
    client = personas.client("customer_b")
    first = _post_note(client, ticket.number, "Hola.", "k-2")
    retry = _post_note(client, ticket.number, "Hola.", "k-2")
    assert first.status_code == retry.status_code == 404
    assert retry.json() == first.json()


def test_an_overlong_idempotency_key_is_refused_with_a_clear_error(personas, now):
    ticket = open_for_a(personas, now)
    response = _post_note(personas.client("agent"), ticket.number, "Hola.", "x" * 201)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "customer_b"])
def test_a_key_never_replays_another_persons_answer(personas, now, who):
    ticket = open_for_a(personas, now)
    _post_note(personas.client("agent"), ticket.number, "Privada.", "shared-key")
    response = _post_note(personas.client(who), ticket.number, "Privada.", "shared-key")
    assert response.status_code in (401, 404)
    assert "Privada." not in response.content.decode()
