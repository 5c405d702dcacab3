from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert len(queries) == 1
