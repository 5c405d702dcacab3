"""Outbound notifications through a real SMTP server on loopback (aiosmtpd): Spanish text and
HTML, signed Message-IDs, and never a message for organisation A's ticket to organisation B."""

from __future__ import annotations

import datetime as dt
import email
import inspect
import socket
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from soporte.directory.models import Person
from soporte.tickets import intake, services
from soporte.tickets.mail import notifications, threads
from soporte.tickets.models import Channel, Status, Ticket
from soporte.tickets.tests.test_mail_intake import ROBERTO, compose

ORG_B_ADDRESSES = {"elena.cortes@example.mx"}


@dataclass
class Delivered:
    rcpt_tos: list[str]
    message: EmailMessage


class Inbox:
    def __init__(self) -> None:
        self.delivered: list[Delivered] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.delivered.append(Delivered([r.lower() for r in envelope.rcpt_tos], parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [d.message for d in self.delivered if address in d.rcpt_tos]

    @property
    def recipients(self) -> set[str]:
        return {r for d in self.delivered for r in d.rcpt_tos}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.DEFAULT_FROM_EMAIL = "Mesa de ayuda <soporte@mesa.example.mx>"
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# Until services.py calls the notify_* functions itself, this stands in for those one-line calls;
# once a use case makes the call, its wrapper here steps aside (no double sending).
WIRING: dict[str, Callable[..., None]] = {
    "open_ticket": lambda result, kw: notifications.notify_ticket_opened(result),
    "add_note": lambda result, kw: notifications.notify_note_added(result),
    "escalate_ticket": lambda result, kw: notifications.notify_ticket_escalated(result),
    "change_status": lambda result, kw: notifications.notify_status_changed(
        result, previous=kw["_previous"]
    ),
}


@pytest.fixture
def wired(monkeypatch) -> None:
    for name, notify in WIRING.items():
        original = getattr(services, name)
        if "mail.notify_" in inspect.getsource(original):
            continue

        def wrapper(*args: Any, _original: Any = original, _notify: Any = notify, **kw: Any) -> Any:
            with transaction.atomic():
                if "ticket" in kw:
                    kw["_previous"] = Ticket.objects.get(pk=kw["ticket"].pk).status
                previous = kw.pop("_previous", None)
                result = _original(*args, **kw)
                _notify(result, {**kw, "_previous": previous})
                return result

        monkeypatch.setattr(services, name, wrapper)


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable[[], Any]:
    """Runs the block's on-commit callbacks, as a real commit would (the SMTP send)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def open_for_a(personas, now, **extra) -> Ticket:
    return services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject=extra.pop("subject", "La impresora de almacén no imprime"),
            description="Muestra luz ámbar.",
            channel=extra.pop("channel", Channel.PHONE),
            **extra,
        ),
        now=now,
    )


def subject_of(message: EmailMessage) -> str:
    # Django folds a long encoded subject onto a continuation line; readers drop the space.
    return str(message["Subject"]).strip()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_a_new_ticket_is_acknowledged_in_spanish_text_and_html(
    personas, now, smtp, wired, committed
):
    with committed():
        ticket = open_for_a(personas, now)

    [message] = smtp.to(ROBERTO)
    assert subject_of(message) == f"[{ticket.folio}] Recibimos su solicitud: {ticket.subject}"
    assert message.get_content_type() == "multipart/alternative"
    assert f"Recibimos su solicitud y la registramos con el folio {ticket.folio}" in text_of(
        message
    )
    assert f"<strong>{ticket.folio}</strong>" in html_of(message)
    assert threads.REPLY_MARKER in text_of(message)
    assert threads.verify_reference(message["Message-ID"]) == ticket.number
    assert threads.thread_root_id(ticket.number) in message["References"]
    assert message["Auto-Submitted"] == "auto-generated"


def test_nothing_is_sent_when_the_transaction_rolls_back(personas, now, smtp, wired, committed):
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        open_for_a(personas, now)
        raise RuntimeError("falla después de abrir")
    assert smtp.delivered == []


def test_email_threading_round_trip_through_smtp(personas, now, smtp, wired, committed):
    """The customer answers our notification; the answer lands on the same ticket."""
    with committed():
        ticket = open_for_a(personas, now)
    [ack] = smtp.to(ROBERTO)
    raw = compose(
        subject=f"Re: {subject_of(ack)}",
        text=f"Sigue sin imprimir.\n\n> {threads.REPLY_MARKER}\n> …",
        headers=[f"In-Reply-To: {ack['Message-ID']}", f"References: {ack['References']}"],
    )

    with committed():
        result = intake.ingest(raw, now=now + dt.timedelta(minutes=5))

    assert (result.outcome, result.ticket) == ("reply", ticket)
    assert ticket.notes.get().body == "Sigue sin imprimir."
    assert len(smtp.to(ROBERTO)) == 1  # the customer's own words are not echoed back


def test_an_email_ticket_is_acknowledged_under_the_customers_message(
    personas, now, smtp, wired, committed
):
    with committed():
        result = intake.ingest(compose(message_id="<original-1@cliente.example.mx>"), now=now)
    [ack] = smtp.to(ROBERTO)
    assert result.ticket is not None
    assert ack["In-Reply-To"] == "<original-1@cliente.example.mx>"
    assert threads.verify_reference(ack["Message-ID"]) == result.ticket.number


def test_a_public_reply_of_the_agent_reaches_the_customer(personas, now, smtp, wired, committed):
    ticket = open_for_a(personas, now)
    with committed():
        services.add_note(
            ticket=ticket, author=personas.agent, body="Cambie el tóner, por favor.", now=now
        )
    [message] = smtp.to(ROBERTO)
    assert subject_of(message).startswith(f"[{ticket.folio}] Respuesta a su solicitud")
    assert "Blanca Herrera respondió a su solicitud" in text_of(message)
    assert "Cambie el tóner, por favor." in text_of(message)


def test_an_internal_note_is_never_mailed(personas, now, smtp, wired, committed):
    ticket = open_for_a(personas, now)
    with committed():
        services.add_note(
            ticket=ticket, author=personas.agent, body="Cliente difícil.", now=now, internal=True
        )
    assert smtp.delivered == []


def test_the_customers_reply_goes_to_the_assignee(personas, now, smtp, wired, committed):
    ticket = open_for_a(personas, now)
    services.assign_ticket(
        ticket=ticket, actor=personas.supervisor, agent=personas.agent.agent, now=now
    )
    with committed():
        services.add_note(ticket=ticket, author=personas.customer_a, body="<b>Urgente</b>", now=now)
    assert smtp.recipients == {personas.agent.email}
    [message] = smtp.delivered
    assert "&lt;b&gt;Urgente&lt;/b&gt;" in html_of(message.message)
    assert threads.REPLY_MARKER not in text_of(message.message)


def test_an_escalation_hands_off_to_the_agent_and_tells_the_customer_only_the_level(
    personas, now, smtp, wired, committed, make_agent
):
    level2 = make_agent("ramon.vega", level=2, first_name="Ramón", last_name="Vega")
    ticket = open_for_a(personas, now)
    with committed():
        services.escalate_ticket(
            ticket=ticket,
            actor=personas.agent,
            to_level=2,
            to_area=None,
            customer_name="Roberto Sánchez",
            reason="Falla de la tarjeta lógica (nota interna)",
            tried="Reinicio y cambio de tóner",
            now=now,
        )
    [handoff] = smtp.to(level2.user.email)
    assert "Falla de la tarjeta lógica" in text_of(handoff)
    assert "Reinicio y cambio de tóner" in html_of(handoff)
    [notice] = smtp.to(ROBERTO)
    assert f"Su solicitud {ticket.folio} pasó al nivel 2" in text_of(notice)
    assert "tarjeta lógica" not in text_of(notice) + html_of(notice)


def test_the_customer_is_told_when_the_ticket_is_resolved(personas, now, smtp, wired, committed):
    ticket = open_for_a(personas, now)
    services.assign_ticket(
        ticket=ticket, actor=personas.supervisor, agent=personas.agent.agent, now=now
    )
    services.change_status(
        ticket=ticket, actor=personas.agent, to_status=Status.IN_PROGRESS, now=now
    )
    assert smtp.delivered == []
    with committed():
        services.change_status(
            ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=now
        )
    [message] = smtp.to(ROBERTO)
    assert subject_of(message).startswith(f"[{ticket.folio}] Solicitud resuelta")
    assert "como resuelta" in text_of(message)


# Portal isolation


def every_notification(personas, now, ticket: Ticket, make_agent) -> None:
    make_agent("ramon.vega", level=2)
    services.assign_ticket(
        ticket=ticket, actor=personas.supervisor, agent=personas.agent.agent, now=now
    )
    services.add_note(ticket=ticket, author=personas.agent, body="Respuesta pública", now=now)
    services.add_note(ticket=ticket, author=personas.customer_a, body="Gracias", now=now)
    services.escalate_ticket(
        ticket=ticket,
        actor=personas.agent,
        to_level=2,
        to_area=None,
        customer_name="Roberto",
        reason="r",
        tried="t",
        now=now,
    )
    services.change_status(
        ticket=ticket, actor=personas.supervisor, to_status=Status.IN_PROGRESS, now=now
    )
    services.change_status(
        ticket=ticket, actor=personas.supervisor, to_status=Status.RESOLVED, now=now
    )


def all_addresses(inbox: Inbox) -> set[str]:
    found = set(inbox.recipients)
    for delivered in inbox.delivered:
        for name in ("To", "Cc", "Bcc", "Reply-To"):
            for address in delivered.message.get_all(name, []):
                found.add(str(address).lower())
    return found


def test_a_notification_for_org_a_never_goes_to_org_b_people(
    personas, now, smtp, wired, committed, make_agent
):
    with committed():
        ticket = open_for_a(personas, now)
        every_notification(personas, now, ticket, make_agent)

    # receipt, public reply, escalation notice, resolution
    assert len(smtp.to(ROBERTO)) == 4
    assert {"blanca.herrera@example.mx", "ramon.vega@example.mx"} <= smtp.recipients
    assert not any(b in address for b in ORG_B_ADDRESSES for address in all_addresses(smtp))


def test_a_contact_of_org_b_wrongly_set_on_org_a_ticket_is_not_mailed(
    personas, now, smtp, wired, committed, make_agent
):
    ticket = open_for_a(personas, now)
    Ticket.objects.filter(pk=ticket.pk).update(
        decision_maker=personas.person_b
    )  # bypasses the rule
    ticket.refresh_from_db()
    with committed():
        every_notification(personas, now, ticket, make_agent)

    assert len(smtp.to(ROBERTO)) == 3  # public reply, escalation notice, resolution
    assert not smtp.recipients & ORG_B_ADDRESSES


def test_an_address_shared_with_org_b_is_withheld(personas, now, smtp, committed):
    Person.objects.create(organisation=personas.org_b, full_name="Roberto en B", email=ROBERTO)
    with committed():
        ticket = open_for_a(personas, now)
        notifications.notify_ticket_opened(ticket)
        notifications.notify_status_changed(ticket, previous=Status.IN_PROGRESS)
    assert smtp.delivered == []


def test_a_subject_with_line_breaks_cannot_inject_recipients(personas, now, smtp, wired, committed):
    with committed():
        open_for_a(personas, now, subject="Hola\r\nBcc: elena.cortes@example.mx\r\nX-Malo: 1")
    [delivered] = smtp.delivered
    assert delivered.rcpt_tos == [ROBERTO]
    assert delivered.message["X-Malo"] is None
    assert "\n" not in subject_of(delivered.message)


# Loops (T8d): a flood of plain auto-replies gets at most one receipt per hour


def test_an_autoresponder_flood_gets_at_most_one_receipt_per_hour(
    personas, now, smtp, wired, committed, settings
):
    settings.SOPORTE_MAIL_MAX_PER_SENDER_PER_HOUR = 20
    with committed():
        outcomes = [
            intake.ingest(
                compose(subject="Respuesta automática: estoy de vacaciones"),
                now=now + dt.timedelta(seconds=i),
            ).outcome
            for i in range(60)
        ]
    assert outcomes.count("new_ticket") == 20
    assert outcomes.count("ignored") == 40
    assert len(smtp.to(ROBERTO)) == 1


def test_our_own_notification_coming_back_is_ignored(personas, now, smtp, wired, committed):
    with committed():
        open_for_a(personas, now)
    [ack] = smtp.delivered
    bounced_back = ack.message.as_bytes().replace(
        b"From: Mesa de ayuda <soporte@mesa.example.mx>", f"From: {ROBERTO}".encode()
    )
    result = intake.ingest(bounced_back, now=now)
    assert (result.outcome, result.reason) == ("ignored", "auto_submitted")


@pytest.mark.parametrize(
    ("address", "delivered_to"),
    [
        ("roberto@ferretería-anáhuac.mx", "roberto@xn--ferretera-anhuac-qmb5s.mx"),
        ("josé@ferreteria.mx", "josé@ferreteria.mx"),  # SMTPUTF8, RFC 6531
    ],
)
def test_accented_addresses_get_their_notification(
    personas, now, smtp, wired, committed, address, delivered_to
):
    """An accented domain is sent as IDNA; an accented mailbox reaches the server as UTF-8
    (it used to raise UnicodeEncodeError and lose the notification)."""
    Person.objects.filter(pk=personas.person_a.pk).update(email=address)
    personas.person_a.refresh_from_db()
    with committed():
        ticket = open_for_a(personas, now)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    [message] = smtp.to(delivered_to)
    assert ticket.folio in subject_of(message)
