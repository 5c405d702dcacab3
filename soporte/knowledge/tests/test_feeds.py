"""Atom 1.0 and RSS 2.0 feeds, all posts and per category: parsed back with feedparser,
never showing a draft, and rebuilt when a post is published."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from defusedxml import ElementTree
from django.urls import reverse

from soporte.knowledge import blog
from soporte.knowledge.models import Category, PostStatus

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def posts(write_post, now):
    news = Category.objects.create(name="Novedades", slug="novedades")
    tips = Category.objects.create(name="Consejos", slug="consejos")
    return {
        "news": write_post("Nueva sucursal", category=news, at=now - dt.timedelta(days=2)),
        "tip": write_post("Limpie su teclado", category=tips, body="**Con aire**.", at=now),
        "draft": write_post("Borrador secreto", status=PostStatus.DRAFT, category=news),
    }


@pytest.mark.parametrize(
    ("name", "version"), [("knowledge:feed_atom", "atom10"), ("knowledge:feed_rss", "rss20")]
)
def test_both_feeds_are_well_formed_and_parse_back(personas, posts, name, version):
    response = personas.client("anonymous").get(reverse(name))
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == version
    assert [e.title for e in parsed.entries] == ["Limpie su teclado", "Nueva sucursal"]
    first = parsed.entries[0]
    assert first.link == "http://testserver" + reverse(
        "knowledge:blog_post", args=[posts["tip"].slug]
    )
    assert "<strong>Con aire</strong>" in (first.get("summary") or "")
    assert first.get("published_parsed") or first.get("updated_parsed")
    assert "Borrador secreto" not in response.content.decode()


def test_the_atom_feed_has_what_rfc_4287_requires(personas, posts):
    root = ElementTree.fromstring(
        personas.client("anonymous").get(reverse("knowledge:feed_atom")).content
    )
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert entry.find(f"{ATOM}author/{ATOM}name") is not None
    ids = [e.find(f"{ATOM}id").text for e in root.findall(f"{ATOM}entry")]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_a_category_feed_has_only_that_category(personas, posts, fmt):
    url = reverse(f"knowledge:feed_category_{fmt}", args=["novedades"])
    parsed = feedparser.parse(personas.client("anonymous").get(url).content)
    assert parsed.bozo == 0
    assert [e.title for e in parsed.entries] == ["Nueva sucursal"]
    assert "Novedades" in parsed.feed.title
    assert (
        personas.client("anonymous")
        .get(reverse(f"knowledge:feed_category_{fmt}", args=["no-existe"]))
        .status_code
        == 404
    )


def test_a_cached_feed_is_rebuilt_when_a_post_is_published(
    personas, posts, write_post, now, django_capture_on_commit_callbacks
):
    client = personas.client("anonymous")
    before = feedparser.parse(client.get(reverse("knowledge:feed_atom")).content)
    assert len(before.entries) == 2
    with django_capture_on_commit_callbacks(execute=True):
        blog.save_post(
            actor=personas.agent, post=posts["draft"], title="Ya no es secreto", body="x",
            status=PostStatus.PUBLISHED, now=now + dt.timedelta(minutes=5),
        )  # fmt: skip
    after = feedparser.parse(client.get(reverse("knowledge:feed_atom")).content)
    assert after.entries[0].title == "Ya no es secreto"
