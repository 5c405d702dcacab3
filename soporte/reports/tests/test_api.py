"""The reports API: the pages' figures and access rules, errors in the stable JSON shape."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from soporte.directory.services import create_api_token

API = "/api/v1/reports"
MEXICO = ZoneInfo("America/Mexico_City")
DAY = {"desde": "2026-11-20", "hasta": "2026-11-20"}


@pytest.fixture
def calls_of_two_agents(personas, line, store_call, make_agent):
    other = make_agent("ramon.ibarra", level=2, first_name="Ramón", last_name="Ibarra")
    at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO)
    for i in range(3):
        store_call(line, at + dt.timedelta(minutes=i), wait=5, talk=60, agent=personas.agent.agent)
    for i in range(5):
        store_call(line, at + dt.timedelta(minutes=10 + i), wait=30, talk=60, agent=other)


def offered(body) -> int:
    return next(f["value"] for f in body["figures"] if f["code"] == "offered")


def test_calls_report_by_persona(personas, calls_of_two_agents):
    supervisor = personas.client("supervisor").get(API + "/calls", {**DAY, "por": "agent"})
    assert supervisor.status_code == 200
    body = supervisor.json()
    assert offered(body) == 8
    assert sorted(g["label"] for g in body["groups"]) == ["Blanca Herrera", "Ramón Ibarra"]
    sl = next(f for f in body["figures"] if f["code"] == "service_level")
    assert sl["value"] == pytest.approx(3 / 8) and "20 s" in sl["definition"]
    agent = personas.client("agent").get(API + "/calls", DAY).json()
    assert offered(agent) == 3
    for who in ("customer_a", "customer_b"):
        refused = personas.client(who).get(API + "/calls", DAY)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "reports_forbidden"
    assert personas.client("anonymous").get(API + "/calls", DAY).status_code == 401


def test_a_token_reads_the_same_figures(personas, calls_of_two_agents, client, now):
    _row, token = create_api_token(user=personas.supervisor, name="tablero")
    response = client.get(API + "/calls", DAY, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and offered(response.json()) == 8


def test_bad_queries_are_structured_errors(personas):
    client = personas.client("supervisor")
    bad = client.get(API + "/calls", {"desde": "2026-11-20", "hasta": "2026-11-01"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_query"
    assert bad.json()["error"]["message"] == "La fecha final es anterior a la inicial."
    field = client.get(API + "/calls", {"objetivo": "0"}).json()["error"]
    assert "objetivo" in field["details"]["fields"]
    assert client.get(API + "/desk", {"desde": "x"}).status_code == 422


def test_desk_and_staffing_reports(personas):
    desk = personas.client("supervisor").get(API + "/desk", DAY)
    assert desk.status_code == 200
    ids = [t["id"] for t in desk.json()["tables"]]
    assert "channel" in ids and "sla_target" in ids and "survey" in ids
    query = {"llamadas": 100, "tmo": 180, "timbres": 3, "cadencia": "mx", "reduccion": 30}
    plan = personas.client("supervisor").get(API + "/staffing", query)
    assert plan.status_code == 200
    body = plan.json()
    assert body["target_seconds"] == 10.0
    assert (body["answer"]["c_agents"], body["answer"]["c_scheduled"]) == (14, 20)
    assert personas.client("agent").get(API + "/staffing", query).status_code == 403
    assert personas.client("customer_a").get(API + "/desk", DAY).status_code == 403
