"""Reply threading through our signed Message-IDs; a forged or altered reference never makes a
message a reply (rule T8b)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from soporte.directory.models import Person
from soporte.tickets import intake, services
from soporte.tickets.mail import threads
from soporte.tickets.models import Channel, InboundMail, Note, Status, Ticket
from soporte.tickets.tests.test_mail_intake import ELENA, compose


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ticket(personas, now) -> Ticket:
    result = intake.ingest(compose(), now=now)
    assert result.ticket is not None
    return result.ticket


def reply(ticket_reference: str, *, sender: str = "roberto.sanchez@example.mx", **kwargs) -> bytes:
    body = (
        "Ya reinicié la impresora y sigue igual.\n\n"
        "El lun, 23 nov 2026 a las 10:30, Soporte <soporte@localhost> escribió:\n"
        f"> {threads.REPLY_MARKER}\n> Recibimos su solicitud…\n"
    )
    return compose(
        sender=sender,
        subject="Re: [SOP-000001] Recibimos su solicitud",
        text=body,
        headers=[f"In-Reply-To: {ticket_reference}", f"References: {ticket_reference}"],
        **kwargs,
    )


def later(now: dt.datetime, minutes: int = 10) -> dt.datetime:
    return now + dt.timedelta(minutes=minutes)


def test_our_message_ids_are_signed_and_verify(ticket):
    message_id = threads.make_message_id(ticket.number)
    assert re.fullmatch(r"<sop-000001-[0-9a-f]{16}-[0-9a-f]{32}@soporte\.local>", message_id)
    assert threads.verify_reference(message_id) == ticket.number
    assert threads.verify_reference(threads.thread_root_id(ticket.number)) == ticket.number
    assert threads.make_message_id(ticket.number) != message_id  # a fresh nonce every time


def test_a_reply_to_our_message_is_threaded_onto_its_ticket(ticket, now):
    result = intake.ingest(reply(threads.make_message_id(ticket.number)), now=later(now))

    assert result.outcome == InboundMail.Outcome.REPLY
    assert result.ticket == ticket
    assert Ticket.objects.count() == 1
    note = Note.objects.get(ticket=ticket)
    assert note.body == "Ya reinicié la impresora y sigue igual."  # the quoted text is cut
    assert not note.internal
    assert note.author == ticket.requester.user


def test_a_reference_found_only_in_references_threads_too(ticket, now):
    raw = compose(
        subject="Re: otra cosa",
        text="Agrego una foto.",
        headers=[
            "In-Reply-To: <algo-de-su-cliente@example.mx>",
            f"References: {threads.thread_root_id(ticket.number)} <algo-de-su-cliente@example.mx>",
        ],
    )
    result = intake.ingest(raw, now=later(now))
    assert (result.outcome, result.ticket) == ("reply", ticket)


@pytest.mark.parametrize("waiting", [Status.NEW, Status.WAITING_CUSTOMER])
def test_a_reply_from_a_contact_without_an_account_is_the_customers_not_the_desks(
    personas, ticket, now, waiting
):
    """Iván has no portal account, so the desk signs his words; they still answer nothing
    of the desk's (no first response) and bring a waiting ticket back to work."""
    Person.objects.create(
        organisation=personas.org_a, full_name="Iván Ortega", email="ivan.ortega@example.mx"
    )
    Ticket.objects.filter(pk=ticket.pk).update(status=waiting)
    intake.ingest(
        reply(threads.make_message_id(ticket.number), sender="ivan.ortega@example.mx"),
        now=later(now),
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.last_update_at is None
    expected = Status.IN_PROGRESS if waiting == Status.WAITING_CUSTOMER else Status.NEW
    assert ticket.status == expected


def test_a_reference_with_an_altered_number_opens_a_new_ticket(personas, ticket, now):
    """The number in our Message-ID is guessable; the MAC is what makes it ours."""
    other = services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="Otro asunto",
            description="Otro ticket de la misma organización.",
            channel=Channel.PHONE,
        ),
        now=now,
    )
    genuine = threads.make_message_id(ticket.number)
    forged = genuine.replace(f"sop-{ticket.number:06d}-", f"sop-{other.number:06d}-")

    result = intake.ingest(reply(forged), now=later(now))

    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    assert result.reason == "forged_reference"
    assert result.ticket not in (ticket, other)
    assert Note.objects.count() == 0


