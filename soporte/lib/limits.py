"""Sizes every input keeps, and the characters no stored text may hold.

A NUL cannot be stored in PostgreSQL's text (the driver raises) and a lone surrogate cannot
be encoded in UTF-8 (SQLite raises on it): both are refused as invalid input at the edge
(422 in the API, a form error on the pages), keys of a JSON object included, on both
databases alike. The byte limits come from settings (`SOPORTE_*` environment variables).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db.models import Model
from django.utils.translation import gettext as _

# The longest free text a person types in one go: a ticket's description, a note, a reply.
TEXT_MAX_CHARS = 20_000


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored (a Spanish sentence), or None when it can."""
    if "\x00" in value:
        return _("El texto contiene un carácter nulo (NUL).")
    if any("\ud800" <= char <= "\udfff" for char in value):
        return _("El texto contiene un carácter no válido (sustituto UTF-16 suelto).")
    return None


def find_text_problem(value: Any, loc: list[str]) -> tuple[list[str], str] | None:
    """The first string of a parsed JSON value (keys included) that cannot be stored, with
    where it is (`loc`, as the API's validation errors name places)."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (loc, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(str(key))
            if problem:
                return [*loc, str(key).encode("utf-8", "backslashreplace").decode()], problem
            found = find_text_problem(item, [*loc, str(key)])
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_text_problem(item, [*loc, str(index)])
            if found:
                return found
    return None


def api_body_max_bytes() -> int:
    """The largest JSON body the API reads (Content-Length is checked before reading)."""
    return int(settings.SOPORTE_API_BODY_MAX_BYTES)


def upload_max_file_bytes() -> int:
    return int(settings.SOPORTE_UPLOAD_MAX_FILE_MB) * 2**20


def upload_max_request_bytes() -> int:
    return int(settings.SOPORTE_UPLOAD_MAX_REQUEST_MB) * 2**20


def upload_quota_bytes_per_day() -> int:
    return int(settings.SOPORTE_UPLOAD_QUOTA_MB_PER_DAY) * 2**20


class LimitedUploadHandler(FileUploadHandler):
    """First of the upload handlers: counts each file's bytes as they stream in and stops
    reading the request at the first file past the per-file limit, so a 200 MB file is not
    read (nor written to a temporary file) whole. The refusal is left on the request for
    `InputLimitsMiddleware`, which answers 413 before any view runs."""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        limit = upload_max_file_bytes()
        if self.received > limit:
            assert self.request is not None
            self.request.upload_refused = _(  # type: ignore[attr-defined]
                "«%(name)s» pesa más de %(mb)d MB."
            ) % {"name": self.file_name, "mb": limit // 2**20}
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def max_length(model: type[Model], name: str) -> int:
    """A column's max_length, for an API schema to carry what the column holds."""
    field = model._meta.get_field(name)
    length = getattr(field, "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length
