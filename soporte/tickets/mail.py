"""Tickets by e-mail: intake of one RFC 822 message, and notifications by SMTP (rules T8a–T8f).

Intake (`ingest`) never trusts a header to say who the sender is or which ticket a message
answers:

* the From header must hold exactly one plain address, read the same way by the modern parser
  (`policy.default`) and by the legacy one (`email.utils`, CVE-2023-27043 on Python < 3.11.10);
  anything else is quarantined, never attributed (T8a);
* a reply is threaded only through a Message-ID we signed with an HMAC (In-Reply-To or
  References); the folio in the subject is a guessable number and is never read. A reference
  that looks like ours but does not verify opens a new ticket, never a note (T8b);
* auto-replies, bounces, bulk mail, our own notifications and floods from one sender do not open
  tickets (T8d).

Every message is recorded in InboundMail with what became of it, and its raw bytes are kept
under MEDIA_ROOT/mail/ (0o640) for the quarantine review.

Notifications (`notify_*`) are called by the use cases in `services.py`; each builds one message
per recipient (text and HTML, in Spanish) and sends them after the transaction commits. The
recipients come from the directory, never from a message's headers, and only from the ticket's
own organisation (portal isolation).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import hashlib
import hmac
import html
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import formataddr, getaddresses, parseaddr
from functools import partial
from pathlib import Path
from typing import Any

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.directory.models import STAFF_ROLES, Person, Role, User
from soporte.lib.errors import DomainError
from soporte.tickets import attachments, services
from soporte.tickets.models import (
    Channel,
    Escalation,
    InboundMail,
    Note,
    Status,
    SupportKind,
    Ticket,
)

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome

# An MTA pipe or an IMAP fetch hands over at most this much; a larger message is quarantined.
# Room for one attachment of attachments.MAX_BYTES in base64 (4/3) plus the text.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_MIME_PARTS = 200
MAX_DESCRIPTION_CHARS = 20_000
MAX_REFERENCES = 50
# Per-sender rate limit (T8d): messages in the last hour beyond this are ignored.
DEFAULT_MAX_PER_SENDER_PER_HOUR = 20
RATE_WINDOW = dt.timedelta(hours=1)

REPLY_MARKER = "##- Escriba su respuesta arriba de esta línea -##"

# Our Message-IDs: <sop-{number}-{nonce}-{mac}@domain>. The MAC covers number and nonce.
_REFERENCE_RE = re.compile(r"^sop-(\d{1,9})-([0-9a-f]{16})-([0-9a-f]{32})@[A-Za-z0-9.-]{1,253}$")
_MSGID_RE = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")
_ADDRESS_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Defects that only concern the display name (raw UTF-8 names are common and harmless).
_TOLERATED_FROM_DEFECTS = {"UndecodableBytesDefect"}
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}


# ---------------------------------------------------------------------------------------------
# Signed references


def _reference_key(secret: str) -> bytes:
    """A key for this purpose only, derived from SECRET_KEY (never the raw key itself)."""
    return hmac.new(secret.encode(), b"soporte.tickets.mail.message-id", hashlib.sha256).digest()


def _mac(secret: str, digits: str, nonce: str) -> str:
    message = f"{digits}.{nonce}".encode()
    return hmac.new(_reference_key(secret), message, hashlib.sha256).hexdigest()[:32]


def _domain() -> str:
    return str(getattr(settings, "SOPORTE_MAIL_DOMAIN", "soporte.local"))


def make_message_id(ticket_number: int, *, nonce: str | None = None) -> str:
    """A fresh Message-ID for one of our messages about the ticket, signed with SECRET_KEY."""
    digits = f"{ticket_number:06d}"
    nonce = nonce or secrets.token_hex(8)
    mac = _mac(settings.SECRET_KEY, digits, nonce)
    return f"<sop-{digits}-{nonce}-{mac}@{_domain()}>"


def thread_root_id(ticket_number: int) -> str:
    """The ticket's stable thread id: every notification references it, so clients thread them."""
    digits = f"{ticket_number:06d}"
    nonce = _mac(settings.SECRET_KEY, digits, "thread-root")[:16]
    return make_message_id(ticket_number, nonce=nonce)


