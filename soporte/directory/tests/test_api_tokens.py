"""Bearer tokens: created and revoked by their owner, stored hashed, shown once."""

from __future__ import annotations

from django.test import Client

from soporte.directory.models import ApiToken


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_created_token_authenticates_a_machine(personas):
    response = personas.client("agent").post(
        "/api/v1/tokens", {"name": "central telefónica"}, content_type="application/json"
    )
    assert response.status_code == 201
    plain = response.json()["token"]

    me = bearer(plain).get("/api/v1/me")

    assert me.status_code == 200
    assert me.json()["username"] == personas.agent.username


def test_token_is_stored_only_as_a_hash(personas):
    response = personas.client("agent").post(
        "/api/v1/tokens", {"name": "pbx"}, content_type="application/json"
    )
    plain = response.json()["token"]
    stored = ApiToken.objects.get()
    assert plain not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == ApiToken.hash_key(plain)
    listed = personas.client("agent").get("/api/v1/tokens").json()
    assert "token" not in listed[0]


def test_revoked_token_is_refused(personas):
    client = personas.client("agent")
    created = client.post("/api/v1/tokens", {"name": "pbx"}, content_type="application/json")
    plain, token_id = created.json()["token"], created.json()["id"]

    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 200

    response = bearer(plain).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_forged_and_malformed_tokens_are_refused(personas):
    client = personas.client("agent")
    plain = client.post("/api/v1/tokens", {"name": "pbx"}, content_type="application/json").json()[
        "token"
    ]
    forged = plain[:-4] + ("AAAA" if not plain.endswith("AAAA") else "BBBB")
    for candidate in (forged, "sop_x", "nada", ""):
        assert bearer(candidate).get("/api/v1/me").status_code == 401


def test_token_of_a_customer_sees_only_its_organisation(personas):
    client = personas.client("customer_a")
    plain = client.post("/api/v1/tokens", {"name": "erp"}, content_type="application/json").json()[
        "token"
    ]
    orgs = bearer(plain).get("/api/v1/organisations").json()
    assert [o["id"] for o in orgs] == [personas.org_a.pk]


def test_bearer_writes_need_no_csrf(personas):
    client = personas.client("supervisor")
    plain = client.post("/api/v1/tokens", {"name": "rrhh"}, content_type="application/json").json()[
        "token"
    ]
    machine = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {plain}")
    response = machine.post("/api/v1/tokens", {"name": "otro"}, content_type="application/json")
    assert response.status_code == 201


def test_bad_input_gets_structured_422(personas):
    response = personas.client("agent").post(
        "/api/v1/tokens", {"name": ""}, content_type="application/json"
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"]["errors"][0]["loc"][-1] == "name"


def test_malformed_json_gets_structured_error(personas):
    response = personas.client("agent").post(
        "/api/v1/tokens", "{no es json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert "error" in response.json()
