"""The route × persona matrix: every URL pattern and every API operation, asked by each persona
(anonymous, customer of A, customer of B, agent, supervisor), against organisation A's
objects. What each must get is written in ONE table, `tests/security/routes.py`; a route
without a row fails `test_every_route_has_a_row`, and a row whose answer differs fails
`test_route_answers_each_persona_as_its_table_row_says`."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone as tz

from soporte.api import api
from soporte.reports.models import ReportBuild
from soporte.tickets import services as ticket_services
from soporte.tickets.models import Attachment, Channel

from .routes import API, NOT_YET_IN_THE_MATRIX, PAGES, PERSONAS, Lit, Row, W

pytestmark = pytest.mark.django_db

REFUSED = {403, 404}
INPUT_ERRORS = {400, 405, 409, 413, 415, 422}


def url_names() -> dict[str, str]:
    """Every named URL pattern (name → pattern), admin's aside."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found[name] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "/", None)
    return {
        name: route
        for name, route in found.items()
        if not name.startswith("admin:")
        and not route.startswith("/api/v1/")
        and name != "api:api-root"
    }


def api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_route_has_a_row():
    missing_pages = sorted(set(url_names()) - set(PAGES) - NOT_YET_IN_THE_MATRIX)
    missing_api = sorted(api_operations() - set(API) - NOT_YET_IN_THE_MATRIX)
    routes = set(url_names()) | api_operations()
    stale = (
        sorted(set(PAGES) - set(url_names()))
        + sorted(set(API) - api_operations())
        + sorted(NOT_YET_IN_THE_MATRIX - routes)
    )
    assert not missing_pages and not missing_api, (
        "Routes without a row in tests/security/routes.py (add one per route, see its "
        f"docstring): pages {missing_pages}, API {missing_api}"
    )
    assert not stale, f"Rows for routes that no longer exist: {stale}"


@pytest.fixture
def world(personas, now, tmp_path, settings):
    from soporte.inventory.tests.factories import make_device

    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = ticket_services.open_ticket(
        actor=personas.customer_a,
        data=ticket_services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="La impresora no imprime",
            description="Luz ámbar.",
            channel=Channel.PORTAL,
        ),
        files=[ticket_services.FileIn("foto.png", b"\x89PNG\r\n\x1a\n", "image/png")],
        now=now,
    )
    from soporte.logbook import services as logbook_services

    logbook = logbook_services.open_logbook(
        actor=personas.supervisor,
        organisation=personas.org_a,
        title="Contrato A",
        contract_reference="CS-A",
        countersign_days=2,
        customer_signers=[personas.customer_a],
        fields={"desk_party": "Mesa", "customer_party": "A", "contract": "x", "scope": "y"},
        now=now,
    )
    world = {
        "ticket_a": ticket.number,
        "attachment_a": Attachment.objects.get(ticket=ticket).pk,
        "logbook_a": logbook.pk,
        "entry_a": 1,
        "org_a": personas.org_a.pk,
        "person_a": personas.person_a.pk,
        "agent_a": personas.agent.agent.pk,
        "device_a": make_device(personas.agent, personas.org_a, now).pk,
        "report_build_s": ReportBuild.objects.create(
            requested_by=personas.supervisor, query={}, created_at=now
        ).pk,
    }
    world.update(_knowledge_world(personas, now))
    return world