def verify_reference(message_id: str) -> int | None:
    """The ticket number a Message-ID of ours names, or None when it is not ours or was altered.

    SECRET_KEY_FALLBACKS are accepted so that rotating the key does not break open threads.
    """
    match = _REFERENCE_RE.match(message_id.strip().strip("<>"))
    if match is None:
        return None
    digits, nonce, mac = match.groups()
    secrets_to_try = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    for secret in secrets_to_try:
        if hmac.compare_digest(_mac(secret, digits, nonce), mac):
            return int(digits)
    return None


def looks_like_our_reference(message_id: str) -> bool:
    return message_id.strip().strip("<>").lower().startswith("sop-")


# ---------------------------------------------------------------------------------------------
# Parsing (pure: no database)


@dataclasses.dataclass(frozen=True)
class MailFile:
    name: str
    data: bytes
    content_type: str


@dataclasses.dataclass
class Parsed:
    """What intake needs from one message; `verdict` set when it is refused before any lookup."""

    message_id: str
    sender: str = ""
    from_raw: str = ""
    subject: str = ""
    body: str = ""
    references: list[str] = dataclasses.field(default_factory=list)
    files: list[MailFile] = dataclasses.field(default_factory=list)
    verdict: tuple[str, str] | None = None


def mailbox(name: str, address: str) -> str:
    """ "Name <address>" for a To header. An accented domain (ejémplo.mx) travels as IDNA
    (xn--…); an address whose local part is not ASCII (josé@…, RFC 6531) goes without the
    name, for Django to encode, instead of crashing the notification."""
    local, _, domain = address.rpartition("@")
    with contextlib.suppress(UnicodeError):  # not a valid IDNA name: left as typed
        domain = domain.encode("idna").decode("ascii")
    address = f"{local}@{domain}" if local else address
    if address.isascii():
        return formataddr((name, address))
    return address


def _one_line(value: str, limit: int) -> str:
    """Header text for storage or for our own headers: no CR/LF or control characters."""
    value = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in value)
    return re.sub(r"\s+", " ", value).strip()[:limit]


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        text = re.sub(r"\r?\n[ \t]", " ", str(value))
        headers.setdefault(name.lower(), []).append(text)
    return headers


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name, [])
    return values[0].strip() if values else ""


def _message_id(headers: dict[str, list[str]], raw: bytes) -> str:
    match = _MSGID_RE.search(_first(headers, "message-id"))
    if match:
        return f"<{match.group(1)}>"
    # No usable Message-ID: the content itself is the identity (a re-delivery is still a duplicate).
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@sin-message-id>"


def automatic_reason(headers: dict[str, list[str]]) -> str | None:
    """Why a message is an auto-reply, bounce or bulk mail that must not open a ticket (T8d)."""
    auto = _first(headers, "auto-submitted").lower()
    if auto and not auto.startswith("no"):
        return "auto_submitted"
    if _first(headers, "precedence").lower() in _BULK_PRECEDENCE:
        return "precedence_bulk"
    if headers.get("x-autoreply") or headers.get("x-autorespond"):
        return "autoreply_header"
    if _first(headers, "return-path").replace(" ", "") == "<>":
        return "bounce"
    content_type = _first(headers, "content-type").lower()
    if content_type.startswith("multipart/report"):
        return "bounce"
    if headers.get("x-soporte-loop"):
        return "own_notification"
    return None


