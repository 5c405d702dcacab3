"""`soporte mail_poll`: fetch the unseen messages of an IMAP mailbox and take each one.

Configuration (settings or environment): IMAP_HOST, IMAP_PORT (993 with SSL, 143 without),
IMAP_USER, IMAP_PASSWORD, IMAP_SSL (default true), IMAP_STARTTLS (default false),
IMAP_FOLDER (default INBOX).

A message is marked \\Seen only after intake has committed it; if the poller dies in between,
the next run fetches it again and intake recognises its Message-ID (idempotent).
"""

from __future__ import annotations

import imaplib
import logging
import os
import ssl
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from soporte.lib import clock
from soporte.tickets import intake

logger = logging.getLogger(__name__)


def _setting(name: str, default: str = "") -> str:
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, default)
    return str(value)


def _flag(name: str, default: bool) -> bool:
    value = _setting(name).strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on", "si", "sí"}


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetched_bytes(data: list[Any]) -> bytes:
    """The literal of a FETCH response: [(b'1 (UID 7 BODY[]<0> {123}', b'...'), b')']."""
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    raise CommandError("IMAP FETCH returned no message body")


class Command(BaseCommand):
    help = "Fetches unseen messages from the IMAP mailbox and opens tickets or threads replies."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--limit", type=int, default=200, help="Messages per run (oldest first)."
        )

    def connect(self) -> imaplib.IMAP4:
        host = _setting("IMAP_HOST")
        if not host:
            raise CommandError("Set IMAP_HOST (and IMAP_USER, IMAP_PASSWORD) to poll a mailbox.")
        use_ssl = _flag("IMAP_SSL", True)
        port = int(_setting("IMAP_PORT") or (993 if use_ssl else 143))
        context = ssl.create_default_context()
        connection: imaplib.IMAP4
        if use_ssl:
            connection = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=30)
        else:
            connection = imaplib.IMAP4(host, port, timeout=30)
            if _flag("IMAP_STARTTLS", False):
                connection.starttls(ssl_context=context)
        connection.login(_setting("IMAP_USER"), _setting("IMAP_PASSWORD"))
        return connection

    def handle(self, *args: Any, **options: Any) -> None:
        connection = self.connect()
        outcomes: Counter[str] = Counter()
        failed = 0
        try:
            status, _data = connection.select(_quote(_setting("IMAP_FOLDER", "INBOX")))
            if status != "OK":
                raise CommandError("IMAP folder could not be opened")
            status, data = connection.uid("SEARCH", "UNSEEN")
            uids = data[0].split() if status == "OK" and data and data[0] else []
            for uid in uids[: max(1, options["limit"])]:
                # A partial fetch: a message over the limit is never downloaded whole.
                status, data = connection.uid(
                    "FETCH", uid, f"(BODY.PEEK[]<0.{intake.MAX_MESSAGE_BYTES + 1}>)"
                )
                if status != "OK":
                    failed += 1
                    continue
                try:
                    result = intake.ingest(fetched_bytes(data), now=clock.now())
                except Exception:
                    logger.exception("intake failed for IMAP uid %s; left unseen", uid)
                    failed += 1
                    continue
                connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
                outcomes["duplicate" if result.duplicate else result.outcome] += 1
        finally:
            try:
                connection.logout()
            except (imaplib.IMAP4.error, OSError):
                logger.warning("IMAP logout failed", exc_info=True)
        taken = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
        self.stdout.write(f"mail-poll: {sum(outcomes.values())} message(s) {taken}".rstrip())
        if failed:
            raise CommandError(f"{failed} message(s) left unseen for the next run")
