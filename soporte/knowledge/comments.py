"""Readers' comments on the blog, and the anti-spam that needs no outside service.

A comment goes through, in order: the honeypot (a hidden field people never fill; a bot
that fills it is refused without a word), the rate limit per address and per IP, the e-mail
confirmation of an anonymous commenter, then the screen: held for review when it is the
address's first comment, has links, or contains a word from the desk's list
(`BlogSettings.blocked_words`). Replies are one level deep. The post's author is told.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from soporte.knowledge import notifications, search
from soporte.knowledge.blog import forget_feeds
from soporte.knowledge.models import (
    COMMENT_MAX,
    BlogSettings,
    Comment,
    CommentStatus,
    Post,
)
from soporte.knowledge.services import KnowledgeError, require_staff
from soporte.lib.errors import NotFound

NAME_MAX = 80
EMAIL_MAX = 200
RATE_WINDOW = dt.timedelta(hours=1)
_LINK = re.compile(r"(https?://|www\.|\[[^\]]*\]\()", re.IGNORECASE)


class SpamRefused(Exception):
    """The honeypot was filled: nothing is stored, and the bot is told nothing useful."""


class RateLimited(KnowledgeError):
    status = 429
    code = "rate_limited"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hold_reason(*, body: str, email: str, blog: BlogSettings) -> str:
    """Why a confirmed comment waits for a moderator ("" when it is published at once)."""
    if len(_LINK.findall(body)) > blog.max_links:
        return _("Contiene enlaces.")
    folded = f" {' '.join(search.fold(body).split())} "
    for word in blog.blocked_words.splitlines():
        word = " ".join(search.fold(word).split())
        if word and f" {word}" in folded:
            return _("Contiene una palabra de la lista de retención: «%(word)s».") % {"word": word}
    if not Comment.objects.filter(
        author_email__iexact=email, status=CommentStatus.APPROVED
    ).exists():
        return _("Primer comentario de esta dirección.")
    return ""


def _screen(comment: Comment, blog: BlogSettings) -> None:
    reason = hold_reason(body=comment.body, email=comment.author_email, blog=blog)
    comment.status = CommentStatus.HELD if reason else CommentStatus.APPROVED
    comment.hold_reason = reason


@transaction.atomic
def add_comment(
    *,
    post: Post,
    body: str,
    author_name: str,
    author_email: str,
    ip_address: str | None,
    user: Any,
    now: dt.datetime,
    parent_id: int | None = None,
    honeypot: str = "",
    confirm_url: Any = None,
) -> tuple[Comment, str]:
    """Store a comment; returns it and the confirmation token ("" when none was needed).

    `confirm_url(token)` builds the link mailed to an anonymous commenter."""
    if honeypot.strip():
        raise SpamRefused
    if not Post.objects.live().filter(pk=post.pk).exists():
        raise NotFound(_("No encontrado."))
    signed_in = bool(getattr(user, "is_authenticated", False))
    if signed_in:
        author_name = author_name or user.get_full_name() or user.username
        author_email = user.email or author_email
    author_name = " ".join(author_name.split())
    author_email = author_email.strip().lower()
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise KnowledgeError(_("Escriba su comentario."), code="body_required")
    if len(body) > COMMENT_MAX:
        raise KnowledgeError(
            _("El comentario tiene hasta %(n)d caracteres.") % {"n": COMMENT_MAX},
            code="body_length",
        )
    if not author_name or len(author_name) > NAME_MAX:
        raise KnowledgeError(_("Escriba su nombre (hasta 80 caracteres)."), code="name")
    try:
        if len(author_email) > EMAIL_MAX:
            raise ValidationError("long")
        validate_email(author_email)
    except ValidationError as exc:
        raise KnowledgeError(_("Escriba un correo válido."), code="email") from exc
    if "\x00" in body + author_name + author_email:
        raise KnowledgeError(_("El texto contiene un carácter nulo (NUL)."), code="nul")
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(
            pk=parent_id, post=post, status=CommentStatus.APPROVED
        ).first()
        if parent is None:
            raise KnowledgeError(_("El comentario que responde no existe."), code="parent")
        if parent.parent_id is not None:
            parent = parent.parent  # one level deep: a reply to a reply joins the thread
    blog = BlogSettings.current()
    since = now - RATE_WINDOW
    recent = Comment.objects.filter(created_at__gte=since, created_at__lte=now)
    by_address = recent.filter(author_email=author_email).count()
    by_ip = recent.filter(ip_address=ip_address).count() if ip_address else 0
    if max(by_address, by_ip) >= blog.comments_per_hour:
        raise RateLimited(
            _("Ha enviado muchos comentarios en poco tiempo; inténtelo más tarde."),
        )
    comment = Comment(
        post=post,
        parent=parent,
        user=user if signed_in else None,
        author_name=author_name,
        author_email=author_email,
        ip_address=ip_address,
        body=body,
        created_at=now,
    )
    token = ""
    if signed_in and user.is_desk_staff:
        comment.status, comment.confirmed_at = CommentStatus.APPROVED, now
    elif signed_in:
        comment.confirmed_at = now
        _screen(comment, blog)
    else:
        token = secrets.token_urlsafe(24)
        comment.status = CommentStatus.UNCONFIRMED
        comment.confirm_token_hash = _token_hash(token)
    comment.save()
    if comment.status == CommentStatus.APPROVED:
        forget_feeds()  # the post's cached page shows its comments
    if token and confirm_url is not None:
        notifications.send_confirmation(comment=comment, link=confirm_url(token))
    elif not token:
        notifications.notify_author(comment=comment)
    return comment, token


@transaction.atomic
def confirm_comment(*, token: str, now: dt.datetime) -> Comment:
    """The commenter followed the e-mailed link: the comment is screened (published or held)."""
    if not token or len(token) > 100:
        raise NotFound(_("El enlace de confirmación no es válido."))
    comment = (
        Comment.objects.select_for_update()
        .select_related("post", "post__author")
        .filter(confirm_token_hash=_token_hash(token))
        .first()
    )
    if comment is None:
        raise NotFound(_("El enlace de confirmación no es válido."))
    if comment.status != CommentStatus.UNCONFIRMED:
        return comment  # followed twice: nothing more to do
    comment.confirmed_at = now
    _screen(comment, BlogSettings.current())
    comment.save(update_fields=["confirmed_at", "status", "hold_reason"])
    if comment.status == CommentStatus.APPROVED:
        forget_feeds()
    notifications.notify_author(comment=comment)
    return comment


MODERATION = {
    "aprobar": CommentStatus.APPROVED,
    "rechazar": CommentStatus.REJECTED,
    "spam": CommentStatus.SPAM,
}


@transaction.atomic
def moderate(*, actor: Any, comment: Comment, action: str, now: dt.datetime) -> Comment:
    """The desk decides on a held comment (or takes a published one down); kept either way."""
    require_staff(actor)
    if action not in MODERATION:
        raise KnowledgeError(_("Acción desconocida."), code="action")
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    comment.status = MODERATION[action]
    comment.moderated_at, comment.moderated_by = now, actor
    comment.save(update_fields=["status", "moderated_at", "moderated_by"])
    forget_feeds()  # shown or taken down: the post's cached page changes
    return comment


def moderation_queue() -> Any:
    return (
        Comment.objects.filter(status=CommentStatus.HELD)
        .select_related("post")
        .order_by("created_at", "id")
    )


def thread(post: Post) -> list[tuple[Comment, list[Comment]]]:
    """A post's published comments: each top-level comment with its replies, oldest first."""
    rows = list(
        Comment.objects.filter(post=post, status=CommentStatus.APPROVED).order_by(
            "created_at", "id"
        )
    )
    replies: dict[int, list[Comment]] = {}
    for row in rows:
        if row.parent_id is not None:
            replies.setdefault(row.parent_id, []).append(row)
    return [(row, replies.get(row.pk, [])) for row in rows if row.parent_id is None]


def approved_count(post: Post) -> int:
    return Comment.objects.filter(Q(post=post) & Q(status=CommentStatus.APPROVED)).count()
