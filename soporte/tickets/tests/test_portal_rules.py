"""Virtual attention: the decision-maker approves chargeable work; the requester answers the survey."""

from __future__ import annotations

import pytest
from django.test import Client

from soporte.directory.models import Agent, ContactRole
from soporte.lib.errors import Forbidden
from soporte.logbook.models import Entry
from soporte.tickets import services
from soporte.tickets.models import Channel, Status, Ticket
from soporte.tickets.services import TicketError


@pytest.fixture
def chargeable(personas, now, make_customer):
    decider_user = make_customer("laura.dominguez", personas.org_a, ContactRole.DECISION_MAKER)
    requester_user = make_customer("claudia.perez", personas.org_a, ContactRole.REQUESTER)
    return (
        services.open_ticket(
            actor=personas.agent,
            data=services.NewTicket(
                organisation=personas.org_a,
                requester=requester_user.person,
                decision_maker=decider_user.person,
                subject="Cambio de disco duro",
                description="Se requiere un SSD nuevo.",
                channel=Channel.PORTAL,
                chargeable=True,
            ),
            now=now,
        ),
        decider_user,
        requester_user,
    )


def test_the_decision_maker_approves_and_signs_the_entry(chargeable, now):
    ticket, decider, _requester = chargeable
    services.decide_approval(ticket=ticket, actor=decider, approve=True, now=now)
    assert Ticket.objects.get(pk=ticket.pk).approval == "approved"
    entry = Entry.objects.filter(subject_id=ticket.folio).order_by("id").last()
    assert "aprobado por" in entry.summary
    assert entry.author == decider


def test_the_requester_cannot_approve_indirect_work(chargeable, now):
    ticket, _decider, requester = chargeable
    with pytest.raises(Forbidden):
        services.decide_approval(ticket=ticket, actor=requester, approve=True, now=now)


def test_a_decider_of_another_organisation_cannot_approve(chargeable, personas, now):
    ticket, _decider, _requester = chargeable
    with pytest.raises(Forbidden):
        services.decide_approval(ticket=ticket, actor=personas.customer_b, approve=False, now=now)


def test_deciding_twice_in_the_portal_says_it_was_decided(chargeable):
    ticket, decider, _requester = chargeable
    client = Client()
    client.force_login(decider)
    address = f"/tickets/mis-solicitudes/{ticket.number}/aprobacion/"
    first = client.post(address, {"decision": "approve", "comment": ""})
    assert first.status_code == 302
    second = client.post(address, {"decision": "reject", "comment": ""}, follow=True)
    assert "no tiene una aprobación pendiente" in second.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).approval == "approved"


def test_the_survey_waits_for_resolution_and_is_answered_once(chargeable, personas, now):
    ticket, _decider, requester = chargeable
    with pytest.raises(TicketError, check=lambda e: e.code == "not_resolved"):
        services.answer_survey(
            ticket=ticket, actor=requester, satisfaction=5, resolved=True, now=now
        )
    agent = Agent.objects.get(user=personas.agent)
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=now)
    services.change_status(ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=now)

    survey = services.answer_survey(
        ticket=ticket, actor=requester, satisfaction=4, resolved=True, now=now
    )

    assert (survey.satisfaction, survey.resolved) == (4, True)
    with pytest.raises(TicketError, check=lambda e: e.code == "already_answered"):
        services.answer_survey(
            ticket=ticket, actor=requester, satisfaction=1, resolved=False, now=now
        )


def test_only_the_requester_answers_the_survey(chargeable, personas, now):
    ticket, decider, _requester = chargeable
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.RESOLVED)
    with pytest.raises(Forbidden):
        services.answer_survey(ticket=ticket, actor=decider, satisfaction=5, resolved=True, now=now)
