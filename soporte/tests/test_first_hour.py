"""What a newcomer notices in the first minutes: a favicon, a menu meant for them, the desk's
name once."""

from __future__ import annotations

import pytest


def test_favicon_is_served_at_the_site_root(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in client.get("/entrar/").content.decode()


@pytest.mark.parametrize(
    ("who", "sees_tokens"),
    [("agent", True), ("supervisor", True), ("customer_a", False), ("customer_b", False)],
)
def test_api_tokens_are_in_the_staff_menu_only(personas, who, sees_tokens):
    body = personas.client(who).get("/").content.decode()
    assert ("Tokens de API" in body) is sees_tokens


def test_the_desk_name_appears_once_on_the_home_page(personas, settings):
    settings.DESK_NAME = "Mesa Central Anáhuac"
    for who in ("agent", "customer_a"):
        body = personas.client(who).get("/").content.decode()
        assert body.count("Mesa Central Anáhuac") == 1, who  # in the top bar


@pytest.mark.parametrize(
    ("who", "sees_triage"),
    [("agent", False), ("supervisor", True), ("customer_a", False), ("customer_b", False)],
)
def test_the_triage_page_is_in_the_supervisors_menu_only(personas, who, sees_triage):
    body = personas.client(who).get("/").content.decode()
    assert ('href="/triaje/"' in body) is sees_triage
