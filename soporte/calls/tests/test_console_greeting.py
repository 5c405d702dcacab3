"""T2: the greeting follows the time of day at the desk (settings.TIME_ZONE) and gives the
agent's first name; the console shows it when the call is answered."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from soporte.calls import scripts
from soporte.calls.models import Call
from soporte.lib import clock

MEXICO = ZoneInfo("America/Mexico_City")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((6, 0), "Buenos días"),
        ((11, 59), "Buenos días"),
        ((12, 0), "Buenas tardes"),
        ((18, 59), "Buenas tardes"),
        ((19, 0), "Buenas noches"),
        ((23, 30), "Buenas noches"),
    ],
)
def test_greeting_boundaries_at_the_desk(settings, local, expected):
    settings.TIME_ZONE = "America/Mexico_City"
    hour, minute = local
    moment = dt.datetime(2026, 11, 23, hour, minute, tzinfo=MEXICO).astimezone(dt.UTC)
    assert scripts.greeting_for(moment) == expected


def test_the_greeting_uses_the_desks_zone_not_utc(settings):
    settings.TIME_ZONE = "America/Mexico_City"
    # 18:30 UTC is 12:30 in Mexico City: afternoon at the desk although UTC says evening soon.
    assert scripts.greeting_for(dt.datetime(2026, 11, 23, 18, 30, tzinfo=dt.UTC)) == "Buenas tardes"
    settings.TIME_ZONE = "Europe/Madrid"
    # The same instant is 19:30 in Madrid.
    assert scripts.greeting_for(dt.datetime(2026, 11, 23, 18, 30, tzinfo=dt.UTC)) == "Buenas noches"


def test_greeting_script_gives_the_desk_and_the_agents_first_name():
    moment = dt.datetime(2026, 11, 23, 9, 0, tzinfo=MEXICO)
    assert (
        scripts.greeting_script(desk="Soporte Técnico", agent_first_name="Blanca", moment=moment)
        == "Buenos días, Soporte Técnico, le atiende Blanca, ¿en qué le puedo ayudar?"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hour", "expected"), [(9, "Buenos días"), (15, "Buenas tardes"), (21, "Buenas noches")]
)
def test_console_greets_with_the_first_name_of_the_agent(
    monkeypatch, settings, hour, expected, make_agent
):
    settings.TIME_ZONE = "America/Mexico_City"
    settings.DESK_NAME = "Soporte Técnico"
    agent = make_agent("gabriela.ruiz", first_name="Gabriela Sofía", last_name="Ruiz")
    moment = dt.datetime(2026, 11, 23, hour, 0, tzinfo=MEXICO)
    monkeypatch.setattr(clock, "now", lambda: moment)
    client = Client()
    client.force_login(agent.user)
    client.post("/llamadas/consola/sonando/", {"number": "5551234567"})
    call = Call.objects.get()

    client.post(f"/llamadas/{call.pk}/contestar/")
    body = client.get("/llamadas/consola/").content.decode()

    assert f"{expected}, Soporte Técnico, le atiende Gabriela, ¿en qué le puedo ayudar?" in body
