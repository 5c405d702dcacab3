"""A report over more calls than a request may read is built by the worker: the page shows
its progress, then the report, to the person who asked and to nobody else."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from soporte.reports import reads
from soporte.reports.models import ReportBuild

MEXICO = ZoneInfo("America/Mexico_City")
QUERY = {"desde": "2026-11-01", "hasta": "2026-11-20", "por": "day"}


@pytest.fixture
def many_calls(personas, line, store_call, monkeypatch):
    monkeypatch.setattr(reads, "MAX_CALLS_IN_REQUEST", 3)
    monkeypatch.setattr(reads, "PROGRESS_EVERY", 2)
    at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO)
    for i in range(5):
        store_call(
            line, at + dt.timedelta(minutes=i), wait=5 + i, talk=60, agent=personas.agent.agent
        )


def test_a_long_report_is_built_in_the_background_with_progress(personas, many_calls, run_jobs):
    client = personas.client("supervisor")
    response = client.get(reverse("reports:calls"), QUERY)
    assert response.status_code == 302
    build = ReportBuild.objects.get()
    assert response["Location"] == reverse("reports:build", args=[build.pk])
    waiting = client.get(response["Location"])
    text = waiting.content.decode()
    assert "En cola" in text and '<meta http-equiv="refresh"' in text and "0 %" in text
    # Somebody else's build is missing to them.
    assert personas.client("admin").get(response["Location"]).status_code == 404
    assert personas.client("customer_a").get(response["Location"]).status_code == 403
    assert run_jobs() >= 1
    build.refresh_from_db()
    assert (build.status, build.progress) == ("done", 100)
    ready = client.get(response["Location"])
    assert "refresh" not in ready.content.decode()
    figures = {f["code"]: f["value"] for f in ready.context["report"]["figures"]}
    assert figures["offered"] == 5 and figures["service_level"] == pytest.approx(1.0)
    assert ready.content.decode().count("<svg") == 3


def test_an_agents_background_build_keeps_to_their_own_calls(
    personas, many_calls, run_jobs, make_agent, line, store_call
):
    other = make_agent("ramon.ibarra", level=1)
    at = dt.datetime(2026, 11, 19, 10, 0, tzinfo=MEXICO)
    for i in range(4):
        store_call(line, at + dt.timedelta(minutes=i), wait=5, talk=60, agent=other)
    client = personas.client("agent")
    response = client.get(reverse("reports:calls"), {**QUERY, "agente": other.pk})
    assert response.status_code == 302
    run_jobs()
    ready = client.get(response["Location"])
    figures = {f["code"]: f["value"] for f in ready.context["report"]["figures"]}
    assert figures["offered"] == 5


def test_the_api_answers_a_long_range_with_a_build_to_poll(personas, many_calls, run_jobs):
    client = personas.client("supervisor")
    response = client.get("/api/v1/reports/calls", QUERY)
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["progress"], body["result"]) == ("queued", 0, None)
    assert personas.client("admin").get(body["url"]).status_code == 404
    assert personas.client("customer_b").get(body["url"]).status_code == 403
    run_jobs()
    done = client.get(body["url"]).json()
    assert (done["status"], done["progress"]) == ("done", 100)
    offered = next(f for f in done["result"]["figures"] if f["code"] == "offered")
    assert offered["value"] == 5


def test_exporting_a_long_range_goes_through_the_build_too(personas, many_calls, run_jobs):
    """The export of a range too long for a request was computed in the request (the page's
    bound bypassed): now it asks for the build, and reads it once the worker is done."""
    client = personas.client("supervisor")
    export = reverse("reports:calls_export", args=["csv"])

    first = client.get(export, QUERY)

    assert first.status_code == 302
    build = ReportBuild.objects.get()
    assert first["Location"] == reverse("reports:build", args=[build.pk])
    run_jobs()
    ready = client.get(export, QUERY)
    assert ready.status_code == 200
    assert ReportBuild.objects.count() == 1  # read from the build, not built again
    body = b"".join(ready.streaming_content) if ready.streaming else ready.content
    assert b"20/11/2026,5,5,0" in body  # the day's row: 5 offered, 5 answered, 0 abandoned
