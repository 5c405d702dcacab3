"""The Jinja2 pages (queues, a ticket's page) look and speak like the rest of the desk."""

from __future__ import annotations

import re

import pytest


def _chrome(html: str) -> str:
    """The layout around the content, without what differs between two renders."""
    head = html[: html.index('<main class="container">')]
    head = re.sub(r"<title>.*?</title>", "", head, flags=re.S)
    head = re.sub(r"<style>.*?</style>", "", head, flags=re.S)
    foot = html[html.index("<footer") : html.index("</footer>")]
    chrome = head + foot
    chrome = re.sub(r'value="[A-Za-z0-9]{64}"', 'value="csrf"', chrome)
    chrome = re.sub(r'"X-CSRFToken": "[A-Za-z0-9]{64}"', '"X-CSRFToken": "csrf"', chrome)
    chrome = re.sub(r'name="next" type="hidden" value="[^"]*"', 'name="next"', chrome)
    chrome = re.sub(r"\d{1,2}:\d{2}", "HH:MM", chrome)  # the desk's clock in the footer
    return " ".join(chrome.split())


@pytest.mark.parametrize("who", ["agent", "supervisor"])
@pytest.mark.parametrize("language", ["es", "en"])
def test_jinja_layout_matches_base(personas, who, language):
    """tickets/_layout.html is a copy of base.html: the menu, language switch and footer of a
    queue page are those of a page rendered by Django's templates."""
    client = personas.client(who)
    client.cookies["django_language"] = language
    dtl = client.get("/tickets/nuevo/").content.decode()
    jinja = client.get("/tickets/?cola=todos").content.decode()
    assert _chrome(jinja) == _chrome(dtl)


def test_queue_speaks_english_when_switched(personas, ticket):
    client = personas.client("agent")
    client.cookies["django_language"] = "en"
    page = client.get("/tickets/?cola=todos").content.decode()
    assert ticket.folio in page
    assert "Filtros y orden" not in page
