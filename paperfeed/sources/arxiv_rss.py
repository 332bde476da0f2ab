"""arXiv's daily RSS listings (``https://rss.arxiv.org/rss/cs.AI+cs.LG``).

The feed is the cheapest way to learn what arXiv announced today: one request per run
returns every new, cross-listed and replaced paper of the listed categories. Feeds are
empty on weekends and holidays; that is normal, not an error.

Dates: arXiv announces by its own (US Eastern) day, so ``pubDate`` is read in the
timezone it is written in. For a new paper (``new``, or ``cross`` at version 1) the
announcement day is also used as ``published``: the feed gives no submission date, and
v1 is announced within a day or two of it. A replacement (``replace``,
``replace-cross``) sets ``updated`` instead and leaves ``announced`` unknown, because
``announced`` is the day a paper was *first* listed, which the feed does not say.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from xml.etree.ElementTree import Element

from paperfeed.papers.codelinks import find_code_links
from paperfeed.papers.ids import ArxivId, InvalidArxivId, parse_arxiv_id
from paperfeed.papers.model import Author, Paper
from paperfeed.sources.base import Checkpoint, Page, Source, SourceError
from paperfeed.sources.http import HTTPFetchError, PoliteClient
from paperfeed.sources.xml import XMLProblem, parse_xml, text_of

_DC = "{http://purl.org/dc/elements/1.1/}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_NEW_TYPES = frozenset({"new", "cross"})
_REPLACE_TYPES = frozenset({"replace", "replace-cross"})
# "arXiv:2604.21935v1 Announce Type: new Abstract: ..." (whitespace already collapsed).
_DESCRIPTION = re.compile(
    r"^arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>\S+)\s+Abstract:\s?", re.IGNORECASE
)
# A comma outside parentheses: affiliations like "(MIT, CSAIL)" stay with their author.
_AUTHOR_SEPARATOR = re.compile(r",(?![^()]*\))|\s+and\s+(?![^()]*\))")


@dataclass(frozen=True, slots=True)
class RSSItem:
    """One parsed feed item: the paper, how and on which day arXiv announced it."""

    paper: Paper
    announce_type: str | None
    day: date | None


@dataclass(frozen=True, slots=True)
class RSSFeed:
    """A parsed feed: its announcement day (``None`` if it names none) and items."""

    announced: date | None
    items: tuple[RSSItem, ...]


class ArxivRSSSource(Source):
    """One page per run: the current listing of ``categories``, unless already seen.

    Checkpoint: ``{"last_announced": "YYYY-MM-DD"}``; a feed whose day is not newer
    yields an empty page, so running twice a day stores nothing twice.
    """

    name: ClassVar[str] = "arxiv-rss"

    def __init__(
        self,
        categories: Sequence[str],
        *,
        base_url: str = "https://rss.arxiv.org",
        client: PoliteClient | None = None,
    ) -> None:
        if not categories:
            raise ValueError("at least one category is needed")
        self.categories = tuple(categories)
        self.base_url = base_url.rstrip("/")
        self._client = client

    @property
    def checkpoint_key(self) -> str:
        return f"{self.name}:{'+'.join(self.categories)}"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/rss/{'+'.join(self.categories)}"

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        url = self.feed_url
        feed = parse_feed(self._fetch(url), url)
        last = _checkpoint_day(checkpoint, url)
        if feed.announced is not None and last is not None and feed.announced <= last:
            yield Page([], {"last_announced": last.isoformat()}, url, {"announce_type": {}})
            return
        newest = max(filter(None, (feed.announced, last)), default=None)
        yield Page(
            papers=[item.paper for item in feed.items],
            checkpoint={"last_announced": newest.isoformat()} if newest else {},
            where=url,
            info={"announce_type": {i.paper.id: i.announce_type for i in feed.items}},
        )

    def _fetch(self, url: str) -> bytes:
        client = self._client or PoliteClient(pace_group="arxiv")
        try:
            return client.get(url).body
        except HTTPFetchError as exc:
            raise SourceError(self.name, url, exc.problem) from exc
        finally:
            if self._client is None:
                client.close()


def _checkpoint_day(checkpoint: Checkpoint | None, url: str) -> date | None:
    value = (checkpoint or {}).get("last_announced")
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise SourceError(ArxivRSSSource.name, url, f"bad checkpoint {value!r}") from None


def parse_feed(body: bytes, url: str) -> RSSFeed:
    """Parse an RSS 2.0 listing; ``SourceError`` names ``url`` and the bad item."""
    try:
        root = parse_xml(body)
    except XMLProblem as exc:
        raise SourceError(ArxivRSSSource.name, url, str(exc)) from exc
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise SourceError(ArxivRSSSource.name, url, f"not an RSS feed (root <{root.tag}>)")
    announced = _rss_date(channel.find("pubDate"), f"{url}: channel")
    items: dict[str, RSSItem] = {}
    for index, element in enumerate(channel.findall("item")):
        item = _parse_item(element, announced, f"{url}: item {index}")
        items.setdefault(item.paper.id, item)  # a combined feed lists each paper once
    if announced is None:
        announced = max((item.day for item in items.values() if item.day), default=None)
    return RSSFeed(announced, tuple(items.values()))


def _parse_item(item: Element, channel_day: date | None, where: str) -> RSSItem:
    description = text_of(item.find("description")) or ""
    prefix = _DESCRIPTION.match(description)
    announce_type = text_of(item.find(f"{_ARXIV}announce_type"))
    if announce_type is None and prefix:
        announce_type = prefix["type"]
    ident = _item_id(item, prefix, where)
    day = _rss_date(item.find("pubDate"), where) or channel_day
    title = text_of(item.find("title"))
    if title is None:
        raise SourceError(ArxivRSSSource.name, where, "item has no title")
    abstract = description[prefix.end() :] if prefix else description
    categories = tuple(c for c in (text_of(e) for e in item.findall("category")) if c)
    is_new = announce_type in _NEW_TYPES and ident.version in (None, 1)
    paper = Paper(
        id=ident.id,
        version=ident.version,
        title=title,
        abstract=abstract,
        authors=tuple(Author(name) for name in split_authors(text_of(item.find(f"{_DC}creator")))),
        primary_category=categories[0] if categories else None,
        categories=categories,
        published=day if is_new else None,
        updated=day if announce_type in _REPLACE_TYPES else None,
        announced=day if is_new else None,
        license=text_of(item.find(f"{_DC}rights")),
        code_links=find_code_links(abstract),
    )
    return RSSItem(paper, announce_type, day)


def _item_id(item: Element, prefix: re.Match[str] | None, where: str) -> ArxivId:
    """The id from ``<guid>``, else the abstract's prefix, else ``<link>``; with a version."""
    candidates = [
        text_of(item.find("guid")),
        prefix["id"] if prefix else None,
        text_of(item.find("link")),
    ]
    parsed: list[ArxivId] = []
    for text in filter(None, candidates):
        try:
            parsed.append(parse_arxiv_id(text))
        except InvalidArxivId:
            continue
    if not parsed:
        raise SourceError(ArxivRSSSource.name, where, "item has no arXiv id")
    version = next((p.version for p in parsed if p.version is not None), None)
    return ArxivId(parsed[0].id, version)


def _rss_date(element: Element | None, where: str) -> date | None:
    """An RFC 822 date as the calendar day where it was written (arXiv's Eastern day)."""
    text = text_of(element)
    if text is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        raise SourceError(ArxivRSSSource.name, where, f"bad date {text[:40]!r}") from None


def split_authors(creators: str | None) -> list[str]:
    """``"A, B, and C"`` or ``"A and B"`` → names in order; parentheses kept whole."""
    if not creators:
        return []
    names = (part.strip() for part in _AUTHOR_SEPARATOR.split(creators))
    return [_drop_leading_and(name) for name in names if name and name != "and"]


def _drop_leading_and(name: str) -> str:
    return name[4:].strip() if name.startswith("and ") else name
