"""Threading: our Message-IDs, signed so that a reply is threaded only through a reference we
made (T8b); the folio in a subject is a guessable number and is never read."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets

from django.conf import settings

REPLY_MARKER = "##- Escriba su respuesta arriba de esta línea -##"

# Our Message-IDs: <sop-{number}-{nonce}-{mac}@domain>. The MAC covers number and nonce.
_REFERENCE_RE = re.compile(r"^sop-(\d{1,9})-([0-9a-f]{16})-([0-9a-f]{32})@[A-Za-z0-9.-]{1,253}$")


@dataclasses.dataclass(frozen=True)
class ViaMail:
    """A use case run for a customer's e-mail (intake): its words came from the customer by
    mail (no echo back to them), and its notifications thread under their message."""

    message_id: str
    sender: str


def _reference_key(secret: str) -> bytes:
    """A key for this purpose only, derived from SECRET_KEY (never the raw key itself)."""
    return hmac.new(secret.encode(), b"soporte.tickets.mail.message-id", hashlib.sha256).digest()


def _mac(secret: str, digits: str, nonce: str) -> str:
    message = f"{digits}.{nonce}".encode()
    return hmac.new(_reference_key(secret), message, hashlib.sha256).hexdigest()[:32]


def mail_domain() -> str:
    return str(getattr(settings, "SOPORTE_MAIL_DOMAIN", "soporte.local"))


def make_message_id(ticket_number: int, *, nonce: str | None = None) -> str:
    """A fresh Message-ID for one of our messages about the ticket, signed with SECRET_KEY."""
    digits = f"{ticket_number:06d}"
    nonce = nonce or secrets.token_hex(8)
    mac = _mac(settings.SECRET_KEY, digits, nonce)
    return f"<sop-{digits}-{nonce}-{mac}@{mail_domain()}>"


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
