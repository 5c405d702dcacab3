"""Notifications by SMTP (T8c–T8f), called by the use cases in `services`.

Each builds one message per recipient (text and HTML, in Spanish) and sends them after the
transaction commits. The recipients come from the directory, never from a message's headers,
and only from the ticket's own organisation (portal isolation). A use case run for a
customer's e-mail passes `via_mail`: the words are the customer's (no echo back to them) and
the answer threads under their message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.directory.models import Person, Role, User
from soporte.tickets.mail.parsing import mailbox, one_line
from soporte.tickets.mail.threads import (
    REPLY_MARKER,
    ViaMail,
    mail_domain,
    make_message_id,
    thread_root_id,
)
from soporte.tickets.models import Channel, Escalation, InboundMail, Note, Status, Ticket

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome

# An e-mail ticket's receipt is sent once per sender and hour (T8d), as intake's rate window.
RATE_WINDOW = dt.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class Recipient:
    name: str
    email: str


def _foreign_addresses(ticket: Ticket, addresses: set[str]) -> set[str]:
    """Addresses that also belong to people of another organisation: never sent to."""
    if not addresses:
        return set()
    match = Q()
    for address in addresses:
        match |= Q(email__iexact=address)
    people = Person.objects.filter(match).exclude(organisation_id=ticket.organisation_id)
    users = User.objects.filter(match, role=Role.CUSTOMER).exclude(
        organisation_id=ticket.organisation_id
    )
    found = {e.lower() for e in people.values_list("email", flat=True)}
    found |= {e.lower() for e in users.values_list("email", flat=True)}
    return found


def customer_recipients(ticket: Ticket) -> list[Recipient]:
    """The ticket's requester and decision maker, only if they belong to its organisation."""
    people: list[Person] = []
    for person in (ticket.requester, ticket.decision_maker):
        if person is None or person in people or not person.email:
            continue
        if person.organisation_id != ticket.organisation_id:
            logger.error("ticket %s names a contact of another organisation", ticket.folio)
            continue
        if person.user is not None and not person.user.is_active:
            continue
        people.append(person)
    foreign = _foreign_addresses(ticket, {p.email.lower() for p in people})
    if foreign:
        logger.error("ticket %s: address shared with another organisation withheld", ticket.folio)
    return [
        Recipient(p.full_name, p.email.lower()) for p in people if p.email.lower() not in foreign
    ]


def _staff_recipient(user: User | None) -> list[Recipient]:
    if user is None or not user.is_desk_staff or not user.email:
        return []
    return [Recipient(user.get_full_name() or user.username, user.email.lower())]


def _subject(prefix: str, ticket: Ticket) -> str:
    return one_line(f"[{ticket.folio}] {prefix}: {ticket.subject}", 250)


def _build(
    *,
    ticket: Ticket,
    recipient: Recipient,
    subject: str,
    template: str,
    context: dict[str, Any],
    customer: bool,
    via_mail: ViaMail | None = None,
) -> EmailMultiAlternatives:
    with translation.override(settings.LANGUAGE_CODE):
        full_context = {
            "ticket": ticket,
            "recipient_name": recipient.name,
            "desk_name": settings.DESK_NAME,
            "site_url": settings.SITE_URL,
            "reply_marker": REPLY_MARKER if customer else "",
            **context,
        }
        text = render_to_string(f"emails/{template}.txt", full_context)
        markup = render_to_string(f"emails/{template}.html", full_context)
    root = thread_root_id(ticket.number)
    references = [root]
    if via_mail is not None and customer and via_mail.sender == recipient.email:
        references.append(via_mail.message_id)  # thread under the customer's own message
    headers = {
        "Message-ID": make_message_id(ticket.number),
        "In-Reply-To": references[-1],
        "References": " ".join(references),
        # RFC 3834: well-behaved responders do not answer automatic mail (loops, T8d).
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Soporte-Loop": mail_domain(),
    }
    message = EmailMultiAlternatives(
        subject=one_line(subject, 250),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mailbox(one_line(recipient.name, 100), recipient.email)],
        headers=headers,
    )
    message.attach_alternative(markup, "text/html")
    return message


