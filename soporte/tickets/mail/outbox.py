"""Outgoing mail goes through the job queue: committed with the change, sent by a worker,
retried with backoff while the SMTP server is down, and a message that never went out is a
failed job in the admin (with the server's error) instead of a line in a log.

A message travels as JSON (`outgoing`); the job rebuilds it. A retry after a worker died
between the SMTP server's acceptance and the job's record sends it again: our notifications
carry their own Message-ID, by which mail readers recognise the copy.
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.translation import gettext_lazy as _

from soporte.lib import tasks


def outgoing(message: EmailMultiAlternatives) -> dict[str, Any]:
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
        "alternatives": [[content, mimetype] for content, mimetype in message.alternatives],
    }


@tasks.job(title=_("Enviar un correo"), attempts=8, backoff_s=30)
def send_email(*, message: dict[str, Any]) -> None:
    """One message to its recipients through the configured backend (SMTP); raises to retry."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message["headers"],
    )
    for content, mimetype in message["alternatives"]:
        email.attach_alternative(content, mimetype)
    with get_connection(fail_silently=False) as connection:
        connection.send_messages([email])


def queue(messages: list[EmailMultiAlternatives]) -> None:
    """Enqueue each message in the current transaction: one job per message, keyed by its
    Message-ID when it has one (so a message is never queued twice)."""
    for message in messages:
        message_id = message.extra_headers.get("Message-ID")
        tasks.enqueue(
            send_email,
            key=f"mail:{message_id}" if message_id else None,
            message=outgoing(message),
        )
