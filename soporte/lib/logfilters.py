"""Log filters: secrets that travel in URLs never reach the logs."""

from __future__ import annotations

import logging
import re

# Zammad's CTI mode authenticates with a token in the URL path (/api/v1/cti/<token>).
_CTI_TOKEN = re.compile(r"(/api/v1/cti/)[^/\s?\"']+")


def redact(text: str) -> str:
    return _CTI_TOKEN.sub(r"\1[oculto]", text)


class RedactUrlSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
