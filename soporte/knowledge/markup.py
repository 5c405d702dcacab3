"""Markdown to safe HTML: markdown-it-py renders CommonMark (raw HTML in the source is shown
as text, never passed through), and nh3 (Ammonia) keeps only the tags and attributes below,
so a pasted `<script>` or a `javascript:` link never reaches a reader."""

from __future__ import annotations

import functools
import math

import nh3
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "del", "s",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
WORDS_PER_MINUTE = 200  # an easy-reading pace for Spanish prose


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable("table")
        .enable("strikethrough")
    )


def render(source: str) -> str:
    """Sanitised HTML of a Markdown text."""
    html = _parser().render(source)
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(source: str) -> str:
    """The text a reader reads (for excerpts and search), without markup."""
    return nh3.clean(render(source), tags=set()).strip()


def reading_minutes(source: str) -> int:
    return max(1, math.ceil(len(plain_text(source).split()) / WORDS_PER_MINUTE))
