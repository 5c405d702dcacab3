"""The OpenAPI document is valid OpenAPI 3 and documents both auth schemes."""

from __future__ import annotations

from openapi_spec_validator import validate


def test_openapi_document_validates(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()

    validate(spec)

    assert spec["openapi"].startswith("3.")
    assert "/api/v1/agents/{agent_id}/level" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_interactive_docs_are_served_locally(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "swagger" in body.lower()
    assert "cdn." not in body, "the docs must work without internet access"


# Words of django-ninja's default summaries (the view's name: "Get Agent", "List
# Organisations"), which must never reach a Spanish product's documentation.
ENGLISH_WORDS = {"get", "list", "create", "update", "delete", "set", "add", "download", "the"}


def test_every_operation_has_a_spanish_summary(client, db):
    spec = client.get("/api/openapi.json").json()
    english = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            summary = operation.get("summary", "")
            default = operation["operationId"].rsplit("_api_", 1)[-1].replace("_", " ").title()
            words = set(summary.lower().replace(",", " ").split())
            if not summary or summary == default or words & ENGLISH_WORDS:
                english.append(f"{method.upper()} {path}: {summary!r}")
    assert english == [], "operations documented in English:\n" + "\n".join(english)
