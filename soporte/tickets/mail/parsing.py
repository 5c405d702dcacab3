"""Parsing one RFC 822 message into what intake needs (pure: no database).

Never trusts a header to say who the sender is: the From header must hold exactly one plain
address, read the same way by the modern parser (`policy.default`) and by the legacy one
(`email.utils`, CVE-2023-27043 on Python < 3.11.10); anything else is refused here (T8a).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import html
import logging
import re
import unicodedata
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import formataddr, getaddresses, parseaddr
from typing import Any

import nh3

from soporte.tickets.mail.threads import REPLY_MARKER
from soporte.tickets.models import InboundMail

logger = logging.getLogger(__name__)

Outcome = InboundMail.Outcome

# An MTA pipe or an IMAP fetch hands over at most this much; a larger message is quarantined.
# Room for one attachment of attachments.MAX_BYTES in base64 (4/3) plus the text.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_MIME_PARTS = 200
MAX_DESCRIPTION_CHARS = 20_000
MAX_REFERENCES = 50
_MSGID_RE = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")
_ADDRESS_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# Defects that only concern the display name (raw UTF-8 names are common and harmless).
_TOLERATED_FROM_DEFECTS = {"UndecodableBytesDefect"}
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}


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
    # The Authentication-Results headers as received (`mail.authresults` reads them).
    auth_results: list[str] = dataclasses.field(default_factory=list)


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


def one_line(value: str, limit: int) -> str:
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
    parsed.from_raw = one_line(_first(headers, "from"), 300)
    try:
        subject = str(msg["Subject"] or "")
    except Exception:
        subject = _first(headers, "subject")
    parsed.subject = one_line(subject, 200)
    parsed.auth_results = list(headers.get("authentication-results", []))[:20]
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
