"""Accepting a level moves the ticket like an escalation: hand-off note, routing, SLA policy."""

from __future__ import annotations

import pytest

from soporte.tickets import services as tickets
from soporte.tickets.models import Escalation, Priority, SlaPolicy, Status
from soporte.triage import services
from soporte.triage.models import Decision, Suggestion


def made(ticket, now) -> Suggestion:
    suggestion = services.suggestion_for(ticket=ticket, now=now)
    assert suggestion is not None
    return suggestion


@pytest.fixture
def policies(db):
    for level, minutes in ((1, 480), (4, 60)):
        SlaPolicy.objects.create(
            level=level,
            priority=Priority.URGENT,
            first_response_minutes=minutes,
            next_update_minutes=minutes,
            resolution_minutes=minutes * 4,
        )
        SlaPolicy.objects.create(
            level=level,
            priority=Priority.NORMAL,
            first_response_minutes=minutes * 2,
            next_update_minutes=minutes * 2,
            resolution_minutes=minutes * 8,
        )


def test_one_click_accepts_level_area_and_priority(
    personas, open_request, areas, policies, now, make_agent
):
    l4 = make_agent("ana.l4", level=4)
    l4.areas.add(areas["servidores"])
    ticket = open_request(
        "El servidor no responde", "El sistema de ventas marca error de conexión."
    )
    personas.client("agent").get(f"/triaje/tickets/{ticket.number}/")

    response = personas.client("agent").post(
        f"/triaje/tickets/{ticket.number}/decidir/", {"action": "accept"}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.level == 4
    assert ticket.area == areas["servidores"]
    assert ticket.priority == Priority.URGENT
    assert ticket.assignee == l4 and ticket.status == Status.ASSIGNED
    handoff = Escalation.objects.get(ticket=ticket)
    assert (handoff.from_level, handoff.to_level) == (1, 4)
    assert "El sistema de ventas marca error de conexión." in handoff.reason
    assert handoff.customer_name == personas.person_a.full_name
    assert handoff.tried
    # The SLA of level 4, urgent: the first response is due within the hour of opening.
    assert ticket.sla_due_at is not None
    assert (ticket.sla_due_at - ticket.created_at).total_seconds() <= 3600
    suggestion = ticket.triage_suggestion
    assert suggestion.decision == Decision.ACCEPTED and suggestion.decided_by == personas.agent


def test_picking_another_level_is_recorded_as_overridden(personas, open_request, areas, now):
    ticket = open_request("El servidor no responde")
    suggestion = made(ticket, now)

    personas.client("agent").post(
        f"/triaje/tickets/{ticket.number}/decidir/",
        {"action": "override", "level": "2", "area": "hardware", "priority": "high"},
    )

    ticket.refresh_from_db()
    suggestion.refresh_from_db()
    assert (ticket.level, ticket.area.code, ticket.priority) == (2, "hardware", "high")
    assert suggestion.decision == Decision.OVERRIDDEN and suggestion.chosen_level == 2


def test_keeping_level_one_changes_nothing_but_the_record(personas, open_request, areas, now):
    ticket = open_request("El servidor no responde")
    suggestion = made(ticket, now)

    services.decide(
        suggestion=suggestion,
        actor=personas.agent,
        choice=services.Choice(1, "", "normal"),
        now=now,
    )

    ticket.refresh_from_db()
    assert ticket.level == 1 and not Escalation.objects.filter(ticket=ticket).exists()
    suggestion.refresh_from_db()
    assert suggestion.decision == Decision.OVERRIDDEN


@pytest.mark.parametrize(
    ("choice", "code"),
    [
        (services.Choice(7, "", "normal"), "invalid_level"),
        (services.Choice(2, "no-existe", "normal"), "invalid_area"),
        (services.Choice(2, "", "ya"), "invalid_priority"),
    ],
)
def test_a_bad_choice_is_refused_with_a_code(personas, open_request, areas, now, choice, code):
    ticket = open_request("se calienta la PC")
    suggestion = made(ticket, now)

    with pytest.raises(services.TriageError) as refused:
        services.decide(suggestion=suggestion, actor=personas.agent, choice=choice, now=now)

    assert refused.value.code == code
    ticket.refresh_from_db()
    assert ticket.level == 1


def test_a_suggestion_is_decided_once(personas, open_request, areas, now):
    ticket = open_request("se calienta la PC")
    suggestion = made(ticket, now)
    accept = services.Choice(suggestion.level, suggestion.area_code, suggestion.priority)
    services.decide(suggestion=suggestion, actor=personas.agent, choice=accept, now=now)

    with pytest.raises(services.TriageError) as refused:
        services.decide(suggestion=suggestion, actor=personas.agent, choice=accept, now=now)

    assert refused.value.code == "already_decided"


def test_the_triage_never_lowers_a_level(personas, open_request, areas, now, resolve):
    ticket = open_request("está lenta")
    suggestion = made(ticket, now)
    tickets.escalate_ticket(
        ticket=ticket,
        actor=personas.agent,
        to_level=3,
        to_area=None,
        customer_name="R",
        reason="r",
        tried="t",
        now=now,
    )

    with pytest.raises(services.TriageError) as refused:
        services.decide(
            suggestion=suggestion,
            actor=personas.agent,
            choice=services.Choice(1, "windows", "normal"),
            now=now,
        )

    assert refused.value.code == "level_down"
