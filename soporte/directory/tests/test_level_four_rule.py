"""Rule: an agent holds level 4 only while at least two certifications are valid."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.directory import services
from soporte.directory.models import Agent, Certification
from soporte.directory.services import CertificationInput, LevelRuleError
from soporte.lib.errors import Forbidden


def certify(agent: Agent, name: str, start: dt.date, end: dt.date | None) -> Certification:
    return Certification.objects.create(
        agent=agent, name=name, issuer="Red Hat", valid_from_date=start, valid_until_date=end
    )


@pytest.fixture
def candidate(db, make_agent) -> Agent:
    return make_agent("alejandro.torres", level=3)


def test_level_four_is_refused_with_one_valid_certification(personas, candidate, now):
    today = now.date()
    certify(candidate, "RHCSA", today - dt.timedelta(days=30), today + dt.timedelta(days=300))
    certify(candidate, "CCNA vencida", today - dt.timedelta(days=900), today - dt.timedelta(days=1))

    with pytest.raises(LevelRuleError) as excinfo:
        services.set_agent_level(actor=personas.supervisor, agent=candidate, level=4, now=now)

    assert excinfo.value.code == "level4_requires_certifications"
    assert excinfo.value.details == {"valid_certifications": 1}
    candidate.refresh_from_db()
    assert candidate.level == 3


def test_level_four_is_granted_with_two_valid_certifications(personas, candidate, now):
    today = now.date()
    certify(candidate, "RHCSA", today - dt.timedelta(days=30), today + dt.timedelta(days=300))
    certify(candidate, "MCSA", today - dt.timedelta(days=10), None)

    services.set_agent_level(actor=personas.supervisor, agent=candidate, level=4, now=now)

    candidate.refresh_from_db()
    assert candidate.level == 4
    assert candidate.level_flagged_at is None


def test_certification_not_yet_started_does_not_count(personas, candidate, now):
    today = now.date()
    certify(candidate, "RHCSA", today - dt.timedelta(days=30), None)
    certify(candidate, "RHCE", today + dt.timedelta(days=1), None)

    with pytest.raises(LevelRuleError):
        services.set_agent_level(actor=personas.supervisor, agent=candidate, level=4, now=now)


def test_expiry_flags_the_agent_without_demoting(personas, candidate, now):
    today = now.date()
    certify(candidate, "RHCSA", today - dt.timedelta(days=300), today + dt.timedelta(days=5))
    certify(candidate, "MCSA", today - dt.timedelta(days=10), None)
    services.set_agent_level(actor=personas.supervisor, agent=candidate, level=4, now=now)

    # Six days later the RHCSA has expired; the daily check runs.
    later = now + dt.timedelta(days=6)
    flagged = services.recheck_level_four(now=later)

    candidate.refresh_from_db()
    assert [a.pk for a in flagged] == [candidate.pk]
    assert candidate.level == 4, "the agent is flagged, never silently demoted"
    assert candidate.level_flagged_at == later
    assert "1 certificación" in candidate.level_flag_reason


def test_the_last_day_of_a_certification_still_counts(personas, candidate, now):
    today = now.date()
    certify(candidate, "RHCSA", today - dt.timedelta(days=300), today + dt.timedelta(days=5))
    certify(candidate, "MCSA", today - dt.timedelta(days=10), None)
    services.set_agent_level(actor=personas.supervisor, agent=candidate, level=4, now=now)

    assert services.recheck_level_four(now=now + dt.timedelta(days=5)) == []


def test_a_new_certification_clears_the_flag(personas, candidate, now):
    today = now.date()
    certify(candidate, "RHCSA", today - dt.timedelta(days=300), today + dt.timedelta(days=5))
    certify(candidate, "MCSA", today - dt.timedelta(days=10), None)
    services.set_agent_level(actor=personas.supervisor, agent=candidate, level=4, now=now)
    later = now + dt.timedelta(days=6)
    services.recheck_level_four(now=later)

    services.add_certification(
        actor=personas.supervisor,
        agent=candidate,
        data=CertificationInput("RHCE", "Red Hat", later.date(), None),
        now=later,
    )

    candidate.refresh_from_db()
    assert candidate.level_flagged_at is None


def test_only_managers_set_levels(personas, candidate, now):
    with pytest.raises(Forbidden):
        services.set_agent_level(actor=personas.agent, agent=candidate, level=2, now=now)


def test_page_shows_spanish_error_when_level_four_is_refused(personas, candidate):
    client = personas.client("supervisor")

    response = client.post(
        f"/directorio/agentes/{candidate.pk}/nivel/", {"level": "4"}, follow=True
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "no puede tener el nivel 4" in body
    assert "se necesitan al menos dos certificaciones vigentes y tiene 0" in body
    candidate.refresh_from_db()
    assert candidate.level == 3


def test_api_answers_422_with_stable_error_shape(personas, candidate):
    client = personas.client("supervisor")

    response = client.post(
        f"/api/v1/agents/{candidate.pk}/level", {"level": 4}, content_type="application/json"
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "level4_requires_certifications"
    assert error["details"] == {"valid_certifications": 0}
    assert error["message"]


def test_api_grants_level_four_after_two_certifications(personas, candidate, now):
    client = personas.client("supervisor")
    for name in ("RHCSA", "RHCE"):
        response = client.post(
            f"/api/v1/agents/{candidate.pk}/certifications",
            {"name": name, "issuer": "Red Hat", "valid_from_date": "2026-01-01"},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content

    response = client.post(
        f"/api/v1/agents/{candidate.pk}/level", {"level": 4}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["level"] == 4
    assert len(response.json()["certifications"]) == 2
