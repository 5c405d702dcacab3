"""Escalation with a hand-off note (X2), routed to the least-busy available agent or the queue."""

from __future__ import annotations

from typing import Any

import pytest

from soporte.directory.models import Agent, Area, Presence
from soporte.logbook.models import Entry, EntryKind
from soporte.tickets import services
from soporte.tickets.models import Status
from soporte.tickets.services import TicketError

HANDOFF: dict[str, Any] = {
    "customer_name": "Roberto Sánchez",
    "reason": "El equipo se calienta y se apaga solo.",
    "tried": "Limpieza de ventiladores y revisión de temperatura en BIOS.",
}


def test_escalation_needs_a_complete_hand_off_note(personas, ticket, now):
    with pytest.raises(TicketError) as excinfo:
        services.escalate_ticket(
            ticket=ticket,
            actor=personas.agent,
            to_level=2,
            to_area=None,
            customer_name="Roberto",
            reason="",
            tried="",
            now=now,
        )
    assert excinfo.value.code == "handoff_incomplete"
    assert excinfo.value.details["missing"] == ["reason", "tried"]
    assert str(excinfo.value)  # the person is told why, in words


def test_routed_to_the_available_agent_with_fewest_open_tickets(personas, ticket, now, make_agent):
    hardware = Area.objects.create(code="hardware", name="Hardware")
    busy = make_agent("diego.castillo", level=2)
    free = make_agent("ricardo.vargas", level=2)
    away = make_agent("carmen.jimenez", level=2)
    for agent in (busy, free, away):
        agent.areas.add(hardware)
    Agent.objects.filter(pk=away.pk).update(presence=Presence.AWAY)
    other = services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="x",
            description="y",
            channel="phone",
        ),
        now=now,
    )
    services.assign_ticket(ticket=other, actor=personas.supervisor, agent=busy, now=now)

    escalation = services.escalate_ticket(
        ticket=ticket, actor=personas.agent, to_level=2, to_area=hardware, now=now, **HANDOFF
    )

    ticket.refresh_from_db()
    assert escalation.to_agent == free
    assert ticket.assignee == free
    assert ticket.status == Status.ASSIGNED
    assert ticket.level == 2
    assert services.handoff_for(ticket).customer_name == "Roberto Sánchez"
    entry = Entry.objects.get(subject_id=ticket.folio, kind=EntryKind.ESCALATION)
    assert entry.fields["tried"] == HANDOFF["tried"]


def test_without_an_available_agent_it_waits_in_the_level_queue(personas, ticket, now, make_agent):
    make_agent("veronica.flores", level=4)
    Agent.objects.filter(level=4).update(presence=Presence.OFFLINE)

    escalation = services.escalate_ticket(
        ticket=ticket, actor=personas.agent, to_level=4, to_area=None, now=now, **HANDOFF
    )

    ticket.refresh_from_db()
    assert escalation.to_agent is None
    assert ticket.assignee is None
    assert ticket.status == Status.ESCALATED
    assert ticket.level == 4


def test_sideways_to_another_area_at_the_same_level(personas, ticket, now, make_agent):
    networks = Area.objects.create(code="redes", name="Redes")
    colleague = make_agent("maria.lopez", level=1)
    colleague.areas.add(networks)

    escalation = services.escalate_ticket(
        ticket=ticket, actor=personas.agent, to_level=1, to_area=networks, now=now, **HANDOFF
    )

    assert escalation.to_agent == colleague
    assert escalation.from_level == escalation.to_level == 1


def test_escalating_down_or_in_place_is_refused(personas, ticket, now):
    with pytest.raises(TicketError, check=lambda e: e.code == "escalation_direction"):
        services.escalate_ticket(
            ticket=ticket, actor=personas.agent, to_level=1, to_area=None, now=now, **HANDOFF
        )


def test_escalation_history_is_kept(personas, ticket, now, make_agent):
    make_agent("lucia.navarro", level=3)
    services.escalate_ticket(
        ticket=ticket, actor=personas.agent, to_level=2, to_area=None, now=now, **HANDOFF
    )
    services.escalate_ticket(
        ticket=ticket, actor=personas.agent, to_level=3, to_area=None, now=now, **HANDOFF
    )
    assert [(e.from_level, e.to_level) for e in ticket.escalations.order_by("at", "id")] == [
        (1, 2),
        (2, 3),
    ]


def _escalate_to_level_2(personas, ticket, now, to_area=None):
    return services.escalate_ticket(
        ticket=ticket, actor=personas.agent, to_level=2, to_area=to_area, now=now, **HANDOFF
    )


def test_any_area_of_the_level_prefers_the_tickets_own_area(personas, ticket, now, make_agent):
    networks = Area.objects.create(code="redes", name="Redes")
    printers = Area.objects.create(code="impresoras", name="Impresoras")
    ticket.area = networks
    ticket.save()
    printer_expert = make_agent("pedro.imp", level=2)  # fewer open tickets, other area
    printer_expert.areas.add(printers)
    network_expert = make_agent("nadia.redes", level=2)
    network_expert.areas.add(networks)
    escalation = _escalate_to_level_2(personas, ticket, now)
    assert escalation.to_agent == network_expert
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.area) == (network_expert, networks)


def test_any_area_of_the_level_falls_back_to_another_area_before_the_queue(
    personas, ticket, now, make_agent
):
    networks = Area.objects.create(code="redes", name="Redes")
    ticket.area = networks
    ticket.save()
    printer_expert = make_agent("pedro.imp", level=2)
    printer_expert.areas.add(Area.objects.create(code="impresoras", name="Impresoras"))
    assert _escalate_to_level_2(personas, ticket, now).to_agent == printer_expert


def test_a_chosen_area_is_routed_only_to_that_areas_agents(personas, ticket, now, make_agent):
    networks = Area.objects.create(code="redes", name="Redes")
    make_agent("pedro.imp", level=2).areas.add(Area.objects.create(code="imp", name="Impresoras"))
    escalation = _escalate_to_level_2(personas, ticket, now, to_area=networks)
    assert escalation.to_agent is None
    ticket.refresh_from_db()
    assert ticket.status == Status.ESCALATED
