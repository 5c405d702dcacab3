"""The blog's e-mails, queued through the tickets' outbox (sent by a worker after the commit,
retried while SMTP is down): the cadence reminder, the commenter's confirmation link and the
author's notice of a new comment. Written in the desk's language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.tickets.mail import outbox

AUTO_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def _message(*, to: str, subject: str, template: str, context: dict[str, Any]) -> Any:
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            f"knowledge/emails/{template}.txt",
            {"desk_name": settings.DESK_NAME, "site_url": settings.SITE_URL, **context},
        )
        subject = str(subject)
    return EmailMultiAlternatives(
        subject=" ".join(subject.split())[:250],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=dict(AUTO_HEADERS),
    )


def send_reminder(*, authors: list[Any], state: Any) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("El blog lleva %(days)s días sin publicar") % {
            "days": state.days_since_last if state.days_since_last is not None else "—"
        }
    outbox.queue(
        [
            _message(
                to=author.email,
                subject=subject,
                template="reminder",
                context={"author": author, "state": state},
            )
            for author in authors
        ]
    )


def send_confirmation(*, comment: Any, link: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Confirme su comentario en «%(title)s»") % {"title": comment.post.title}
    outbox.queue(
        [
            _message(
                to=comment.author_email,
                subject=subject,
                template="confirm_comment",
                context={"comment": comment, "link": link},
            )
        ]
    )


def notify_author(*, comment: Any) -> None:
    author = comment.post.author
    if not author.email or author.email == comment.author_email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Nuevo comentario en «%(title)s»") % {"title": comment.post.title}
    outbox.queue(
        [
            _message(
                to=author.email,
                subject=subject,
                template="new_comment",
                context={"comment": comment},
            )
        ]
    )
