"""The knowledge base's use cases: write an article (every save a revision), publish a
ticket's solution, search and suggest, and record "¿Te fue útil?".

Keyword-only arguments, the actor and `now` passed in, one transaction each.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from soporte.directory.models import Area, User
from soporte.knowledge import markup, search
from soporte.knowledge.models import (
    BODY_MAX,
    TITLE_MAX,
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleRoot,
    ArticleStatus,
    ArticleTerm,
    Category,
    DeviceKind,
    FeedbackSource,
    Tag,
    Visibility,
)
from soporte.lib.errors import DomainError, Forbidden

TAGS_MAX = 10
TAG_MAX = 40
SUGGESTIONS_MAX = 5


class KnowledgeError(DomainError):
    pass


def require_staff(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_desk_staff):
        raise Forbidden(_("Solo el personal de la mesa escribe artículos."))


# Words of the blog's and help centre's own addresses, never a post's or article's slug.
RESERVED_SLUGS = frozenset(
    {"atom", "rss", "archivo", "categoria", "etiqueta", "portada", "comentarios", "sugerencias"}
)


def unique_slug(model: Any, title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:200] or "articulo"
    if base in RESERVED_SLUGS:
        base = f"{base}-1"
    slug, n = base, 1
    existing = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while existing.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def parse_tags(text: str) -> list[str]:
    """ "redes, Impresoras ,  wifi" → the distinct names, at most `TAGS_MAX` of `TAG_MAX` chars."""
    names: list[str] = []
    seen: set[str] = set()
    for raw in text.split(","):
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > TAG_MAX:
            raise KnowledgeError(
                _("Una etiqueta tiene hasta %(n)d caracteres.") % {"n": TAG_MAX}, code="tag_length"
            )
        slug = slugify(name)
        if slug and slug not in seen:
            seen.add(slug)
            names.append(name)
    if len(names) > TAGS_MAX:
        raise KnowledgeError(_("Hasta %(n)d etiquetas.") % {"n": TAGS_MAX}, code="too_many_tags")
    return names


def tags_for(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in names:
        tag, _created = Tag.objects.get_or_create(slug=slugify(name)[:40], defaults={"name": name})
        tags.append(tag)
    return tags


def check_text(title: str, body: str) -> tuple[str, str]:
    title = " ".join(title.split())
    body = body.replace("\r\n", "\n").strip()
    if not title:
        raise KnowledgeError(_("Escriba un título."), code="title_required")
    if len(title) > TITLE_MAX:
        raise KnowledgeError(
            _("El título tiene hasta %(n)d caracteres.") % {"n": TITLE_MAX}, code="title_length"
        )
    if not body:
        raise KnowledgeError(_("Escriba el contenido."), code="body_required")
    if len(body) > BODY_MAX:
        raise KnowledgeError(
            _("El contenido tiene hasta %(n)d caracteres.") % {"n": BODY_MAX}, code="body_length"
        )
    if "\x00" in title or "\x00" in body:
        raise KnowledgeError(_("El texto contiene un carácter nulo (NUL)."), code="nul")
    return title, body


def index_article(article: Article, tag_names: Sequence[str]) -> None:
    """Replace the article's search terms (title and tags weigh 3, body 1)."""
    ArticleTerm.objects.filter(article=article).delete()
    weights = search.weighted_terms(
        heading=" ".join([article.title, *tag_names]), body=markup.plain_text(article.body)
    )
    public = article.is_public
    ArticleTerm.objects.bulk_create(
        ArticleTerm(article=article, term=term, weight=weight, public=public)
        for term, weight in weights.items()
    )
    ArticleRoot.objects.bulk_create(
        (ArticleRoot(term=term) for term in weights), ignore_conflicts=True
    )


