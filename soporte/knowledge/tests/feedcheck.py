"""Offline schema-level checks of the blog's feeds, from the specifications themselves.

No maintained validator installs from PyPI and runs offline (the W3C Feed Validation
Service's code is not packaged), so these are the rules of RFC 4287 (Atom 1.0, sections 3
and 4) and of the RSS 2.0 specification (RSS Advisory Board, 2.0.11) that a feed reader
relies on, written as checks: required elements and their cardinality, RFC 3339 and RFC 822
dates, unique entry ids, absolute links, known text types. Each function returns the
problems found (empty: valid); `test_feeds` also shows each rule catching a broken feed.
"""

from __future__ import annotations

import email.utils
import re
from collections import Counter
from urllib.parse import urlsplit

from defusedxml import ElementTree

ATOM = "{http://www.w3.org/2005/Atom}"

# RFC 3339, section 5.6 (date-time), as RFC 4287 section 3.3 requires: an uppercase "T" and
# "Z", seconds always, a time zone always.
RFC3339 = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
# RFC 822, section 5 (with the four-digit year RSS 2.0 recommends): "Tue, 08 Dec 2026
# 00:30:11 +0000".
RFC822 = re.compile(
    r"^((Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" \d{4} \d{2}:\d{2}(:\d{2})? ([+-]\d{4}|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])$"
)
TEXT_TYPES = {"text", "html", "xhtml"}


def _absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _iri(value: str | None) -> bool:
    """An absolute IRI (RFC 3987): a scheme and something after it."""
    return bool(value) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value or "") is not None


def _count(parent, name: str) -> int:
    return len(parent.findall(f"{ATOM}{name}"))


def _cardinality(where: str, parent, *, one: tuple[str, ...], at_most_one: tuple[str, ...]):
    for name in one:
        if _count(parent, name) != 1:
            yield f"{where}: atom:{name} must appear exactly once ({_count(parent, name)})"
    for name in at_most_one:
        if _count(parent, name) > 1:
            yield f"{where}: atom:{name} may appear at most once"


def _text_constructs(where: str, parent, names: tuple[str, ...]):
    for name in names:
        for element in parent.findall(f"{ATOM}{name}"):
            kind = element.get("type", "text")
            if kind not in TEXT_TYPES:
                yield f"{where}: atom:{name} has an unknown type {kind!r}"


def _links(where: str, parent):
    alternates: Counter[tuple[str, str]] = Counter()
    for link in parent.findall(f"{ATOM}link"):
        if not _absolute(link.get("href")):
            yield f"{where}: a link is not absolute ({link.get('href')!r})"
        if link.get("rel", "alternate") == "alternate":
            alternates[(link.get("type", ""), link.get("hreflang", ""))] += 1
    if any(n > 1 for n in alternates.values()):
        yield f"{where}: two alternate links with the same type and hreflang"


def _dates(where: str, parent, names: tuple[str, ...]):
    for name in names:
        for element in parent.findall(f"{ATOM}{name}"):
            if not RFC3339.match((element.text or "").strip()):
                yield f"{where}: atom:{name} is not an RFC 3339 date-time ({element.text!r})"


