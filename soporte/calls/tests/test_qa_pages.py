"""QA pages: who sees what (anonymous → login, customers refused, agents read, supervisors
review and edit the glossary), the review with its mandatory comment, and the averages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import get_resolver

from soporte.api import api
from soporte.calls import qa
from soporte.calls.models import GlossaryTerm, ScoreLine, Verdict
from soporte.calls.tests.test_qa_rules import GOOD, ended, finished_call, turns
from soporte.lib import clock
from soporte.lib.errors import DomainError, Forbidden

pytestmark = pytest.mark.django_db

S = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def call(line, personas, now):
    call = finished_call(
        line, personas.agent.agent, call_id="pg-1", start=now, organisation=personas.org_a
    )
    qa.save_transcript(actor=personas.agent, call=call, turns=turns(GOOD), now=ended(call))
    return call


@pytest.fixture
def term(db):
    return GlossaryTerm.objects.create(term="DNS", plain="la dirección de internet del equipo")


def c3(call) -> ScoreLine:
    return ScoreLine.objects.get(scorecard__call=call, rule="C3")


def pages(call, term) -> dict[str, str]:
    line = c3(call)
    return {
        "averages": "/llamadas/calidad/",
        "scorecard": f"/llamadas/calidad/{call.pk}/",
        "review": f"/llamadas/calidad/{call.pk}/lineas/{line.pk}/revisar/",
        "glossary": "/llamadas/calidad/glosario/",
        "glossary_edit": f"/llamadas/calidad/glosario/{term.pk}/",
        "glossary_delete": f"/llamadas/calidad/glosario/{term.pk}/borrar/",
    }


READ = ("averages", "scorecard", "glossary")
WRITE = ("review", "glossary", "glossary_edit", "glossary_delete")
REVIEW = {"verdict": Verdict.FAILED, "comment": "El cliente seguía hablando."}
TERM = {"term": "ping", "plain": "una prueba de conexión"}


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", (*READ, "glossary_edit"))
def test_anonymous_is_sent_to_login(personas, call, term, page):
    response = personas.client("anonymous").get(pages(call, term)[page])
    assert response.status_code == 302
    assert response["Location"].startswith("/entrar/")


@pytest.mark.parametrize("who", ["customer_a", "customer_b"])
def test_customers_are_refused_everywhere_even_their_own_calls(personas, call, term, who):
    client = personas.client(who)
    urls = pages(call, term)
    for page in (*READ, "glossary_edit"):
        assert client.get(urls[page]).status_code == 403, page
    for page in WRITE:
        assert client.post(urls[page], REVIEW | TERM).status_code == 403, page
    assert not c3(call).override
    assert GlossaryTerm.objects.count() == 1


def test_agents_read_but_do_not_review_or_edit(personas, call, term):
    client = personas.client("agent")
    urls = pages(call, term)
    for page in READ:
        assert client.get(urls[page]).status_code == 200, page
    body = client.get(urls["scorecard"]).content.decode()
    assert "contestó en el 2.º timbre" in body
    assert "Revisar esta línea" not in body
    assert "Solo un supervisor puede revisar" in body
    assert "Agregar al glosario" not in client.get(urls["glossary"]).content.decode()
    assert client.get(urls["glossary_edit"]).status_code == 403
    for page in WRITE:
        assert client.post(urls[page], REVIEW | TERM).status_code == 403, page
    assert not c3(call).override
    assert list(GlossaryTerm.objects.values_list("term", flat=True)) == ["DNS"]


def test_a_call_of_nobody_is_404(personas):
    assert personas.client("supervisor").get("/llamadas/calidad/999999/").status_code == 404


# --- review -------------------------------------------------------------------------------


def test_supervisor_overrides_a_line_with_a_comment(personas, call, term):
    url = pages(call, term)["review"]
    response = personas.client("supervisor").post(url, REVIEW, follow=True)
    assert response.status_code == 200
    line = c3(call)
    assert (line.verdict, line.override, line.final) == (Verdict.PASSED, Verdict.FAILED, "failed")
    assert line.reviewed_by == personas.supervisor and line.reviewed_at is not None
    body = response.content.decode()
    assert "Revisión guardada: C3" in body
    assert "El cliente seguía hablando." in body
    assert str(personas.supervisor) in body
    call.scorecard.refresh_from_db()
    # Decided lines: T1 T2 T3 D1 D3 C1 C2 C3 (no holds, transfers or glossary yet); C3 now
    # fails.
    assert call.scorecard.score == round(100 * 7 / 8, 1)


def test_a_review_without_comment_is_refused_and_nothing_changes(personas, call, term):
    url = pages(call, term)["review"]
    response = personas.client("supervisor").post(url, {"verdict": Verdict.FAILED, "comment": " "})
    assert response.status_code == 422
    assert "Escriba un comentario que explique la revisión." in response.content.decode()
    assert not c3(call).override


def test_checklist_lines_are_filled_by_the_supervisor(personas, call):
    line = ScoreLine.objects.get(scorecard__call=call, rule="VOZ")
    assert line.final == Verdict.PENDING
    personas.client("supervisor").post(
        f"/llamadas/calidad/{call.pk}/lineas/{line.pk}/revisar/",
        {"verdict": Verdict.PASSED, "comment": "Se escucha con claridad."},
    )
    line.refresh_from_db()
    assert (line.verdict, line.final) == (Verdict.PENDING, Verdict.PASSED)


def test_the_service_refuses_agents_and_unknown_verdicts(personas, call):
    with pytest.raises(Forbidden):
        qa.review_line(
            actor=personas.agent, line=c3(call), verdict="failed", comment="x", now=call.ended_at
        )
    with pytest.raises(DomainError) as err:
        qa.review_line(
            actor=personas.supervisor,
            line=c3(call),
            verdict=Verdict.PENDING,
            comment="x",
            now=call.ended_at,
        )
    assert err.value.code == "invalid_verdict"


def test_overrides_survive_rescoring(personas, call):
    qa.review_line(
        actor=personas.supervisor,
        line=c3(call),
        verdict=Verdict.FAILED,
        comment="Colgó antes.",
        now=call.ended_at,
    )
    qa.score_call(call=call, now=call.ended_at + DAY)
    line = c3(call)
    assert (line.verdict, line.override, line.comment) == ("passed", "failed", "Colgó antes.")
    call.scorecard.refresh_from_db()
    assert call.scorecard.score < 100


# --- glossary ------------------------------------------------------------------------------


def test_supervisor_adds_edits_and_removes_terms(personas, term):
    client = personas.client("supervisor")
    response = client.post("/llamadas/calidad/glosario/", TERM, follow=True)
    assert "«ping» se agregó al glosario." in response.content.decode()
    ping = GlossaryTerm.objects.get(term="ping")
    assert client.get(f"/llamadas/calidad/glosario/{ping.pk}/").status_code == 200
    client.post(
        f"/llamadas/calidad/glosario/{ping.pk}/", {"term": "ping", "plain": "probar la conexión"}
    )
    ping.refresh_from_db()
    assert ping.plain == "probar la conexión"
    client.post(f"/llamadas/calidad/glosario/{ping.pk}/borrar/")
    assert list(GlossaryTerm.objects.values_list("term", flat=True)) == ["DNS"]


def test_a_term_is_not_added_twice_whatever_its_accents_or_case(personas, term):
    response = personas.client("supervisor").post(
        "/llamadas/calidad/glosario/", {"term": "dns", "plain": "otra cosa"}
    )
    assert response.status_code == 422
    assert "«dns» ya está en el glosario." in response.content.decode()
    assert GlossaryTerm.objects.count() == 1


def test_default_glossary_is_added_once(db):
    GlossaryTerm.objects.create(term="dns", plain="a la medida de la mesa")
    added = qa.ensure_default_glossary()
    assert added == len(qa.DEFAULT_GLOSSARY) - 1
    assert qa.ensure_default_glossary() == 0
    assert GlossaryTerm.objects.get(term="dns").plain == "a la medida de la mesa"
    assert len(qa.DEFAULT_GLOSSARY) >= 12


# --- averages ------------------------------------------------------------------------------


def test_averages_per_agent_level_and_rule_count_overrides(personas, line, now, make_agent):
    blanca = personas.agent.agent  # level 1
    gabriela = make_agent("gabriela.ruiz", level=2, first_name="Gabriela")
    good = finished_call(line, blanca, call_id="av-1", start=now)  # every event rule passes
    late = finished_call(line, blanca, call_id="av-2", start=now + S, ring=11)  # T1 fails
    hers = finished_call(line, gabriela, call_id="av-3", start=now + 2 * S, hangup_by="agent")
    old = finished_call(line, gabriela, call_id="av-4", start=now - 40 * DAY, ring=30)
    for c in (good, late, hers, old):
        qa.score_call(call=c, now=ended(c))
    # Decided lines without transcript: T1, T3, C3 (the others do not apply or are pending).
    qa.review_line(
        actor=personas.supervisor,
        line=ScoreLine.objects.get(scorecard__call=hers, rule="C3"),
        verdict=Verdict.PASSED,
        comment="El cliente pidió que colgara.",
        now=now,
    )

    result = qa.averages(start_at=now - DAY, end_at=now + DAY)

    assert result.calls == 3
    assert result.overrides == 1
    by_agent = {g.key: (g.calls, g.average) for g in result.agents}
    assert by_agent == {blanca.pk: (2, round((100 + 200 / 3) / 2, 1)), gabriela.pk: (1, 100.0)}
    assert [(g.label, g.calls) for g in result.levels] == [("Nivel 1", 2), ("Nivel 2", 1)]
    rules = {r.rule: r for r in result.rules}
    assert (rules["T1"].passed, rules["T1"].failed, rules["T1"].rate) == (2, 1, 66.7)
    assert (rules["C3"].passed, rules["C3"].overridden, rules["C3"].rate) == (3, 1, 100.0)
    assert (rules["D2"].pending, rules["D2"].rate) == (3, None)
    assert rules["T2"].not_applicable == 3

    older = qa.averages(start_at=now - 50 * DAY, end_at=now - 30 * DAY)
    assert older.calls == 1 and older.agents[0].key == gabriela.pk


def test_averages_page_defaults_to_the_last_30_days(personas, call, now, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: now + DAY)
    body = personas.client("supervisor").get("/llamadas/calidad/").content.decode()
    assert "Blanca Herrera" in body
    assert "Nivel 1" in body
    assert 'value="2026-10-26"' in body and 'value="2026-11-24"' in body  # 30 desk days
    assert f"/llamadas/calidad/{call.pk}/" in body


def test_averages_page_with_a_range_without_calls(personas, call):
    body = (
        personas.client("agent")
        .get("/llamadas/calidad/?desde=2026-01-01&hasta=2026-01-31")
        .content.decode()
    )
    assert "No hay llamadas evaluadas en estas fechas." in body


# --- coverage guard ------------------------------------------------------------------------

COVERED_PAGES = {
    "calls:qa_averages",
    "calls:qa_scorecard",
    "calls:qa_review",
    "calls:qa_glossary",
    "calls:qa_glossary_edit",
    "calls:qa_glossary_delete",
    "calls:qa_upload_transcript",  # test_qa_transcript_files.test_upload_access
    "calls:qa_phrases",  # test_qa_phrases.test_access
    "calls:qa_phrase_delete",  # test_qa_phrases.test_access
}
COVERED_API = {
    "/api/v1/calls",
    "/api/v1/calls/{call_id}/transcript",
    "/api/v1/calls/{call_id}/scorecard",
    # test_api_caller_and_callback.test_only_the_agent_on_the_call_records_its_caller
    "/api/v1/calls/{call_id}/caller",
    "/api/v1/calls/{call_id}/callback",  # and the route table's rows
}


def test_every_qa_route_has_an_access_test():
    """A new QA page or endpoint fails this test until it is added to the access tests."""
    names = {
        f"calls:{name}"
        for name in get_resolver().namespace_dict["calls"][1].reverse_dict
        if isinstance(name, str) and name.startswith("qa_")
    }
    assert names == COVERED_PAGES
    schema = api.get_openapi_schema()
    qa_paths = {p for p in schema["paths"] if p.startswith("/api/v1/calls")}
    assert qa_paths == COVERED_API


def _two_agents_scored(personas, line, now, make_agent):
    blanca = personas.agent.agent  # level 1
    gabriela = make_agent("gabriela.ruiz", level=2, first_name="Gabriela", last_name="Ruiz")
    mine = finished_call(line, blanca, call_id="own-1", start=now)
    hers = finished_call(line, gabriela, call_id="own-2", start=now + S, ring=11)
    for c in (mine, hers):
        qa.score_call(call=c, now=ended(c))
    return mine, hers


def test_an_agent_sees_only_their_own_qa_averages(personas, line, now, make_agent, monkeypatch):
    mine, hers = _two_agents_scored(personas, line, now, make_agent)
    monkeypatch.setattr(clock, "now", lambda: now + DAY)

    body = personas.client("agent").get("/llamadas/calidad/").content.decode()

    assert "Blanca Herrera" in body
    assert "Gabriela Ruiz" not in body
    assert f"/llamadas/calidad/{mine.pk}/" in body
    assert f"/llamadas/calidad/{hers.pk}/" not in body
    assert "Sus propias llamadas" in body
    result = qa.averages(start_at=now - DAY, end_at=now + DAY, viewer=personas.agent)
    assert [g.key for g in result.agents] == [personas.agent.agent.pk]
    assert result.calls == 1


def test_a_supervisor_sees_everyones_qa_averages(personas, line, now, make_agent, monkeypatch):
    _mine, hers = _two_agents_scored(personas, line, now, make_agent)
    monkeypatch.setattr(clock, "now", lambda: now + DAY)

    body = personas.client("supervisor").get("/llamadas/calidad/").content.decode()

    assert "Blanca Herrera" in body and "Gabriela Ruiz" in body
    assert f"/llamadas/calidad/{hers.pk}/" in body
    assert "Sus propias llamadas" not in body
    assert "&nbsp;%" in body  # a percentage never wraps away from its sign


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("customer_a", 403)])
def test_qa_averages_are_closed_to_customers_and_strangers(personas, who, status):
    assert personas.client(who).get("/llamadas/calidad/").status_code == status
