from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from soporte.directory.models import Agent, Area
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel, Status, Ticket


@pytest.fixture
def areas(db) -> dict[str, Area]:
    names = {
        "redes": "Redes y conectividad",
        "impresoras": "Impresoras y periféricos",
        "windows": "Windows y ofimática",
        "hardware": "Hardware y reparación",
        "servidores": "Servidores Microsoft/Linux",
        "respaldo": "Respaldo y recuperación de información",
    }
    return {
        code: Area.objects.get_or_create(code=code, defaults={"name": n})[0]
        for code, n in names.items()
    }


@pytest.fixture
def open_request(personas, now) -> Callable[..., Ticket]:
    """A customer's request as it arrives (portal by default): level 1, normal priority."""

    def make(
        subject: str,
        description: str = "",
        channel: str = Channel.PORTAL,
        at: dt.datetime | None = None,
    ) -> Ticket:
        return tickets.open_ticket(
            actor=personas.customer_a,
            data=tickets.NewTicket(
                organisation=personas.org_a,
                requester=personas.person_a,
                subject=subject,
                description=description or subject,
                channel=channel,
            ),
            now=at or now,
        )

    return make


@pytest.fixture
def resolve(personas, make_agent) -> Callable[..., Ticket]:
    """Work a ticket to its end: escalated to `level` first when higher (as the desk did),
    then resolved at that level."""
    counter = {"n": 0}

    def finish(ticket: Ticket, *, level: int, at: dt.datetime) -> Ticket:
        ticket.refresh_from_db()
        if level > ticket.level:
            tickets.escalate_ticket(
                ticket=ticket,
                actor=personas.supervisor,
                to_level=level,
                to_area=None,
                now=at,
                customer_name="Roberto Sánchez",
                reason="Lo revisa otro nivel.",
                tried="Lo básico.",
            )
        ticket.refresh_from_db()
        if ticket.assignee_id is None:
            counter["n"] += 1
            agent = make_agent(f"nivel{level}.{counter['n']}", level=level)
            tickets.assign_ticket(ticket=ticket, actor=personas.supervisor, agent=agent, now=at)
        ticket = tickets.change_status(
            ticket=ticket, actor=personas.supervisor, to_status=Status.RESOLVED, now=at
        )
        return ticket

    return finish


@pytest.fixture
def agent_row(personas) -> Agent:
    return Agent.objects.get(user=personas.agent)