@transaction.atomic
def save_article(
    *,
    actor: User,
    title: str,
    body: str,
    now: dt.datetime,
    article: Article | None = None,
    category: Category | None = None,
    level: int = 1,
    area: Area | None = None,
    tags: Sequence[str] = (),
    device_kinds: Sequence[str] = (),
    visibility: str = Visibility.INTERNAL,
    status: str = ArticleStatus.DRAFT,
    review_date: dt.date | None = None,
    note: str = "",
    source_ticket: Any = None,
) -> Article:
    """Create or change an article; a change of title or body is a new revision (kept)."""
    require_staff(actor)
    title, body = check_text(title, body)
    if level not in (1, 2, 3, 4):
        raise KnowledgeError(_("El nivel va de 1 a 4."), code="level")
    if visibility not in Visibility.values:
        raise KnowledgeError(_("Visibilidad desconocida."), code="visibility")
    if status not in ArticleStatus.values:
        raise KnowledgeError(_("Estado desconocido."), code="status")
    unknown = [kind for kind in device_kinds if kind not in DeviceKind.values]
    if unknown:
        raise KnowledgeError(_("Tipo de equipo desconocido."), code="device_kind")
    tag_names = list(tags)
    if len(tag_names) > TAGS_MAX:
        raise KnowledgeError(_("Hasta %(n)d etiquetas.") % {"n": TAGS_MAX}, code="too_many_tags")
    kinds = ",".join(sorted(set(device_kinds)))
    changed_text = True
    if article is None:
        article = Article(
            slug=unique_slug(Article, title),
            owner=actor,
            created_at=now,
            revision=1,
            source_ticket=source_ticket,
        )
    else:
        article = Article.objects.select_for_update().get(pk=article.pk)
        changed_text = (article.title, article.body) != (title, body)
        if changed_text:
            article.revision += 1
    article.title, article.body = title, body
    article.body_html = markup.render(body)
    article.category, article.level, article.area = category, level, area
    article.device_kinds = f",{kinds}," if kinds else ""
    article.visibility, article.status = visibility, status
    article.review_date = review_date
    article.updated_at = now
    if status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = now
    article.save()
    article.tags.set(tags_for(tag_names))
    if changed_text:
        ArticleRevision.objects.create(
            article=article,
            number=article.revision,
            title=title,
            body=body,
            author=actor,
            note=note[:200],
            created_at=now,
        )
    index_article(article, tag_names)
    return article


def diff(older: ArticleRevision, newer: ArticleRevision) -> list[str]:
    """A unified diff of two revisions (title and body), line by line."""
    before = [f"# {older.title}", "", *older.body.splitlines()]
    after = [f"# {newer.title}", "", *newer.body.splitlines()]
    return list(
        difflib.unified_diff(
            before, after, f"r{older.number}", f"r{newer.number}", lineterm="", n=2
        )
    )


@transaction.atomic
def article_from_ticket(*, actor: User, ticket: Any, now: dt.datetime) -> Article:
    """ "Publicar la solución": a draft article (internal until reviewed) from a resolved
    ticket's description and its public notes, linked back to the ticket."""
    require_staff(actor)
    if ticket.status not in ("resolved", "closed"):
        raise KnowledgeError(
            _("Solo la solución de un ticket resuelto se publica como artículo."),
            code="ticket_not_resolved",
        )
    existing = Article.objects.filter(source_ticket=ticket).order_by("id").first()
    if existing is not None:
        return existing
    notes = [
        note.body.strip()
        for note in ticket.notes.filter(internal=False).order_by("created_at", "id")
        if note.body.strip()
    ]
    body = "\n\n".join(
        [
            "## " + _("Síntoma"),
            ticket.description.strip(),
            "## " + _("Solución"),
            *(notes or [_("(Escriba aquí los pasos de la solución.)")]),
        ]
    )[:BODY_MAX]
    return save_article(
        actor=actor,
        title=ticket.subject[:TITLE_MAX],
        body=body,
        level=min(max(int(ticket.level), 1), 4),
        area=ticket.area,
        visibility=Visibility.INTERNAL,
        status=ArticleStatus.DRAFT,
        note=_("Creado desde el ticket %(n)s") % {"n": ticket.number},
        source_ticket=ticket,
        now=now,
    )


# --- search and suggestions ----------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    article: Article
    hits: int  # distinct query terms found
    score: int


