"""Who sees which figures: supervisors everyone's, an agent their own, customers nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

MEXICO = ZoneInfo("America/Mexico_City")
DAY = {"desde": "2026-11-20", "hasta": "2026-11-20", "por": "agent"}


@pytest.fixture
def calls_of_two_agents(personas, line, store_call, make_agent):
    other = make_agent("ramon.ibarra", level=2, first_name="Ramón", last_name="Ibarra")
    at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO)
    for i in range(3):
        store_call(line, at + dt.timedelta(minutes=i), wait=5, talk=60, agent=personas.agent.agent)
    for i in range(5):
        store_call(line, at + dt.timedelta(minutes=10 + i), wait=5, talk=60, agent=other)
    return other


def report_routes():
    return [
        reverse("reports:index"),
        reverse("reports:calls"),
        reverse("reports:calls_export", args=["csv"]),
    ]


def offered(page) -> int:
    return next(f["value"] for f in page.context["report"]["figures"] if f["code"] == "offered")


def test_customers_see_nothing_and_anonymous_people_sign_in(personas, calls_of_two_agents):
    for url in report_routes():
        for who in ("customer_a", "customer_b"):
            assert personas.client(who).get(url, DAY).status_code == 403, (who, url)
        response = personas.client("anonymous").get(url, DAY)
        assert response.status_code == 302 and "/entrar/" in response["Location"], url


def test_supervisors_see_every_agent(personas, calls_of_two_agents):
    for who in ("supervisor", "admin"):
        page = personas.client(who).get(reverse("reports:calls"), DAY)
        assert page.status_code == 200
        assert offered(page) == 8
        text = page.content.decode()
        assert "Blanca Herrera" in text and "Ramón Ibarra" in text


def test_an_agent_sees_only_their_own_figures_whatever_the_query(personas, calls_of_two_agents):
    client = personas.client("agent")
    page = client.get(reverse("reports:calls"), DAY)
    assert page.status_code == 200 and offered(page) == 3
    assert "Ramón Ibarra" not in page.content.decode()
    asked_for_other = client.get(
        reverse("reports:calls"), {**DAY, "agente": calls_of_two_agents.pk}
    )
    assert offered(asked_for_other) == 3
    export = client.get(reverse("reports:calls_export", args=["csv"]), DAY)
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Ramón" not in text and "Blanca Herrera" in text
