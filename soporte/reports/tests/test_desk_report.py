"""Desk metrics over tickets opened, answered, escalated, resolved and surveyed through the
tickets app's own use cases (real rows, real business calendar)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from soporte.directory.models import ContactRole, Person
from soporte.tickets import services
from soporte.tickets.models import Channel, SlaPolicy, Status

MEXICO = ZoneInfo("America/Mexico_City")
PERIOD = {"desde": "2026-11-16", "hasta": "2026-11-17"}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MEXICO)


def new(personas, channel, **extra):
    return services.NewTicket(
        organisation=personas.org_a,
        requester=extra.pop("requester", personas.person_a),
        subject="La PC está lenta",
        description="Tarda en abrir el sistema de ventas.",
        channel=channel,
        **extra,
    )


@pytest.fixture
def desk_history(personas, now):
    for level in (1, 2):
        SlaPolicy.objects.create(
            level=level,
            priority="normal",
            first_response_minutes=30,
            next_update_minutes=120,
            resolution_minutes=240,
        )
    agent = personas.agent.agent
    old = services.open_ticket(
        actor=personas.agent, data=new(personas, Channel.PORTAL), now=at(2, 10)
    )
    # Monday 16: a phone ticket (answered as it is opened), resolved in three business hours.
    phone = services.open_ticket(
        actor=personas.agent, data=new(personas, Channel.PHONE), now=at(16, 10)
    )
    services.assign_ticket(ticket=phone, actor=personas.supervisor, agent=agent, now=at(16, 10, 5))
    services.add_note(
        ticket=phone, author=personas.agent, body="Revisamos el equipo.", now=at(16, 11)
    )
    # An e-mail where somebody else decides (indirect attention), first answered after a
    # business hour (30 minutes allowed), then escalated for heat.
    boss = Person.objects.create(
        organisation=personas.org_a,
        full_name="Laura Méndez",
        email="laura@example.mx",
        contact_role=ContactRole.DECISION_MAKER,
    )
    mail = services.open_ticket(
        actor=personas.agent,
        data=new(personas, Channel.EMAIL, decision_maker=boss),
        now=at(16, 12),
    )
    services.add_note(ticket=mail, author=personas.agent, body="Recibido.", now=at(16, 13))
    services.escalate_ticket(
        ticket=mail,
        actor=personas.agent,
        to_level=2,
        to_area=None,
        customer_name="Roberto Sánchez",
        reason="Se calienta la PC",
        tried="Limpieza de ventiladores",
        now=at(16, 13, 30),
    )
    services.change_status(
        ticket=phone, actor=personas.agent, to_status=Status.RESOLVED, now=at(16, 13)
    )
    services.change_status(
        ticket=phone, actor=personas.agent, to_status=Status.CLOSED, now=at(17, 10)
    )
    services.answer_survey(
        ticket=phone, actor=personas.customer_a, satisfaction=5, resolved=True, now=at(17, 11)
    )
    return {"old": old, "phone": phone, "mail": mail}


def rows(report, table_id):
    return {r["key"]: r for r in next(t for t in report["tables"] if t["id"] == table_id)["rows"]}


def test_desk_figures_for_two_days(personas, desk_history):
    page = personas.client("supervisor").get(reverse("reports:desk"), PERIOD)
    assert page.status_code == 200
    report = page.context["report"]
    channel = rows(report, "channel")
    assert (channel["phone"]["opened"], channel["phone"]["closed"]) == (1, 1)
    assert (channel["email"]["opened"], channel["email"]["closed"]) == (1, 0)
    assert channel["portal"]["opened"] == 0  # opened on the 2nd, before the period
    decision = rows(report, "decision")
    assert decision["direct"]["opened"] == 1 and decision["indirect"]["opened"] == 1
    backlog = rows(report, "backlog")
    # At the end of the 17th: the e-mail (1.5 days old) and the portal ticket (15.5 days).
    assert backlog["1"]["tickets"] == 1 and backlog["3"]["tickets"] == 1
    target = rows(report, "sla_target")
    assert (target["first_response"]["met"], target["first_response"]["breached"]) == (1, 1)
    assert (target["resolution"]["met"], target["resolution"]["breached"]) == (1, 1)
    assert target["first_response"]["compliance"] == pytest.approx(0.5)
    times = rows(report, "times")
    assert times["first_response"]["average"] == pytest.approx((0 + 1) / 2)
    assert times["resolution"]["average"] == pytest.approx(3.0)
    assert rows(report, "escalation_level")["2"]["escalations"] == 1
    [reason] = rows(report, "escalation_reason").values()
    assert reason["label"] == "Se calienta la PC"
    assert rows(report, "survey")["5"]["answers"] == 1
    text = page.content.decode()
    assert "Promedio (1 a 5): <strong>5,00</strong>" in text
    assert text.count("<svg") == len(report["tables"])


def test_an_agent_sees_the_tickets_assigned_to_them(personas, desk_history):
    report = personas.client("agent").get(reverse("reports:desk"), PERIOD).context["report"]
    channel = rows(report, "channel")
    assert channel["phone"]["opened"] == 1 and channel["email"]["opened"] == 0


def test_desk_pages_refuse_customers(personas, desk_history):
    for url in (reverse("reports:desk"), reverse("reports:desk_export", args=["channel", "csv"])):
        assert personas.client("customer_a").get(url, PERIOD).status_code == 403
        assert personas.client("customer_b").get(url, PERIOD).status_code == 403
        assert personas.client("anonymous").get(url, PERIOD).status_code == 302


def test_a_desk_table_exports_and_reads_back(personas, desk_history):
    client = personas.client("supervisor")
    response = client.get(reverse("reports:desk_export", args=["sla_target", "xlsx"]), PERIOD)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == ("Objetivo", "Cumplidos", "Vencidos", "Cumplimiento")
    assert got[1] == ("Primera respuesta", 1, 1, 0.5)
    assert (
        client.get(reverse("reports:desk_export", args=["nada", "csv"]), PERIOD).status_code == 404
    )
    bad = client.get(reverse("reports:desk"), {"desde": "2026-11-20", "hasta": "2026-11-01"})
    assert bad.status_code == 400
    assert "La fecha final es anterior a la inicial." in bad.content.decode()
