"""Opening tickets and the status workflow: only legal transitions, each recorded."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import DatabaseError

from soporte.directory.models import Agent, ContactRole, Person
from soporte.lib.errors import Forbidden
from soporte.logbook.models import Entry
from soporte.tickets import services
from soporte.tickets.models import TRANSITIONS, Channel, Status, StatusChange, SupportKind, Ticket
from soporte.tickets.services import NewTicket, TicketError


def new(personas, **overrides) -> NewTicket:
    values = {
        "organisation": personas.org_a,
        "requester": personas.person_a,
        "subject": "Equipo lento",
        "description": "La PC tarda 10 minutos en iniciar.",
        "channel": Channel.PHONE,
    }
    values.update(overrides)
    return NewTicket(**values)


def test_folios_are_sequential_and_human_readable(personas, now):
    first = services.open_ticket(actor=personas.agent, data=new(personas), now=now)
    second = services.open_ticket(actor=personas.agent, data=new(personas), now=now)
    assert first.folio == "SOP-000001"
    assert second.folio == "SOP-000002"


def test_opening_writes_its_bitacora_entry(ticket):
    entry = Entry.objects.get(subject_type="ticket", subject_id=ticket.folio)
    assert ticket.folio in entry.summary
    assert entry.fields["requester"] == ticket.requester.full_name


def test_a_failed_bitacora_write_rolls_the_ticket_back(personas, now):
    with (
        mock.patch(
            "soporte.logbook.services.append_entry", side_effect=DatabaseError("disco lleno")
        ),
        pytest.raises(DatabaseError),
    ):
        services.open_ticket(actor=personas.agent, data=new(personas), now=now)
    assert Ticket.objects.count() == 0


def test_indirect_attention_records_both_people(personas, now):
    decider = Person.objects.create(
        organisation=personas.org_a,
        full_name="Laura Domínguez",
        contact_role=ContactRole.DECISION_MAKER,
    )
    ticket = services.open_ticket(
        actor=personas.agent, data=new(personas, decision_maker=decider, chargeable=True), now=now
    )
    assert ticket.indirect
    assert ticket.approval == "pending"


def test_proactive_channel_makes_the_ticket_proactive(personas, now):
    ticket = services.open_ticket(
        actor=personas.agent, data=new(personas, channel=Channel.PROACTIVE), now=now
    )
    assert ticket.direction == "proactive"


def test_remote_access_needs_tool_and_session(personas, now):
    with pytest.raises(TicketError, check=lambda e: e.code == "remote_session"):
        services.open_ticket(
            actor=personas.agent,
            data=new(personas, support_kind=SupportKind.REMOTE_ACCESS),
            now=now,
        )
    ticket = services.open_ticket(
        actor=personas.agent,
        data=new(
            personas,
            support_kind=SupportKind.REMOTE_ACCESS,
            remote_tool="RustDesk",
            remote_session_id="482 913 577",
        ),
        now=now,
    )
    assert ticket.remote_session_id == "482 913 577"


def test_auxiliary_support_carries_the_warning_and_needs_acknowledgement(personas, now):
    with pytest.raises(
        TicketError,
        match="puede no quedar bien",
        check=lambda e: e.code == "auxiliary_acknowledgement",
    ):
        services.open_ticket(
            actor=personas.agent, data=new(personas, support_kind=SupportKind.AUXILIARY), now=now
        )
    ticket = services.open_ticket(
        actor=personas.agent,
        data=new(personas, support_kind=SupportKind.AUXILIARY, auxiliary_acknowledged=True),
        now=now,
    )
    assert ticket.auxiliary_acknowledged_at == now
    entry = Entry.objects.get(subject_id=ticket.folio)
    assert "puede no quedar bien" in entry.fields["warning"]


def test_customer_of_b_cannot_open_a_ticket_for_a(personas, now):
    with pytest.raises(Forbidden):
        services.open_ticket(actor=personas.customer_b, data=new(personas), now=now)


ALL = [s.value for s in Status]


@pytest.mark.parametrize(("source", "target"), [(a, b) for a in ALL for b in ALL if a != b])
def test_every_transition_is_allowed_only_if_the_workflow_says_so(
    personas, ticket, now, source, target
):
    agent = Agent.objects.get(user=personas.agent)
    Ticket.objects.filter(pk=ticket.pk).update(status=source, assignee=agent)
    if target in TRANSITIONS[source]:
        changed = services.change_status(
            ticket=ticket, actor=personas.agent, to_status=target, now=now
        )
        assert changed.status == target
        change = StatusChange.objects.get(ticket=ticket)
        assert (change.from_status, change.to_status, change.actor) == (
            source,
            target,
            personas.agent,
        )
    else:
        with pytest.raises(TicketError, check=lambda e: e.code == "illegal_transition"):
            services.change_status(ticket=ticket, actor=personas.agent, to_status=target, now=now)
        assert Ticket.objects.get(pk=ticket.pk).status == source


def test_resolving_stamps_the_time_and_first_response(personas, ticket, now):
    agent = Agent.objects.get(user=personas.agent)
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=now)
    later = now + dt.timedelta(hours=1)
    resolved = services.change_status(
        ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=later
    )
    assert resolved.resolved_at == later
    assert resolved.first_response_at == later


def test_closing_a_resolved_ticket_keeps_its_resolution_time(personas, ticket, now):
    agent = Agent.objects.get(user=personas.agent)
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=now)
    resolved_at = now + dt.timedelta(hours=1)
    services.change_status(
        ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=resolved_at
    )
    closed_at = now + dt.timedelta(days=2)
    closed = services.change_status(
        ticket=ticket, actor=personas.agent, to_status=Status.CLOSED, now=closed_at
    )
    stored = Ticket.objects.get(pk=closed.pk)
    assert (stored.resolved_at, stored.closed_at) == (resolved_at, closed_at)


def test_reopening_a_resolved_ticket_restarts_its_resolution_clock(personas, ticket, now):
    agent = Agent.objects.get(user=personas.agent)
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=now)
    services.change_status(ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=now)
    services.change_status(
        ticket=ticket,
        actor=personas.agent,
        to_status=Status.IN_PROGRESS,
        now=now + dt.timedelta(hours=1),
    )
    assert Ticket.objects.get(pk=ticket.pk).resolved_at is None


def test_customers_cannot_change_status(personas, ticket, now):
    with pytest.raises(Forbidden):
        services.change_status(
            ticket=ticket, actor=personas.customer_a, to_status=Status.CANCELLED, now=now
        )


def test_an_agent_below_the_ticket_level_cannot_take_it(personas, ticket, now, make_agent):
    Ticket.objects.filter(pk=ticket.pk).update(level=3)
    junior = make_agent("pepe.junior", level=1)
    with pytest.raises(TicketError, check=lambda e: e.code == "level_too_low"):
        services.assign_ticket(ticket=ticket, actor=personas.supervisor, agent=junior, now=now)


def test_escalated_is_reached_only_through_an_escalation_with_hand_off(personas, ticket, now):
    with pytest.raises(TicketError, check=lambda e: e.code == "illegal_transition"):
        services.change_status(
            ticket=ticket, actor=personas.agent, to_status=Status.ESCALATED, now=now
        )


@pytest.mark.parametrize("waiting", [Status.WAITING_CUSTOMER, Status.RESOLVED])
def test_a_customer_reply_puts_the_ticket_back_in_progress(personas, ticket, now, waiting):
    Ticket.objects.filter(pk=ticket.pk).update(status=waiting)
    services.add_note(
        ticket=ticket, author=personas.customer_a, body="Ya reinicié y sigue igual", now=now
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    change = StatusChange.objects.get(ticket=ticket)
    assert (change.from_status, change.actor) == (waiting, personas.customer_a)


@pytest.mark.parametrize("target", [Status.IN_PROGRESS, Status.ASSIGNED])
def test_a_ticket_in_the_level_queue_is_someones_before_it_is_worked_on(
    personas, ticket, now, target
):
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.ESCALATED, assignee=None)
    with pytest.raises(TicketError, check=lambda e: e.code == "no_assignee"):
        services.change_status(ticket=ticket, actor=personas.supervisor, to_status=target, now=now)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ESCALATED
    assert not StatusChange.objects.filter(ticket=ticket).exists()


def _tried(personas, ticket, now):
    """Each action that changes a ticket, as its service is called."""
    agent = Agent.objects.get(user=personas.agent)
    return {
        "note": lambda: services.add_note(
            ticket=ticket, author=personas.agent, body="Revisé el cable.", now=now
        ),
        "customer reply": lambda: services.add_note(
            ticket=ticket, author=personas.customer_a, body="Sigue igual.", now=now
        ),
        "priority": lambda: services.set_priority(
            ticket=ticket, actor=personas.agent, priority="urgent", now=now
        ),
        "assign": lambda: services.assign_ticket(
            ticket=ticket, actor=personas.agent, agent=agent, now=now
        ),
        "cancel": lambda: services.change_status(
            ticket=ticket, actor=personas.agent, to_status=Status.CANCELLED, now=now
        ),
        "files": lambda: services.attach_files(
            ticket=ticket,
            actor=personas.agent,
            files=[services.FileIn("foto.jpg", b"\xff\xd8")],
            now=now,
        ),
        "escalate": lambda: services.escalate_ticket(
            ticket=ticket,
            actor=personas.agent,
            to_level=2,
            to_area=None,
            customer_name="Roberto",
            reason="No enciende",
            tried="Cambio de cable",
            now=now,
        ),
    }


@pytest.mark.parametrize(
    "action", ["note", "customer reply", "priority", "assign", "cancel", "files", "escalate"]
)
def test_an_action_whose_bitacora_entry_fails_leaves_no_trace(
    personas, ticket, now, action, settings, tmp_path
):
    """Every change and its bitácora entry commit together or not at all."""
    settings.MEDIA_ROOT = tmp_path
    before = Ticket.objects.values().get(pk=ticket.pk)
    counts = (ticket.notes.count(), ticket.attachments.count(), StatusChange.objects.count())
    with (
        mock.patch(
            "soporte.logbook.services.append_entry", side_effect=DatabaseError("disco lleno")
        ),
        pytest.raises(DatabaseError),
    ):
        _tried(personas, ticket, now)[action]()
    assert Ticket.objects.values().get(pk=ticket.pk) == before
    assert (
        ticket.notes.count(),
        ticket.attachments.count(),
        StatusChange.objects.count(),
    ) == counts


def test_closed_tickets_that_lost_their_resolution_time_get_it_back(personas, ticket, now):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "soporte.tickets.migrations.0011_backfill_resolved_at_of_closed_tickets"
    )
    agent = Agent.objects.get(user=personas.agent)
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=now)
    resolved_at = now + dt.timedelta(hours=3)
    services.change_status(
        ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=resolved_at
    )
    services.change_status(
        ticket=ticket,
        actor=personas.agent,
        to_status=Status.CLOSED,
        now=now + dt.timedelta(days=3),
    )
    # As closing left it before the fix.
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=None)
    migration.backfill(apps, None)
    assert Ticket.objects.get(pk=ticket.pk).resolved_at == resolved_at
