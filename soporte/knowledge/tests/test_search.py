"""Spanish search: accents and case ignored, word forms found through stems and families;
the same answers on SQLite and PostgreSQL (the CI's PostgreSQL run executes this file too)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from soporte.knowledge import search, services
from soporte.knowledge.models import ArticleStatus, Visibility


def test_terms_fold_accents_and_case_and_join_word_forms():
    assert search.terms("IMPRESIÓN") == search.terms("impresion")
    assert search.terms("impresora") == search.terms("impresoras") == search.terms("Impresoras")
    assert search.terms("imprimir") == search.terms("impresión") == search.terms("imprime")
    assert set(search.terms("la PC se calienta")) == set(search.terms("calentamiento pc"))
    assert search.terms("sobrecalienta") == search.terms("calor")
    assert search.stem("año") != search.stem("ano")  # ñ is a letter of its own


@pytest.fixture
def base(write_article):
    return {
        "printer": write_article(
            "La impresora no saca hojas", "Revise la bandeja y el tóner de las impresoras."
        ),
        "slow": write_article("Mi computadora está lenta", "Cierre programas al iniciar."),
        "heat": write_article(
            "El equipo se sobrecalienta", "Limpie el ventilador; el calor apaga la PC."
        ),
        "server": write_article(
            "El servidor no responde", "Revise la conexión de red.", visibility=Visibility.INTERNAL
        ),
        "draft": write_article(
            "Borrador: impresora en red", "Sin revisar.", status=ArticleStatus.DRAFT
        ),
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("impresora", "printer"),
        ("IMPRESORAS", "printer"),
        ("no puedo imprimir", "printer"),
        ("error de impresión", "printer"),
        ("impresion", "printer"),
        ("la computadora va muy lenta", "slow"),
        ("lentitud", "slow"),
        ("se calienta mucho", "heat"),
        ("calentamiento", "heat"),
    ],
)
def test_customers_find_articles_with_and_without_accents_and_across_word_forms(
    base, typed, expected
):
    found = services.suggest(actor=None, text=typed)
    assert found and found[0] == base[expected], typed


def test_an_unfinished_word_is_matched_while_typing(base):
    assert services.suggest(actor=None, text="la impre")[0] == base["printer"]
    assert services.suggest(actor=None, text="computado")[0] == base["slow"]


def test_suggestions_never_offer_internal_or_draft_articles(base, personas):
    for actor in (None, personas.customer_a, personas.agent):
        found = services.suggest(actor=actor, text="servidor conexión red impresora")
        assert base["server"] not in found and base["draft"] not in found
    staff = [m.article for m in services.search_articles(actor=personas.agent, query="servidor")]
    assert staff == [base["server"]]


def test_only_the_heaviest_postings_of_a_very_common_word_are_read(write_article, monkeypatch):
    monkeypatch.setattr(services, "POSTINGS_PER_TERM", 2)
    in_title = write_article("Impresora en red", "Compartida.")
    for n in range(3):
        write_article(f"Nota {n}", "Revise la impresora.")
    found = services.suggest(actor=None, text="impresora")
    assert found[0] == in_title and len(found) == 2


def test_helpful_answers_rank_an_article_first(write_article, personas, now):
    older = write_article("Impresora atascada", "Papel atorado.")
    newer = write_article("Impresora sin tóner", "Cambie el cartucho.")
    assert services.suggest(actor=None, text="impresora")[0] == newer  # equal match: newest
    services.record_feedback(
        article=older, user=personas.customer_a, session_key="", helpful=True,
        source="portal", now=now,
    )  # fmt: skip
    assert services.suggest(actor=None, text="impresora")[0] == older


def test_feedback_is_one_answer_per_person_and_counts_deflections(personas, printer_article, now):
    client = personas.client("customer_a")
    url = reverse("knowledge:help_feedback", args=[printer_article.slug])
    response = client.post(url, {"util": "si", "origen": "portal"})
    assert response.status_code == 302 and "gracias=si" in response["Location"]
    client.post(url, {"util": "si", "origen": "portal"})
    printer_article.refresh_from_db()
    assert printer_article.helpful_count == 1
    assert services.deflections(since=now, until=now.replace(year=now.year + 1)) == 1
    desk = personas.client("agent").get(reverse("knowledge:desk_articles")).content.decode()
    assert "Solicitudes evitadas por un artículo útil en los últimos 30 días: 1." in desk
    client.post(url, {"util": "no"})
    printer_article.refresh_from_db()
    assert (printer_article.helpful_count, printer_article.unhelpful_count) == (0, 1)
    bad = client.post(url, {"util": "quizá"})
    assert bad.status_code == 302
    anonymous = personas.client("anonymous")
    anonymous.post(url, {"util": "si"})
    printer_article.refresh_from_db()
    assert printer_article.helpful_count == 1


def test_the_portal_form_carries_the_suggestion_widget(personas, printer_article):
    page = personas.client("customer_a").get(reverse("tickets:portal_new")).content.decode()
    assert 'id="knowledge-suggestions"' in page
    assert reverse("knowledge:help_suggest") in page


# The same corpus and the same typed requests give these exact rankings on SQLite and on
# PostgreSQL (the CI runs this file on both): the roots are computed in Python, the index
# reads are ordered by (weight, article) on both, and ties are broken by id, never by the
# database's own order.
CORPUS = [
    ("La impresora no imprime", "Revise el papel y el tóner.", ["impresoras"]),
    ("Impresión con rayas", "Limpie el cabezal de la impresora.", []),
    ("La computadora está lenta", "Cierre programas; revise el disco.", ["lentitud"]),
    ("El equipo se calienta", "Limpie el ventilador; el calor lo apaga.", []),
    ("Sin conexión a internet", "Reinicie el módem y revise el cable de red.", ["red"]),
    ("Recuperar archivos perdidos", "Use el respaldo de la carpeta compartida.", []),
    ("El servidor no responde", "Revise la conexión y el disco del servidor.", []),
    ("Contraseña del correo", "Cambie la contraseña desde el portal.", ["correo"]),
    ("Escáner de la impresora", "Instale el programa del escáner.", ["impresoras"]),
    ("Disco lleno", "Borre archivos temporales; la computadora irá más rápida.", []),
]
RANKINGS = {
    # Three articles with the root in their title: an equal match, the newest first.
    "la impresora no imprime": [8, 1, 0],
    "impresion": [8, 1, 0],
    "computadora lenta": [2, 9],
    # Both roots (body) before one root (title, weighing 3) before one root (body).
    "revise el disco": [6, 2, 9, 4, 0],
    "no tengo conexion a la red": [4, 6],
    "perdi mis archivos": [5, 9],
    "la compu": [2, 9],
    "se calienta el equ": [3],
}


def test_the_same_corpus_ranks_the_same_on_every_database(write_article):
    articles = [write_article(title, body, tags=tags) for title, body, tags in CORPUS]
    index = {article.pk: n for n, article in enumerate(articles)}
    got = {
        typed: [
            index[m.article.pk]
            for m in services.search_articles(actor=None, query=typed, limit=5, prefix_last=True)
        ]
        for typed in RANKINGS
    }
    assert got == RANKINGS
