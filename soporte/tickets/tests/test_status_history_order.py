"""Status history is listed in commit order: a change that waited for another's lock is
stamped after it and listed after it, on both databases."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection, transaction

from soporte.tickets import services
from soporte.tickets.models import Status, StatusChange


@pytest.mark.django_db(transaction=True)
def test_a_change_that_waited_for_the_lock_comes_after_the_one_it_waited_for(personas, now, ticket):
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=personas.agent.agent, now=now)
    first_holds_lock = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                services.change_status(
                    ticket=ticket,
                    actor=personas.agent,
                    to_status=Status.IN_PROGRESS,
                    now=now + dt.timedelta(seconds=10),
                )
                first_holds_lock.set()
                threading.Event().wait(1.0)  # still saving when the second arrives
        except BaseException as exc:
            errors.append(exc)
            first_holds_lock.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            first_holds_lock.wait(30)
            # Its clock was read before the lock, earlier than the first's.
            services.change_status(
                ticket=ticket,
                actor=personas.supervisor,
                to_status=Status.WAITING_CUSTOMER,
                now=now + dt.timedelta(seconds=5),
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == [], f"{connection.vendor}: {errors}"
    history = list(StatusChange.objects.filter(ticket=ticket).order_by("id"))
    assert [(c.from_status, c.to_status) for c in history] == [
        (Status.NEW, Status.ASSIGNED),
        (Status.ASSIGNED, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Status.WAITING_CUSTOMER),
    ]
    stamps = [c.at for c in history]
    assert stamps == sorted(stamps), f"{connection.vendor}: stamped out of order: {stamps}"
    assert history[2].at == now + dt.timedelta(seconds=10)
    # The customer reads the same order in the portal.
    body = personas.client("customer_a").get(f"/tickets/mis-solicitudes/{ticket.number}/")
    listed = re.findall(r"</time> — ([^<]+)</li>", body.content.decode())
    assert listed[-3:] == [str(Status(c.to_status).label) for c in history]
