"""Suggestions are advice: shown on the ticket, above the desk's threshold, applied only by a click."""

from __future__ import annotations

import pytest

from soporte.tickets import services as tickets
from soporte.tickets.models import Channel, Escalation, Priority
from soporte.triage import services
from soporte.triage.models import Decision, Suggestion, TriageSettings


def panel(personas, ticket, who="agent"):
    return personas.client(who).get(f"/triaje/tickets/{ticket.number}/")


def test_seeing_a_suggestion_changes_nothing_on_the_ticket(personas, open_request, areas):
    ticket = open_request("El servidor no responde", "Nadie puede facturar desde las 9.")

    response = panel(personas, ticket)

    assert response.status_code == 200
    assert 'data-triage="shown"' in response.content.decode()
    assert 'data-level="4"' in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.level, ticket.priority, ticket.area_id) == (1, Priority.NORMAL, None)
    assert not Escalation.objects.filter(ticket=ticket).exists()
    assert Suggestion.objects.get(ticket=ticket).decision == Decision.PENDING


def test_below_the_threshold_nothing_is_shown(personas, open_request, now):
    ticket = open_request("Consulta", "Tengo una pregunta sobre mi factura del mes")
    suggestion = services.suggestion_for(ticket=ticket, now=now)
    assert suggestion is not None
    TriageSettings.objects.filter(pk=1).update(threshold=min(1.0, suggestion.confidence + 0.01))

    body = panel(personas, ticket).content.decode()

    assert 'data-triage="hidden"' in body
    assert "triage:ticket_decide" not in body and "/decidir/" not in body


def test_at_the_threshold_it_is_shown(personas, open_request, now):
    ticket = open_request("Consulta", "Tengo una pregunta sobre mi factura del mes")
    suggestion = services.suggestion_for(ticket=ticket, now=now)
    TriageSettings.objects.filter(pk=1).update(threshold=suggestion.confidence)

    assert 'data-triage="shown"' in panel(personas, ticket).content.decode()


def test_customers_never_see_or_decide_a_suggestion(personas, open_request):
    ticket = open_request("El servidor no responde")

    assert panel(personas, ticket, "customer_a").status_code in (403, 404)
    response = personas.client("customer_a").post(
        f"/triaje/tickets/{ticket.number}/decidir/", {"action": "accept"}
    )
    assert response.status_code in (403, 404)
    ticket.refresh_from_db()
    assert ticket.level == 1


@pytest.mark.parametrize("channel", [Channel.PORTAL, Channel.EMAIL, Channel.PHONE])
def test_every_channel_gets_its_suggestion(personas, channel, now):
    ticket = tickets.open_ticket(
        actor=personas.agent,
        data=tickets.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="Pérdida de información",
            description="Se borró la carpeta de contabilidad.",
            channel=channel,
        ),
        now=now,
    )

    body = panel(personas, ticket).content.decode()

    assert 'data-triage="shown"' in body and 'data-level="3"' in body
