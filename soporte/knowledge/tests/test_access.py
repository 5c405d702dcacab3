"""Every knowledge route with the personas: the desk's pages are staff-only, and an internal
article or a draft is never shown to a customer or an outsider (pages, search, suggestions)."""

from __future__ import annotations

import pytest
from django.urls import reverse

READERS = ("customer_a", "customer_b", "anonymous")


@pytest.fixture
def world(printer_article, internal_article, draft_article):
    return {"public": printer_article, "internal": internal_article, "draft": draft_article}


def desk_routes(w):
    return [
        reverse("knowledge:desk_articles"),
        reverse("knowledge:article_new"),
        reverse("knowledge:article_detail", args=[w["internal"].pk]),
        reverse("knowledge:article_edit", args=[w["internal"].pk]),
        reverse("knowledge:article_diff", args=[w["internal"].pk]) + "?de=1&a=1",
    ]


def test_desk_pages_answer_staff_refuse_customers_and_send_the_anonymous_to_sign_in(
    personas, world
):
    for url in desk_routes(world):
        for who in ("agent", "supervisor"):
            assert personas.client(who).get(url).status_code == 200, (who, url)
        for who in ("customer_a", "customer_b"):
            assert personas.client(who).get(url).status_code == 403, (who, url)
        response = personas.client("anonymous").get(url)
        assert response.status_code == 302 and "/entrar/" in response["Location"], url


def test_the_desk_actions_refuse_customers(personas, world):
    for who in ("customer_a", "anonymous"):
        response = personas.client(who).post(
            reverse("knowledge:article_edit", args=[world["public"].pk]),
            {"title": "Cambiado", "body": "x", "level": "1", "visibility": "public",
             "status": "published"},
        )  # fmt: skip
        assert response.status_code in (302, 403)
    world["public"].refresh_from_db()
    assert world["public"].title == "La impresora no imprime"


def test_internal_and_draft_articles_are_never_shown_to_readers(personas, world):
    for who in READERS:
        client = personas.client(who)
        assert (
            client.get(reverse("knowledge:help_article", args=[world["public"].slug])).status_code
            == 200
        )
        for hidden in ("internal", "draft"):
            url = reverse("knowledge:help_article", args=[world[hidden].slug])
            assert client.get(url).status_code == 404, (who, hidden)
            feedback = reverse("knowledge:help_feedback", args=[world[hidden].slug])
            assert client.post(feedback, {"util": "si"}).status_code == 404
        listing = client.get(reverse("knowledge:help_home")).content.decode()
        found = client.get(reverse("knowledge:help_home"), {"q": "impresoras"}).content.decode()
        suggested = client.get(
            reverse("knowledge:help_suggest"), {"subject": "impresión", "description": "clave"}
        ).content.decode()
        for page in (listing, found, suggested):
            assert "La impresora no imprime" in page
            assert "Contraseña del servidor" not in page
            assert "Borrador sobre impresoras" not in page


def test_staff_search_finds_internal_articles_and_suggestions_stay_public(personas, world):
    agent = personas.client("agent")
    found = agent.get(reverse("knowledge:desk_articles"), {"q": "contraseña"}).content.decode()
    assert "Contraseña del servidor de impresión" in found
    suggested = agent.get(reverse("knowledge:help_suggest"), {"subject": "contraseña impresora"})
    assert "Contraseña del servidor" not in suggested.content.decode()


def test_related_articles_of_a_ticket_are_for_staff_only(personas, world, now):
    from soporte.tickets import services as ticket_services
    from soporte.tickets.models import Channel

    ticket = ticket_services.open_ticket(
        actor=personas.agent,
        data=ticket_services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="No imprime la impresora",
            description="Hojas en blanco.",
            channel=Channel.PHONE,
        ),
        now=now,
    )
    url = reverse("knowledge:ticket_related", args=[ticket.number])
    assert "La impresora no imprime" in personas.client("agent").get(url).content.decode()
    assert personas.client("customer_a").get(url).status_code == 403
    assert personas.client("anonymous").get(url).status_code == 302
