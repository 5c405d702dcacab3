"""The blog's pages: the public blog (home, post, archive, category, tag, search, covers,
comments, feeds, sitemap), and the desk's (posts, the moderation queue).

Readers see published posts only (`Post.objects.live()`); drafts, scheduled and unpublished
posts are a 404 to them. The pages work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sitemaps import Sitemap
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.knowledge import blog, comments, feeds, importer, services
from soporte.knowledge.forms import BlogSettingsForm, CommentForm, PostForm
from soporte.knowledge.models import (
    Article,
    BlogSettings,
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


class _CountedPaginator(Paginator):
    """A paginator whose total is given: the blog's home counts its posts once per
    publication (cached), not on every page view."""

    def __init__(self, rows: Any, per_page: int, count: int) -> None:
        super().__init__(rows, per_page)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count


def _cached(name: str, compute: Any) -> Any:
    """A value of the public blog that changes only when a post is published or withdrawn."""
    key = f"knowledge:{name}:{feeds.cache_version()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, feeds.CACHE_SECONDS)
    return value


# A page kept for anonymous readers is rebuilt at the next publication or comment (the
# content version is in its key) and at least every minute (its footer shows the desk's time).
PAGE_SECONDS = 60
# Stands for the reader's CSRF token in a kept page; each reader gets their own put in.
_CSRF_MARK = "csrf-token-of-this-reader"


def _for_readers(request: HttpRequest, build: Callable[[dict[str, Any]], HttpResponse]) -> Any:
    """A public blog page as anonymous readers see it: rendered once per content version and
    minute, then served from the cache with the reader's own CSRF token, and answered 304 Not
    Modified when the reader's copy is current (a weak ETag: only the footer's clock differs).
    Signed-in people (their menu, drafts for the desk) and a page with a message to show are
    rendered each time. `build(extra)` renders the page with `extra` in its context."""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return build({})
    language = translation.get_language()
    tag = hashlib.sha256(
        f"{feeds.cache_version()}:{language}:{request.scheme}://{request.get_host()}"
        f"{request.get_full_path()}".encode()
    ).hexdigest()[:32]
    etag = f'W/"{tag}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return not_modified
    key = f"knowledge:page:{tag}"
    html = cache.get(key)
    if html is None:
        response = build({"csrf_token": _CSRF_MARK})
        if response.status_code != 200:
            return build({})
        html = response.content.decode()
        cache.set(key, html, PAGE_SECONDS)
    response = HttpResponse(html.replace(_CSRF_MARK, get_token(request)))
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # keep it, but ask each time (a 304 is cheap)
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def _categories() -> list[Category]:
    return list(
        Category.objects.filter(
            pk__in=Post.objects.live().values("category_id").distinct()
        ).order_by("name", "id")
    )


def _listing(
    request: HttpRequest,
    posts: Any,
    *,
    count: int | None = None,
    extra: dict[str, Any] | None = None,
    **context: Any,
) -> HttpResponse:
    paginator = (
        _CountedPaginator(posts, PAGE_SIZE, count)
        if count is not None
        else Paginator(posts, PAGE_SIZE)
    )
    page = paginator.get_page(request.GET.get("pagina"))
    return render(
        request,
        "knowledge/blog_home.html",
        {
            "page": page,
            "categories": _cached("categories", _categories),
            **context,
            **(extra or {}),
        },
    )


def _live() -> Any:
    return Post.objects.live().select_related("author", "category").order_by("-published_at", "-id")


@require_GET
def blog_home(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    if query:
        return _listing(request, blog.search_posts(query=query), q=query)
    return _for_readers(
        request,
        lambda extra: _listing(
            request, _live(), count=_cached("count", Post.objects.live().count), extra=extra
        ),
    )


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
    return _for_readers(
        request,
        lambda extra: _listing(
            request, posts, archive=start, archive_month=month is not None, extra=extra
        ),
    )


@require_GET
def blog_category(request: HttpRequest, slug: str) -> HttpResponse:
    def build(extra: dict[str, Any]) -> HttpResponse:
        category = get_object_or_404(Category, slug=slug)
        posts = _live().filter(category=category)
        return _listing(request, posts, category=category, extra=extra)

    return _for_readers(request, build)


@require_GET
def blog_tag(request: HttpRequest, slug: str) -> HttpResponse:
    def build(extra: dict[str, Any]) -> HttpResponse:
        tag = get_object_or_404(Tag, slug=slug)
        return _listing(request, _live().filter(tags=tag), tag=tag, extra=extra)

    return _for_readers(request, build)


def _post(request: HttpRequest, slug: str) -> Post:
    return get_object_or_404(
        Post.objects.visible_to(request.user).select_related("author", "category"), slug=slug
    )


@require_GET
def blog_post(request: HttpRequest, slug: str) -> HttpResponse:
    return _for_readers(
        request, lambda extra: _post_page(request, _post(request, slug), CommentForm(), extra=extra)
    )


def _post_page(
    request: HttpRequest,
    post: Post,
    form: CommentForm,
    status: int = 200,
    extra: dict[str, Any] | None = None,
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
            **(extra or {}),
        },
        status=status,
    )


def _archive_months() -> list[dt.datetime]:
    """The months that have posts, newest first: cached until the next publication (the
    feeds' version), since grouping every post by local month costs more than the page."""
    return list(_cached("archive", blog.archive_months))


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


SETTINGS_FIELDS = ("reminder_days", "blocked_words", "max_links", "comments_per_hour")


@login_required
@require_http_methods(["GET", "POST"])
def blog_settings(request: HttpRequest) -> HttpResponse:
    """The blog's reminder and anti-spam knobs: supervisors change them, the desk reads them."""
    user = _staff(request)
    settings_row = BlogSettings.current()
    can_edit = user.is_manager
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = BlogSettingsForm(request.POST)
        if form.is_valid():
            BlogSettings.objects.filter(pk=settings_row.pk).update(
                **{name: form.cleaned_data[name] for name in SETTINGS_FIELDS}
            )
            messages.success(request, _("Ajustes del blog guardados."))
            return redirect("knowledge:blog_settings")
        status = 422
    else:
        form = BlogSettingsForm(initial={n: getattr(settings_row, n) for n in SETTINGS_FIELDS})
        status = 200
    return render(
        request,
        "knowledge/blog_settings.html",
        {"form": form, "can_edit": can_edit},
        status=status,
    )


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
