"""`soporte mail-ingest`: take one RFC 822 message on standard input, as an MTA pipe delivers it.

Postfix: `soporte unix - n n - - pipe user=soporte argv=/srv/soporte/.venv/bin/soporte mail-ingest`
(or in /etc/aliases: `soporte: "|/srv/soporte/.venv/bin/soporte mail-ingest"`).

Exit status 0 means the message was taken (a ticket, a reply, the quarantine or ignored: all
recorded). Any failure exits 75 (EX_TEMPFAIL), so the MTA keeps the message and retries
instead of bouncing it back to the sender; intake is idempotent by Message-ID.
"""

from __future__ import annotations

import sys
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand

from soporte.lib import clock
from soporte.tickets import intake

EX_TEMPFAIL = 75
CHUNK = 1024 * 1024


def read_message(stream: BinaryIO) -> bytes:
    """At most MAX_MESSAGE_BYTES + 1 bytes (enough to tell it is too large); the rest is drained
    so the MTA never sees a broken pipe."""
    kept = bytearray()
    while chunk := stream.read(CHUNK):
        room = intake.MAX_MESSAGE_BYTES + 1 - len(kept)
        if room > 0:
            kept += chunk[:room]
    return bytes(kept)


class Command(BaseCommand):
    help = "Reads one e-mail message on standard input and opens a ticket, threads a reply or quarantines it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", help="Read the message from this file instead of stdin.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options.get("file"):
                with open(options["file"], "rb") as handle:
                    raw = read_message(handle)
            else:
                raw = read_message(sys.stdin.buffer)
            result = intake.ingest(raw, now=clock.now())
        except Exception as error:
            # The MTA keeps the message and retries: nothing is lost, nothing bounces.
            self.stderr.write(f"mail-ingest: temporary failure: {error!r}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"mail-ingest: {result.summary()}")