def _knowledge_world(personas: Any, now: Any) -> dict[str, Any]:
    """The knowledge base's objects (#18): a public and an internal article, a live post with
    a cover, category, tag and a comment, and a draft post. The internal article and the
    draft are the rows' objects where only the desk may look."""
    import io

    from django.core.cache import cache
    from PIL import Image

    from soporte.knowledge import blog
    from soporte.knowledge import services as knowledge
    from soporte.knowledge.models import (
        ArticleStatus,
        Category,
        Comment,
        CommentStatus,
        PostStatus,
        Visibility,
    )

    cache.clear()  # the blog's cached pages and feeds of an earlier test
    public = knowledge.save_article(
        actor=personas.agent, title="La impresora no imprime", body="Revise el papel.",
        visibility=Visibility.PUBLIC, status=ArticleStatus.PUBLISHED, now=now,
    )  # fmt: skip
    internal = knowledge.save_article(
        actor=personas.agent, title="Clave del servidor de impresión", body="Solo la mesa.",
        visibility=Visibility.INTERNAL, status=ArticleStatus.PUBLISHED, now=now,
    )  # fmt: skip
    knowledge.save_article(
        actor=personas.agent, article=internal, title="Clave del servidor de impresión",
        body="Solo la mesa, segunda versión.", visibility=Visibility.INTERNAL,
        status=ArticleStatus.PUBLISHED, now=now,
    )  # fmt: skip
    category = Category.objects.create(name="Consejos", slug="consejos")
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(image, "JPEG")
    live = blog.save_post(
        actor=personas.agent, title="Cuide su impresora", body="Texto.", category=category,
        tags=["Impresoras"], status=PostStatus.PUBLISHED, cover=blog.store_cover(image.getvalue()),
        now=now,
    )  # fmt: skip
    draft = blog.save_post(actor=personas.agent, title="Borrador", body="Aún no.", now=now)
    comment = Comment.objects.create(
        post=live, body="¿Y el tóner?", author_name="Roberto", author_email="r@example.mx",
        status=CommentStatus.HELD, created_at=now,
    )  # fmt: skip
    return {
        "article_public": public.slug,
        "article_internal": internal.pk,
        "article_internal_slug": internal.slug,
        "post_live": live.slug,
        "post_live_id": live.pk,
        "post_draft": draft.slug,
        "post_draft_id": draft.pk,
        "post_cover": live.cover,
        "post_year": live.published_at.astimezone(tz.get_current_timezone()).year,
        "post_month": live.published_at.astimezone(tz.get_current_timezone()).month,
        "category": category.slug,
        "tag": "impresoras",
        "comment": comment.pk,
    }


def _args(row: Row, world: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Lit) else world[v]) for k, v in row.kwargs.items()}


def outcome(response: Any, *, api_route: bool) -> str:
    status = response.status_code
    assert status < 500, f"server error {status}"
    if status == 302 and response["Location"].startswith("/entrar/"):
        return "login"
    if api_route and status == 401:
        return "login"
    if status in REFUSED:
        return "out"
    if status < 400 or status in INPUT_ERRORS:
        return "in"
    return f"unexpected {status}"


def _schema_refused(response: Any) -> bool:
    if response.status_code != 422:
        return False
    return response.json()["error"]["code"] == "invalid_input"


def _client(personas: Any, who: str) -> Client:
    return personas.client(who)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_answers_each_persona_as_its_table_row_says(personas, world, name):
    row = PAGES[name]
    path = reverse(name, kwargs=_args(row, world))
    got: dict[str, str] = {}
    statuses: dict[str, int] = {}
    for who in PERSONAS:
        client = _client(personas, who)
        response = client.get(path)
        if response.status_code == 405:
            response = client.post(path, {})
        got[who] = outcome(response, api_route=False)
        statuses[who] = response.status_code
    expected = {who: row.expected(who) for who in PERSONAS}
    assert got == expected, f"{name}: got {got} ({statuses}), table says {expected}"


@pytest.mark.parametrize("operation", sorted(API))
def test_api_answers_each_persona_as_its_table_row_says(personas, world, operation):
    row = API[operation]
    method, template = operation.split(" ", 1)
    path = re.sub(r"{(\w+)}", lambda m: str(_args(row, world)[m.group(1)]), template)
    got: dict[str, str] = {}
    statuses: dict[str, int] = {}
    for who in PERSONAS:
        client = _client(personas, who)
        body = json.dumps(
            {k: world[v.name] if isinstance(v, W) else v for k, v in (row.body or {}).items()}
        )
        response = client.generic(method, path, body, content_type="application/json")
        got[who] = outcome(response, api_route=True)
        if row.body is None and method != "GET" and _schema_refused(response):
            # The schema refused the empty body before the gate: only sign-in is checked.
            got[who] = row.expected(who)
        statuses[who] = response.status_code
    expected = {who: row.expected(who) for who in PERSONAS}
    assert got == expected, f"{operation}: got {got} ({statuses}), table says {expected}"


def test_admin_is_for_administrators_only(personas):
    for who in ("customer_a", "agent", "supervisor"):
        response = _client(personas, who).get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"], who
    assert _client(personas, "admin").get("/admin/").status_code == 200
