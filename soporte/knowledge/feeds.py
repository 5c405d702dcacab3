"""The blog's feeds, Atom 1.0 and RSS 2.0, for all posts and per category (Django's
syndication framework writes both formats). A feed is cached per format and category; a
publication changes the cache's version (`blog.forget_feeds`), so readers never wait for a
stale feed to expire."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from soporte.knowledge.models import Category, Post

FEED_SIZE = 20
CACHE_SECONDS = 3600
VERSION_KEY = "knowledge:feeds:version"


class PostsRss(Feed):
    feed_type: Any = Rss201rev2Feed

    def get_object(self, request: HttpRequest, slug: str | None = None) -> Category | None:
        if slug is None:
            return None
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category | None) -> str:
        name = _("Blog de %(desk)s") % {"desk": settings.DESK_NAME}
        return f"{name} · {obj.name}" if obj else name

    def link(self, obj: Category | None) -> str:
        if obj is not None:
            return reverse("knowledge:blog_category", args=[obj.slug])
        return reverse("knowledge:blog_home")

    def description(self, obj: Category | None) -> str:
        return _("Novedades y consejos de la mesa de ayuda.")

    def items(self, obj: Category | None) -> Any:
        posts = Post.objects.live().select_related("author", "category")
        if obj is not None:
            posts = posts.filter(category=obj)
        return posts.order_by("-published_at", "-id")[:FEED_SIZE]

    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        return item.body_html

    def item_link(self, item: Post) -> str:
        return reverse("knowledge:blog_post", args=[item.slug])

    def item_guid(self, item: Post) -> str:
        return f"{settings.SITE_URL.rstrip('/')}/blog/entrada/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Post) -> Any:
        return item.published_at

    def item_updateddate(self, item: Post) -> Any:
        return max(item.updated_at, item.published_at or item.updated_at)

    def item_author_name(self, item: Post) -> str:
        return str(item.author)

    def item_categories(self, item: Post) -> list[str]:
        return [item.category.name] if item.category else []


class PostsAtom(PostsRss):
    feed_type = Atom1Feed

    def subtitle(self, obj: Category | None) -> str:
        return self.description(obj)


_RSS, _ATOM = PostsRss(), PostsAtom()


def cache_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = secrets.token_hex(4)
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    return str(version)


def serve(request: HttpRequest, fmt: str, slug: str | None = None) -> HttpResponse:
    """A feed from the cache, built once per publication."""
    key = f"knowledge:feed:{cache_version()}:{fmt}:{slug or ''}:{request.get_host()}"
    cached = cache.get(key)
    if cached is not None:
        body, content_type = cached
        response = HttpResponse(body, content_type=content_type)
    else:
        response = (_ATOM if fmt == "atom" else _RSS)(request, slug=slug)
        if response.status_code == 200:
            cache.set(key, (response.content, response["Content-Type"]), CACHE_SECONDS)
    response["Cache-Control"] = "public, max-age=300"
    return response
