"""The label a ticket teaches is the level it was finally resolved at, after its escalations."""

from __future__ import annotations

import datetime as dt

from soporte.triage import services
from soporte.triage.models import ModelStatus, ModelVersion

# A request the shipped examples say nothing about: the starting model does not call it level 3.
UNKNOWN = "El reloj checador de la bodega marca error E-17 al registrar"


def test_a_level_one_ticket_resolved_at_level_three_teaches_level_three(
    personas, open_request, resolve, now
):
    version, before = services.predict(UNKNOWN, now=now)
    assert before.level != 3
    for i in range(30):
        at = now - dt.timedelta(days=30 - i)
        ticket = open_request(UNKNOWN, f"{UNKNOWN}. Sucursal {i}.", at=at)
        assert ticket.level == 1
        resolve(ticket, level=3, at=at + dt.timedelta(hours=2))

    candidate = services.train_candidate(now=now, actor=personas.supervisor)
    learned = services.load(candidate).predict(UNKNOWN)

    assert learned.level == 3
    assert candidate.desk_ticket_count == 24 and candidate.recent_count == 6
    # Measured on the newest six, kept out of its training: it gets them right, the old one not.
    assert candidate.recent_accuracy == 1.0
    assert candidate.previous_recent_accuracy == 0.0
    assert candidate.previous_version == version.version


def test_the_retraining_job_runs_in_the_background(personas, open_request, resolve, now, run_jobs):
    services.active_version(now=now)
    ticket = open_request("se calienta la PC")
    resolve(ticket, level=2, at=now)

    response = personas.client("supervisor").post("/triaje/reentrenar/")
    assert response.status_code == 302
    assert not ModelVersion.objects.filter(status=ModelStatus.CANDIDATE).exists()

    assert run_jobs() >= 1
    candidate = ModelVersion.objects.get(status=ModelStatus.CANDIDATE)
    assert candidate.trained_by == personas.supervisor
    assert candidate.desk_ticket_count == 1


def test_the_weekly_run_trains_only_when_tickets_were_resolved(open_request, resolve, now):
    from soporte.triage import tasks

    services.active_version(now=now)
    tasks.retrain_weekly.call()
    assert not ModelVersion.objects.filter(status=ModelStatus.CANDIDATE).exists()

    resolve(open_request("se calienta la PC"), level=2, at=now + dt.timedelta(minutes=5))
    tasks.retrain_weekly.call()
    assert ModelVersion.objects.filter(status=ModelStatus.CANDIDATE).count() == 1
