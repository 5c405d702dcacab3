"""Every Spanish string the code shows has its English translation, once.

Several engineers add strings at the same time and the catalogue merges as a union, so a
missing or duplicated entry is caught here rather than by a reader of the English interface.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
}
DJANGO_TAG = re.compile(r'{%\s*(?:translate|trans)\s+"([^"]*)"(?:\s+context\s+"([^"]*)")?')


def _key(message: object, context: str | None) -> tuple[str | None, str]:
    text = message if isinstance(message, str) else message[0]  # type: ignore[index]
    return (context, str(text or ""))


def _catalogue() -> dict[tuple[str | None, str], object]:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    return {_key(m.id, m.context): m.string for m in catalog if m.id}


def _used() -> list[tuple[str, tuple[str | None, str]]]:
    used = []
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for _line, message, _comments, context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            used.append((str(path.relative_to(ROOT)), _key(message, context)))
    for path in ROOT.rglob("*.html"):
        if "jinja2" in path.parts:
            with path.open("rb") as handle:
                for _line, _func, jinja_message, _comments in babel_extract(
                    handle, list(KEYWORDS), [], {"extensions": "jinja2.ext.i18n"}
                ):
                    used.append((str(path.relative_to(ROOT)), _key(jinja_message, None)))
        else:
            for match in DJANGO_TAG.finditer(path.read_text(encoding="utf-8")):
                used.append((str(path.relative_to(ROOT)), (match.group(2), match.group(1))))
    return [(where, key) for where, key in used if key[1]]


def test_every_string_in_code_and_templates_is_translated():
    catalogue = _catalogue()
    missing = sorted({f"{where}: {key[1]!r}" for where, key in _used() if not catalogue.get(key)})
    assert missing == []


def test_no_message_appears_twice_in_the_catalogue():
    text = CATALOGUE.read_text(encoding="utf-8")
    entries = re.findall(r'^(?:msgctxt "(.*)"\n)?msgid "(.*)"$', text, flags=re.MULTILINE)
    duplicated = [entry for entry, count in Counter(entries).items() if count > 1 and entry[1]]
    assert duplicated == []
