"""The desk's phrase lists: seen by staff, edited by supervisors like the glossary, and used
by the next scorecards (a phrase the desk adds turns a verdict)."""

from __future__ import annotations

import pytest

from soporte.calls import qa
from soporte.calls.models import QaPhrase, Verdict
from soporte.calls.qa.spanish import CLOSING_THANKS
from soporte.calls.tests.test_qa_rules import GOOD, replace, score

pytestmark = pytest.mark.django_db

URL = "/llamadas/calidad/frases/"
DELETE = "/llamadas/calidad/frases/quitar/"
NEW = {"act": "closing_thanks", "phrase": "gracias por marcarnos"}


def test_access(personas):
    anonymous = personas.client("anonymous").get(URL)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/entrar/")
    for who in ("customer_a", "customer_b"):
        client = personas.client(who)
        assert client.get(URL).status_code == 403, who
        assert client.post(URL, NEW).status_code == 403, who
        assert client.post(DELETE, NEW).status_code == 403, who
    agent = personas.client("agent")
    body = agent.get(URL).content.decode()
    assert "gracias por (llamar|llamarnos|su llamada" in body  # the defaults are shown
    assert "Agregar la frase" not in body
    assert agent.post(URL, NEW).status_code == 403
    assert agent.post(DELETE, {"act": "closing_thanks", "phrase": CLOSING_THANKS.phrases[0]}).status_code == 403  # fmt: skip
    assert not QaPhrase.objects.exists()


def test_a_phrase_the_desk_adds_is_heard_by_the_next_scorecard(make_call, personas):
    rows = replace(GOOD, 8, "Mil gracias por marcarnos, la atendió Blanca.")
    assert score(make_call(), rows, personas)["C1"][0] == Verdict.FAILED

    response = personas.client("supervisor").post(URL, NEW, follow=True)

    assert response.status_code == 200
    assert "Frase agregada." in response.content.decode()
    lists = qa.desk_phrases()
    assert lists["closing_thanks"] == (*CLOSING_THANKS.phrases, "gracias por marcarnos")
    assert score(make_call(), rows, personas)["C1"][0] == Verdict.PASSED


def test_a_bad_or_repeated_phrase_is_refused_and_the_list_kept(personas):
    client = personas.client("supervisor")
    for phrase, message in (
        ("(le|lo", "Escriba una frase de hasta 200 caracteres"),
        ("GRACIAS por llamar", "ya está en la lista"),  # same normal form as a default
    ):
        response = client.post(URL, {"act": "closing_thanks", "phrase": phrase})
        assert response.status_code == 422
        assert message in response.content.decode()
    assert qa.desk_phrases()["closing_thanks"] == CLOSING_THANKS.phrases


def test_a_supervisor_removes_a_phrase_but_never_the_last(personas):
    client = personas.client("supervisor")
    first = CLOSING_THANKS.phrases[0]
    assert client.post(DELETE, {"act": "closing_thanks", "phrase": first}).status_code == 302
    assert first not in qa.desk_phrases()["closing_thanks"]
    QaPhrase.objects.filter(act="closing_thanks").exclude(phrase="gracias por su tiempo").delete()
    response = client.post(DELETE, {"act": "closing_thanks", "phrase": "gracias por su tiempo"})
    assert response.status_code == 422
    assert "Una lista no puede quedar vacía" in response.content.decode()
    assert qa.desk_phrases()["closing_thanks"] == ("gracias por su tiempo",)
