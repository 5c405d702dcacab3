"""Search ignores accents and case, ranks results, covers notes, and respects organisations."""

from __future__ import annotations

import pytest
from django.db import connection

from soporte.tickets import search, services
from soporte.tickets.models import Channel


def open_ticket(personas, now, subject, description, org="a"):
    organisation = personas.org_a if org == "a" else personas.org_b
    person = personas.person_a if org == "a" else personas.person_b
    return services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=organisation,
            requester=person,
            subject=subject,
            description=description,
            channel=Channel.PHONE,
        ),
        now=now,
    )


@pytest.fixture
def corpus(personas, now):
    printer = open_ticket(
        personas, now, "Falla de impresión en almacén", "La impresora imprime hojas en blanco."
    )
    slow = open_ticket(personas, now, "Equipo lento", "Tarda en iniciar sesión.")
    network = open_ticket(personas, now, "Sin red", "No hay conexión en compras.")
    services.add_note(
        ticket=network,
        author=personas.agent,
        body="Se reinició el conmutador; la CONEXIÓN volvió.",
        now=now,
    )
    clinic = open_ticket(
        personas, now, "Impresión de recetas", "La impresora de recepción no responde.", org="b"
    )
    return {"printer": printer, "slow": slow, "network": network, "clinic": clinic}


@pytest.mark.parametrize("query", ["impresion", "IMPRESIÓN", "Impresión", "impresión"])
def test_accents_and_case_do_not_matter(personas, corpus, query):
    results = search.search_tickets(personas.agent, query)
    assert corpus["printer"] in results
    assert corpus["clinic"] in results
    assert corpus["slow"] not in results


def test_notes_are_searched_too(personas, corpus):
    assert search.search_tickets(personas.agent, "conmutador") == [corpus["network"]]
    assert corpus["network"] in search.search_tickets(personas.agent, "conexion")


def test_every_word_must_match(personas, corpus):
    assert search.search_tickets(personas.agent, "impresora blanco") == [corpus["printer"]]


def test_a_subject_hit_ranks_above_a_description_hit(personas, now, corpus):
    body_only = open_ticket(
        personas, now, "Consulta general", "Pregunta sobre la factura del almacén"
    )
    subject_hit = corpus["printer"]  # "almacén" in the subject
    results = search.search_tickets(personas.agent, "almacen")
    assert results.index(subject_hit) < results.index(body_only)


def test_customers_only_find_their_organisation(personas, corpus):
    assert search.search_tickets(personas.customer_a, "impresion") == [corpus["printer"]]
    assert search.search_tickets(personas.customer_b, "impresion") == [corpus["clinic"]]
    assert search.search_tickets(personas.customer_b, "conmutador") == []


def test_customers_do_not_find_tickets_by_the_words_of_internal_notes(personas, now, corpus):
    services.add_note(
        ticket=corpus["slow"],
        author=personas.agent,
        body="Cliente moroso: confirmar pago antes de ir a sitio.",
        internal=True,
        now=now,
    )
    services.add_note(
        ticket=corpus["printer"],
        author=personas.agent,
        body="Pasaremos el jueves; favor de tener el moroso listo.",
        now=now,
    )
    # The desk finds both; the customer only the ticket whose public note says it.
    assert set(search.search_tickets(personas.agent, "moroso")) == {
        corpus["slow"],
        corpus["printer"],
    }
    assert search.search_tickets(personas.customer_a, "moroso") == [corpus["printer"]]
    assert search.search_tickets(personas.customer_a, "confirmar pago") == []


def test_empty_and_symbol_only_queries_find_nothing(personas, corpus):
    assert search.search_tickets(personas.agent, "   ") == []
    assert search.search_tickets(personas.agent, '"*:()') == []


def test_the_start_of_a_word_finds_the_word(personas, corpus):
    """Typing "impre" (search as you type) finds impresora and impresión."""
    results = search.search_tickets(personas.agent, "impre")
    assert corpus["printer"] in results and corpus["clinic"] in results
    assert corpus["slow"] not in results


def test_whole_words_rank_before_longer_words_that_start_the_same(personas, now, corpus):
    plural = open_ticket(personas, now, "Dos impresoras sin tóner", "Piso 2.")
    results = search.search_tickets(personas.agent, "impresora")
    assert plural in results and corpus["printer"] in results
    if connection.vendor == "sqlite":
        # FTS5 ranks the word itself first; PostgreSQL's Spanish stemmer makes the plural
        # the same word, ranked alike.
        assert results.index(corpus["printer"]) < results.index(plural)
