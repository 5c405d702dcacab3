"""The blog's use cases: write a post, schedule it (the worker publishes it at its time),
publish, unpublish (hidden, never deleted), store its cover image, and the freshness the seed
asks for ("actualizaciones frecuentes, cada dos o tres días").

Each publication is written in the desk's bitácora (the seed's blog logbook) through
`logbook.services.append_entry`, in the same transaction as the post.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from soporte.directory.models import User
from soporte.knowledge import markup, notifications, search
from soporte.knowledge.models import (
    BlogSettings,
    Category,
    Post,
    PostStatus,
    PostTerm,
)
from soporte.knowledge.services import (
    KnowledgeError,
    check_text,
    require_staff,
    tags_for,
    unique_slug,
)
from soporte.logbook import keys as logbook_keys
from soporte.logbook import services as logbook_services
from soporte.logbook.models import EntryKind

EXCERPT_MAX = 300
COVER_MAX_BYTES = 8 * 1024 * 1024
COVER_MAX_PIXELS = 40_000_000  # a 40-megapixel photo; past that, a decompression bomb
COVER_SIZE = (1200, 630)  # the Open Graph card's size: the largest a page shows


# --- covers -------------------------------------------------------------------------------


def cover_path(key: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "blog" / f"{key}.jpg"


@dataclass(frozen=True)
class Cover:
    key: str
    width: int
    height: int


def store_cover(data: bytes) -> Cover:
    """Resize an uploaded image to fit `COVER_SIZE` and re-encode it as JPEG without its
    metadata (EXIF: the camera, the place where the photo was taken)."""
    if len(data) > COVER_MAX_BYTES:
        raise KnowledgeError(
            _("La imagen pesa más de %(mb)d MB.") % {"mb": COVER_MAX_BYTES // (1024 * 1024)},
            code="cover_too_large",
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("JPEG", "PNG", "WEBP", "GIF"):
                raise KnowledgeError(
                    _("La portada debe ser una imagen JPEG, PNG, WebP o GIF."), code="cover_type"
                )
            if probe.width * probe.height > COVER_MAX_PIXELS:
                raise KnowledgeError(_("La imagen es demasiado grande."), code="cover_too_large")
            probe.load()
            image = ImageOps.exif_transpose(probe).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise KnowledgeError(_("El archivo no es una imagen válida."), code="cover_type") from exc
    image.thumbnail(COVER_SIZE, Image.Resampling.LANCZOS)
    key = secrets.token_hex(12)
    path = cover_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing carried over
    path.write_bytes(out.getvalue())
    return Cover(key, image.width, image.height)


# --- posts --------------------------------------------------------------------------------


def index_post(post: Post, tag_names: Sequence[str]) -> None:
    PostTerm.objects.filter(post=post).delete()
    weights = search.weighted_terms(
        heading=" ".join([post.title, *tag_names]), body=markup.plain_text(post.body)
    )
    PostTerm.objects.bulk_create(
        PostTerm(post=post, term=term, weight=weight) for term, weight in weights.items()
    )


def _blog_entry(*, post: Post, author: User, action: str, now: dt.datetime) -> None:
    local = timezone.localtime(now)
    logbook_services.append_entry(
        logbook=logbook_services.desk_logbook(now=now),
        kind=EntryKind.MANUAL,
        author=author,
        summary=_("Blog: %(action)s «%(title)s»") % {"action": action, "title": post.title},
        fields={
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "process": _("Bitácora del blog"),
            "observations": _("%(action)s por %(author)s; autor: %(writer)s")
            % {"action": action, "author": author, "writer": post.author},
            "post": post.slug,
        },
        subject=logbook_services.Subject("blog_post", str(post.pk), post.title[:100]),
        now=now,
    )


@transaction.atomic
def save_post(
    *,
    actor: User,
    title: str,
    body: str,
    now: dt.datetime,
    post: Post | None = None,
    excerpt: str = "",
    category: Category | None = None,
    tags: Sequence[str] = (),
    status: str = PostStatus.DRAFT,
    publish_at: dt.datetime | None = None,
    cover: Cover | None = None,
    author: User | None = None,
    published_at: dt.datetime | None = None,
    slug: str | None = None,
    log: bool = True,
) -> Post:
    """Create or change a post. `status`: draft, scheduled (at `publish_at`, in the future),
    published (now) or unpublished (hidden, kept). An import passes the original
    `published_at` and `slug`, and logs the whole import once (`log=False`)."""
    require_staff(actor)
    title, body = check_text(title, body)
    excerpt = " ".join(excerpt.split())
    if len(excerpt) > EXCERPT_MAX:
        raise KnowledgeError(
            _("El resumen tiene hasta %(n)d caracteres.") % {"n": EXCERPT_MAX}, code="excerpt"
        )
    if status not in PostStatus.values:
        raise KnowledgeError(_("Estado desconocido."), code="status")
    if status == PostStatus.SCHEDULED:
        if publish_at is None:
            raise KnowledgeError(
                _("Indique la fecha y hora de publicación."), code="publish_at_required"
            )
        if publish_at <= now:
            raise KnowledgeError(
                _("La fecha de publicación programada debe ser futura."), code="publish_at_past"
            )
    if post is None:
        post = Post(slug=unique_slug(Post, slug or title), author=author or actor, created_at=now)
        previous_status = ""
    else:
        post = Post.objects.select_for_update().get(pk=post.pk)
        previous_status = post.status
        if author is not None:
            post.author = author
    post.title, post.body, post.excerpt = title, body, excerpt
    post.body_html = markup.render(body)
    post.reading_minutes = markup.reading_minutes(body)
    post.category = category
    post.updated_at = now
    if cover is not None:
        post.cover, post.cover_width, post.cover_height = cover.key, cover.width, cover.height
    post.status = status
    post.publish_at = publish_at if status == PostStatus.SCHEDULED else post.publish_at
    if status == PostStatus.PUBLISHED and previous_status != PostStatus.PUBLISHED:
        post.published_at = post.published_at or published_at or now
    post.save()
    post.tags.set(tags_for(tags))
    index_post(post, list(tags))
    if (
        log
        and status != previous_status
        and status in (PostStatus.PUBLISHED, PostStatus.UNPUBLISHED)
    ):
        action = _("publicada") if status == PostStatus.PUBLISHED else _("retirada")
        _blog_entry(post=post, author=actor, action=action, now=now)
    forget_feeds()
    return post


@transaction.atomic
def publish_due_posts(*, now: dt.datetime) -> list[Post]:
    """The worker's sweep: every scheduled post whose time has come is published, dated at its
    scheduled time, with its bitácora entry signed by the desk's system signer."""
    due = list(
        Post.objects.select_for_update()
        .filter(status=PostStatus.SCHEDULED, publish_at__lte=now)
        .order_by("publish_at", "id")
    )
    signer = logbook_keys.system_signer() if due else None
    for post in due:
        post.status = PostStatus.PUBLISHED
        post.published_at = post.published_at or post.publish_at
        post.save(update_fields=["status", "published_at"])
        assert signer is not None
        _blog_entry(post=post, author=signer, action=_("publicada (programada)"), now=now)
    if due:
        forget_feeds()
    return due