# Each query term reads at most this many postings (title and tag matches first, then the
# newest articles): a suggestion costs the same with a hundred articles or a hundred thousand
# (bench/knowledge). An article that has a very common word only in its body, past the cut,
# is not found by that word alone.
POSTINGS_PER_TERM = 400
CANDIDATES = 30  # best matches by terms, then re-ranked with the readers' feedback
# An unfinished word becomes at most this many whole roots, the shortest first (the nearest
# to what is typed: "comp" → "comput" before "compartimient"); the next keystrokes narrow it.
PREFIX_ROOTS = 3
PREFIX_SCAN = 200  # roots read from the vocabulary's range to choose them


def _prefix_roots(word: str) -> list[str]:
    """The whole roots an unfinished word may become: its own stem as a prefix over the
    vocabulary (`ArticleRoot`), and the word families it may start ("impre" → "imprim")."""
    stemmed, *family_roots = search.partial_roots(word)
    upper = stemmed[:-1] + chr(ord(stemmed[-1]) + 1)
    # A range, not LIKE: both databases walk the primary key's index with it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term FROM {ArticleRoot._meta.db_table} "  # noqa: S608 (the model's table)
            "WHERE term >= %s AND term < %s ORDER BY term LIMIT %s",
            [stemmed, upper, PREFIX_SCAN],
        )
        # startswith: under PostgreSQL's language collation "cañ…" sorts inside "can"–"cao"
        # (SQLite compares bytes); both keep the same roots.
        found = [term for (term,) in cursor.fetchall() if term.startswith(stemmed)]
    nearest = sorted(found, key=lambda t: (len(t), t))
    return list(dict.fromkeys([*family_roots, *nearest[:PREFIX_ROOTS]]))


def _postings(query: str, *, public_only: bool, prefix_last: bool) -> list[tuple[int, str, int]]:
    """(article, term, weight) of the heaviest and newest postings of each root of the query,
    `POSTINGS_PER_TERM` at most per root, in one statement."""
    words = search.words(query[: search.QUERY_MAX])
    if not words:
        return []
    roots = search.query_terms(query)
    # While typing, the last word may be unfinished ("impres"): the whole roots it begins.
    if prefix_last and not query.endswith((" ", ".", ",")) and len(words[-1]) >= 3:
        roots += [root for root in _prefix_roots(words[-1]) if root not in roots]
    if not roots:
        return []
    # One LIMITed index read per root, glued with UNION ALL (each in a FROM subquery, the form
    # SQLite and PostgreSQL both accept; the ORM refuses an ordered slice in a compound query
    # on SQLite). `public = %s` as an equality: the ORM writes `public=True` as a bare
    # `WHERE public`, which SQLite cannot match to the index's first column: it skip-scanned
    # and sorted every posting of a common root (33 ms at 100,000 articles against 0.4 ms;
    # bench/knowledge). The indexes: `knowledge_articleterm_pub_idx` (public, term, weight,
    # article) and `knowledge_articleterm_desk_idx` (term, weight, article).
    table = ArticleTerm._meta.db_table
    where = "public = %s AND term = %s" if public_only else "term = %s"
    # Only the model's table name and fixed text are in the statement; values are parameters.
    one = (
        f"SELECT * FROM (SELECT article_id, term, weight FROM {table} WHERE {where} "  # noqa: S608
        "ORDER BY weight DESC, article_id DESC LIMIT %s) AS p{n}"
    )
    sql = " UNION ALL ".join(one.replace("{n}", str(n)) for n in range(len(roots)))
    params: list[Any] = []
    for root in roots:
        params += [True, root, POSTINGS_PER_TERM] if public_only else [root, POSTINGS_PER_TERM]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def search_articles(
    *, actor: Any, query: str, limit: int = 20, prefix_last: bool = False
) -> list[Match]:
    """Articles this person may see that share roots with the query: most roots first, then
    by weight, then by readers' feedback (helpful minus not helpful)."""
    staff = bool(getattr(actor, "is_authenticated", False) and actor.is_desk_staff)
    postings = _postings(query, public_only=not staff, prefix_last=prefix_last)
    if not postings:
        return []
    found: dict[int, dict[str, int]] = {}
    for article_id, term, weight in postings:
        terms = found.setdefault(article_id, {})
        terms[term] = max(weight, terms.get(term, 0))
    best = sorted(found.items(), key=lambda item: (-len(item[1]), -sum(item[1].values()), -item[0]))
    best = best[: max(CANDIDATES, limit)]
    limit = max(1, min(limit, 50))
    # The candidates' feedback, then only the articles shown are loaded (a suggestion shows
    # five of thirty candidates).
    visible = Article.objects.visible_to(actor)
    feedback = {
        pk: helpful - unhelpful
        for pk, helpful, unhelpful in visible.filter(
            pk__in=[article_id for article_id, _terms in best]
        ).values_list("pk", "helpful_count", "unhelpful_count")
    }
    ranked = sorted(
        ((article_id, terms) for article_id, terms in best if article_id in feedback),
        key=lambda item: (
            -len(item[1]),
            -sum(item[1].values()),
            -feedback[item[0]],
            -item[0],
        ),
    )[:limit]
    articles = (
        visible.defer("body", "body_html")
        .select_related("category")
        .in_bulk([article_id for article_id, _terms in ranked])
    )
    return [
        Match(articles[article_id], len(terms), sum(terms.values()))
        for article_id, terms in ranked
        if article_id in articles
    ]


