"""The starting model, as shipped: the seed's four examples, and Spanish as people write it."""

from __future__ import annotations

import pytest

from soporte.triage import engine
from soporte.triage.services import _starting_model


@pytest.fixture(scope="module")
def model() -> engine.Model:
    return _starting_model()


@pytest.mark.parametrize(("text", "level"), engine.SEED_EXAMPLES)
def test_the_seed_examples_get_their_level(model, text, level):
    assert model.predict(text).level == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # Accents dropped, capitals, misspellings.
        ("ESTA LENTA", 1),
        ("se calienta la pc", 2),
        ("se calieta la compu", 2),
        ("perdida de informacion", 3),
        ("perdi la informasion", 3),
        ("el serbidor no responde", 4),
        ("EL SERVIDOR NO RESPONDE", 4),
        # Regional words: Mexico, Spain, South America.
        ("la computadora no prende", 2),
        ("el ordenador no enciende", 2),
        ("la compu se traba y va lenta", 1),
        ("se me han borrado los ficheros del pendrive", 3),
        ("se cayó el server de archivos", 4),
    ],
)
def test_accents_misspellings_and_regional_words(model, text, level):
    assert model.predict(text).level == level


def test_the_words_that_led_to_it_are_the_customers_words(model):
    prediction = model.predict("Buenos días, el servidor no responde desde las 8")

    assert prediction.level == 4
    assert any("servidor" in w and "no responde" in w for w in prediction.words)


def test_a_statistical_suggestion_names_words_of_the_request(model):
    prediction = model.predict("se borraron los archivos de la carpeta de ventas")

    assert prediction.level == 3
    assert not prediction.by_rule
    assert prediction.words
    folded = engine.fold("se borraron los archivos de la carpeta de ventas")
    assert all(word in folded for word in prediction.words)


def test_the_held_out_set_is_never_trained_on_and_scores_above_target(model):
    heldout = {engine.fold(e.text) for e in engine.heldout_set()}
    trained = {engine.fold(e.text) for e in engine.starting_set()}

    assert not heldout & trained
    assert engine.score(model, engine.heldout_set()).macro_f1 >= 0.80


def test_a_long_request_is_judged_on_its_beginning(model):
    prediction = model.predict("el servidor no responde. " + "x" * 100_000)

    assert prediction.level == 4


def test_the_direct_vector_is_scikit_learns_own(model):
    import numpy as np

    for example in [*engine.heldout_set()[::7], engine.Example("", 1), engine.Example("zzz", 1)]:
        ours = model.vector(example.text)
        theirs = model.matrix([example.text]).tocoo()
        dense = np.zeros(theirs.shape[1])
        dense[ours.columns] = ours.values
        assert np.allclose(dense, theirs.toarray()[0], atol=1e-6)
