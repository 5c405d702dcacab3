"""Domain errors: what a service raises when a rule says no.

The message is a full Spanish sentence for people (translated to English through i18n);
`code` is stable for machines. Views show the message; the API returns both.
"""

from __future__ import annotations

from typing import Any

from django.db import OperationalError
from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule refused the request (HTTP 422 in the API)."""

    status = 422
    code = "rule_violation"

    def __init__(self, message: str | Promise, *, code: str | None = None, **details: Any) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.details = details

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """Missing and forbidden look the same to the caller (one access gate per type)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The actor may see the object but not do this to it."""

    status = 403
    code = "forbidden"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one shape of every API error: `{"error": {"code", "message", "details"}}`."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def is_database_busy(exc: BaseException) -> bool:
    """SQLite's answer when another writer held the database past the busy timeout."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()