def _deliver(messages: list[EmailMultiAlternatives]) -> None:
    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except Exception:
        # The change is committed; a lost notification must not turn it into an error page.
        logger.exception("could not send %d notification(s)", len(messages))


def _queue(messages: list[EmailMultiAlternatives]) -> None:
    if messages:
        transaction.on_commit(partial(_deliver, messages))


def _acknowledged_recently(ticket: Ticket, address: str) -> bool:
    """An e-mail ticket from this sender was opened in the past hour: one receipt is enough (T8d)."""
    return (
        InboundMail.objects.filter(
            sender=address,
            outcome=Outcome.NEW_TICKET,
            received_at__gte=ticket.created_at - RATE_WINDOW,
            received_at__lte=ticket.created_at,
        )
        .exclude(ticket=ticket)
        .exists()
    )


def notify_ticket_opened(ticket: Ticket, *, via_mail: ViaMail | None = None) -> None:
    """Receipt to the customer with the folio (call from services.open_ticket)."""
    messages = []
    for recipient in customer_recipients(ticket):
        if ticket.channel == Channel.EMAIL and _acknowledged_recently(ticket, recipient.email):
            continue
        messages.append(
            _build(
                ticket=ticket,
                recipient=recipient,
                subject=_subject(_("Recibimos su solicitud"), ticket),
                template="ticket_opened",
                context={},
                customer=True,
                via_mail=via_mail,
            )
        )
    _queue(messages)


def notify_note_added(note: Note, *, via_mail: ViaMail | None = None) -> None:
    """A public reply of the desk goes to the customer; the customer's reply to the assignee."""
    if note.internal:
        return
    ticket = note.ticket
    from_customer = note.author.is_customer or via_mail is not None
    if from_customer:
        assignee = ticket.assignee.user if ticket.assignee else None
        messages = [
            _build(
                ticket=ticket,
                recipient=recipient,
                subject=_subject(_("El cliente respondió"), ticket),
                template="ticket_customer_reply",
                context={"note": note},
                customer=False,
            )
            for recipient in _staff_recipient(assignee)
            if recipient.email != note.author.email.lower()
        ]
    else:
        messages = [
            _build(
                ticket=ticket,
                recipient=recipient,
                subject=_subject(_("Respuesta a su solicitud"), ticket),
                template="ticket_reply",
                context={"note": note},
                customer=True,
            )
            for recipient in customer_recipients(ticket)
        ]
    _queue(messages)


def notify_ticket_escalated(escalation: Escalation) -> None:
    """The receiving agent gets the hand-off note; the customer only learns the new level."""
    ticket = escalation.ticket
    receiving = escalation.to_agent.user if escalation.to_agent else None
    messages = [
        _build(
            ticket=ticket,
            recipient=recipient,
            subject=_subject(_("Ticket escalado a usted"), ticket),
            template="ticket_escalated_agent",
            context={"escalation": escalation},
            customer=False,
        )
        for recipient in _staff_recipient(receiving)
    ]
    messages += [
        _build(
            ticket=ticket,
            recipient=recipient,
            subject=_subject(_("Su solicitud pasó a otro nivel de soporte"), ticket),
            template="ticket_escalated",
            context={"escalation": escalation},
            customer=True,
        )
        for recipient in customer_recipients(ticket)
    ]
    _queue(messages)


def notify_status_changed(ticket: Ticket, *, previous: str) -> None:
    """Tells the customer when the ticket is resolved (the other moves are internal)."""
    if ticket.status != Status.RESOLVED or previous == Status.RESOLVED:
        return
    _queue(
        [
            _build(
                ticket=ticket,
                recipient=recipient,
                subject=_subject(_("Solicitud resuelta"), ticket),
                template="ticket_resolved",
                context={},
                customer=True,
            )
            for recipient in customer_recipients(ticket)
        ]
    )
