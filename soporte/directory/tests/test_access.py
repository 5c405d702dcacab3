"""Organisation isolation and role access for every page and endpoint of the directory.

Personas: agent, supervisor, admin, customer_a (organisation A), customer_b (B), anonymous.
A customer never sees another organisation's data; "missing" and "forbidden" look alike.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver

from soporte.api import api
from soporte.directory import services
from soporte.directory.models import Agent, ApiToken

STAFF = ("agent", "supervisor", "admin")
CUSTOMERS = ("customer_a", "customer_b")


# --- pages -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/directorio/agentes/", "/directorio/organizaciones/"])
def test_anonymous_is_sent_to_login(personas, path):
    response = personas.client("anonymous").get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/entrar/")


@pytest.mark.parametrize("who", STAFF + CUSTOMERS)
def test_home_page_answers_everyone_signed_in(personas, who):
    response = personas.client(who).get("/")
    assert response.status_code == 200
    assert "Hola," in response.content.decode()


@pytest.mark.parametrize("who", STAFF)
def test_staff_see_the_agents_page(personas, who):
    response = personas.client(who).get("/directorio/agentes/")
    assert response.status_code == 200
    assert "Blanca Herrera" in response.content.decode()


@pytest.mark.parametrize("who", CUSTOMERS)
def test_customers_do_not_see_agent_pages(personas, who):
    agent_id = Agent.objects.get(user=personas.agent).pk
    client = personas.client(who)
    assert client.get("/directorio/agentes/").status_code == 403
    assert client.get(f"/directorio/agentes/{agent_id}/").status_code == 403
    assert client.post(f"/directorio/agentes/{agent_id}/nivel/", {"level": 2}).status_code == 403


def test_agent_cannot_change_levels_from_the_page(personas):
    target = Agent.objects.get(user=personas.agent)
    response = personas.client("agent").post(
        f"/directorio/agentes/{target.pk}/nivel/", {"level": "2"}, follow=True
    )
    assert "Solo un supervisor o un administrador" in response.content.decode()
    target.refresh_from_db()
    assert target.level == 1


def test_customer_lists_only_their_organisation(personas):
    body = personas.client("customer_a").get("/directorio/organizaciones/").content.decode()
    assert personas.org_a.name in body
    assert personas.org_b.name not in body


def test_staff_list_every_organisation(personas):
    body = personas.client("agent").get("/directorio/organizaciones/").content.decode()
    assert personas.org_a.name in body
    assert personas.org_b.name in body


@pytest.mark.parametrize(
    ("who", "status"), [("customer_a", 404), ("customer_b", 200), ("agent", 200)]
)
def test_organisation_page_of_b(personas, who, status):
    response = personas.client(who).get(f"/directorio/organizaciones/{personas.org_b.pk}/")
    assert response.status_code == status
    if status == 200:
        assert personas.person_b.full_name in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"), [("customer_a", 404), ("customer_b", 200), ("agent", 200)]
)
def test_person_page_of_b(personas, who, status):
    response = personas.client(who).get(f"/directorio/personas/{personas.person_b.pk}/")
    assert response.status_code == status


def test_tokens_page_shows_only_my_tokens(personas):
    services.create_api_token(user=personas.customer_b, name="integración de B")
    body = personas.client("customer_a").get("/directorio/tokens/").content.decode()
    assert "integración de B" not in body


def test_nobody_revokes_someone_elses_token(personas):
    token, _ = services.create_api_token(user=personas.customer_b, name="de B")
    personas.client("customer_a").post(f"/directorio/tokens/{token.pk}/revocar/")
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("admin", True), ("supervisor", False), ("agent", False), ("customer_a", False)],
)
def test_django_admin_is_for_administrators_only(personas, who, allowed):
    response = personas.client(who).get("/admin/")
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


# --- API ---------------------------------------------------------------------------


API_GETS = [
    "/api/v1/me",
    "/api/v1/agents",
    "/api/v1/agents/{agent}",
    "/api/v1/organisations",
    "/api/v1/organisations/{org_b}",
    "/api/v1/people",
    "/api/v1/people/{person_b}",
    "/api/v1/tokens",
]


def _fill(path: str, personas) -> str:
    return path.format(
        agent=Agent.objects.get(user=personas.agent).pk,
        org_b=personas.org_b.pk,
        person_b=personas.person_b.pk,
    )


@pytest.mark.parametrize("path", API_GETS)
def test_api_refuses_anonymous_with_401_json(personas, path):
    response = personas.client("anonymous").get(_fill(path, personas))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_api_customer_a_never_sees_organisation_b(personas):
    client = personas.client("customer_a")
    assert client.get(f"/api/v1/organisations/{personas.org_b.pk}").status_code == 404
    assert client.get(f"/api/v1/people/{personas.person_b.pk}").status_code == 404
    assert [o["id"] for o in client.get("/api/v1/organisations").json()] == [personas.org_a.pk]
    people = client.get("/api/v1/people").json()
    assert {p["organisation_id"] for p in people} == {personas.org_a.pk}
    filtered = client.get(f"/api/v1/people?organisation_id={personas.org_b.pk}").json()
    assert filtered == []


def test_api_customers_see_no_agents(personas):
    client = personas.client("customer_b")
    agent_id = Agent.objects.get(user=personas.agent).pk
    assert client.get("/api/v1/agents").json() == []
    response = client.get(f"/api/v1/agents/{agent_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.post(
        f"/api/v1/agents/{agent_id}/level", {"level": 2}, content_type="application/json"
    )
    assert response.status_code == 404


def test_api_staff_see_both_organisations(personas):
    ids = {o["id"] for o in personas.client("agent").get("/api/v1/organisations").json()}
    assert ids == {personas.org_a.pk, personas.org_b.pk}


def test_api_agent_cannot_set_levels_or_certify(personas):
    client = personas.client("agent")
    agent_id = Agent.objects.get(user=personas.agent).pk
    level = client.post(
        f"/api/v1/agents/{agent_id}/level", {"level": 2}, content_type="application/json"
    )
    cert = client.post(
        f"/api/v1/agents/{agent_id}/certifications",
        {"name": "X", "issuer": "Y", "valid_from_date": "2026-01-01"},
        content_type="application/json",
    )
    assert level.status_code == 403
    assert cert.status_code == 403
    assert level.json()["error"]["code"] == "forbidden"


def test_api_me_describes_the_caller(personas):
    me = personas.client("customer_a").get("/api/v1/me").json()
    assert me["role"] == "customer"
    assert me["organisation_id"] == personas.org_a.pk
    assert me["agent"] is None
    me = personas.client("agent").get("/api/v1/me").json()
    assert me["agent"]["level"] == 1


def test_api_token_revocation_is_owner_only(personas):
    token, _ = services.create_api_token(user=personas.customer_b, name="de B")
    response = personas.client("customer_a").delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 404
    assert personas.client("customer_a").get("/api/v1/tokens").json() == []
    token.refresh_from_db()
    assert token.revoked_at is None


def test_api_session_writes_need_csrf(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.customer_a)
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not ApiToken.objects.exists()


# --- coverage guard ----------------------------------------------------------------

COVERED_PAGES = {
    "home",
    "directory:agent_list",
    "directory:agent_detail",
    "directory:agent_set_level",
    "directory:agent_add_certification",
    "directory:my_presence",
    "directory:organisation_list",
    "directory:organisation_detail",
    "directory:person_detail",
    "directory:tokens",
    "directory:token_revoke",
}
COVERED_API = {
    "/api/v1/me",
    "/api/v1/agents",
    "/api/v1/agents/{agent_id}",
    "/api/v1/agents/{agent_id}/level",
    "/api/v1/agents/{agent_id}/certifications",
    "/api/v1/organisations",
    "/api/v1/organisations/{org_id}",
    "/api/v1/people",
    "/api/v1/people/{person_id}",
    "/api/v1/tokens",
    "/api/v1/tokens/{token_id}",
}


def test_every_directory_route_has_an_access_test():
    """A new page or endpoint fails this test until it is added to the access tests."""
    resolver = get_resolver()
    names = {
        f"directory:{name}"
        for name in resolver.namespace_dict["directory"][1].reverse_dict
        if isinstance(name, str)
    }
    assert names <= COVERED_PAGES
    schema = api.get_openapi_schema()
    directory_paths = {
        p
        for p, ops in schema["paths"].items()
        if any("directorio" in op.get("tags", []) for op in ops.values())
    }
    assert directory_paths == COVERED_API
