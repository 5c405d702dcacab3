"""The PDF hammer's data (run with VAR_DIR set, after `migrate`): a customer's contract logbook
with ENTRIES notes of long fields, a ticket, and ready-made sessions for a customer and an
agent. Prints one JSON line."""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402

from soporte.directory.models import Agent, ContactRole, Organisation, Person, Presence, Role, User  # noqa: E402
from soporte.logbook import services as logbook  # noqa: E402
from soporte.tickets import services as tickets  # noqa: E402
from soporte.tickets.models import Channel  # noqa: E402

TEXT = ("El equipo se apaga al imprimir; se revisó la fuente, el cableado y la memoria. " * 60)[
    :4500
]


def session_for(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "soporte.directory.backends.DeskBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200)
    args = parser.parse_args()
    now = timezone.now()
    org = Organisation.objects.create(name="Banco de pruebas", tax_id="BDP010101AAA")
    agent_user = User(
        username="bench.pdf.agente",
        first_name="Ana",
        last_name="Bench",
        email="a@bench.invalid",
        role=Role.SUPERVISOR,
    )
    agent_user.set_unusable_password()
    agent_user.save()
    Agent.objects.create(user=agent_user, level=3, presence=Presence.AVAILABLE)
    customer = User(
        username="bench.pdf.cliente",
        first_name="Carlos",
        last_name="Bench",
        email="c@bench.invalid",
        role=Role.CUSTOMER,
        organisation=org,
    )
    customer.set_unusable_password()
    customer.save()
    person = Person.objects.create(
        organisation=org,
        full_name="Carlos Bench",
        email="c@bench.invalid",
        contact_role=ContactRole.BOTH,
        user=customer,
    )
    book = logbook.open_logbook(
        actor=agent_user,
        organisation=org,
        title="Contrato de banco de pruebas",
        contract_reference="BENCH-1",
        countersign_days=2,
        customer_signers=[customer],
        fields={"desk_party": "Mesa", "customer_party": org.name, "contract": "x", "scope": "y"},
        now=now,
    )
    for n in range(args.entries):
        logbook.append_entry(
            logbook=book,
            kind="note",
            author=agent_user,
            summary=f"Seguimiento {n}",
            fields={"detail": TEXT},
            now=now,
        )
    ticket = tickets.open_ticket(
        actor=agent_user,
        data=tickets.NewTicket(
            organisation=org,
            requester=person,
            subject="Impresora",
            description="No imprime.",
            channel=Channel.PHONE,
        ),
        now=now,
    )
    print(
        json.dumps(
            {
                "logbook": book.pk,
                "ticket": ticket.number,
                "customer": session_for(customer),
                "agent": session_for(agent_user),
            }
        )
    )


if __name__ == "__main__":
    main()
