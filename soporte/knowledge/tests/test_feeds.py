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
from soporte.knowledge.tests import feedcheck

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


def test_a_cached_feed_is_rebuilt_when_the_worker_publishes_a_post(personas, posts, now):
    client = personas.client("anonymous")
    before = feedparser.parse(client.get(reverse("knowledge:feed_atom")).content)
    assert len(before.entries) == 2
    assert feedparser.parse(client.get(reverse("knowledge:feed_atom")).content) == before
    blog.save_post(
        actor=personas.agent, post=posts["draft"], title="Ya no es secreto", body="x",
        status=PostStatus.SCHEDULED, publish_at=now + dt.timedelta(minutes=5), now=now,
    )  # fmt: skip
    assert len(feedparser.parse(client.get(reverse("knowledge:feed_atom")).content).entries) == 2
    blog.publish_due_posts(now=now + dt.timedelta(minutes=6))
    after = feedparser.parse(client.get(reverse("knowledge:feed_atom")).content)
    assert after.entries[0].title == "Ya no es secreto"


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("knowledge:feed_atom", feedcheck.atom_problems),
        ("knowledge:feed_rss", feedcheck.rss_problems),
        ("knowledge:feed_category_atom", feedcheck.atom_problems),
        ("knowledge:feed_category_rss", feedcheck.rss_problems),
    ],
)
def test_every_feed_passes_the_specifications_rules(personas, posts, name, check):
    args = ["novedades"] if "category" in name else []
    response = personas.client("anonymous").get(reverse(name, args=args))
    assert response.status_code == 200
    assert check(response.content) == []


def _atom(entries: str, *, feed_id: str = "urn:uuid:1") -> bytes:
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>'
        f"<id>{feed_id}</id><updated>2026-12-08T00:00:00Z</updated>"
        '<link rel="self" href="https://mesa.example.mx/blog/atom/"/>'
        "<author><name>Mesa</name></author>"
        f"{entries}</feed>"
    ).encode()


ENTRY = (
    '<entry><title>Hola</title><id>{id}</id><updated>{updated}</updated><link href="{link}"/>'
    "</entry>"
)


def test_the_atom_rules_catch_a_broken_feed():
    good = ENTRY.format(id="urn:x:1", updated="2026-12-08T00:00:00Z", link="https://a.mx/1")
    assert feedcheck.atom_problems(_atom(good)) == []
    cases = {
        "not an RFC 3339": ENTRY.format(id="urn:x:1", updated="08/12/2026", link="https://a.mx"),
        "not absolute": ENTRY.format(id="urn:x:1", updated="2026-12-08T00:00:00Z", link="/1"),
        "repeated": good + good,
        "exactly once (0)": "<entry><title>x</title><updated>2026-12-08T00:00:00Z</updated>"
        '<link href="https://a.mx/"/></entry>',
        "neither atom:content": "<entry><title>x</title><id>urn:x:2</id>"
        "<updated>2026-12-08T00:00:00Z</updated></entry>",
    }
    for problem, entries in cases.items():
        found = feedcheck.atom_problems(_atom(entries))
        assert any(problem in p for p in found), (problem, found)
    assert feedcheck.atom_problems(_atom(good, feed_id="blog")) == [
        "feed: atom:id is not an absolute IRI"
    ]


def _rss(items: str, *, build: str = "Tue, 08 Dec 2026 00:30:11 +0000") -> bytes:
    return (
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        "<title>Blog</title><link>https://mesa.example.mx/blog/</link>"
        f"<description>Novedades</description><lastBuildDate>{build}</lastBuildDate>"
        '<atom:link rel="self" href="https://mesa.example.mx/blog/rss/"/>'
        f"{items}</channel></rss>"
    ).encode()


ITEM = "<item><title>Hola</title><link>{link}</link><pubDate>{date}</pubDate>{guid}</item>"


def test_the_rss_rules_catch_a_broken_feed():
    guid = '<guid isPermaLink="false">entrada-1</guid>'
    good = ITEM.format(link="https://a.mx/1", date="Mon, 07 Dec 2026 10:00:00 -0600", guid=guid)
    assert feedcheck.rss_problems(_rss(good)) == []
    cases = {
        "not an RFC 822": ITEM.format(link="https://a.mx/1", date="2026-12-07", guid=guid),
        "not an absolute URL": ITEM.format(
            link="/1", date="Mon, 07 Dec 2026 10:00:00 -0600", guid=guid
        ),
        "repeated": good + good,
        "no <guid>": ITEM.format(link="https://a.mx/1", date="Mon, 07 Dec 2026 10:00 GMT", guid=""),
    }
    for problem, items in cases.items():
        found = feedcheck.rss_problems(_rss(items))
        assert any(problem in p for p in found), (problem, found)
    assert feedcheck.rss_problems(_rss(good, build="ayer")) == [
        "channel <lastBuildDate> is not an RFC 822 date ('ayer')"
    ]