def parse_sender(msg: Message, headers: dict[str, list[str]]) -> tuple[str, str | None]:
    """(address, problem): exactly one plain address that both parsers agree on, or a reason."""
    raws = headers.get("from", [])
    if not raws:
        return "", "from_missing"
    if len(raws) > 1:
        return "", "from_multiple"
    raw = raws[0].strip()
    try:
        header: Any = msg["From"]
        defects = {type(d).__name__ for d in header.defects} - _TOLERATED_FROM_DEFECTS
        groups = header.groups
        addresses = header.addresses
    except Exception:  # the header parser has raised on hostile input before
        return "", "from_malformed"
    if defects:
        return "", "from_ambiguous"
    if len(addresses) != 1 or any(g.display_name is not None for g in groups):
        return "", "from_multiple"
    address = addresses[0].addr_spec
    # The legacy parser must read the same single address (CVE-2023-27043).
    legacy = [pair for pair in getaddresses([raw]) if pair != ("", "")]
    if (
        len(legacy) != 1
        or legacy[0][1].lower() != address.lower()
        or parseaddr(raw)[1].lower() != address.lower()
    ):
        return "", "from_ambiguous"
    local = address.split("@", 1)[0]
    if (
        not _ADDRESS_RE.match(address)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(address) > 254
    ):
        return "", "from_malformed"
    return address.lower(), None


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body, through nh3 (Ammonia): no markup survives."""
    cleaned = nh3.clean(
        markup,
        tags={"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"},
        clean_content_tags={"script", "style", "title", "head", "template", "noscript"},
        attributes={},
        strip_comments=True,
        link_rel=None,
    )
    # The sanitiser's output is well formed, so a tag-stripping regex is safe on it.
    cleaned = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote)>", "\n", cleaned)
    text = html.unescape(re.sub(r"<[^>]*>", "", cleaned))
    return _tidy(text)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    # No control characters, and no lone surrogates from undecodable bytes (PostgreSQL refuses them).
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))


def strip_quoted_reply(text: str) -> str:
    """Keep what the customer wrote above our marker line (and its 'escribió:' attribution)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if REPLY_MARKER in line or "Escriba su respuesta arriba de esta línea" in line:
            kept = lines[:index]
            while kept and not kept[-1].strip(" >"):
                kept.pop()
            if kept and kept[-1].rstrip().endswith(":"):
                kept.pop()
            return "\n".join(kept).strip()
    return text


