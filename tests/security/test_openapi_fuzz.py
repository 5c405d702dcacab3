"""schemathesis over /api/openapi.json (issue #19, item 8): for every operation, generated
requests (valid and invalid) never get a server error, every answer's status code is
documented for its operation, and every documented answer matches its schema.

A short profile, so CI can afford it once per run (marked `slow`: the SQLite pass runs it,
the PostgreSQL pass does not): `EXAMPLES` generated cases per operation, no shrinking, as a
supervisor with an API token (the widest access, so requests reach the handlers).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from soporte.api import api
from soporte.directory.services import create_api_token

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 3
# The document as /api/openapi.json serves it (JSON: string status codes).
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api")))
)
application = get_wsgi_application()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: a request that ends must not close the test's database
    connection (the test runs in one transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(personas) -> str:
    _token, plain = create_api_token(user=personas.supervisor, name="schemathesis")
    return plain


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases on every run: a failure in CI is reproducible
)
def test_the_api_answers_as_its_document_says(case, token):
    case.call_and_validate(
        app=application,
        headers={"Authorization": f"Bearer {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
