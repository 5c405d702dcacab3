"""Numbers typed into a URL or a form."""

from __future__ import annotations

from typing import Any

# The largest integer SQLite and PostgreSQL's bigint hold.
MAX_ID = 2**63 - 1


def parse_id(value: Any) -> int | None:
    """A row id or a small number: ASCII digits within the database's integers, or None.
    ("²" is a digit to `str.isdigit` but not to `int()`, and 10**20 overflows SQLite.)"""
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None
