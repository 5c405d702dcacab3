"""The signed-in request's two reads (session, then user with agent) are hand-written SQL:
they must answer exactly what Django's would, including every way of not being signed in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from soporte.directory.backends import DeskBackend, agent_of, load_user
from soporte.directory.models import Agent, Role
from soporte.directory.sessions import SessionStore


def test_a_signed_in_agent_reaches_the_desk_and_their_agent_row_costs_no_query(personas):
    client = personas.client("agent")
    assert client.get("/tickets/").status_code == 200
    user = load_user(personas.agent.pk)
    assert user is not None and user.username == "blanca.herrera"
    with CaptureQueriesContext(connection) as queries:
        agent = agent_of(user)
        assert agent is not None and agent.user is user and agent.level == 1
    assert len(queries) == 0


def test_a_customer_has_no_agent_row_and_asking_costs_no_query(personas):
    user = load_user(personas.customer_a.pk)
    assert user is not None and user.organisation_id == personas.org_a.pk
    with CaptureQueriesContext(connection) as queries:
        assert agent_of(user) is None
        with pytest.raises(Agent.DoesNotExist):
            user.agent  # noqa: B018 - the access is the test
    assert len(queries) == 0


def test_unknown_malformed_and_inactive_users_are_nobody(personas, make_user):
    assert load_user(999_999) is None
    assert load_user("1; DROP TABLE directory_user") is None
    assert load_user(None) is None
    inactive = make_user("baja.temporal", Role.AGENT, is_active=False)
    assert load_user(inactive.pk) is not None  # the row exists...
    assert DeskBackend().get_user(inactive.pk) is None  # ...but it cannot sign in


def _signed_in_client(personas):
    client = personas.client("agent")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, key


def test_an_expired_session_signs_the_person_out(personas):
    client, key = _signed_in_client(personas)
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/tickets/")
    assert response.status_code == 302 and response["Location"].startswith("/entrar/")


def test_a_deleted_or_forged_session_key_signs_the_person_out(personas):
    client, key = _signed_in_client(personas)
    Session.objects.filter(pk=key).delete()
    assert client.get("/tickets/").status_code == 302
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    assert client.get("/tickets/").status_code == 302


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(personas):
    client, key = _signed_in_client(personas)
    stolen = personas.client("agent")
    stolen.cookies[settings.SESSION_COOKIE_NAME] = key
    assert stolen.get("/tickets/").status_code == 200
    client.post("/salir/")
    assert stolen.get("/tickets/").status_code == 302


def test_the_store_reads_what_django_wrote(db):
    store = SessionStore()
    store["answer"] = {"a": [1, "ñ"]}
    store.save()
    again = SessionStore(store.session_key)
    assert again["answer"] == {"a": [1, "ñ"]}
    assert SessionStore("unknown-key-000000000000000000000").load() == {}
