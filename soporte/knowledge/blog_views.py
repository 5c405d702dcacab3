"""The blog's pages: the public blog (home, post, archive, category, tag, search, covers,
comments, feeds, sitemap), and the desk's (posts, the moderation queue).

Readers see published posts only (`Post.objects.live()`); drafts, scheduled and unpublished
posts are a 404 to them. The pages work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sitemaps import Sitemap
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.knowledge import blog, comments, feeds, importer, services
from soporte.knowledge.forms import CommentForm, PostForm
from soporte.knowledge.models import (
    Article,
    Category,
    Comment,
    Post,
    PostStatus,
    Tag,
)
from soporte.knowledge.views import _query, _staff
from soporte.lib import clock
from soporte.lib.errors import DomainError

PAGE_SIZE = 10
COVER_UPLOAD_MAX = blog.COVER_MAX_BYTES


def _listing(request: HttpRequest, posts: Any, **context: Any) -> HttpResponse:
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "knowledge/blog_home.html",
        {"page": page, "categories": Category.objects.filter(posts__status=PostStatus.PUBLISHED)
         .distinct().order_by("name", "id"), **context},
    )  # fmt: skip


def _live() -> Any:
    return Post.objects.live().select_related("author", "category").order_by("-published_at", "-id")


@require_GET
def blog_home(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    if query:
        return _listing(request, blog.search_posts(query=query), q=query)
    return _listing(request, _live())


@require_GET
def blog_archive(request: HttpRequest, year: int, month: int | None = None) -> HttpResponse:
    if not 1 <= year <= 9999 or (month is not None and not 1 <= month <= 12):
        raise Http404
    zone = timezone.get_current_timezone()
    start = dt.datetime(year, month or 1, 1, tzinfo=zone)
    if month is None:
        end = dt.datetime(year + 1, 1, 1, tzinfo=zone) if year < 9999 else None
    else:
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    posts = _live().filter(published_at__gte=start)
    if end is not None:
        posts = posts.filter(published_at__lt=end)
    return _listing(request, posts, archive=start, archive_month=month is not None)


@require_GET
def blog_category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    return _listing(request, _live().filter(category=category), category=category)


@require_GET
def blog_tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    return _listing(request, _live().filter(tags=tag), tag=tag)


def _post(request: HttpRequest, slug: str) -> Post:
    return get_object_or_404(
        Post.objects.visible_to(request.user).select_related("author", "category"), slug=slug
    )


@require_GET
def blog_post(request: HttpRequest, slug: str) -> HttpResponse:
    post = _post(request, slug)
    return _post_page(request, post, CommentForm())


def _post_page(
    request: HttpRequest, post: Post, form: CommentForm, status: int = 200
) -> HttpResponse:
    archive = _archive_months()
    return render(
        request,
        "knowledge/blog_post.html",
        {
            "post": post,
            "tags": post.tags.order_by("name"),
            "thread": comments.thread(post),
            "form": form,
            "archive_months": archive,
            "canonical": request.build_absolute_uri(
                reverse("knowledge:blog_post", args=[post.slug])
            ),
            "cover_url": request.build_absolute_uri(
                reverse("knowledge:blog_cover", args=[post.cover])
            )
            if post.cover
            else "",
        },
        status=status,
    )


def _archive_months() -> list[dt.datetime]:
    """The months that have posts, newest first: cached until the next publication (the
    feeds' version), since grouping every post by local month costs more than the page."""
    key = f"knowledge:archive:{feeds.cache_version()}"
    months = cache.get(key)
    if months is None:
        months = list(Post.objects.live().datetimes("published_at", "month", order="DESC")[:24])
        cache.set(key, months, feeds.CACHE_SECONDS)
    return list(months)


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR: the proxy in front (granian behind nginx) sets it from the connection; a
    # forwarded header is the client's word and would let a bot pick any address.
    return request.META.get("REMOTE_ADDR") or None


@require_POST
def blog_comment(request: HttpRequest, slug: str) -> HttpResponse:
    post = get_object_or_404(Post.objects.live(), slug=slug)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _post_page(request, post, form, status=422)
    data = form.cleaned_data
    try:
        comment, token = comments.add_comment(
            post=post,
            body=data["body"],
            author_name=data["author_name"],
            author_email=data["author_email"],
            ip_address=_client_ip(request),
            user=request.user,
            parent_id=data["parent"],
            honeypot=data["website"],
            now=clock.now(),
            confirm_url=lambda token: request.build_absolute_uri(
                reverse("knowledge:blog_confirm", args=[token])
            ),
        )
    except comments.SpamRefused:
        messages.info(request, _("Recibimos su comentario."))
        return redirect("knowledge:blog_post", slug)
    except DomainError as exc:
        form.add_error(None, str(exc))
        return _post_page(request, post, form, status=exc.status)
    if token:
        messages.info(
            request,
            _("Le enviamos un correo para confirmar su comentario; se publicará al confirmarlo."),
        )
    elif comment.status == "approved":
        messages.success(request, _("Comentario publicado."))
    else:
        messages.info(request, _("Recibimos su comentario; se publicará cuando la mesa lo revise."))
    return redirect(reverse("knowledge:blog_post", args=[slug]) + "#comentarios")


@require_GET
def blog_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        comment = comments.confirm_comment(token=token, now=clock.now())
    except DomainError as exc:
        return render(request, "knowledge/blog_confirm.html", {"error": str(exc)}, status=404)
    return render(request, "knowledge/blog_confirm.html", {"comment": comment})


@require_GET
def blog_cover(request: HttpRequest, key: str) -> FileResponse:
    if not (key.isalnum() and len(key) <= 40):
        raise Http404
    if not Post.objects.visible_to(request.user).filter(cover=key).exists():
        raise Http404
    path = blog.cover_path(key)
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- the desk -----------------------------------------------------------------------------


@login_required
@require_GET
def desk_posts(request: HttpRequest) -> HttpResponse:
    _staff(request)
    posts = Post.objects.select_related("author", "category").order_by("-created_at", "-id")
    page = Paginator(posts, 30).get_page(request.GET.get("pagina"))
    return render(
        request,
        "knowledge/desk_posts.html",
        {
            "page": page,
            "freshness": blog.freshness(now=clock.now()),
            "held": comments.moderation_queue().count(),
        },
    )


def _read_cover(upload: Any) -> bytes | None:
    if upload is None:
        return None
    return bytes(upload.read(COVER_UPLOAD_MAX + 1))


@login_required
@require_http_methods(["GET", "POST"])
def post_form(request: HttpRequest, post_id: int | None = None) -> HttpResponse:
    user = _staff(request)
    post = get_object_or_404(Post, pk=post_id) if post_id is not None else None
    if request.method == "POST":
        form = PostForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                cover_data = _read_cover(data["cover"])
                cover = blog.store_cover(cover_data) if cover_data else None
                post = blog.save_post(
                    actor=user,
                    post=post,
                    title=data["title"],
                    excerpt=data["excerpt"],
                    body=data["body"],
                    category=data["category"],
                    tags=services.parse_tags(data["tags"]),
                    status=data["status"],
                    publish_at=data["publish_at"],
                    cover=cover,
                    now=clock.now(),
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Entrada guardada."))
                return redirect("knowledge:desk_posts")
    elif post is not None:
        form = PostForm(
            initial={
                "title": post.title,
                "excerpt": post.excerpt,
                "body": post.body,
                "category": post.category,
                "tags": ", ".join(t.name for t in post.tags.order_by("name")),
                "status": post.status,
                "publish_at": timezone.localtime(post.publish_at) if post.publish_at else None,
            }
        )
    else:
        form = PostForm(initial={"status": PostStatus.DRAFT})
    return render(request, "knowledge/post_form.html", {"form": form, "post": post})


@login_required
@require_GET
def moderation(request: HttpRequest) -> HttpResponse:
    _staff(request)
    return render(
        request, "knowledge/moderation.html", {"comments": comments.moderation_queue()[:200]}
    )


@login_required
@require_POST
def moderate(request: HttpRequest, comment_id: int) -> HttpResponse:
    user = _staff(request)
    comment = get_object_or_404(Comment, pk=comment_id)
    try:
        comments.moderate(
            actor=user, comment=comment, action=request.POST.get("accion", ""), now=clock.now()
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Comentario moderado."))
    return redirect("knowledge:moderation")


# --- sitemap ------------------------------------------------------------------------------


class PostSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> Any:
        return Post.objects.live().order_by("-published_at", "-id")[:5000]

    def location(self, item: Post) -> str:
        return reverse("knowledge:blog_post", args=[item.slug])

    def lastmod(self, item: Post) -> Any:
        return item.updated_at


class ArticleSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> Any:
        return Article.objects.public().order_by("-updated_at", "-id")[:5000]

    def location(self, item: Article) -> str:
        return reverse("knowledge:help_article", args=[item.slug])

    def lastmod(self, item: Article) -> Any:
        return item.updated_at


SITEMAPS = {"blog": PostSitemap, "ayuda": ArticleSitemap}


@login_required
@require_http_methods(["GET", "POST"])
def post_import(request: HttpRequest) -> HttpResponse:
    """Bring an old blog in: a WordPress export (WXR) or an Atom feed."""
    user = _staff(request)
    result, error = None, ""
    if request.method == "POST":
        upload = request.FILES.get("archivo")
        if upload is None:
            error = _("Elija el archivo de exportación.")
        else:
            data = bytes(upload.read(importer.IMPORT_MAX_BYTES + 1))
            try:
                result = importer.import_posts(actor=user, data=data, now=clock.now())
            except DomainError as exc:
                error = str(exc)
    return render(
        request,
        "knowledge/post_import.html",
        {"result": result, "error": error},
        status=422 if error else 200,
    )