def _part_text(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(content, str):
            return content
    except Exception:  # unknown charset, bad transfer encoding
        logger.debug("undecodable text part", exc_info=True)
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    return ""


def _leaves(msg: Message, depth: int = 0) -> Iterator[Message]:
    """The message's leaf parts; an attached message (message/rfc822) is one file, not opened."""
    if msg.get_content_type() == "message/rfc822" and depth > 0:
        yield msg
        return
    if msg.is_multipart():
        if depth > 20:
            raise ValueError("MIME nesting too deep")
        for part in msg.get_payload():
            if isinstance(part, Message):
                yield from _leaves(part, depth + 1)
        return
    yield msg


def _extract_body_and_files(msg: EmailMessage) -> tuple[str, list[MailFile]]:
    body_part = msg.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        text = _part_text(body_part)
        body = html_to_text(text) if body_part.get_content_type() == "text/html" else _tidy(text)
    files: list[MailFile] = []
    for count, part in enumerate(_leaves(msg), start=1):
        if count > MAX_MIME_PARTS:
            raise ValueError("too many MIME parts")
        if part is body_part:
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            data = b""
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                data = inner[0].as_bytes()
            files.append(MailFile(filename or "mensaje-adjunto.eml", data, content_type))
            continue
        if disposition != "attachment" and not filename:
            continue  # the other alternative of the body, or an unnamed inline part
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        files.append(MailFile(filename or f"adjunto-{len(files) + 1}", data, content_type))
    return body, files


def parse(raw: bytes) -> Parsed:
    """Read one message without touching the database; never raises on hostile input."""
    if len(raw) > MAX_MESSAGE_BYTES:
        return Parsed(
            message_id=f"<sha256-{hashlib.sha256(raw).hexdigest()}@sin-message-id>",
            verdict=(Outcome.QUARANTINED, "too_large"),
        )
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        headers = _raw_headers(msg)
    except Exception:
        logger.warning("unparseable message", exc_info=True)
        return Parsed(
            message_id=f"<sha256-{hashlib.sha256(raw).hexdigest()}@sin-message-id>",
            verdict=(Outcome.QUARANTINED, "malformed"),
        )
    parsed = Parsed(message_id=_message_id(headers, raw))
    parsed.from_raw = _one_line(_first(headers, "from"), 300)
    try:
        subject = str(msg["Subject"] or "")
    except Exception:
        subject = _first(headers, "subject")
    parsed.subject = _one_line(subject, 200)
    automatic = automatic_reason(headers)
    if automatic:
        parsed.verdict = (Outcome.IGNORED, automatic)
        return parsed
    sender, problem = parse_sender(msg, headers)
    parsed.sender = sender
    if problem:
        parsed.verdict = (Outcome.QUARANTINED, problem)
        return parsed
    # In-Reply-To first, then References from the newest (last) back.
    in_reply_to = [f"<{m}>" for v in headers.get("in-reply-to", []) for m in _MSGID_RE.findall(v)]
    references = [f"<{m}>" for v in headers.get("references", []) for m in _MSGID_RE.findall(v)]
    parsed.references = (in_reply_to + references[::-1])[:MAX_REFERENCES]
    try:
        if not isinstance(msg, EmailMessage):  # pragma: no cover - policy.default guarantees it
            raise TypeError("expected EmailMessage")
        body, files = _extract_body_and_files(msg)
    except Exception:
        logger.warning("message body could not be read", exc_info=True)
        parsed.verdict = (Outcome.QUARANTINED, "malformed_body")
        return parsed
    parsed.body = body[:MAX_DESCRIPTION_CHARS]
    parsed.files = files
    return parsed


# ---------------------------------------------------------------------------------------------
# Intake


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


@dataclasses.dataclass(frozen=True)
class _Inbound:
    message_id: str
    sender: str


# Set while intake runs a use case, so the notifications it triggers know the words came from
# the customer by mail (no echo back to them) and can thread under their message.
_INBOUND: contextvars.ContextVar[_Inbound | None] = contextvars.ContextVar(
    "soporte_inbound_mail", default=None
)


@contextlib.contextmanager
def _receiving(parsed: Parsed) -> Iterator[None]:
    token = _INBOUND.set(_Inbound(parsed.message_id, parsed.sender))
    try:
        yield
    finally:
        _INBOUND.reset(token)


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


def _files_within_limits(parsed: Parsed, ticket: Ticket) -> tuple[list[services.FileIn], str]:
    """The message's attachments if they are within the limits, else none and the reason."""
    if not parsed.files:
        return [], ""
    try:
        attachments.check_upload(ticket, [(f.name, f.data) for f in parsed.files])
    except attachments.AttachmentError as error:
        logger.info("attachments refused for %s: %s", ticket.folio, error)
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


def _open(
    parsed: Parsed, person: Person, *, reason: str, raw_path: str, now: dt.datetime
) -> IngestResult:
    actor = _actor_for(person, now)
    description = parsed.body.strip() or _("(Mensaje sin texto)")
    with _receiving(parsed):
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
        )
    files, refused = _files_within_limits(parsed, ticket)
    if files:
        # Stored and named in the bitácora with their size and SHA-256.
        services.attach_files(ticket=ticket, actor=actor, files=files, now=now)
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
    with _receiving(parsed):
        services.add_note(
            ticket=ticket,
            author=actor,
            body=_with_byline(person, actor, text),
            now=now,
            from_customer=True,
            files=files,
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


# ---------------------------------------------------------------------------------------------
# Notifications


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
    return _one_line(f"[{ticket.folio}] {prefix}: {ticket.subject}", 250)


def _build(
    *,
    ticket: Ticket,
    recipient: Recipient,
    subject: str,
    template: str,
    context: dict[str, Any],
    customer: bool,
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
    inbound = _INBOUND.get()
    if inbound is not None and customer and inbound.sender == recipient.email:
        references.append(inbound.message_id)  # thread under the customer's own message
    headers = {
        "Message-ID": make_message_id(ticket.number),
        "In-Reply-To": references[-1],
        "References": " ".join(references),
        # RFC 3834: well-behaved responders do not answer automatic mail (loops, T8d).
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Soporte-Loop": _domain(),
    }
    message = EmailMultiAlternatives(
        subject=_one_line(subject, 250),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mailbox(_one_line(recipient.name, 100), recipient.email)],
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


def notify_ticket_opened(ticket: Ticket) -> None:
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
            )
        )
    _queue(messages)


def notify_note_added(note: Note) -> None:
    """A public reply of the desk goes to the customer; the customer's reply to the assignee."""
    if note.internal:
        return
    ticket = note.ticket
    from_customer = note.author.is_customer or _INBOUND.get() is not None
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
