"""The knowledge API with the personas: the same access as the pages, structured errors."""

from __future__ import annotations

import pytest

from soporte.knowledge.models import Article, PostStatus

API = "/api/v1"


@pytest.fixture
def world(printer_article, internal_article, draft_article, write_post):
    return {
        "public": printer_article,
        "internal": internal_article,
        "draft": draft_article,
        "post": write_post("Entrada publicada"),
        "post_draft": write_post("Entrada en borrador", status=PostStatus.DRAFT),
    }


def test_customers_read_only_public_articles(personas, world):
    for who in ("customer_a", "customer_b"):
        client = personas.client(who)
        titles = [a["title"] for a in client.get(f"{API}/articles").json()]
        assert titles == ["La impresora no imprime"]
        for hidden in ("internal", "draft"):
            response = client.get(f"{API}/articles/{world[hidden].pk}")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        found = client.get(f"{API}/articles", {"q": "impresión contraseña"}).json()
        assert [a["title"] for a in found] == ["La impresora no imprime"]
        suggested = client.get(f"{API}/articles/suggestions", {"text": "clave impresoras"}).json()
        assert [a["title"] for a in suggested] == ["La impresora no imprime"]


def test_staff_read_every_article(personas, world):
    titles = {a["title"] for a in personas.client("agent").get(f"{API}/articles").json()}
    assert {"La impresora no imprime", "Contraseña del servidor de impresión"} <= titles
    got = personas.client("agent").get(f"{API}/articles/{world['internal'].pk}").json()
    assert got["visibility"] == "internal"


def test_writing_is_the_desks_and_bad_input_is_a_structured_error(personas, world):
    payload = {"title": "Reiniciar el módem", "body": "Desconéctelo **30 s**.", "visibility": "public",
               "status": "published", "tags": ["Red"], "device_kinds": ["network"]}  # fmt: skip
    refused = personas.client("customer_a").post(
        f"{API}/articles", payload, content_type="application/json"
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    created = personas.client("agent").post(
        f"{API}/articles", payload, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["body_html"] == "<p>Desconéctelo <strong>30 s</strong>.</p>\n"
    assert body["device_kinds"] == ["network"]
    changed = personas.client("agent").put(
        f"{API}/articles/{body['id']}", {**payload, "body": "Desconéctelo un minuto."},
        content_type="application/json",
    )  # fmt: skip
    assert changed.json()["revision"] == 2
    bad = personas.client("agent").post(
        f"{API}/articles", {**payload, "level": 7}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    unknown = personas.client("agent").post(
        f"{API}/articles",
        {**payload, "device_kinds": ["tostadora"]},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "device_kind"
    assert Article.objects.filter(title="Reiniciar el módem").count() == 1
    assert personas.client("anonymous").get(f"{API}/articles").status_code == 401


def test_posts_follow_the_blog_rules(personas, world):
    customer = personas.client("customer_a")
    assert [p["title"] for p in customer.get(f"{API}/posts").json()] == ["Entrada publicada"]
    assert customer.get(f"{API}/posts/{world['post_draft'].pk}").status_code == 404
    assert personas.client("agent").get(f"{API}/posts/{world['post_draft'].pk}").status_code == 200
    created = personas.client("agent").post(
        f"{API}/posts", {"title": "Nueva", "body": "Texto", "status": "scheduled"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 422
    assert created.json()["error"]["code"] == "publish_at_required"
    refused = customer.post(
        f"{API}/posts", {"title": "x", "body": "y"}, content_type="application/json"
    )
    assert refused.status_code == 403
