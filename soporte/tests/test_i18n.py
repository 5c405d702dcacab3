"""Spanish by default, English through the language switch; the desk's time zone."""

from __future__ import annotations

from django.utils import timezone


def test_pages_speak_spanish_by_default(personas):
    body = personas.client("agent").get("/").content.decode()
    assert 'lang="es"' in body
    assert "Agentes" in body
    assert "Hora de la mesa" in body


def test_switching_to_english_translates_the_interface(personas):
    client = personas.client("agent")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302

    body = client.get("/").content.decode()

    assert 'lang="en"' in body
    assert "Agents" in body
    assert "Service desk time" in body


def test_level_error_is_translated_in_english(personas):
    from soporte.directory.models import Agent

    client = personas.client("supervisor")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    agent = Agent.objects.get(user=personas.agent)

    body = client.post(f"/directorio/agentes/{agent.pk}/nivel/", {"level": "4"}, follow=True)

    assert "cannot be level 4: at least two valid certifications are required" in (
        body.content.decode()
    )


def test_the_desk_clock_is_mexico_city_by_default(settings):
    assert settings.TIME_ZONE == "America/Mexico_City"
    assert str(timezone.get_current_timezone()) == "America/Mexico_City"


def test_an_english_browser_still_gets_spanish_until_switching(personas):
    client = personas.client("agent")
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="es"' in body
    assert "Agentes" in body
