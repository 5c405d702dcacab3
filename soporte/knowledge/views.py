"""Pages of the knowledge base. Views are glue: authorise, validate, one service call, render.

The desk's pages (`/conocimiento/…`) answer staff only (403 to a customer, sign-in for the
anonymous); the help centre (`/ayuda/…`) shows anybody the published public articles, through
`Article.objects.visible_to`, so an internal article or a draft is a 404 there.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from soporte.directory.models import User
from soporte.knowledge import services
from soporte.knowledge.forms import ArticleForm
from soporte.knowledge.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    FeedbackSource,
    Visibility,
)
from soporte.lib import clock
from soporte.lib.errors import DomainError
from soporte.lib.params import parse_id
from soporte.tickets.models import Ticket

PAGE_SIZE = 30
QUERY_MAX = 300


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_desk_staff:
        raise PermissionDenied
    return user


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").replace("\x00", "")[:QUERY_MAX].strip()


# --- the desk ------------------------------------------------------------------------------


@login_required
@require_GET
def desk_articles(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    query = _query(request)
    if query:
        rows: Any = [m.article for m in services.search_articles(actor=user, query=query, limit=50)]
    else:
        rows = (
            Article.objects.visible_to(user)
            .select_related("category", "owner")
            .order_by("-updated_at", "-id")
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("pagina"))
    today = clock.now().date()
    return render(
        request,
        "knowledge/desk_articles.html",
        {
            "page": page,
            "q": query,
            "to_review": services.articles_to_review(owner=user, today=today)[:20],
        },
    )


def _article_form_values(form: ArticleForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "body": data["body"],
        "category": data["category"],
        "level": data["level"],
        "area": data["area"],
        "tags": services.parse_tags(data["tags"]),
        "device_kinds": data["device_kinds"],
        "visibility": data["visibility"],
        "status": data["status"],
        "review_date": data["review_date"],
        "note": data["note"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def article_form(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    user = _staff(request)
    article = get_object_or_404(Article, pk=article_id) if article_id is not None else None
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                article = services.save_article(
                    actor=user, article=article, now=clock.now(), **_article_form_values(form)
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Artículo guardado."))
                return redirect("knowledge:article_detail", article.pk)
    elif article is not None:
        form = ArticleForm(
            initial={
                "title": article.title,
                "body": article.body,
                "category": article.category,
                "level": article.level,
                "area": article.area,
                "tags": ", ".join(t.name for t in article.tags.order_by("name")),
                "device_kinds": article.device_kind_list,
                "visibility": article.visibility,
                "status": article.status,
                "review_date": article.review_date,
            }
        )
    else:
        form = ArticleForm(
            initial={"visibility": Visibility.INTERNAL, "status": ArticleStatus.DRAFT}
        )
    return render(request, "knowledge/article_form.html", {"form": form, "article": article})


@login_required
@require_GET
def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    user = _staff(request)
    article = get_object_or_404(
        Article.objects.visible_to(user).select_related("category", "area", "owner"),
        pk=article_id,
    )
    revisions = ArticleRevision.objects.filter(article=article).select_related("author")
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "article": article,
            "tags": article.tags.order_by("name"),
            "revisions": revisions.order_by("-number")[:50],
        },
    )


@login_required
@require_GET
def article_diff(request: HttpRequest, article_id: int) -> HttpResponse:
    user = _staff(request)
    article = get_object_or_404(Article.objects.visible_to(user), pk=article_id)
    revisions = ArticleRevision.objects.filter(article=article)
    newer_number = parse_id(request.GET.get("a", "")) or article.revision
    older_number = parse_id(request.GET.get("de", "")) or max(1, newer_number - 1)
    newer = revisions.filter(number=newer_number).first()
    older = revisions.filter(number=older_number).first()
    if newer is None or older is None:
        raise Http404
    return render(
        request,
        "knowledge/article_diff.html",
        {"article": article, "older": older, "newer": newer, "lines": services.diff(older, newer)},
    )


@login_required
@require_POST
def article_from_ticket(request: HttpRequest, number: int) -> HttpResponse:
    """ "Publicar la solución" on a resolved ticket: one click makes the draft, the next ones
    review and publish it."""
    user = _staff(request)
    ticket = get_object_or_404(Ticket.objects.visible_to(user), number=number)
    try:
        article = services.article_from_ticket(actor=user, ticket=ticket, now=clock.now())
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("tickets:detail", number)
    messages.success(request, _("Borrador creado desde el ticket: revíselo y publíquelo."))
    return redirect("knowledge:article_edit", article.pk)


@login_required
@require_GET
def ticket_related(request: HttpRequest, number: int) -> HttpResponse:
    """The related articles on a ticket's page (an htmx fragment): agents open one or copy its
    link into a reply."""
    user = _staff(request)
    ticket = get_object_or_404(Ticket.objects.visible_to(user), number=number)
    articles = services.related_articles(
        actor=user, text=f"{ticket.subject} {ticket.description[:1000]}"
    )
    return render(
        request,
        "knowledge/_related.html",
        {"articles": articles, "ticket": ticket, "site_url": request.build_absolute_uri("/")},
    )


# --- the help centre (public) -------------------------------------------------------------


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    if query:
        rows: Any = [m.article for m in services.search_articles(actor=None, query=query)]
    else:
        rows = (
            Article.objects.public()
            .select_related("category")
            .order_by("-helpful_count", "title", "id")
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(request, "knowledge/help_home.html", {"page": page, "q": query})


def _public_article(request: HttpRequest, slug: str) -> Article:
    # Readers see published public articles; staff see any (a preview of a draft).
    return get_object_or_404(
        Article.objects.visible_to(request.user).select_related("category", "area"), slug=slug
    )


@require_GET
def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = _public_article(request, slug)
    return render(
        request,
        "knowledge/help_article.html",
        {
            "article": article,
            "tags": article.tags.order_by("name"),
            "from_portal": request.GET.get("desde") == "portal",
            "thanks": request.GET.get("gracias"),
        },
    )


@require_POST
def help_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    article = _public_article(request, slug)
    answer = request.POST.get("util", "")
    if answer not in ("si", "no"):
        messages.error(request, _("Elija «Sí» o «No»."))
        return redirect("knowledge:help_article", slug)
    source = request.POST.get("origen", FeedbackSource.ARTICLE)
    if source not in FeedbackSource.values:
        source = FeedbackSource.ARTICLE
    if not request.session.session_key:
        request.session.save()
    try:
        services.record_feedback(
            article=article,
            user=request.user,
            session_key=request.session.session_key or "",
            helpful=answer == "si",
            source=source,
            now=clock.now(),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("knowledge:help_article", slug)
    if answer == "si":
        messages.success(request, _("¡Gracias! Nos alegra que le haya servido."))
    else:
        messages.info(request, _("Gracias: lo usaremos para mejorar el artículo."))
    back = reverse("knowledge:help_article", args=[slug]) + f"?gracias={answer}"
    return redirect(back + ("&desde=portal" if source == FeedbackSource.PORTAL else ""))


@require_GET
def help_suggest(request: HttpRequest) -> HttpResponse:
    """Suggestions while a customer types a new request (an htmx fragment, debounced)."""
    text = " ".join(
        request.GET.get(name, "").replace("\x00", "")[:QUERY_MAX]
        for name in ("subject", "description", "q")
    )
    articles = services.suggest(actor=request.user, text=text) if text.strip() else []
    return render(request, "knowledge/_suggestions.html", {"articles": articles})
