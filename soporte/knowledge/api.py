"""API of the knowledge base and the blog, with the same rules and access as the pages.

Articles through `Article.objects.visible_to`: staff read every article, anyone else only
published public ones (an internal article or a draft is a 404). Posts: staff read all, others
the published ones. Writing is the desk's (403 to a customer).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from soporte.directory.api import ErrorOut
from soporte.directory.models import Area, User
from soporte.knowledge import blog, services
from soporte.knowledge.models import (
    BODY_MAX,
    TITLE_MAX,
    Article,
    ArticleStatus,
    Category,
    DeviceKind,
    Post,
    PostStatus,
    Visibility,
)
from soporte.lib import clock
from soporte.lib.errors import Forbidden, NotFound

router = Router(tags=["conocimiento"])

MAX_PAGE = 100
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _me(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _me(request)
    if not user.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa escribe artículos."))
    return user


class ArticleOut(Schema):
    id: int
    slug: str
    title: str
    body: str
    body_html: str
    category: str | None
    level: int
    area: str | None
    tags: list[str]
    device_kinds: list[str]
    visibility: str
    status: str
    review_date: dt.date | None
    revision: int
    helpful_count: int
    unhelpful_count: int
    updated_at: dt.datetime
    published_at: dt.datetime | None

    @staticmethod
    def of(article: Article) -> ArticleOut:
        return ArticleOut(
            id=article.pk,
            slug=article.slug,
            title=article.title,
            body=article.body,
            body_html=article.body_html,
            category=article.category.slug if article.category else None,
            level=article.level,
            area=article.area.code if article.area else None,
            tags=[t.name for t in article.tags.order_by("name")],
            device_kinds=article.device_kind_list,
            visibility=article.visibility,
            status=article.status,
            review_date=article.review_date,
            revision=article.revision,
            helpful_count=article.helpful_count,
            unhelpful_count=article.unhelpful_count,
            updated_at=article.updated_at,
            published_at=article.published_at,
        )


class ArticleIn(Schema):
    title: str = Field(..., max_length=TITLE_MAX)
    body: str = Field(..., max_length=BODY_MAX, description="Markdown")
    category: str | None = Field(None, max_length=80, description="slug de la categoría")
    level: int = Field(1, ge=1, le=4)
    area: str | None = Field(None, max_length=40, description="código del área")
    tags: list[str] = Field([], max_length=10)
    device_kinds: list[str] = Field([], max_length=10, description=", ".join(DeviceKind.values))
    visibility: str = Field(Visibility.INTERNAL, description=", ".join(Visibility.values))
    status: str = Field(ArticleStatus.DRAFT, description=", ".join(ArticleStatus.values))
    review_date: dt.date | None = None
    note: str = Field("", max_length=200)


def _category(slug: str | None) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise services.KnowledgeError(_("Categoría desconocida."), code="category")
    return category


def _article_fields(payload: ArticleIn) -> dict[str, object]:
    area = None
    if payload.area:
        area = Area.objects.filter(code=payload.area).first()
        if area is None:
            raise services.KnowledgeError(_("Área desconocida."), code="area")
    return {
        "title": payload.title,
        "body": payload.body,
        "category": _category(payload.category),
        "level": payload.level,
        "area": area,
        "tags": services.parse_tags(",".join(payload.tags)),
        "device_kinds": payload.device_kinds,
        "visibility": payload.visibility,
        "status": payload.status,
        "review_date": payload.review_date,
        "note": payload.note,
    }


def _article(request: HttpRequest, article_id: int) -> Article:
    article = (
        Article.objects.visible_to(request.user)
        .select_related("category", "area")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound(_("No encontrado."))
    return article


@router.get(
    "articles", response=list[ArticleOut], summary="Artículos visibles (búsqueda en español)"
)
def list_articles(
    request: HttpRequest, q: str = Query("", max_length=300), limit: int = 50
) -> list[ArticleOut]:
    limit = max(1, min(limit, MAX_PAGE))
    if q.strip():
        matches = services.search_articles(actor=request.user, query=q, limit=limit)
        return [ArticleOut.of(m.article) for m in matches]
    rows = (
        Article.objects.visible_to(request.user)
        .select_related("category", "area")
        .order_by("-updated_at", "-id")[:limit]
    )
    return [ArticleOut.of(a) for a in rows]


@router.get(
    "articles/suggestions",
    response=list[ArticleOut],
    summary="Artículos públicos sugeridos para el texto de una solicitud",
)
def suggest_articles(
    request: HttpRequest, text: str = Query(..., max_length=600)
) -> list[ArticleOut]:
    return [ArticleOut.of(a) for a in services.suggest(actor=request.user, text=text)]


@router.post("articles", response={201: ArticleOut, **ERRORS}, summary="Escribir un artículo")
def create_article(request: HttpRequest, payload: ArticleIn) -> Status[ArticleOut]:
    user = _staff(request)
    article = services.save_article(actor=user, now=clock.now(), **_article_fields(payload))  # type: ignore[arg-type]
    return Status(201, ArticleOut.of(article))


@router.get(
    "articles/{article_id}", response={200: ArticleOut, 404: ErrorOut}, summary="Un artículo"
)
def get_article(request: HttpRequest, article_id: int) -> ArticleOut:
    return ArticleOut.of(_article(request, article_id))


@router.put(
    "articles/{article_id}",
    response={200: ArticleOut, **ERRORS},
    summary="Cambiar un artículo (nueva revisión)",
)
def update_article(request: HttpRequest, article_id: int, payload: ArticleIn) -> ArticleOut:
    user = _staff(request)
    article = services.save_article(
        actor=user,
        article=_article(request, article_id),
        now=clock.now(),
        **_article_fields(payload),  # type: ignore[arg-type]
    )
    return ArticleOut.of(article)


# --- posts --------------------------------------------------------------------------------


class PostOut(Schema):
    id: int
    slug: str
    title: str
    excerpt: str
    body: str
    body_html: str
    author: str
    category: str | None
    tags: list[str]
    status: str
    publish_at: dt.datetime | None
    published_at: dt.datetime | None
    reading_minutes: int

    @staticmethod
    def of(post: Post) -> PostOut:
        return PostOut(
            id=post.pk,
            slug=post.slug,
            title=post.title,
            excerpt=post.excerpt,
            body=post.body,
            body_html=post.body_html,
            author=str(post.author),
            category=post.category.slug if post.category else None,
            tags=[t.name for t in post.tags.order_by("name")],
            status=post.status,
            publish_at=post.publish_at,
            published_at=post.published_at,
            reading_minutes=post.reading_minutes,
        )


class PostIn(Schema):
    title: str = Field(..., max_length=TITLE_MAX)
    body: str = Field(..., max_length=BODY_MAX, description="Markdown")
    excerpt: str = Field("", max_length=blog.EXCERPT_MAX)
    category: str | None = Field(None, max_length=80)
    tags: list[str] = Field([], max_length=10)
    status: str = Field(PostStatus.DRAFT, description=", ".join(PostStatus.values))
    publish_at: dt.datetime | None = None


def _post(request: HttpRequest, post_id: int) -> Post:
    post = (
        Post.objects.visible_to(request.user)
        .select_related("author", "category")
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        raise NotFound(_("No encontrado."))
    return post


@router.get("posts", response=list[PostOut], summary="Entradas del blog")
def list_posts(
    request: HttpRequest, q: str = Query("", max_length=300), limit: int = 20
) -> list[PostOut]:
    limit = max(1, min(limit, MAX_PAGE))
    if q.strip():
        return [PostOut.of(p) for p in blog.search_posts(query=q, limit=limit)]
    rows = (
        Post.objects.visible_to(request.user)
        .select_related("author", "category")
        .order_by("-created_at", "-id")[:limit]
    )
    return [PostOut.of(p) for p in rows]


def _post_fields(payload: PostIn) -> dict[str, object]:
    return {
        "title": payload.title,
        "body": payload.body,
        "excerpt": payload.excerpt,
        "category": _category(payload.category),
        "tags": services.parse_tags(",".join(payload.tags)),
        "status": payload.status,
        "publish_at": payload.publish_at,
    }


@router.post("posts", response={201: PostOut, **ERRORS}, summary="Escribir una entrada del blog")
def create_post(request: HttpRequest, payload: PostIn) -> Status[PostOut]:
    user = _staff(request)
    post = blog.save_post(actor=user, now=clock.now(), **_post_fields(payload))  # type: ignore[arg-type]
    return Status(201, PostOut.of(post))


@router.get(
    "posts/{post_id}", response={200: PostOut, 404: ErrorOut}, summary="Una entrada del blog"
)
def get_post(request: HttpRequest, post_id: int) -> PostOut:
    return PostOut.of(_post(request, post_id))


@router.put(
    "posts/{post_id}", response={200: PostOut, **ERRORS}, summary="Cambiar una entrada del blog"
)
def update_post(request: HttpRequest, post_id: int, payload: PostIn) -> PostOut:
    user = _staff(request)
    post = blog.save_post(
        actor=user,
        post=_post(request, post_id),
        now=clock.now(),
        **_post_fields(payload),  # type: ignore[arg-type]
    )
    return PostOut.of(post)
