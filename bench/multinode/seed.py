"""Tickets for the queue pages of bench/multinode/run.py: N tickets assigned to the desk's agent.

DATABASE_URL=… python -m bench.multinode.seed 300
"""

from __future__ import annotations

import sys

import django

django.setup()

from soporte.directory.models import Organisation, Person, User  # noqa: E402
from soporte.lib import clock  # noqa: E402
from soporte.tickets import services  # noqa: E402
from tests.multinode.cluster import AGENT  # noqa: E402


def main(count: int) -> None:
    agent = User.objects.get(username=AGENT[0])
    organisation = Organisation.objects.get(name="Multinodo SA")
    requester = Person.objects.get(organisation=organisation)
    for n in range(count):
        ticket = services.open_ticket(
            actor=agent,
            data=services.NewTicket(
                organisation=organisation,
                requester=requester,
                decision_maker=None,
                area=None,
                subject=f"Equipo {n}: la impresora no imprime",
                description="Desde esta mañana marca un error de papel.",
                channel="phone",
            ),
            now=clock.now(),
        )
        services.assign_ticket(ticket=ticket, actor=agent, agent=agent.agent, now=clock.now())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
