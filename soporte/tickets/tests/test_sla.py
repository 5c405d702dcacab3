"""SLA clocks in business hours with customer pauses; the sweep warns, then escalates."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from soporte.directory.models import Agent
from soporte.lib.business_time import Calendar
from soporte.lib.errors import Forbidden
from soporte.tickets import services, sla
from soporte.tickets.models import (
    Channel,
    Holiday,
    SlaAlert,
    SlaPolicy,
    Status,
    SupportKind,
    Ticket,
)

MX = ZoneInfo("America/Mexico_City")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MX)


POLICY = SlaPolicy(
    level=1,
    priority="normal",
    first_response_minutes=60,
    next_update_minutes=240,
    resolution_minutes=8 * 60,
)
CAL = Calendar(holidays=frozenset({dt.date(2026, 11, 16)}))


def times(**kw: Any) -> sla.TicketTimes:
    base: dict[str, Any] = {
        "status": Status.ASSIGNED,
        "created_at": at(20, 17),
        "first_response_at": None,
        "last_update_at": None,
        "resolved_at": None,
    }
    base.update(kw)
    return sla.TicketTimes(**base)


def by_target(clocks):
    return {c.target: c for c in clocks}


def test_first_response_due_across_a_weekend():
    clocks = by_target(sla.clocks(CAL, POLICY, times(), [], now=at(20, 17, 30)))
    first = clocks["first_response"]
    assert first.due_at == at(20, 18)  # one business hour: Friday 17–18
    assert first.state == "ok"
    assert first.elapsed_seconds == 30 * 60


def test_resolution_due_skips_a_holiday():
    clocks = by_target(sla.clocks(CAL, POLICY, times(created_at=at(13, 17)), [], now=at(13, 17)))
    # 8 h: Friday 17–18 (1 h), Monday 16 holiday, Tuesday 9–14 (5 h), 15–17 (2 h).
    assert clocks["resolution"].due_at == at(17, 17)


def test_waiting_for_the_customer_pauses_the_clock():
    changes = [
        (at(23, 9, 30), Status.ASSIGNED, Status.WAITING_CUSTOMER),
        (at(23, 11, 30), Status.WAITING_CUSTOMER, Status.IN_PROGRESS),
    ]
    pauses = sla.waiting_intervals(changes, now=at(23, 12))
    clocks = by_target(sla.clocks(CAL, POLICY, times(created_at=at(23, 9)), pauses, now=at(23, 12)))
    assert clocks["resolution"].elapsed_seconds == 60 * 60  # 9:00–9:30 and 11:30–12:00
    assert clocks["first_response"].state == "breached"


def test_a_ticket_waiting_now_shows_a_paused_clock():
    changes = [(at(23, 9, 10), Status.ASSIGNED, Status.WAITING_CUSTOMER)]
    pauses = sla.waiting_intervals(changes, now=at(23, 15))
    clocks = by_target(
        sla.clocks(
            CAL,
            POLICY,
            times(created_at=at(23, 9), status=Status.WAITING_CUSTOMER),
            pauses,
            now=at(23, 15),
        )
    )
    assert clocks["resolution"].paused
    assert clocks["resolution"].due_at is None
    assert clocks["resolution"].state == "paused"
    assert clocks["resolution"].elapsed_seconds == 10 * 60


def test_warning_at_seventy_five_percent():
    clocks = by_target(sla.clocks(CAL, POLICY, times(created_at=at(23, 9)), [], now=at(23, 9, 45)))
    assert clocks["first_response"].state == "warning"


def test_met_targets_stop_counting():
    clocks = by_target(
        sla.clocks(
            CAL,
            POLICY,
            times(created_at=at(23, 9), first_response_at=at(23, 9, 20)),
            [],
            now=at(24, 9),
        )
    )
    assert clocks["first_response"].state == "met"
    assert clocks["next_update"].started_at == at(23, 9, 20)


@pytest.fixture
def policy(db):
    return SlaPolicy.objects.create(
        level=1,
        priority="normal",
        first_response_minutes=60,
        next_update_minutes=240,
        resolution_minutes=480,
    )


def test_the_sweep_warns_the_assignee_once(personas, ticket, policy):
    agent = Agent.objects.get(user=personas.agent)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=at(23, 9), assignee=agent, status=Status.ASSIGNED
    )

    with_warning = services.sweep_sla(now=at(23, 9, 50))
    again = services.sweep_sla(now=at(23, 9, 55))

    assert with_warning["warnings"] == 1
    assert again["warnings"] == 0
    assert (
        SlaAlert.objects.filter(ticket=ticket, kind="warning", target="first_response").count() == 1
    )


def test_a_breach_tells_the_supervisor_and_escalates(
    personas, ticket, policy, django_capture_on_commit_callbacks, make_agent
):
    make_agent("diego.castillo", level=2)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at(23, 9), status=Status.NEW)

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sweep_sla(now=at(23, 10, 5))

    assert counts["breaches"] == 1
    assert counts["escalations"] == 1
    ticket.refresh_from_db()
    assert ticket.level == 2
    escalation = ticket.escalations.get()
    assert escalation.automatic
    assert escalation.customer_name == ticket.requester.full_name
    assert any(personas.supervisor.email in m.to for m in mail.outbox)
    assert any("SLA vencido" in m.subject for m in mail.outbox)


def test_the_desk_calendar_and_holidays_come_from_the_database(db):
    Holiday.objects.create(day_date=dt.date(2026, 12, 25), name="Navidad")
    calendar = sla.desk_calendar("America/Mexico_City")
    assert dt.date(2026, 12, 25) in calendar.holidays
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4})


def test_the_sweep_reads_only_the_tickets_whose_threshold_has_come(
    personas, policy, django_assert_max_num_queries
):
    """Opened at 9:00 with an hour to answer: nothing to say before 9:45, then one warning
    per ticket, then nothing again; between thresholds the sweep reads no ticket at all."""
    opened = [
        services.open_ticket(
            actor=personas.agent,
            data=services.NewTicket(
                organisation=personas.org_a,
                requester=personas.person_a,
                subject=f"Equipo {n} sin red",
                description="Desde las nueve.",
                channel=Channel.EMAIL,
            ),
            now=at(23, 9),
        )
        for n in range(3)
    ]
    assert all(t.sla_check_at == at(23, 9, 45) for t in opened)

    with django_assert_max_num_queries(2):  # supervisors, and the due tickets: none
        assert services.sweep_sla(now=at(23, 9, 30))["warnings"] == 0
    assert services.sweep_sla(now=at(23, 9, 46))["warnings"] == 3
    with django_assert_max_num_queries(2):
        assert services.sweep_sla(now=at(23, 9, 50))["warnings"] == 0
    assert services.sweep_sla(now=at(23, 10, 1))["breaches"] == 3


def test_a_shorter_policy_is_announced_on_the_next_sweep(personas, ticket, policy):
    """Opened 10:30 with an hour to answer: nothing due at 10:45, until the supervisor
    shortens the target to ten minutes."""
    assert services.sweep_sla(now=at(23, 10, 31)) == {
        "warnings": 0,
        "breaches": 0,
        "escalations": 0,
        "failed": 0,
    }
    assert services.sweep_sla(now=at(23, 10, 45))["breaches"] == 0
    policy.first_response_minutes = 10
    policy.escalate_on_breach = False
    policy.save()
    assert services.sweep_sla(now=at(23, 10, 46))["breaches"] == 1


@pytest.mark.parametrize(
    ("channel", "answered"),
    [
        (Channel.PHONE, True),
        (Channel.IN_PERSON, True),
        (Channel.REMOTE, True),
        (Channel.PROACTIVE, True),
        (Channel.EMAIL, False),
        (Channel.PORTAL, False),
    ],
)
def test_an_agent_talking_with_the_customer_has_already_answered(
    personas, policy, channel, answered
):
    """A ticket an agent opens during a call, a visit or a remote session meets its first
    response as it opens (no false breach, no supervisor alarm); one typed in from an
    e-mail or the portal still waits for its answer."""
    ticket = services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="Sin red en caja",
            description="Desde las nueve.",
            channel=channel,
            support_kind=SupportKind.REMOTE_ACCESS
            if channel == Channel.REMOTE
            else SupportKind.ON_SITE,
            remote_tool="RustDesk" if channel == Channel.REMOTE else "",
            remote_session_id="123 456 789" if channel == Channel.REMOTE else "",
        ),
        now=at(23, 9),
    )
    assert (ticket.first_response_at == at(23, 9)) is answered
    assert services.sweep_sla(now=at(23, 11))["breaches"] == (0 if answered else 1)


def test_a_customer_cannot_say_their_ticket_came_by_phone(personas, policy):
    """Only the desk's staff answer calls, so only they open phone tickets: a customer who
    says so through the API is refused, and their portal ticket waits for its answer."""
    phone = services.NewTicket(
        organisation=personas.org_a,
        requester=personas.person_a,
        subject="Llamé y nadie contestó",
        description="Abro el ticket yo.",
        channel=Channel.PHONE,
    )
    with pytest.raises(Forbidden, match="los fija la mesa"):
        services.open_ticket(actor=personas.customer_a, data=phone, now=at(23, 9))
    ticket = services.open_ticket(
        actor=personas.customer_a,
        data=dataclasses.replace(phone, channel=Channel.PORTAL),
        now=at(23, 9),
    )
    assert ticket.first_response_at is None


def test_a_ticket_the_desk_reopens_runs_its_resolution_clock_again(personas, ticket, policy):
    """Resolved 20 minutes after it opened, then reopened: the resolution target is owed
    again and, two working days later, breached."""
    agent = Agent.objects.get(user=personas.agent)
    opened = ticket.created_at
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=opened)
    for minutes, status in ((20, Status.RESOLVED), (30, Status.IN_PROGRESS)):
        ticket = services.change_status(
            ticket=ticket,
            actor=personas.agent,
            to_status=status,
            now=opened + dt.timedelta(minutes=minutes),
        )
    assert ticket.resolved_at is None
    later = opened + dt.timedelta(days=2)
    clocks = by_target(
        sla.ticket_clocks(ticket, calendar=sla.desk_calendar("America/Mexico_City"), now=later)
    )
    assert clocks["resolution"].met_at is None
    assert clocks["resolution"].state == "breached"


def test_a_cancelled_ticket_has_no_clock_running(personas, ticket, policy, now):
    services.change_status(ticket=ticket, actor=personas.agent, to_status=Status.CANCELLED, now=now)
    ticket.refresh_from_db()
    calendar = sla.desk_calendar("America/Mexico_City")
    assert sla.ticket_clocks(ticket, calendar=calendar, now=now + dt.timedelta(days=3)) == []
    page = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert "sus plazos ya no corren" in page
    assert 'class="clock ' not in page
    assert 'class="sla sla-' not in page


def _assign(personas, ticket, when):
    agent = Agent.objects.get(user=personas.agent)
    return services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=when)


def test_a_customer_reply_days_after_the_resolution_is_not_a_breach(
    personas, ticket, policy, make_agent
):
    """Resolved 20 minutes after it opened; the customer writes back three days later: the
    days it stood resolved do not count, nothing is breached or escalated."""
    make_agent("diego.castillo", level=2)
    opened = ticket.created_at
    _assign(personas, ticket, opened)
    services.change_status(
        ticket=ticket,
        actor=personas.agent,
        to_status=Status.RESOLVED,
        now=opened + dt.timedelta(minutes=20),
    )
    services.sweep_sla(now=opened + dt.timedelta(minutes=21))
    back = opened + dt.timedelta(days=3)
    services.add_note(ticket=ticket, author=personas.customer_a, body="Volvió a fallar.", now=back)
    counts = services.sweep_sla(now=back + dt.timedelta(minutes=1))
    assert (counts["breaches"], counts["escalations"]) == (0, 0)
    ticket.refresh_from_db()
    assert (ticket.level, ticket.status) == (1, Status.IN_PROGRESS)
    clocks = by_target(
        sla.ticket_clocks(ticket, calendar=sla.desk_calendar("America/Mexico_City"), now=back)
    )
    assert clocks["resolution"].elapsed_seconds == 20 * 60
    assert clocks["next_update"].state == "ok"


def test_targets_breached_together_escalate_the_ticket_once(personas, ticket, policy, make_agent):
    """The worker was down all day: first response and resolution are both past due."""
    make_agent("diego.castillo", level=2)
    make_agent("rosa.nivel3", level=3)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at(23, 9), status=Status.NEW)
    first = services.sweep_sla(now=at(23, 19))
    second = services.sweep_sla(now=at(23, 19, 1))
    assert (first["breaches"], first["escalations"]) == (2, 1)
    assert (second["breaches"], second["escalations"]) == (0, 0)
    ticket.refresh_from_db()
    assert ticket.level == 2
    assert "primera respuesta" in ticket.escalations.get().reason.lower()


def test_a_target_met_late_between_sweeps_is_still_a_breach(personas, ticket, policy):
    """Due at 10:00, answered at 10:15 while the worker was down: the breach is recorded (the
    "Vencidos" queue shows it) though nothing is escalated."""
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at(23, 9))
    _assign(personas, ticket, at(23, 9, 1))
    services.add_note(
        ticket=ticket, author=personas.agent, body="Ya revisamos.", now=at(23, 10, 15)
    )
    assert SlaAlert.objects.filter(ticket=ticket, target="first_response", kind="breach").exists()
    breached = personas.client("agent").get("/tickets/?cola=vencidos").content.decode()
    assert ticket.folio in breached
    ticket.refresh_from_db()
    assert ticket.level == 1


def test_a_warning_on_a_ticket_nobody_holds_goes_to_the_supervisors(
    personas, ticket, policy, django_capture_on_commit_callbacks
):
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at(23, 9), status=Status.NEW)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_sla(now=at(23, 9, 50))["warnings"] == 1
    warning = next(m for m in mail.outbox if "SLA al 75" in m.subject)
    assert personas.supervisor.email in warning.to


def test_an_automatic_hand_off_says_what_the_desk_already_tried(
    personas, ticket, policy, make_agent
):
    """From the desk's public notes only: the hand-off is written in the customer's logbook."""
    make_agent("diego.castillo", level=2)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at(23, 9))
    services.add_note(
        ticket=ticket,
        author=personas.agent,
        body="Se cambió el tóner y se limpió el rodillo.",
        now=at(23, 9, 20),
    )
    services.add_note(
        ticket=ticket,
        author=personas.agent,
        body="Contraseña del router: SECRETO-INTERNO",
        internal=True,
        now=at(23, 9, 25),
    )
    services.sweep_sla(now=at(23, 19))
    handoff = ticket.escalations.get()
    assert handoff.automatic
    assert "Se cambió el tóner y se limpió el rodillo." in handoff.tried
    assert "SECRETO-INTERNO" not in handoff.tried
    customer_view = personas.client("customer_a").get(f"/api/v1/tickets/{ticket.number}")
    assert "SECRETO-INTERNO" not in customer_view.content.decode()


def test_one_ticket_that_fails_does_not_hold_back_the_others(personas, ticket, policy, monkeypatch):
    other = services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_b,
            requester=personas.person_b,
            subject="Sin red",
            description="Nada conecta.",
            channel=Channel.EMAIL,
        ),
        now=ticket.created_at,
    )
    Ticket.objects.filter(pk__in=[ticket.pk, other.pk]).update(
        created_at=at(23, 9), sla_check_at=at(23, 9)
    )
    real = services._sweep_ticket

    def broken_for_the_first(one, **kwargs):
        if one.pk == ticket.pk:
            raise RuntimeError("fila dañada")
        return real(one, **kwargs)

    monkeypatch.setattr(services, "_sweep_ticket", broken_for_the_first)
    counts = services.sweep_sla(now=at(23, 9, 50))
    assert counts["failed"] == 1
    assert SlaAlert.objects.filter(ticket=other, kind="warning").exists()


def test_the_sweep_reads_a_ticket_again_if_an_agent_changed_it_meanwhile(
    personas, ticket, policy, monkeypatch
):
    """The sweep has listed the ticket when an agent raises it to urgent: the ticket is
    announced and its countdown stored under the urgent policy, not the old one."""
    SlaPolicy.objects.create(
        level=1,
        priority="urgent",
        first_response_minutes=15,
        next_update_minutes=60,
        resolution_minutes=120,
        escalate_on_breach=False,
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at(23, 9), sla_check_at=at(23, 9))
    listed = services._due_ticket_ids

    def listed_then_changed(now):
        ids = listed(now)
        services.set_priority(ticket=ticket, actor=personas.agent, priority="urgent", now=now)
        Ticket.objects.filter(pk=ticket.pk).update(sla_check_at=at(23, 9))
        return ids

    monkeypatch.setattr(services, "_due_ticket_ids", listed_then_changed)
    counts = services.sweep_sla(now=at(23, 9, 20))
    assert counts["breaches"] == 1  # 20 minutes against the urgent policy's 15
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert ticket.sla_due_at == at(23, 9, 15)  # the urgent first response (normal: 10:00)