def atom_problems(document: bytes) -> list[str]:
    """What RFC 4287 says a feed document must have and does not (section 4.1)."""
    root = ElementTree.fromstring(document)
    if root.tag != f"{ATOM}feed":
        return [f"the root element is {root.tag}, not atom:feed"]
    problems = list(
        _cardinality(
            "feed",
            root,
            one=("id", "title", "updated"),
            at_most_one=("subtitle", "rights", "icon", "logo", "generator"),
        )
    )
    problems += _text_constructs("feed", root, ("title", "subtitle", "rights"))
    problems += _links("feed", root)
    problems += _dates("feed", root, ("updated",))
    if not any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link")):
        problems.append("feed: no link rel='self' (RFC 4287 4.2.7.2: SHOULD)")
    if not _iri(root.findtext(f"{ATOM}id")):
        problems.append("feed: atom:id is not an absolute IRI")
    feed_has_author = _count(root, "author") > 0
    ids = []
    for n, entry in enumerate(root.findall(f"{ATOM}entry"), start=1):
        where = f"entry {n}"
        problems += _cardinality(
            where,
            entry,
            one=("id", "title", "updated"),
            at_most_one=("published", "summary", "content", "rights", "source"),
        )
        problems += _text_constructs(where, entry, ("title", "summary", "rights"))
        problems += _links(where, entry)
        problems += _dates(where, entry, ("updated", "published"))
        if not feed_has_author and not entry.findall(f"{ATOM}author"):
            problems.append(f"{where}: no atom:author and the feed has none (4.1.2)")
        for author in entry.findall(f"{ATOM}author"):
            if _count(author, "name") != 1:
                problems.append(f"{where}: an atom:author without exactly one atom:name")
        alternate = [
            link
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if entry.find(f"{ATOM}content") is None and not alternate:
            problems.append(f"{where}: neither atom:content nor an alternate link (4.1.2)")
        entry_id = entry.findtext(f"{ATOM}id")
        if not _iri(entry_id):
            problems.append(f"{where}: atom:id is not an absolute IRI ({entry_id!r})")
        ids.append(entry_id)
    problems += [f"entry id {i!r} repeated" for i, n in Counter(ids).items() if n > 1]
    return problems


def _rfc822(where: str, value: str | None) -> list[str]:
    value = (value or "").strip()
    if not RFC822.match(value):
        return [f"{where} is not an RFC 822 date ({value!r})"]
    try:
        email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return [f"{where} is not a real date ({value!r})"]
    return []


def rss_problems(document: bytes) -> list[str]:
    """What the RSS 2.0 specification requires of a channel and its items."""
    root = ElementTree.fromstring(document)
    if root.tag != "rss" or root.get("version") != "2.0":
        return [f"the root element is {root.tag} version {root.get('version')}, not rss 2.0"]
    channels = root.findall("channel")
    if len(channels) != 1:
        return [f"{len(channels)} channel elements, not one"]
    channel = channels[0]
    problems = []
    for name in ("title", "link", "description"):
        if len(channel.findall(name)) != 1 or not (channel.findtext(name) or "").strip():
            problems.append(f"channel: <{name}> is required, once, not empty")
    if not _absolute(channel.findtext("link")):
        problems.append("channel: <link> is not an absolute URL")
    for name in ("pubDate", "lastBuildDate"):
        for element in channel.findall(name):
            problems += _rfc822(f"channel <{name}>", element.text)
    self_links = [link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
    if len(self_links) != 1 or not _absolute(self_links[0].get("href")):
        problems.append("channel: no absolute atom:link rel='self' (RSS Best Practices)")
    guids = []
    for n, item in enumerate(channel.findall("item"), start=1):
        where = f"item {n}"
        if not (item.findtext("title") or item.findtext("description") or "").strip():
            problems.append(f"{where}: needs a <title> or a <description>")
        for name in ("title", "link", "description", "author", "comments", "guid", "pubDate"):
            if len(item.findall(name)) > 1:
                problems.append(f"{where}: <{name}> at most once")
        if item.find("link") is not None and not _absolute(item.findtext("link")):
            problems.append(f"{where}: <link> is not an absolute URL")
        for element in item.findall("pubDate"):
            problems += _rfc822(f"{where} <pubDate>", element.text)
        author = item.findtext("author")
        if author is not None and "@" not in author:
            problems.append(f"{where}: <author> must be an e-mail address ({author!r})")
        guid = item.find("guid")
        if guid is None:
            problems.append(f"{where}: no <guid> (readers tell items apart by it)")
            continue
        if guid.get("isPermaLink", "true") == "true" and not _absolute(guid.text):
            problems.append(f"{where}: a permalink <guid> is not an absolute URL")
        guids.append(guid.text)
    problems += [f"guid {g!r} repeated" for g, n in Counter(guids).items() if n > 1]
    return problems
