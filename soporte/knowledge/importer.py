"""Bring an old blog in: a WordPress export (WXR) or an Atom feed.

The XML is read with defusedxml (no entity bombs, no external entities); a WXR's HTML posts
become Markdown (markdownify) and go through the same sanitiser as every post. Published posts
keep their original date; drafts stay drafts; a WXR's approved comments come along. Posts
whose slug already exists are skipped, so importing the same file twice adds nothing. The
import is one transaction and one bitácora entry.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import feedparser
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from markdownify import markdownify

from soporte.directory.models import User
from soporte.knowledge import blog
from soporte.knowledge.models import (
    BODY_MAX,
    COMMENT_MAX,
    TITLE_MAX,
    Category,
    Comment,
    CommentStatus,
    Post,
    PostStatus,
)
from soporte.knowledge.services import KnowledgeError, require_staff
from soporte.logbook import services as logbook_services
from soporte.logbook.models import EntryKind

IMPORT_MAX_BYTES = 20 * 1024 * 1024
IMPORT_MAX_POSTS = 5000
WP = "http://wordpress.org/export/"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Imported:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    comments: int = 0


@dataclass
class _Item:
    title: str
    html: str
    excerpt: str
    slug: str
    status: str
    date: dt.datetime | None
    categories: list[tuple[str, str]]
    tags: list[str]
    comments: list[dict[str, Any]]


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, name = tag[1:].split("}", 1)
        return namespace, name
    return "", tag


def _wp(element: Element, name: str) -> str:
    """The text of a `wp:` child, whichever WXR version (1.0, 1.1, 1.2) wrote it."""
    for child in element:
        namespace, local = _local(child.tag)
        if local == name and namespace.startswith(WP):
            return (child.text or "").strip()
    return ""


def _wp_children(element: Element, name: str) -> list[Element]:
    return [
        child
        for child in element
        if _local(child.tag)[1] == name and _local(child.tag)[0].startswith(WP)
    ]


def _gmt(text: str) -> dt.datetime | None:
    if not text or text.startswith("0000"):
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _rfc822(text: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError):
        return None


def _wxr_items(root: Element) -> list[_Item]:
    channel = root.find("channel")
    if channel is None:
        raise KnowledgeError(_("El archivo no es una exportación de WordPress."), code="format")
    items = []
    for item in channel.findall("item"):
        if _wp(item, "post_type") not in ("post", ""):
            continue  # pages, attachments, menus
        wp_status = _wp(item, "status")
        status = {"publish": PostStatus.PUBLISHED, "future": PostStatus.SCHEDULED}.get(
            wp_status, PostStatus.DRAFT
        )
        date = _gmt(_wp(item, "post_date_gmt")) or _rfc822(item.findtext("pubDate") or "")
        categories = [
            ((c.text or "").strip(), c.get("nicename", ""))
            for c in item.findall("category")
            if c.get("domain") == "category"
        ]
        tags = [
            (c.text or "").strip()
            for c in item.findall("category")
            if c.get("domain") == "post_tag"
        ]
        comments = [
            {
                "author": _wp(c, "comment_author"),
                "email": _wp(c, "comment_author_email"),
                "body": _wp(c, "comment_content"),
                "date": _gmt(_wp(c, "comment_date_gmt")),
            }
            for c in _wp_children(item, "comment")
            if _wp(c, "comment_approved") == "1"
        ]
        excerpt = ""
        for child in item:
            namespace, local = _local(child.tag)
            if local == "encoded" and "excerpt" in namespace:
                excerpt = (child.text or "").strip()
        items.append(
            _Item(
                title=(item.findtext("title") or "").strip(),
                html=item.findtext(CONTENT) or "",
                excerpt=excerpt,
                slug=_wp(item, "post_name"),
                status=status,
                date=date,
                categories=[c for c in categories if c[0]],
                tags=[t for t in tags if t],
                comments=comments,
            )
        )
    return items


def _atom_items(data: bytes) -> list[_Item]:
    parsed = feedparser.parse(data)
    if parsed.get("version") not in ("atom10", "atom03") and not parsed.entries:
        raise KnowledgeError(_("El archivo no es un feed Atom."), code="format")
    items = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        html = content[0].get("value", "") if content else entry.get("summary", "")
        moment = entry.get("published_parsed") or entry.get("updated_parsed")
        link = entry.get("link", "")
        items.append(
            _Item(
                title=entry.get("title", "").strip(),
                html=html,
                excerpt="",
                slug=link.rstrip("/").rsplit("/", 1)[-1] if link else "",
                status=PostStatus.PUBLISHED,
                date=dt.datetime.fromtimestamp(calendar.timegm(moment), tz=dt.UTC)
                if moment
                else None,
                categories=[],
                tags=[t.get("term", "") for t in entry.get("tags", []) if t.get("term")],
                comments=[],
            )
        )
    return items


def read(data: bytes) -> list[_Item]:
    """The posts of a WXR or Atom file (refused when too big, malformed or of another kind)."""
    if len(data) > IMPORT_MAX_BYTES:
        raise KnowledgeError(
            _("El archivo pasa de %(mb)d MB.") % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise KnowledgeError(_("El archivo no es XML válido."), code="format") from exc
    if root.tag == "rss":
        items = _wxr_items(root)
    elif root.tag == f"{ATOM}feed":
        items = _atom_items(data)
    else:
        raise KnowledgeError(
            _("Suba una exportación de WordPress (WXR) o un feed Atom."), code="format"
        )
    if len(items) > IMPORT_MAX_POSTS:
        raise KnowledgeError(
            _("El archivo tiene más de %(n)d entradas.") % {"n": IMPORT_MAX_POSTS}, code="too_many"
        )
    return items


def _markdown(html: str) -> str:
    text = markdownify(html, heading_style="ATX", bullets="-", strip=["script", "style"])
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _category(name: str, nicename: str) -> Category:
    slug = (slugify(nicename or name) or "general")[:80]
    category, _created = Category.objects.get_or_create(slug=slug, defaults={"name": name[:80]})
    return category


@transaction.atomic
def import_posts(*, actor: User, data: bytes, now: dt.datetime) -> Imported:
    require_staff(actor)
    result = Imported()
    for item in read(data):
        title = " ".join(item.title.split())[:TITLE_MAX] or _("Sin título")
        slug = slugify(item.slug or title)[:200]
        if slug and Post.objects.filter(slug=slug).exists():
            result.skipped.append(title)
            continue
        body = _markdown(item.html)[:BODY_MAX] or title
        status = item.status
        if status == PostStatus.SCHEDULED and (item.date is None or item.date <= now):
            status = PostStatus.DRAFT
        post = blog.save_post(
            actor=actor,
            title=title,
            body=body,
            excerpt=_markdown(item.excerpt)[: blog.EXCERPT_MAX].replace("\n", " "),
            category=_category(*item.categories[0]) if item.categories else None,
            tags=[t[:40] for t in dict.fromkeys(item.tags)][:10],
            status=status,
            publish_at=item.date if status == PostStatus.SCHEDULED else None,
            published_at=item.date if status == PostStatus.PUBLISHED else None,
            slug=slug or None,
            log=False,
            now=now,
        )
        result.created.append(post.title)
        for comment in item.comments:
            if not comment["body"].strip():
                continue
            Comment.objects.create(
                post=post,
                author_name=(comment["author"] or _("Anónimo"))[:80],
                author_email=comment["email"][:200],
                body=comment["body"][:COMMENT_MAX],
                status=CommentStatus.APPROVED,
                created_at=comment["date"] or post.published_at or now,
                confirmed_at=comment["date"] or now,
            )
            result.comments += 1
    if result.created:
        local = timezone.localtime(now)
        logbook_services.append_entry(
            logbook=logbook_services.desk_logbook(now=now),
            kind=EntryKind.MANUAL,
            author=actor,
            summary=_("Blog: %(n)d entradas importadas") % {"n": len(result.created)},
            fields={
                "date": local.date().isoformat(),
                "time": local.strftime("%H:%M"),
                "process": _("Bitácora del blog"),
                "observations": "\n".join(result.created)[:4000],
            },
            now=now,
        )
    return result