def suggest(*, actor: Any, text: str) -> list[Article]:
    """Public articles matching what a customer is typing (subject and description)."""
    # Suggestions are the public base even for staff previewing the portal.
    return [
        match.article
        for match in search_articles(
            actor=None, query=text, limit=SUGGESTIONS_MAX, prefix_last=True
        )
    ]


def related_articles(*, actor: Any, text: str, limit: int = 5) -> list[Article]:
    """Articles an agent may find useful for a ticket (every visibility for staff)."""
    return [m.article for m in search_articles(actor=actor, query=text, limit=limit)]


@transaction.atomic
def record_feedback(
    *,
    article: Article,
    user: Any,
    session_key: str,
    helpful: bool,
    source: str,
    now: dt.datetime,
) -> ArticleFeedback:
    """ "¿Te fue útil?": one answer per person (or session) and article; answering again
    changes the answer. Helpful from a portal suggestion counts as a deflection."""
    if source not in FeedbackSource.values:
        raise KnowledgeError(_("Origen desconocido."), code="source")
    if not article.is_public and not (
        getattr(user, "is_authenticated", False) and user.is_desk_staff
    ):
        raise KnowledgeError(_("No encontrado."), code="not_found")
    signed_in = bool(getattr(user, "is_authenticated", False))
    if not signed_in and not session_key:
        raise KnowledgeError(_("Active las cookies para valorar el artículo."), code="no_session")
    lookup: dict[str, Any] = (
        {"user": user} if signed_in else {"user": None, "session_key": session_key[:64]}
    )
    previous = ArticleFeedback.objects.select_for_update().filter(article=article, **lookup).first()
    deflected = helpful and source == FeedbackSource.PORTAL
    if previous is not None:
        if previous.helpful != helpful:
            _count(article, previous.helpful, -1)
            _count(article, helpful, +1)
        previous.helpful, previous.source = helpful, source
        previous.deflected = previous.deflected or deflected
        previous.save(update_fields=["helpful", "source", "deflected"])
        return previous
    try:
        with transaction.atomic():
            feedback = ArticleFeedback.objects.create(
                article=article,
                helpful=helpful,
                source=source,
                deflected=deflected,
                created_at=now,
                **lookup,
            )
    except IntegrityError:  # the same answer twice at once: the first one stands
        return ArticleFeedback.objects.get(article=article, **lookup)
    _count(article, helpful, +1)
    return feedback


def _count(article: Article, helpful: bool, delta: int) -> None:
    field = "helpful_count" if helpful else "unhelpful_count"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + delta})


def deflections(*, since: dt.datetime, until: dt.datetime) -> int:
    """Requests not opened because a suggested article helped, in [since, until)."""
    return ArticleFeedback.objects.filter(
        deflected=True, created_at__gte=since, created_at__lt=until
    ).count()


def articles_to_review(*, owner: User, today: dt.date) -> QuerySet[Article]:
    """The owner's articles whose review date has come."""
    return Article.objects.filter(owner=owner, review_date__lte=today).order_by("review_date", "id")