def forget_feeds() -> None:
    """Move the blog's content version (in the caller's transaction): the cached feeds and
    pages of every process are keyed by it (`feeds.cache_version`)."""
    blog = BlogSettings.current()
    BlogSettings.objects.filter(pk=blog.pk).update(content_version=F("content_version") + 1)


ARCHIVE_MONTHS = 24


def archive_months(limit: int = ARCHIVE_MONTHS) -> list[dt.datetime]:
    """The months (their first instant, in the desk's time zone) that have published posts,
    newest first. One index seek per month, from the newest post back: grouping every post
    by its local month (`QuerySet.datetimes`) read all 50,000 posts of the bench through
    SQLite's Python date functions, 4.5 s for the first reader after a publication."""
    zone = timezone.get_current_timezone()
    live = Post.objects.live().order_by("-published_at").values_list("published_at", flat=True)
    months: list[dt.datetime] = []
    before: dt.datetime | None = None
    while len(months) < limit:
        latest = (live.filter(published_at__lt=before) if before else live).first()
        if latest is None:
            break
        local = timezone.localtime(latest, zone)
        before = dt.datetime(local.year, local.month, 1, tzinfo=zone)
        months.append(before)
    return months


def search_posts(*, query: str, limit: int = 20) -> list[Post]:
    """Published posts sharing roots with the query, most roots first, newest first."""
    roots = search.query_terms(query)
    if not roots:
        return []
    rows = list(
        PostTerm.objects.filter(term__in=roots, post__in=Post.objects.live().values("pk"))
        .values("post")
        .annotate(hits=Count("id"), score=Sum("weight"), published=F("post__published_at"))
        .order_by("-hits", "-score", "-published", "-post")[: max(1, min(limit, 50))]
    )
    posts = (
        Post.objects.live()
        .select_related("author", "category")
        .in_bulk([row["post"] for row in rows])
    )
    return [posts[row["post"]] for row in rows if row["post"] in posts]


