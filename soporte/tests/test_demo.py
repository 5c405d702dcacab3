"""The demo desk looks like a real one and respects the product's own rules."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.management import call_command

from soporte import demo
from soporte.directory.models import Agent, ContactRole, Organisation, Person, Role, User
from soporte.tickets import services
from soporte.tickets.models import Channel, Priority, SlaPolicy


def test_demo_loads_a_realistic_desk(db, now):
    demo.load_demo(now=now)

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


def test_demo_logins_work_and_customers_belong_to_their_organisation(db, now):
    logins = demo.load_demo(now=now)
    for login in logins:
        user = User.objects.get(username=login.username)
        assert user.check_password(demo.DEMO_PASSWORD)
        if user.role == Role.CUSTOMER:
            assert user.person.organisation_id == user.organisation_id


def test_demo_command_never_touches_a_database_with_data(db, now, capsys):
    demo.load_demo(now=now)
    before = User.objects.count()
    call_command("demo")
    assert User.objects.count() == before
    assert "ya tiene datos" in capsys.readouterr().out


def test_mexican_holidays_follow_the_labour_law():
    days = dict(demo.mexican_holidays(2026))
    assert days[dt.date(2026, 2, 2)] == "Día de la Constitución"  # first Monday of February
    assert days[dt.date(2026, 3, 16)] == "Natalicio de Benito Juárez"  # third Monday of March
    assert days[dt.date(2026, 11, 16)] == "Día de la Revolución"  # third Monday of November
    assert dt.date(2026, 10, 1) not in days
    assert dt.date(2030, 10, 1) in dict(demo.mexican_holidays(2030))


def test_demo_queue_shows_live_countdowns(db, now, client):
    """The demo has a calendar and SLA policies, so an open ticket's queue row has a clock."""
    demo.load_demo(now=now)
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


def test_demo_agents_have_their_own_tickets_and_unassigned_ones_to_take(db, now, client):
    """The suggested demo agent opens "Mis tickets" to the tickets of the calls they took,
    and "Sin asignar de mi nivel" to the portal requests nobody has taken yet."""
    demo.load_demo(now=now)
    agent = User.objects.get(username="blanca.herrera")
    client.force_login(agent)
    mine = client.get("/tickets/?cola=mis-tickets").content.decode()
    waiting = client.get("/tickets/?cola=sin-asignar").content.decode()
    assert mine.count("<tr data-ticket=") >= 1
    assert waiting.count("<tr data-ticket=") == 4
    assert "La terminal de cobro no imprime tickets" in waiting


def test_demo_lists_every_login_grouped_by_role_and_level(db, now, client, settings):
    logins = demo.load_demo(now=now)

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


def test_demo_logins_page_does_not_exist_without_the_demo(personas):
    for who in ("anonymous", "agent", "customer_a", "customer_b", "supervisor", "admin"):
        assert personas.client(who).get("/demo/accesos/").status_code == 404, who
    assert "/demo/accesos/" not in personas.client("anonymous").get("/entrar/").content.decode()


def test_demo_console_prints_each_group_heading(db, now, capsys):
    call_command("demo")
    out = capsys.readouterr().out
    for heading in ("Administración", "Supervisión", "Agentes · nivel 1", "Agentes · nivel 4"):
        assert f"\n  {heading}\n" in out
    assert "    gabriela.ruiz" in out
