"""A customer's logbook holds what the customer may read, signed by whoever acted.

Every use case that writes to a customer's contract logbook runs here once (a portal
request, the desk's ticket actions, public and internal notes, a reply, files, an
escalation by hand and one by the SLA sweep, an approval, a survey, a call with a hold and a
warm transfer, a call with no ticket); then no entry of that logbook carries an internal
detail, and the export verifies."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.calls import services as calls
from soporte.logbook import export, keys, verify
from soporte.logbook.models import Entry, EntryKind, LogbookKind
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel, Status

S = dt.timedelta(seconds=1)

# Internal details of a call and of a hand-off (the ticket page marks them "Interna: el
# cliente no la ve"): none may reach the customer's logbook.
INTERNAL_KEYS = {"rings", "ring_seconds", "holds", "transfers", "hangup_by", "tried", "to_agent"}
INTERNAL_WORDS = [
    "Timbres",
    "Esperas",
    "Transferencias",
    "Colgó",
    "consulto el historial",  # a hold's reason
    "SECRETO-INTERNO",  # an internal note's text
    "traspaso-interno",  # a hand-off's reason
    "ya-se-intento-interno",  # what a hand-off says was tried
]


@pytest.fixture
def everything(personas, contract_logbook, now, settings) -> dict:
    agent, supervisor, customer = personas.agent, personas.supervisor, personas.customer_a
    person = personas.person_a
    person.phone = "5255501234"
    person.save()

    # A portal request: the customer's own action, signed with the customer's key.
    request = tickets.open_ticket(
        actor=customer,
        data=tickets.NewTicket(
            organisation=personas.org_a,
            requester=person,
            decision_maker=person,
            subject="La impresora no imprime",
            description="Desde la mañana no imprime.",
            channel=Channel.PORTAL,
        ),
        files=[tickets.FileIn("foto.txt", b"una foto", "text/plain")],
        now=now,
    )
    tickets.assign_ticket(ticket=request, actor=supervisor, agent=agent.agent, now=now + S)
    tickets.set_priority(
        ticket=request, actor=agent, priority="high", reason="Caja", now=now + 2 * S
    )
    tickets.change_status(
        ticket=request, actor=agent, to_status=Status.IN_PROGRESS, now=now + 3 * S
    )
    tickets.add_note(ticket=request, author=agent, body="Revisamos la cola.", now=now + 4 * S)
    tickets.add_note(
        ticket=request, author=agent, body="SECRETO-INTERNO: clave", internal=True, now=now + 5 * S
    )
    tickets.add_note(ticket=request, author=customer, body="Sigue sin imprimir.", now=now + 6 * S)
    tickets.escalate_ticket(
        ticket=request,
        actor=agent,
        to_level=2,
        to_area=None,
        customer_name="Roberto",
        reason="traspaso-interno",
        tried="ya-se-intento-interno",
        now=now + 7 * S,
    )
    automatic = tickets.open_ticket(
        actor=agent,
        data=tickets.NewTicket(
            organisation=personas.org_a,
            requester=person,
            subject="Sin red",
            description="No hay red.",
            channel=Channel.PHONE,
            chargeable=True,
        ),
        now=now + 8 * S,
    )
    tickets.escalate_ticket(  # what the SLA sweep does on a breach
        ticket=automatic,
        actor=tickets.desk_author(now),
        to_level=2,
        to_area=None,
        customer_name="Roberto",
        reason="Plazo vencido (escalamiento automático).",
        tried="ya-se-intento-interno",
        now=now + 9 * S,
        automatic=True,
    )
    tickets.decide_approval(ticket=automatic, actor=customer, approve=True, now=now + 10 * S)

    # A call with a hold and a warm transfer, on the request's ticket.
    call = calls.register_ringing(actor=agent, number="5255501234", now=now + 20 * S)
    call = calls.answer_call(actor=agent, call=call, now=now + 27 * S)
    call = calls.record_caller(
        actor=agent, call=call, need="Impresora", caller_name="Roberto", now=now + 30 * S
    )
    call = calls.attach_ticket(actor=agent, call=call, ticket_id=request.pk, now=now + 31 * S)
    call = calls.place_on_hold(
        actor=agent, call=call, reason="consulto el historial", choice="wait", now=now + 40 * S
    )
    call = calls.resume_call(actor=agent, call=call, now=now + 100 * S)
    transfer = calls.start_warm_transfer(
        actor=agent,
        call=call,
        to_agent=supervisor.agent,
        reason="traspaso-interno",
        summary="ya-se-intento-interno",
        announced=True,
        now=now + 110 * S,
    )
    calls.accept_transfer(actor=supervisor, transfer=transfer, now=now + 115 * S)
    call = calls.complete_transfer(actor=agent, transfer=transfer, now=now + 120 * S)
    calls.hang_up(actor=supervisor, call=call, by="caller", now=now + 200 * S)
    # A call from the customer with no ticket.
    bare = calls.register_ringing(actor=agent, number="5255501234", now=now + 300 * S)
    bare = calls.answer_call(actor=agent, call=bare, now=now + 303 * S)
    calls.hang_up(actor=agent, call=bare, by="agent", now=now + 360 * S)
    assert calls.record_finished_calls(now=now + 400 * S) == 2

    tickets.change_status(
        ticket=request, actor=supervisor, to_status=Status.RESOLVED, now=now + 500 * S
    )
    tickets.answer_survey(
        ticket=request, actor=customer, satisfaction=5, resolved=True, now=now + 600 * S
    )
    return {"request": request, "automatic": automatic}


def test_no_internal_detail_reaches_the_customers_logbook(everything, contract_logbook):
    entries = list(Entry.objects.filter(logbook=contract_logbook).order_by("number"))
    kinds = {e.kind for e in entries}
    # Every kind of entry the desk's apps write to a customer's logbook was exercised.
    assert {
        EntryKind.OPENING,
        EntryKind.NOTE,
        EntryKind.ESCALATION,
        EntryKind.CALL,
        EntryKind.APPROVAL,
    } <= kinds, kinds
    for entry in entries:
        assert not INTERNAL_KEYS & set(entry.fields), (entry.number, entry.kind, entry.fields)
        text = " ".join([entry.summary, *map(str, entry.fields.values())])
        for word in INTERNAL_WORDS:
            assert word not in text, (entry.number, entry.kind, word, text)
    calls_here = [e for e in entries if e.kind == EntryKind.CALL]
    assert len(calls_here) == 2
    for entry in calls_here:
        assert set(entry.fields) == {"when", "who", "agent", "outcome"}


def test_the_internal_details_stay_with_the_desk(everything, now):
    desk = Entry.objects.filter(logbook__kind=LogbookKind.DESK)
    texts = " ".join(e.summary + " " + " ".join(map(str, e.fields.values())) for e in desk)
    assert "SECRETO-INTERNO" in texts  # the internal note
    assert "traspaso-interno" in texts and "ya-se-intento-interno" in texts  # the hand-offs
    request = everything["request"]
    note = request.notes.filter(internal=True, body__contains="Timbres").get()
    assert "consulto el historial" in note.body  # the call's record, internal to the ticket


def test_a_portal_request_is_signed_by_its_customer(everything, personas, contract_logbook):
    request = everything["request"]
    opened = Entry.objects.get(
        logbook=contract_logbook, subject_id=request.folio, summary__contains="abierto"
    )
    assert opened.author == personas.customer_a
    signature = opened.signatures.get()
    assert signature.key.user == personas.customer_a
    assert signature.role == "reporting"


def test_automatic_entries_are_signed_by_the_named_system_signer(everything, contract_logbook):
    system = keys.system_signer()
    escalated = Entry.objects.get(
        logbook=contract_logbook,
        kind=EntryKind.ESCALATION,
        subject_id=everything["automatic"].folio,
    )
    assert escalated.author == system and str(system) == "Sistema de la mesa"
    assert escalated.signatures.get().key.is_desk
    assert not system.is_active and not system.has_usable_password()


def test_the_customers_logbook_still_verifies(everything, contract_logbook, now, tmp_path):
    path = tmp_path / "cliente.jsonl"
    with open(path, "wb") as handle:
        export.export_logbook(contract_logbook, handle, now=now + dt.timedelta(hours=1))
    report = verify.verify_file(str(path), workers=1)
    assert report.ok, report.summary()