# --- freshness ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    days_since_last: int | None  # None: nothing published yet
    posts_last_30_days: int
    cadence_days: float | None  # mean days between the last month's posts
    next_scheduled_at: dt.datetime | None
    reminder_days: int

    @property
    def stale(self) -> bool:
        """No post for `reminder_days` and none scheduled within them (a scheduled post
        counts: the blog will be fresh when it goes out)."""
        if self.next_scheduled_at is not None:
            return False
        return self.days_since_last is None or self.days_since_last >= self.reminder_days


def freshness(*, now: dt.datetime) -> Freshness:
    blog = BlogSettings.current()
    last = (
        Post.objects.live().order_by("-published_at", "-id").values_list("published_at", flat=True)
    ).first()
    month: list[dt.datetime] = [
        moment
        for moment in Post.objects.live()
        .filter(published_at__gte=now - dt.timedelta(days=30), published_at__lte=now)
        .order_by("published_at", "id")
        .values_list("published_at", flat=True)
        if moment is not None
    ]
    cadence = None
    if len(month) >= 2:
        span = (month[-1] - month[0]).total_seconds() / 86400
        cadence = round(span / (len(month) - 1), 1)
    scheduled = (
        Post.objects.filter(status=PostStatus.SCHEDULED)
        .order_by("publish_at", "id")
        .values_list("publish_at", flat=True)
        .first()
    )
    return Freshness(
        days_since_last=(now - last).days if last else None,
        posts_last_30_days=len(month),
        cadence_days=cadence,
        next_scheduled_at=scheduled,
        reminder_days=blog.reminder_days,
    )


def blog_authors() -> list[User]:
    """Who is reminded: everyone who wrote a post, or the supervisors when nobody has yet."""
    author_ids = Post.objects.values_list("author_id", flat=True).distinct()
    authors = list(User.objects.filter(pk__in=author_ids, is_active=True).order_by("id"))
    if authors:
        return authors
    return list(
        User.objects.filter(Q(role="supervisor") | Q(role="admin"), is_active=True).order_by("id")
    )


def remind_authors(*, now: dt.datetime) -> int:
    """When the blog has been quiet for `reminder_days`, e-mail its authors, once per quiet
    spell (at most once a day). Returns how many were told."""
    with transaction.atomic():
        blog = BlogSettings.objects.select_for_update().get(pk=BlogSettings.current().pk)
        state = freshness(now=now)
        if not state.stale:
            return 0
        if blog.last_reminder_at and now - blog.last_reminder_at < dt.timedelta(days=1):
            return 0
        blog.last_reminder_at = now
        blog.save(update_fields=["last_reminder_at"])
        authors = [a for a in blog_authors() if a.email]
        notifications.send_reminder(authors=authors, state=state)  # queued in this transaction
    return len(authors)
