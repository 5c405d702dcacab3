"""The demo desk looks like a real one and respects the product's own rules: the checks that
only look at it (or change it inside their own transaction) share one load of it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from soporte import demo
from soporte.directory.models import Agent, ContactRole, Organisation, Person, Role, User
from soporte.tickets import services
from soporte.tickets.models import Channel, Priority, SlaPolicy

# The `now` fixture's instant (conftest.py): Monday 2026-11-23 10:30 at the desk.
NOW = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_desk(django_db_setup, django_db_blocker):
    """The demo, loaded once for the tests that only look at it (or change it inside their
    own transaction, which each test's `db` rolls back): its logins. Rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(NOW, tick=True):
            logins = demo.load_demo(now=NOW)
        yield logins
        transaction.set_rollback(True)


def test_demo_loads_a_realistic_desk(demo_desk, db, now):

    agents = list(Agent.objects.select_related("user").prefetch_related("certifications"))
    assert len([a for a in agents if a.user.role == Role.AGENT]) >= 12
    assert set(Counter(a.level for a in agents)) == {1, 2, 3, 4}
    for agent in agents:
        if agent.level == 4:
            assert len(agent.valid_certifications(now.date())) >= 2, agent
    assert Organisation.objects.count() == 2
    for org in Organisation.objects.all():
        roles = set(Person.objects.filter(organisation=org).values_list("contact_role", flat=True))
        assert roles & {ContactRole.REQUESTER, ContactRole.BOTH}
        assert roles & {ContactRole.DECISION_MAKER, ContactRole.BOTH}
    assert any("á" in a.user.last_name or "í" in a.user.last_name for a in agents)


def test_demo_logins_work_and_customers_belong_to_their_organisation(demo_desk, db, now):
    for login in demo_desk:
        user = User.objects.get(username=login.username)
        assert user.check_password(demo.DEMO_PASSWORD)
        if user.role == Role.CUSTOMER:
            assert user.person.organisation_id == user.organisation_id


def test_demo_command_never_touches_a_database_with_data(demo_desk, db, now, capsys):
    before = User.objects.count()
    call_command("demo")
    assert User.objects.count() == before
    assert "ya tiene datos" in capsys.readouterr().out


def test_demo_queue_shows_live_countdowns(demo_desk, db, now, client):
    """The demo has a calendar and SLA policies, so an open ticket's queue row has a clock."""
    agent = User.objects.get(username="blanca.herrera")
    ticket = services.open_ticket(
        actor=agent,
        data=services.NewTicket(
            organisation=Organisation.objects.order_by("id")[0],
            requester=Person.objects.order_by("id")[0],
            subject="No enciende el monitor de recepción",
            description="Desde esta mañana.",
            channel=Channel.PHONE,
            priority=Priority.HIGH,
        ),
        now=now,
    )
    assert SlaPolicy.objects.count() == 16
    client.force_login(agent)
    page = client.get("/tickets/?cola=todos").content.decode()
    row = page[page.index(f'data-ticket="{ticket.folio}"') :]
    row = row[: row.index("</tr>")]
    assert "data-due=" in row
    assert "vence en" in row or "vencido hace" in row


def test_demo_agents_have_their_own_tickets_and_unassigned_ones_to_take(demo_desk, db, now, client):
    """The suggested demo agent opens "Mis tickets" to the tickets of the calls they took,
    and "Sin asignar de mi nivel" to the portal requests nobody has taken yet."""
    agent = User.objects.get(username="blanca.herrera")
    client.force_login(agent)
    mine = client.get("/tickets/?cola=mis-tickets").content.decode()
    waiting = client.get("/tickets/?cola=sin-asignar").content.decode()
    assert mine.count("<tr data-ticket=") >= 1
    assert waiting.count("<tr data-ticket=") == 4
    assert "La terminal de cobro no imprime tickets" in waiting


def test_demo_lists_every_login_grouped_by_role_and_level(demo_desk, db, now, client, settings):
    logins = demo_desk

    groups = [login.group for login in logins]
    # Every active account is listed once, each heading once and in order.
    assert sorted(login.username for login in logins) == sorted(
        User.objects.filter(is_active=True).values_list("username", flat=True)
    )
    headings = list(dict.fromkeys(groups))
    assert headings[:2] == ["Administración", "Supervisión"]
    assert headings[2:6] == [f"Agentes · nivel {n}" for n in (1, 2, 3, 4)]
    assert all(h.startswith("Clientes · ") for h in headings[6:])
    assert groups == sorted(groups, key=headings.index)
    level_2 = {login.username for login in logins if login.group == "Agentes · nivel 2"}
    assert (
        set(
            Agent.objects.filter(level=2, user__role=Role.AGENT).values_list(
                "user__username", flat=True
            )
        )
        == level_2
    )

    # The same list on a page, linked from the login page, for whoever missed the console.
    assert "/demo/accesos/" in client.get("/entrar/").content.decode()
    body = client.get("/demo/accesos/").content.decode()
    assert "Agentes · nivel 3" in body and "gabriela.ruiz" in body
    assert demo.DEMO_PASSWORD in body

    settings.PRODUCTION = True
    assert client.get("/demo/accesos/").status_code == 404
    assert "/demo/accesos/" not in client.get("/entrar/").content.decode()
