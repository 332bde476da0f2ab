"""The arXiv API source: Atom feeds from ``export.arxiv.org/api/query``.

It reads a search (``search_query``) or a list of ids (``id_list``) page by page with
``start``/``max_results`` and accepts both Atom dialects arXiv has served: the 2026 one
(namespaces at the root, unwrapped text, ``arxiv:primary_category`` without a scheme)
and the older one (namespaces declared inline, hard-wrapped text: whitespace collapsed).

Checkpoint design (the caller commits it together with each page's papers)::

    {"start": int | None,       # next offset of the run in progress; None: no run open
     "run_mark": str | None,    # newest <updated> seen so far in the open run (ISO time)
     "mark": str | None}        # newest <updated> of the last completed run

- A run killed mid-way left ``start`` set: the next run resumes at that offset, and
  keeps the ``mark`` of the last completed run as its stop line.
- When a run completes, ``mark`` becomes the newest ``updated`` it saw and ``start``
  is cleared, so the next run starts again at offset 0.
- With the default order (``lastUpdatedDate`` descending) every entry after the first
  one that is not newer than ``mark`` is old too, so a run stops there: an incremental
  re-run fetches only what changed, and a re-run with nothing new yields no page at all.
  Entries updated while a run is open sort above it and are newer than the mark it
  ends with, so the next run picks them up. Other orders cannot stop early; they read
  the whole result (bounded by ``max_results``).

arXiv sometimes answers a page with no entries although ``totalResults`` says more
exist; that page is asked again a few times (paced by the client) before it counts
as the end. 429/5xx and dropped connections are retried by ``PoliteClient``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

from paperfeed.papers.codelinks import find_code_links
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.papers.model import Author, Paper
from paperfeed.sources.base import Checkpoint, Page, Source, SourceError
from paperfeed.sources.http import HTTPFetchError, PoliteClient
from paperfeed.sources.xml import XMLProblem, parse_xml, text_of

SOURCE_NAME = "arxiv-api"
DEFAULT_BASE_URL = "https://export.arxiv.org/api/query"
EMPTY_PAGE_RETRIES = 3

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@dataclass(frozen=True, slots=True)
class ApiEntry:
    """One parsed entry: the paper and its exact ``updated`` time (the incremental mark)."""

    paper: Paper
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ApiFeed:
    """One parsed page of results."""

    total_results: int
    entries: tuple[ApiEntry, ...]


def parse_api_feed(data: bytes, where: str) -> ApiFeed:
    """Parse one API response; raise ``SourceError`` for anything that is not a clean feed.

    An arXiv error feed (one entry titled "Error") raises with arXiv's explanation.
    """
    root = _parse_root(data, where)
    explanation = _error_explanation(root)
    if explanation is not None:
        raise SourceError(SOURCE_NAME, where, f"arXiv API error: {explanation}")
    entries = tuple(
        _parse_entry(entry, where, number)
        for number, entry in enumerate(root.findall(f"{_ATOM}entry"), start=1)
    )
    return ApiFeed(_total_results(root, where), entries)


def _parse_root(data: bytes, where: str) -> Element:
    try:
        root = parse_xml(data)
    except XMLProblem as exc:
        raise SourceError(SOURCE_NAME, where, str(exc)) from exc
    except (LookupError, ValueError) as exc:  # expat: a bad encoding in the declaration
        raise SourceError(SOURCE_NAME, where, f"unreadable XML: {exc}") from exc
    if root.tag != f"{_ATOM}feed":
        raise SourceError(SOURCE_NAME, where, f"not an Atom feed (root element {root.tag!r})")
    return root


def _error_explanation(root: Element) -> str | None:
    """arXiv reports bad queries as a feed whose single entry is titled "Error"."""
    for entry in root.findall(f"{_ATOM}entry"):
        entry_id = text_of(entry.find(f"{_ATOM}id")) or ""
        title = text_of(entry.find(f"{_ATOM}title"))
        if "/api/errors" in entry_id or (title == "Error" and "/abs/" not in entry_id):
            return text_of(entry.find(f"{_ATOM}summary")) or entry_id or "unexplained error"
    return None


def _total_results(root: Element, where: str) -> int:
    text = text_of(root.find(f"{_OPENSEARCH}totalResults"))
    if text is None or not text.isdigit():
        raise SourceError(SOURCE_NAME, where, f"missing or bad opensearch:totalResults {text!r}")
    return int(text)


def _parse_entry(entry: Element, where: str, number: int) -> ApiEntry:
    """Build one ``Paper``; a missing id or title fails the page, never half a paper."""

    def fail(problem: str) -> SourceError:
        return SourceError(SOURCE_NAME, where, f"entry {number}: {problem}")

    raw_id = text_of(entry.find(f"{_ATOM}id"))
    if raw_id is None:
        raise fail("no <id>")
    try:
        arxiv_id = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise fail(f"<id> is not an arXiv abs URL: {raw_id[:80]!r}") from exc
    title = text_of(entry.find(f"{_ATOM}title"))
    if title is None:
        raise fail(f"{arxiv_id}: no <title>")
    published = _timestamp(entry, "published", fail)
    updated = _timestamp(entry, "updated", fail) or published
    if updated is None:
        raise fail(f"{arxiv_id}: neither <updated> nor <published>")
    abstract = text_of(entry.find(f"{_ATOM}summary")) or ""
    comments = text_of(entry.find(f"{_ARXIV}comment"))
    primary, categories = _categories(entry)
    paper = Paper(
        id=arxiv_id.id,
        version=arxiv_id.version,
        title=title,
        abstract=abstract,
        authors=_authors(entry),
        primary_category=primary,
        categories=categories,
        published=published.date() if published else None,
        updated=updated.date(),
        announced=published.date() if published else None,
        comments=comments,
        journal_ref=text_of(entry.find(f"{_ARXIV}journal_ref")),
        doi=_first_doi(text_of(entry.find(f"{_ARXIV}doi"))),
        code_links=find_code_links(abstract, comments),
    )
    return ApiEntry(paper, updated)


def _timestamp(entry: Element, tag: str, fail: Callable[[str], SourceError]) -> datetime | None:
    text = text_of(entry.find(f"{_ATOM}{tag}"))
    if text is None:
        return None
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError as exc:
        raise fail(f"bad <{tag}> {text[:40]!r}") from exc


def _aware(moment: datetime) -> datetime:
    """Timestamps without a zone are UTC (arXiv's zone), so all marks compare."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _authors(entry: Element) -> tuple[Author, ...]:
    authors = []
    for element in entry.findall(f"{_ATOM}author"):
        name = text_of(element.find(f"{_ATOM}name"))
        if name is None:
            continue
        affiliations = (text_of(a) for a in element.findall(f"{_ARXIV}affiliation"))
        authors.append(Author(name, tuple(a for a in affiliations if a)))
    return tuple(authors)


def _categories(entry: Element) -> tuple[str | None, tuple[str, ...]]:
    """The primary category and all categories, primary first, each once."""
    primary_element = entry.find(f"{_ARXIV}primary_category")
    primary = (primary_element.get("term") or "").strip() if primary_element is not None else ""
    terms = [(c.get("term") or "").strip() for c in entry.findall(f"{_ATOM}category")]
    ordered = dict.fromkeys(t for t in [primary, *terms] if t)
    return (primary or None), tuple(ordered)


def _first_doi(text: str | None) -> str | None:
    """arXiv lets authors list several DOIs in one field; the first is the paper's own."""
    if not text:
        return None
    first = text.replace(",", " ").replace(";", " ").split()
    return first[0] if first else None


@dataclass(frozen=True, slots=True)
class _RunState:
    """The checkpoint as values; see the module docstring for its meaning."""

    start: int | None = None
    run_mark: datetime | None = None
    mark: datetime | None = None

    @classmethod
    def load(cls, checkpoint: Checkpoint | None, where: str) -> _RunState:
        if not checkpoint:
            return cls()
        try:
            start = checkpoint.get("start")
            if start is not None and (not isinstance(start, int) or start < 0):
                raise ValueError(f"bad start {start!r}")
            run_mark = _load_time(checkpoint.get("run_mark"))
            return cls(start, run_mark, _load_time(checkpoint.get("mark")))
        except (TypeError, ValueError) as exc:
            raise SourceError(SOURCE_NAME, where, f"unreadable checkpoint: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "run_mark": _dump_time(self.run_mark),
            "mark": _dump_time(self.mark),
        }


def _load_time(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"bad timestamp {value!r}")
    return _aware(datetime.fromisoformat(value))


def _dump_time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _newest(mark: datetime | None, entries: Sequence[ApiEntry]) -> datetime | None:
    """The latest of ``mark`` and the entries' ``updated`` times (``None`` if none)."""
    stamps = [e.updated_at for e in entries] + ([mark] if mark else [])
    return max(stamps) if stamps else None


class ArxivAPISource(Source):
    """Papers matching an arXiv API query, newest updates first by default."""

    name: ClassVar[str] = SOURCE_NAME

    def __init__(
        self,
        search_query: str | None = None,
        id_list: Sequence[str] = (),
        *,
        base_url: str = DEFAULT_BASE_URL,
        page_size: int = 100,
        sort_by: str = "lastUpdatedDate",
        sort_order: str = "descending",
        max_results: int | None = None,
        client: PoliteClient | None = None,
    ) -> None:
        if not search_query and not id_list:
            raise ValueError("give a search_query, an id_list or both")
        if page_size < 1 or (max_results is not None and max_results < 0):
            raise ValueError("page_size must be positive and max_results not negative")
        self.search_query = search_query or ""
        self.id_list = tuple(id_list)
        self.base_url = base_url
        self.page_size = page_size
        self.sort_by = sort_by
        self.sort_order = sort_order
        self.max_results = max_results
        self._client = client

    @property
    def checkpoint_key(self) -> str:
        query = {
            "search_query": self.search_query,
            "id_list": ",".join(self.id_list),
            "sortBy": self.sort_by,
            "sortOrder": self.sort_order,
        }
        return f"{self.name}?{urlencode(query)}"

    @property
    def client(self) -> PoliteClient:
        """The shared arXiv pacing group: one request every 3 s across arXiv's services."""
        if self._client is None:
            self._client = PoliteClient(pace_group="arxiv", min_interval=3.0)
        return self._client

    @property
    def _stops_at_mark(self) -> bool:
        return self.sort_by == "lastUpdatedDate" and self.sort_order == "descending"

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        """Yield pages from the saved offset; stop at the end, the cap or the saved mark."""
        state = _RunState.load(checkpoint, self.checkpoint_key)
        start, run_mark = state.start or 0, state.run_mark
        while self._wants_more(start):
            url = self.page_url(start)
            feed, retries = self._fetch_feed(url, start)
            fresh = self._fresh(feed.entries, state.mark)
            run_mark = _newest(run_mark, feed.entries)
            start += len(feed.entries)
            done = (
                not feed.entries
                or start >= feed.total_results
                or len(fresh) < len(feed.entries)
                or not self._wants_more(start)
            )
            after = self._after_page(state, start, run_mark, done)
            info = {
                "total_results": feed.total_results,
                "entries": len(feed.entries),
                "not_newer": len(feed.entries) - len(fresh),
                "empty_page_retries": retries,
            }
            if fresh or after != dict(checkpoint or {}):
                yield Page([e.paper for e in fresh], after, url, info)
            if done:
                return

    @staticmethod
    def _after_page(
        state: _RunState, start: int, run_mark: datetime | None, done: bool
    ) -> dict[str, Any]:
        """The checkpoint once this page is stored: a finished run moves the mark up."""
        if not done:
            return _RunState(start, run_mark, state.mark).to_json()
        newest = max((m for m in (run_mark, state.mark) if m), default=None)
        return _RunState(None, None, newest).to_json()

    def page_url(self, start: int) -> str:
        """The request URL for the page at offset ``start`` (also the ``where`` of errors)."""
        count = self.page_size
        if self.max_results is not None:
            count = min(count, self.max_results - start)
        params = {
            "search_query": self.search_query,
            "id_list": ",".join(self.id_list),
            "start": start,
            "max_results": count,
            "sortBy": self.sort_by,
            "sortOrder": self.sort_order,
        }
        kept = {k: v for k, v in params.items() if v != ""}
        return f"{self.base_url}?{urlencode(kept)}"

    def _wants_more(self, start: int) -> bool:
        return self.max_results is None or start < self.max_results

    def _fresh(self, entries: Sequence[ApiEntry], mark: datetime | None) -> list[ApiEntry]:
        """Entries before the first one not newer than ``mark`` (all, if order forbids)."""
        if mark is None or not self._stops_at_mark:
            return list(entries)
        fresh = []
        for entry in entries:
            if entry.updated_at <= mark:
                break
            fresh.append(entry)
        return fresh

    def _fetch_feed(self, url: str, start: int) -> tuple[ApiFeed, int]:
        """Fetch a page, asking again when arXiv sends an empty page before the end."""
        feed = parse_api_feed(self._get(url), url)
        retries = 0
        while not feed.entries and start < feed.total_results and retries < EMPTY_PAGE_RETRIES:
            retries += 1
            feed = parse_api_feed(self._get(url), url)
        return feed, retries

    def _get(self, url: str) -> bytes:
        """The response body; HTTP failures become ``SourceError`` with arXiv's reason."""
        try:
            return self.client.get(url).body
        except HTTPFetchError as exc:
            raise SourceError(self.name, exc.url, _http_problem(exc)) from exc


def _http_problem(exc: HTTPFetchError) -> str:
    """Prefer the explanation inside an arXiv error feed (HTTP 400) to the bare status."""
    try:
        explanation = _error_explanation(parse_xml(exc.body)) if exc.body else None
    except XMLProblem:
        explanation = None
    return f"{exc.problem}: arXiv API error: {explanation}" if explanation else exc.problem
