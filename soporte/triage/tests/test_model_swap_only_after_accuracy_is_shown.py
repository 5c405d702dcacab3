"""A retrained model is used only after a supervisor has seen its accuracy (or by the explicit rule)."""

from __future__ import annotations

import pytest

from soporte.triage import services
from soporte.triage.models import ModelStatus, ModelVersion, TriageSettings


@pytest.fixture
def candidate(personas, now) -> ModelVersion:
    services.active_version(now=now)
    return services.train_candidate(now=now, actor=personas.supervisor)


def in_use() -> ModelVersion:
    return ModelVersion.objects.get(status=ModelStatus.ACTIVE)


def test_a_retrained_model_waits_for_review(candidate):
    assert candidate.status == ModelStatus.CANDIDATE
    assert in_use().version == candidate.version - 1


def test_the_supervisor_sees_the_accuracy_and_swaps(personas, candidate):
    client = personas.client("supervisor")
    page = client.get("/triaje/").content.decode()
    figure = services.shown_figure(candidate)
    assert f"{float(figure):.3f}".replace(".", ",") in page or f"{float(figure):.3f}" in page
    assert f'name="shown_accuracy" value="{figure}"' in page

    response = client.post(f"/triaje/modelos/{candidate.pk}/activar/", {"shown_accuracy": figure})

    assert response.status_code == 302
    assert in_use().pk == candidate.pk


def test_a_swap_without_the_figure_shown_is_refused(personas, candidate, now):
    with pytest.raises(services.TriageError) as refused:
        services.activate(version=candidate, actor=personas.supervisor, shown_accuracy="", now=now)

    assert refused.value.code == "accuracy_not_shown"
    assert in_use().pk != candidate.pk


def test_only_a_supervisor_swaps(personas, candidate):
    figure = services.shown_figure(candidate)

    response = personas.client("agent").post(
        f"/triaje/modelos/{candidate.pk}/activar/", {"shown_accuracy": figure}
    )

    assert response.status_code == 403
    assert in_use().pk != candidate.pk


def test_the_explicit_rule_swaps_a_model_at_least_as_good(personas, now):
    services.active_version(now=now)
    TriageSettings.objects.update_or_create(pk=1, defaults={"auto_activate": True})

    candidate = services.train_candidate(now=now)

    assert in_use().pk == candidate.pk


def test_a_rejected_model_is_never_used(personas, candidate, now):
    services.reject(version=candidate, actor=personas.supervisor, now=now)

    with pytest.raises(services.TriageError) as refused:
        services.activate(
            version=candidate,
            actor=personas.supervisor,
            shown_accuracy=services.shown_figure(candidate),
            now=now,
        )
    assert refused.value.code == "not_candidate"
