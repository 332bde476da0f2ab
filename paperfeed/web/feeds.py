"""RSS 2.0 and Atom 1.0 documents for a list of papers.

Built with ElementTree, which escapes every text and attribute, so hostile titles and
abstracts stay text. Each item's GUID is the paper's arXiv abstract URL: stable across
feeds, servers and re-imports, so a reader never shows a paper twice.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime

from paperfeed.papers.clean import MAX_ABSTRACT_CHARS, cut_text
from paperfeed.store.base import StoredPaper
from paperfeed.summaries.shown import shown_summary

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("atom", ATOM_NS)
ET.register_namespace("dc", DC_NS)


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed is about, and where it and its papers live."""

    title: str
    description: str
    page_url: str  # the HTML page showing the same list
    feed_url: str  # this feed's own URL
    site_url: str  # base URL for paper pages, without trailing slash


def _when(stored: StoredPaper) -> datetime:
    """An item's date: the day it was listed, else when paperfeed first saw it."""
    day: date | None = stored.paper.announced or stored.paper.published
    if day is not None:
        return datetime.combine(day, time(0, 0), tzinfo=UTC)
    seen = stored.first_seen_at
    return seen if seen.tzinfo else seen.replace(tzinfo=UTC)


def _updated(papers: Sequence[StoredPaper]) -> datetime:
    return max((_when(p) for p in papers), default=datetime(1970, 1, 1, tzinfo=UTC))


# What XML 1.0 cannot carry at all (escaping is not enough), and DEL and the C1 controls
# it allows but no reader should show.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters a feed must not carry (escaping is not enough)."""
    return _NOT_XML.sub("", text)


def _abstract(stored: StoredPaper) -> str:
    """Capped like ingest caps it, for papers stored before the cap."""
    return cut_text(stored.abstract_text, MAX_ABSTRACT_CHARS)


def _description(stored: StoredPaper) -> str:
    """The TL;DR (labelled: Hugging Face's or paperfeed's) and keywords, then the abstract."""
    summary = shown_summary(stored)
    lines = []
    if summary.tldr:
        lines.append(f"{summary.tldr_label}: {summary.tldr}")
    if summary.keywords:
        lines.append("Keywords: " + ", ".join(summary.keywords))
    return "\n".join(lines) + ("\n\n" if lines else "") + _abstract(stored)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _xml(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body.encode("utf-8")


def rss(info: FeedInfo, papers: Sequence[StoredPaper]) -> bytes:
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", info.title)
    _sub(channel, "link", info.page_url)
    _sub(channel, "description", info.description)
    _sub(channel, "language", "en")
    _sub(channel, f"{{{ATOM_NS}}}link", href=info.feed_url, rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", format_datetime(_updated(papers)))
    _sub(channel, "generator", "paperfeed")
    for stored in papers:
        paper = stored.paper
        item = _sub(channel, "item")
        _sub(item, "title", stored.title_text)
        _sub(item, "link", f"{info.site_url}/papers/{paper.id}")
        _sub(item, "guid", paper.abs_url, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(_when(stored)))
        _sub(item, "description", _description(stored))
        if stored.authors_text:
            _sub(item, f"{{{DC_NS}}}creator", stored.authors_text)
        for category in paper.categories:
            _sub(item, "category", category)
    return _xml(root)


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom(info: FeedInfo, papers: Sequence[StoredPaper]) -> bytes:
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "title", info.title)
    _sub(root, "subtitle", info.description)
    _sub(root, "id", info.feed_url)
    _sub(root, "link", href=info.feed_url, rel="self", type="application/atom+xml")
    _sub(root, "link", href=info.page_url, rel="alternate", type="text/html")
    _sub(root, "updated", _rfc3339(_updated(papers)))
    author = _sub(root, "author")
    _sub(author, "name", "paperfeed")
    _sub(root, "generator", "paperfeed")
    for stored in papers:
        paper = stored.paper
        entry = _sub(root, "entry")
        _sub(entry, "title", stored.title_text, type="text")
        _sub(entry, "id", paper.abs_url)
        _sub(entry, "link", href=f"{info.site_url}/papers/{paper.id}", rel="alternate")
        _sub(entry, "link", href=paper.pdf_url, rel="related", type="application/pdf")
        _sub(entry, "updated", _rfc3339(_when(stored)))
        _sub(entry, "published", _rfc3339(_when(stored)))
        for name in [n for n in stored.authors_text.split(", ") if n] or ["Unknown"]:
            _sub(_sub(entry, "author"), "name", name)
        for category in paper.categories:
            _sub(entry, "category", term=category)
        _sub(entry, "summary", _description(stored), type="text")
    return _xml(root)
