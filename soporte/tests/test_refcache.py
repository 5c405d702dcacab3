"""Reference data remembered per process: a change made here is seen at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory

from soporte.directory.backends import agent_of
from soporte.directory.models import Area
from soporte.lib.refcache import reference
from soporte.tickets import sla
from soporte.tickets.forms import agent_options, area_options
from soporte.tickets.models import Holiday


@pytest.mark.django_db
def test_a_holiday_added_is_in_the_next_calendar_read():
    before = sla.desk_calendar("America/Mexico_City")
    assert dt.date(2026, 12, 12) not in before.holidays
    Holiday.objects.create(day_date=dt.date(2026, 12, 12), name="Día de la Virgen")
    assert dt.date(2026, 12, 12) in sla.desk_calendar("America/Mexico_City").holidays


@pytest.mark.django_db
def test_unchanged_reference_data_is_read_once(django_assert_num_queries):
    Area.objects.create(name="Redes", code="redes-x")
    area_options()
    with django_assert_num_queries(0):
        assert "Redes" in [name for _pk, name in area_options()]
    Area.objects.create(name="Impresión 3D", code="impresion-3d")
    assert "Impresión 3D" in [name for _pk, name in area_options()]


@pytest.mark.django_db
def test_agent_options_follow_presence_and_are_empty_for_customers(personas):
    options = dict(agent_options(personas.agent))
    agent = personas.agent.agent
    assert "Desconectado" in options[agent.pk] or "Disponible" in options[agent.pk]
    agent.presence = "available"
    agent.save(update_fields=["presence"])
    assert dict(agent_options(personas.agent))[agent.pk].endswith("Disponible")
    assert agent_options(personas.customer_a) == ()


def test_results_expire_after_their_seconds(monkeypatch):
    calls: list[int] = []

    @reference(seconds=10)
    def counted() -> int:
        calls.append(1)
        return len(calls)

    clock = [100.0]
    monkeypatch.setattr("soporte.lib.refcache.time.monotonic", lambda: clock[0])
    assert counted() == 1
    clock[0] = 109.0
    assert counted() == 1
    clock[0] = 110.5
    assert counted() == 2


@pytest.mark.django_db
def test_the_signed_in_agent_comes_with_the_user(personas, django_assert_num_queries):
    client = Client()
    client.force_login(personas.agent)
    request = RequestFactory().get("/")
    request.session = client.session
    with django_assert_num_queries(2):  # the session, and the user joined with the agent
        user = get_user(request)
        agent = agent_of(user)
        assert agent is not None
        assert agent.user_id == personas.agent.pk
    assert agent_of(personas.customer_a) is None
    assert agent_of(AnonymousUser()) is None
