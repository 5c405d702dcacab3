from __future__ import annotations

import pytest

from soporte.tickets import services
from soporte.tickets.models import Channel, Ticket


@pytest.fixture
def ticket(personas, now) -> Ticket:
    """A ticket an agent typed in from the customer's e-mail: its first response is due."""
    return services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="La impresora de almacén no imprime",
            description="Muestra luz ámbar desde la mañana.",
            channel=Channel.EMAIL,
            equipment="HP LaserJet M404dn",
        ),
        now=now,
    )
