"""The desk's knowledge: articles (internal or public, with revisions and search terms) and the
public blog (posts, comments, the blog's settings).

Search works the same on SQLite and PostgreSQL because the terms are computed in Python
(`search.terms`: accents and case folded, Spanish Snowball stems, word families) and stored in
`ArticleTerm` / `PostTerm`; a query is an indexed `term IN (…)` on either database.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from soporte.knowledge.search import TERM_MAX

TITLE_MAX = 200
BODY_MAX = 60_000  # characters of Markdown: a long manual, not a book
COMMENT_MAX = 3_000


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Interno (solo la mesa)")
    PUBLIC = "public", _("Público")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    PUBLISHED = "published", _("Publicado")


# The device kinds an article applies to: the inventory's stored codes (knowledge sits below
# inventory in the import contract, so the codes are repeated here; a test compares them).
class DeviceKind(models.TextChoices):
    DESKTOP = "desktop", _("Computadora de escritorio")
    LAPTOP = "laptop", _("Computadora portátil")
    PRINTER = "printer", _("Impresora")
    SERVER = "server", _("Servidor")
    NETWORK = "network", _("Equipo de red")
    PHONE = "phone", _("Teléfono")
    TABLET = "tablet", _("Tableta")
    MONITOR = "monitor", _("Monitor")
    PERIPHERAL = "peripheral", _("Periférico")
    OTHER = "other", _("Otro")


class Category(models.Model):
    """A category of articles and of blog posts (one list for both)."""

    name = models.CharField(_("nombre"), max_length=80)
    slug = models.SlugField(_("identificador"), max_length=80)

    class Meta:
        verbose_name = _("categoría")
        verbose_name_plural = _("categorías")
        constraints = [models.UniqueConstraint(fields=["slug"], name="knowledge_category_slug")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("nombre"), max_length=40)
    slug = models.SlugField(_("identificador"), max_length=40)

    class Meta:
        verbose_name = _("etiqueta")
        verbose_name_plural = _("etiquetas")
        constraints = [models.UniqueConstraint(fields=["slug"], name="knowledge_tag_slug")]

    def __str__(self) -> str:
        return self.name


def _is_staff(actor: Any) -> bool:
    return bool(
        getattr(actor, "is_authenticated", False) and getattr(actor, "is_desk_staff", False)
    )


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible_to(self, actor: Any) -> ArticleQuerySet:
        """Staff see every article (drafts and internal ones too); everybody else, signed in
        or not, only published public articles."""
        if _is_staff(actor):
            return self.all()
        return self.public()

    def public(self) -> ArticleQuerySet:
        return self.filter(visibility=Visibility.PUBLIC, status=ArticleStatus.PUBLISHED)


class Article(models.Model):
    title = models.CharField(_("título"), max_length=TITLE_MAX)
    slug = models.SlugField(_("identificador"), max_length=220)
    body = models.TextField(_("contenido (Markdown)"))
    body_html = models.TextField(editable=False)  # sanitised at save time (markup.render)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    level = models.PositiveSmallIntegerField(_("nivel"), default=1)
    area = models.ForeignKey(
        "directory.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    # ",printer,laptop,": one indexed-free LIKE on both databases (a list of at most ten codes).
    device_kinds = models.CharField(_("tipos de equipo"), max_length=200, blank=True)
    visibility = models.CharField(
        _("visibilidad"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review_date = models.DateField(_("fecha de revisión"), null=True, blank=True)
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revision = models.PositiveIntegerField(default=1)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("artículo")
        verbose_name_plural = _("artículos")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="knowledge_article_slug"),
            models.CheckConstraint(
                condition=Q(level__gte=1) & Q(level__lte=4), name="knowledge_article_level"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="knowledge_article_visibility"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ArticleStatus.values), name="knowledge_article_status"
            ),
        ]
        indexes = [
            # The public list and the review list: published public articles by date; the
            # owner's articles past their review date.
            models.Index(
                fields=["visibility", "status", "updated_at"], name="knowledge_article_pub_idx"
            ),
            models.Index(fields=["owner", "review_date"], name="knowledge_article_review_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def device_kind_list(self) -> list[str]:
        return [code for code in self.device_kinds.split(",") if code]

    @property
    def device_kind_labels(self) -> list[str]:
        labels = dict(DeviceKind.choices)
        return [str(labels.get(code, code)) for code in self.device_kind_list]

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC and self.status == ArticleStatus.PUBLISHED


class ArticleRevision(models.Model):
    """Every saved version of an article, kept: the history is diffable and never rewritten."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("revisión de artículo")
        verbose_name_plural = _("revisiones de artículos")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class ArticleTerm(models.Model):
    """One search term of an article (`search.terms` of its title, tags and body)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=TERM_MAX)
    weight = models.PositiveSmallIntegerField(default=1)  # 3 in the title or tags, 1 in the body
    # The article is published and public (copied at every save): the portal's suggestions
    # read only this table, through the covering index below, never joining the articles.
    public = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "term"], name="knowledge_articleterm_unique")
        ]
        indexes = [
            # The desk's search (every visibility): each term's postings, heaviest and newest
            # first, cut off like the portal's below.
            models.Index(
                fields=["term", "weight", "article"], name="knowledge_articleterm_desk_idx"
            ),
            # The portal's suggestions while typing (bench/knowledge): each term's public
            # postings, heaviest and newest first, read straight from the index and cut off.
            models.Index(
                fields=["public", "term", "weight", "article"], name="knowledge_articleterm_pub_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.term


class ArticleRoot(models.Model):
    """A root that some article's terms have (kept when no article has it any longer: a stale
    root only costs one empty lookup). While a customer types, the unfinished last word
    ("impr") is looked up here, a short range over a few thousand roots, and becomes the
    whole roots it begins ("imprim"), each read from the postings' index like any other; a
    range over the postings themselves would read every posting of every such root."""

    term = models.CharField(max_length=TERM_MAX, primary_key=True)

    def __str__(self) -> str:
        return self.term


class FeedbackSource(models.TextChoices):
    ARTICLE = "article", _("Página del artículo")
    PORTAL = "portal", _("Sugerencia al escribir una solicitud")


class ArticleFeedback(models.Model):
    """ "¿Te fue útil?": one answer per person (or browser session) and article. A helpful
    answer given from a portal suggestion, with no request opened after it, is a deflection."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    helpful = models.BooleanField()
    source = models.CharField(max_length=10, choices=FeedbackSource.choices)
    deflected = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("valoración de artículo")
        verbose_name_plural = _("valoraciones de artículos")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=Q(user__isnull=False),
                name="knowledge_feedback_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="knowledge_feedback_one_per_session",
            ),
            models.CheckConstraint(
                condition=Q(source__in=FeedbackSource.values), name="knowledge_feedback_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


# --- the blog -----------------------------------------------------------------------------


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Borrador")
    SCHEDULED = "scheduled", _("Programada")
    PUBLISHED = "published", _("Publicada")
    UNPUBLISHED = "unpublished", _("Retirada")


class PostQuerySet(models.QuerySet["Post"]):
    def live(self) -> PostQuerySet:
        """What readers see: published posts (an unpublished post is hidden, never deleted)."""
        return self.filter(status=PostStatus.PUBLISHED)

    def visible_to(self, actor: Any) -> PostQuerySet:
        return self.all() if _is_staff(actor) else self.live()


class Post(models.Model):
    title = models.CharField(_("título"), max_length=TITLE_MAX)
    slug = models.SlugField(_("identificador"), max_length=220)
    excerpt = models.CharField(_("resumen"), max_length=300, blank=True)
    body = models.TextField(_("contenido (Markdown)"))
    body_html = models.TextField(editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    cover = models.CharField(max_length=80, blank=True)  # file key under MEDIA_ROOT/blog/
    cover_width = models.PositiveIntegerField(default=0)
    cover_height = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("estado"), max_length=12, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    publish_at = models.DateTimeField(_("publicar el"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reading_minutes = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("entrada del blog")
        verbose_name_plural = _("entradas del blog")
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="knowledge_post_slug"),
            models.CheckConstraint(
                condition=Q(status__in=PostStatus.values), name="knowledge_post_status"
            ),
            models.CheckConstraint(
                condition=~Q(status=PostStatus.SCHEDULED) | Q(publish_at__isnull=False),
                name="knowledge_post_scheduled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=PostStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="knowledge_post_published_has_time",
            ),
        ]
        indexes = [
            # The blog's home, archive and feeds: published posts, newest first.
            models.Index(fields=["status", "published_at"], name="knowledge_post_live_idx"),
            # The worker's sweep: scheduled posts whose time has come.
            models.Index(fields=["status", "publish_at"], name="knowledge_post_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class PostTerm(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=TERM_MAX)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "term"], name="knowledge_postterm_unique")
        ]
        # The blog's search: `term IN (…)` grouped by post.
        indexes = [models.Index(fields=["term", "post"], name="knowledge_postterm_idx")]

    def __str__(self) -> str:
        return self.term


class CommentStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Sin confirmar el correo")
    HELD = "held", _("En revisión")
    APPROVED = "approved", _("Publicado")
    REJECTED = "rejected", _("Rechazado")
    SPAM = "spam", _("Spam")


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="comments")
    # One level deep: a reply's parent is never itself a reply (services.add_comment).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_name = models.CharField(_("nombre"), max_length=80)
    author_email = models.EmailField(_("correo"), max_length=200)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    body = models.TextField(_("comentario"))
    status = models.CharField(max_length=12, choices=CommentStatus.choices)
    hold_reason = models.CharField(max_length=200, blank=True)
    confirm_token_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("comentario")
        verbose_name_plural = _("comentarios")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CommentStatus.values), name="knowledge_comment_status"
            )
        ]
        indexes = [
            # A post's page: its approved comments in order.
            models.Index(
                fields=["post", "status", "created_at"], name="knowledge_comment_post_idx"
            ),
            # The moderation queue and the rate limits (by address, by IP, recent first).
            models.Index(fields=["status", "created_at"], name="knowledge_comment_queue_idx"),
            models.Index(fields=["author_email", "created_at"], name="knowledge_comment_email_idx"),
            models.Index(fields=["ip_address", "created_at"], name="knowledge_comment_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.body[:40]}"


class BlogSettings(models.Model):
    """The blog's knobs the desk edits (one row): the reminder's cadence and the words that
    hold a comment for review."""

    reminder_days = models.PositiveSmallIntegerField(
        _("días sin publicar antes del aviso"), default=3
    )
    blocked_words = models.TextField(
        _("palabras que retienen un comentario"),
        blank=True,
        default="casino\nviagra\npréstamo rápido\ncripto",
        help_text=_("Una por renglón; sin distinguir mayúsculas ni acentos."),
    )
    max_links = models.PositiveSmallIntegerField(_("enlaces permitidos sin revisión"), default=0)
    comments_per_hour = models.PositiveSmallIntegerField(
        _("comentarios por hora por correo o IP"), default=3
    )
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    # Moves on every change readers see (a publication, an edit, a withdrawal), in the same
    # transaction: every process's cached feeds and blog pages are keyed by it, so a post the
    # worker publishes shows in the web nodes' feeds at once.
    content_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("ajustes del blog")
        verbose_name_plural = _("ajustes del blog")

    def __str__(self) -> str:
        return str(_("Ajustes del blog"))

    @classmethod
    def current(cls) -> BlogSettings:
        row = cls.objects.order_by("id").first()
        return row if row is not None else cls.objects.create()
