"""Who may see what, for the desk's and the portal's pages alike.

Every ticket is obtained through `reads.ticket` (`Ticket.objects.visible_to(user)`), so
another organisation's ticket, note or file is a 404, never a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest

from soporte.directory.models import Person, User
from soporte.lib.errors import DomainError, Forbidden
from soporte.tickets import reads, services
from soporte.tickets.forms import (
    Upload,
)
from soporte.tickets.models import (
    Attachment,
    Note,
    Ticket,
)


def user_of(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def staff_only(request: HttpRequest) -> User:
    user = user_of(request)
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def ticket_or_404(request: HttpRequest, number: int) -> Ticket:
    """The ticket with what its page prints of it, or 404 (also another organisation's)."""
    found = reads.ticket(request.user, number)
    if found is None:
        raise Http404
    return found


def person_of(user: User) -> Person | None:
    return Person.objects.filter(user=user).select_related("organisation").first()


def refuse_forbidden(exc: DomainError) -> None:
    """`Forbidden` is an access answer (403); any other refusal is shown as a message."""
    if isinstance(exc, Forbidden):
        raise PermissionDenied(str(exc)) from exc


def ticket_notes(ticket: Ticket, *, public_only: bool) -> list[Note]:
    notes = ticket.notes.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if public_only:
        notes = notes.filter(internal=False)
    return list(notes.order_by("created_at", "id"))


def file_ins(files: list[Upload]) -> list[services.FileIn]:
    """A form's uploads as the use cases take them (they check the limits themselves)."""
    return [services.FileIn(f.name, f.data, f.content_type) for f in files]
