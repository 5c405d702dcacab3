"""Intake: one RFC 822 message becomes a new ticket, a reply, or is ignored or quarantined.

Never trusts a header to say who the sender is or which ticket a message answers:

* the sender is one directory contact (parsed in `mail.parsing`, T8a);
* a reply is threaded only through a Message-ID we signed (`mail.threads`, T8b). A reference
  that looks like ours but does not verify opens a new ticket, never a note;
* auto-replies, bounces, bulk mail, our own notifications and floods from one sender do not open
  tickets (T8d).

Every message is recorded in InboundMail with what became of it, and its raw bytes are kept
under MEDIA_ROOT/mail/ (0o640) for the quarantine review. The use cases run with `via_mail`,
so their notifications know the words came from the customer by mail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from soporte.directory.models import STAFF_ROLES, Person, User
from soporte.lib.errors import DomainError
from soporte.tickets import attachments, services
from soporte.tickets.mail import authresults
from soporte.tickets.mail.parsing import MAX_MESSAGE_BYTES, Parsed, parse, strip_quoted_reply
from soporte.tickets.mail.threads import ViaMail, looks_like_our_reference, verify_reference
from soporte.tickets.models import Channel, InboundMail, Status, SupportKind, Ticket

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome

__all__ = ["MAX_MESSAGE_BYTES", "IngestResult", "ingest"]

# Per-sender rate limit (T8d): messages in the last hour beyond this are ignored.
DEFAULT_MAX_PER_SENDER_PER_HOUR = 20
RATE_WINDOW = dt.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class IngestResult:
    outcome: str
    reason: str
    record: InboundMail
    ticket: Ticket | None
    duplicate: bool = False

    def summary(self) -> str:
        folio = self.ticket.folio if self.ticket else "-"
        kind = "duplicate" if self.duplicate else self.outcome
        return f"{kind} {folio} {self.reason}".strip()


def raw_storage_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "mail"


def save_raw(raw: bytes) -> str:
    """Keep the raw bytes (content-addressed, fsynced, 0o640); returns the path under MEDIA_ROOT."""
    digest = hashlib.sha256(raw).hexdigest()
    relative = Path("mail") / digest[:2] / f"{digest}.eml"
    path = Path(settings.MEDIA_ROOT) / relative
    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    for directory in (path.parent.parent, path.parent):  # mail/ and its shard: 0o750 each
        directory.mkdir(exist_ok=True, mode=0o750)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except FileExistsError:
        return str(relative)  # the same bytes again: already kept
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    return str(relative)


def max_per_sender_per_hour() -> int:
    return int(getattr(settings, "SOPORTE_MAIL_MAX_PER_SENDER_PER_HOUR", 0)) or (
        DEFAULT_MAX_PER_SENDER_PER_HOUR
    )


def _our_addresses() -> set[str]:
    ours = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), parseaddr(settings.SERVER_EMAIL)[1]}
    ours.update(a.lower() for a in getattr(settings, "SOPORTE_MAIL_OWN_ADDRESSES", []))
    return {a.lower() for a in ours if a}


@dataclasses.dataclass(frozen=True)
class _Sender:
    person: Person | None
    problem: str | None


def resolve_sender(address: str) -> _Sender:
    """The one directory contact behind an address, matched case-insensitively (T8a).

    Unknown senders are quarantined rather than given a ticket: every ticket belongs to an
    organisation, and an address alone names none. Desk staff are quarantined too: agents answer
    in the desk, and a From header is trivially forged (T8b). An address shared by contacts of
    two organisations is ambiguous and quarantined; duplicates inside one organisation resolve
    to the contact with a portal account, then the oldest.
    """
    if User.objects.filter(email__iexact=address, role__in=STAFF_ROLES).exists():
        return _Sender(None, "staff_sender")
    people = list(
        Person.objects.filter(email__iexact=address)
        .select_related("organisation", "user")
        .order_by("id")
    )
    if not people:
        return _Sender(None, "unknown_sender")
    if len({p.organisation_id for p in people}) > 1:
        return _Sender(None, "sender_ambiguous")
    people.sort(key=lambda p: (p.user_id is None, p.pk))
    person = people[0]
    if not person.organisation.is_active:
        return _Sender(None, "organisation_inactive")
    if person.user is not None and not person.user.is_active:
        return _Sender(None, "sender_inactive")
    return _Sender(person, None)


def _thread_target(parsed: Parsed) -> tuple[Ticket | None, bool]:
    """(ticket named by a verified reference, whether some reference looked ours but failed)."""
    forged = False
    for message_id in parsed.references:
        number = verify_reference(message_id)
        if number is None:
            forged = forged or looks_like_our_reference(message_id)
            continue
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is not None:
            return ticket, forged
    return None, forged


def _record(
    parsed: Parsed,
    *,
    outcome: str,
    reason: str,
    raw_path: str,
    now: dt.datetime,
    ticket: Ticket | None = None,
) -> IngestResult:
    record = InboundMail.objects.create(
        message_id=parsed.message_id[:300],
        sender=(parsed.sender or parsed.from_raw)[:300],
        subject=parsed.subject[:300],
        outcome=outcome,
        reason=reason[:300],
        ticket=ticket,
        raw_path=raw_path,
        received_at=now,
    )
    return IngestResult(outcome=outcome, reason=reason, record=record, ticket=ticket)


def _files_within_limits(
    parsed: Parsed, ticket: Ticket | None
) -> tuple[list[services.FileIn], str]:
    """The message's attachments if they are within the limits (of `ticket`, or of a new
    ticket), else none and the reason: the words still arrive."""
    if not parsed.files:
        return [], ""
    try:
        attachments.check_upload(ticket, [(f.name, f.data) for f in parsed.files])
    except attachments.AttachmentError as error:
        logger.info("attachments refused for %s: %s", ticket.folio if ticket else "-", error)
        return [], f"attachments_rejected: {error}"
    return [services.FileIn(f.name, f.data, f.content_type) for f in parsed.files], ""


def _actor_for(person: Person, now: dt.datetime) -> User:
    """The customer's portal account, or the desk's own author for contacts without one."""
    if person.user is not None:
        return person.user
    return services.desk_author(now)


def _with_byline(person: Person, actor: User, text: str) -> str:
    if person.user_id is not None and actor.pk == person.user_id:
        return text
    return (
        _("Correo de %(name)s <%(email)s>:")
        % {
            "name": person.full_name,
            "email": person.email,
        }
        + f"\n\n{text}"
    )


def _via_mail(parsed: Parsed) -> ViaMail:
    return ViaMail(parsed.message_id, parsed.sender)


def _open(
    parsed: Parsed, person: Person, *, reason: str, raw_path: str, now: dt.datetime
) -> IngestResult:
    actor = _actor_for(person, now)
    description = parsed.body.strip() or _("(Mensaje sin texto)")
    files, refused = _files_within_limits(parsed, None)
    ticket = services.open_ticket(
        actor=actor,
        data=services.NewTicket(
            organisation=person.organisation,
            requester=person,
            subject=parsed.subject or _("(Sin asunto)"),
            description=_with_byline(person, actor, description),
            channel=Channel.EMAIL,
            support_kind=SupportKind.DISTANCE,
        ),
        now=now,
        files=files,
        via_mail=_via_mail(parsed),
    )
    reason = "; ".join(r for r in (reason, refused) if r)
    return _record(
        parsed, outcome=Outcome.NEW_TICKET, reason=reason, raw_path=raw_path, now=now, ticket=ticket
    )


def _reply(
    parsed: Parsed, person: Person, ticket: Ticket, *, raw_path: str, now: dt.datetime
) -> IngestResult:
    actor = _actor_for(person, now)
    text = strip_quoted_reply(parsed.body).strip() or _("(Respuesta sin texto)")
    files, refused = _files_within_limits(parsed, ticket)
    services.add_note(
        ticket=ticket,
        author=actor,
        body=_with_byline(person, actor, text),
        now=now,
        from_customer=True,
        files=files,
        via_mail=_via_mail(parsed),
    )
    return _record(
        parsed, outcome=Outcome.REPLY, reason=refused, raw_path=raw_path, now=now, ticket=ticket
    )


def _decide(parsed: Parsed, *, raw_path: str, now: dt.datetime) -> IngestResult:
    if parsed.verdict is not None:
        outcome, reason = parsed.verdict
        return _record(parsed, outcome=outcome, reason=reason, raw_path=raw_path, now=now)
    if parsed.sender in _our_addresses():
        return _record(
            parsed, outcome=Outcome.IGNORED, reason="own_address", raw_path=raw_path, now=now
        )
    # Served by tickets_inboundmail_rate_idx (sender, received_at).
    recent = InboundMail.objects.filter(
        sender=parsed.sender, received_at__gt=now - RATE_WINDOW, received_at__lte=now
    ).count()
    if recent >= max_per_sender_per_hour():
        return _record(
            parsed, outcome=Outcome.IGNORED, reason="rate_limited", raw_path=raw_path, now=now
        )
    sender = resolve_sender(parsed.sender)
    if sender.person is None:
        return _record(
            parsed,
            outcome=Outcome.QUARANTINED,
            reason=sender.problem or "unknown_sender",
            raw_path=raw_path,
            now=now,
        )
    authserv_id = settings.SOPORTE_MAIL_AUTHSERV_ID
    if authserv_id and not authresults.sender_verified(
        parsed.auth_results, parsed.sender, authserv_id
    ):
        # The From: may be forged: a person looks before it joins anyone's ticket.
        return _record(
            parsed,
            outcome=Outcome.QUARANTINED,
            reason="sender_unverified",
            raw_path=raw_path,
            now=now,
        )
    person = sender.person
    ticket, forged = _thread_target(parsed)
    reason = "forged_reference" if forged and ticket is None else ""
    reply_to: Ticket | None = None
    if ticket is not None:
        if ticket.organisation_id != person.organisation_id:
            # Someone outside the ticket's organisation holds one of its references (a forward):
            # their words open a ticket of their own, and nothing of the other is shown to them.
            reason = "reference_other_organisation"
        elif ticket.status in (Status.CLOSED, Status.CANCELLED):
            reason = f"ticket_closed:{ticket.folio}"
        else:
            reply_to = ticket
    try:
        with transaction.atomic():
            if reply_to is not None:
                return _reply(parsed, person, reply_to, raw_path=raw_path, now=now)
            return _open(parsed, person, reason=reason, raw_path=raw_path, now=now)
    except DomainError as error:
        # A rule of the use case refused it (e.g. an inactive requester): a person decides.
        return _record(
            parsed,
            outcome=Outcome.QUARANTINED,
            reason=f"rejected:{error.code}",
            raw_path=raw_path,
            now=now,
        )


def ingest(raw: bytes, *, now: dt.datetime) -> IngestResult:
    """Take one RFC 822 message: open a ticket, thread a reply, ignore or quarantine it.

    Idempotent by Message-ID: the same message delivered twice (MTA retry, IMAP re-poll) is
    recorded once. Rules T8a (ambiguous From), T8b (signed references), T8d (loops, rate limit).
    """
    raw_path = save_raw(raw)
    parsed = parse(raw)
    existing = InboundMail.objects.filter(message_id=parsed.message_id[:300]).first()
    if existing is not None:
        return _duplicate(existing)
    try:
        with transaction.atomic():
            return _decide(parsed, raw_path=raw_path, now=now)
    except IntegrityError:
        # Two deliveries of the same message raced; the first one's record stands.
        existing = InboundMail.objects.filter(message_id=parsed.message_id[:300]).first()
        if existing is None:
            raise
        return _duplicate(existing)


def _duplicate(record: InboundMail) -> IngestResult:
    return IngestResult(
        outcome=record.outcome,
        reason=record.reason,
        record=record,
        ticket=record.ticket,
        duplicate=True,
    )