@pytest.mark.parametrize(
    "forged",
    [
        "<sop-000001-0123456789abcdef-0123456789abcdef0123456789abcdef@soporte.local>",
        "<sop-000001-0123456789abcdef-@soporte.local>",
        "<sop-1@soporte.local>",
    ],
)
def test_a_reference_with_a_bad_mac_is_a_new_message_never_a_reply(ticket, now, forged):
    result = intake.ingest(reply(forged), now=later(now))
    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    assert result.reason == "forged_reference"
    assert result.ticket != ticket
    assert not Note.objects.filter(ticket=ticket).exists()


def test_a_reference_signed_with_another_key_is_not_ours(ticket, now, settings):
    settings.SECRET_KEY = "otra-instalacion-otra-clave-secreta-de-32-caracteres"
    foreign = threads.make_message_id(ticket.number)
    settings.SECRET_KEY = "la-clave-de-esta-mesa-de-ayuda-de-32-caracteres-o-mas"

    result = intake.ingest(reply(foreign), now=later(now))

    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    assert not Note.objects.filter(ticket=ticket).exists()


def test_references_survive_a_key_rotation(ticket, now, settings):
    old_key = settings.SECRET_KEY
    issued = threads.make_message_id(ticket.number)
    settings.SECRET_KEY = "una-clave-nueva-tras-la-rotacion-de-32-caracteres"
    settings.SECRET_KEY_FALLBACKS = [old_key]

    assert intake.ingest(reply(issued), now=later(now)).outcome == InboundMail.Outcome.REPLY


def test_the_folio_in_the_subject_is_never_used_to_thread(ticket, now):
    raw = compose(subject=f"Re: [{ticket.folio}] Recibimos su solicitud", text="Hola")
    result = intake.ingest(raw, now=later(now))
    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    assert result.reason == ""
    assert result.ticket != ticket


def test_a_colleague_of_the_same_organisation_can_reply(personas, ticket, now):
    Person.objects.create(
        organisation=personas.org_a, full_name="Iván Ortega", email="ivan.ortega@example.mx"
    )
    result = intake.ingest(
        reply(threads.make_message_id(ticket.number), sender="ivan.ortega@example.mx"),
        now=later(now),
    )
    assert (result.outcome, result.ticket) == ("reply", ticket)
    note = Note.objects.get(ticket=ticket)
    assert note.body.startswith("Correo de Iván Ortega <ivan.ortega@example.mx>:")


def test_a_valid_reference_held_by_another_organisation_does_not_reach_the_ticket(
    personas, ticket, now
):
    """Org A's customer forwarded our mail to org B; org B's reply opens org B's own ticket."""
    result = intake.ingest(
        reply(threads.make_message_id(ticket.number), sender=ELENA), now=later(now)
    )

    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    assert result.reason == "reference_other_organisation"
    assert result.ticket is not None
    assert result.ticket.organisation == personas.org_b
    assert not Note.objects.filter(ticket=ticket).exists()


def test_a_reply_to_a_closed_ticket_opens_a_new_one(personas, ticket, now):
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    result = intake.ingest(reply(threads.make_message_id(ticket.number)), now=later(now))
    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    assert result.reason == f"ticket_closed:{ticket.folio}"
    assert result.ticket != ticket


def test_an_unknown_sender_with_a_valid_reference_is_quarantined(ticket, now):
    """Ticket trick (T8f): a third party's mail never lands in a visible thread."""
    raw = reply(threads.make_message_id(ticket.number), sender="no-reply@red-social.example")
    result = intake.ingest(raw, now=later(now))
    assert (result.outcome, result.reason) == ("quarantined", "unknown_sender")
    assert not Note.objects.filter(ticket=ticket).exists()


def test_a_spoofed_agent_reply_is_not_taken_as_the_agents(personas, ticket, now):
    """FreeScout CVE-2026-47123: a forged From + a reference made an 'agent reply' that was
    mailed to the customer. Here it goes to the quarantine and nothing is added or sent."""
    raw = reply(threads.make_message_id(ticket.number), sender=personas.agent.email)
    result = intake.ingest(raw, now=later(now))
    assert (result.outcome, result.reason) == ("quarantined", "staff_sender")
    assert not Note.objects.filter(ticket=ticket).exists()
