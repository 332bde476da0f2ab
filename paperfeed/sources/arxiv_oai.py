"""The arXiv OAI-PMH source: bulk, incremental harvesting from ``oaipmh.arxiv.org/oai``.

``verb=ListRecords`` with ``metadataPrefix`` (``arXiv`` or ``arXivRaw``), ``set``,
``from`` and ``until``; then ``resumptionToken`` is followed until it comes back empty.
A resumed request carries only ``verb`` and ``resumptionToken``, as OAI-PMH requires.

Checkpoint design (the caller commits it together with each page's papers)::

    {"from": "YYYY-MM-DD" | None,         # the day the current harvest started from
     "resumption_token": str | None,      # where the open harvest continues; None: closed
     "last_datestamp": "YYYY-MM-DD" | None}  # newest record datestamp seen so far

- With a token, the next run continues the open harvest with that token.
- When a harvest completes, ``from`` moves to ``last_datestamp`` and the token is
  cleared: the next run starts a new harvest there. OAI granularity is a day, so that
  day is read again; the store's upserts are idempotent, so that costs nothing.
- An expired token (``badResumptionToken``) restarts the harvest from the saved
  ``from``: some records are read twice, none is missed.
- ``noRecordsMatch`` means nothing changed since ``from``: no papers, a clean finish.

Deleted records (``<header status="deleted">``) are skipped and counted in
``Page.info``. HTTP 503 with ``Retry-After`` (OAI flow control) is ``PoliteClient``'s job.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

from paperfeed.papers.codelinks import find_code_links
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.papers.model import Author, Paper
from paperfeed.sources.base import Checkpoint, Page, Source, SourceError
from paperfeed.sources.http import HTTPFetchError, PoliteClient
from paperfeed.sources.xml import XMLProblem, parse_xml, text_of

SOURCE_NAME = "arxiv-oai"
DEFAULT_BASE_URL = "https://oaipmh.arxiv.org/oai"
MAX_TOKEN_RESTARTS = 2

MetadataPrefix = Literal["arXiv", "arXivRaw"]
_OAI = "{http://www.openarchives.org/OAI/2.0/}"
Fail = Callable[[str], SourceError]


@dataclass(frozen=True, slots=True)
class OAIRecord:
    """One live record: the paper, its OAI datestamp and (arXivRaw only) the submitter."""

    paper: Paper
    datestamp: date
    submitter: str | None = None


@dataclass(frozen=True, slots=True)
class OAIResponse:
    """One parsed ``ListRecords`` response, or the OAI error it reports."""

    records: tuple[OAIRecord, ...] = ()
    deleted: int = 0
    max_datestamp: date | None = None
    resumption_token: str | None = None
    complete_list_size: int | None = None
    error: tuple[str, str] | None = None


def parse_oai_response(data: bytes, where: str) -> OAIResponse:
    """Parse a ``ListRecords`` (or ``GetRecord``) response; ``SourceError`` if it is broken.

    OAI errors are returned, not raised: some of them are normal states of a harvest.
    """
    root = _parse_root(data, where)
    error = root.find(f"{_OAI}error")
    if error is not None:
        return OAIResponse(error=(error.get("code") or "unknown", text_of(error) or ""))
    container = root.find(f"{_OAI}ListRecords")
    if container is None:
        container = root.find(f"{_OAI}GetRecord")
    if container is None:
        raise SourceError(SOURCE_NAME, where, "neither <ListRecords> nor <error> in response")
    return _parse_records(container, where)


def _parse_root(data: bytes, where: str) -> Element:
    try:
        root = parse_xml(data)
    except XMLProblem as exc:
        raise SourceError(SOURCE_NAME, where, str(exc)) from exc
    except (LookupError, ValueError) as exc:  # expat: a bad encoding in the declaration
        raise SourceError(SOURCE_NAME, where, f"unreadable XML: {exc}") from exc
    if root.tag != f"{_OAI}OAI-PMH":
        raise SourceError(SOURCE_NAME, where, f"not an OAI-PMH response (root {root.tag!r})")
    return root


def _parse_records(container: Element, where: str) -> OAIResponse:
    records: list[OAIRecord] = []
    stamps: list[date] = []
    deleted = 0
    for number, record in enumerate(container.findall(f"{_OAI}record"), start=1):
        fail = _failer(where, number, record)
        header = record.find(f"{_OAI}header")
        if header is None:
            raise fail("no <header>")
        stamps.append(_datestamp(header, fail))
        if header.get("status") == "deleted":
            deleted += 1
            continue
        records.append(_parse_record(record, stamps[-1], fail))
    token_element = container.find(f"{_OAI}resumptionToken")
    return OAIResponse(
        records=tuple(records),
        deleted=deleted,
        max_datestamp=max(stamps, default=None),
        resumption_token=text_of(token_element),
        complete_list_size=_list_size(token_element),
    )


def _failer(where: str, number: int, record: Element) -> Fail:
    """Errors name the record by position and, when readable, by OAI identifier."""
    identifier = text_of(record.find(f"{_OAI}header/{_OAI}identifier"))
    label = f"record {number}" + (f" ({identifier[:80]})" if identifier else "")
    return lambda problem: SourceError(SOURCE_NAME, where, f"{label}: {problem}")


def _datestamp(header: Element, fail: Fail) -> date:
    text = text_of(header.find(f"{_OAI}datestamp"))
    if text is None:
        raise fail("no <datestamp>")
    return _iso_day(text, "datestamp", fail)


def _iso_day(text: str, what: str, fail: Fail) -> date:
    """A day from ``YYYY-MM-DD``, tolerating a time part (seconds granularity)."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise fail(f"bad {what} {text[:40]!r}") from exc


def _list_size(token: Element | None) -> int | None:
    size = token.get("completeListSize", "") if token is not None else ""
    return int(size) if size.isdigit() else None


def _parse_record(record: Element, datestamp: date, fail: Fail) -> OAIRecord:
    metadata = record.find(f"{_OAI}metadata")
    payload = next(iter(metadata), None) if metadata is not None else None
    if payload is None:
        raise fail("no <metadata>")
    kind = _local(payload.tag)
    if kind == "arXiv":
        return OAIRecord(_paper_from_arxiv(payload, fail), datestamp)
    if kind == "arXivRaw":
        return OAIRecord(_paper_from_raw(payload, fail), datestamp, _field(payload, "submitter"))
    raise fail(f"unsupported metadata format <{kind}>")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# Metadata fields are looked up by local name: some arXiv records put <arXiv> in the
# OAI namespace (no xmlns of its own), others in arXiv's; both are the same format.
def _children(parent: Element, name: str) -> list[Element]:
    return [child for child in parent if _local(child.tag) == name]


def _field(parent: Element, name: str) -> str | None:
    found = _children(parent, name)
    return text_of(found[0]) if found else None


def _common_fields(payload: Element, fail: Fail) -> dict[str, Any]:
    """The fields both formats share, checked: a record without id or title fails."""
    raw_id = _field(payload, "id")
    if raw_id is None:
        raise fail("no <id>")
    try:
        arxiv_id = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise fail(f"<id> is not an arXiv id: {raw_id[:80]!r}") from exc
    title = _field(payload, "title")
    if title is None:
        raise fail(f"{arxiv_id.id}: no <title>")
    abstract = _field(payload, "abstract") or ""
    comments = _field(payload, "comments")
    categories = tuple(dict.fromkeys((_field(payload, "categories") or "").split()))
    return {
        "id": arxiv_id.id,
        "title": title,
        "abstract": abstract,
        "primary_category": categories[0] if categories else None,
        "categories": categories,
        "comments": comments,
        "journal_ref": _field(payload, "journal-ref"),
        "doi": _first_doi(_field(payload, "doi")),
        "license": _field(payload, "license"),
        "code_links": find_code_links(abstract, comments),
    }


def _first_doi(text: str | None) -> str | None:
    """arXiv lets authors list several DOIs in one field; the first is the paper's own."""
    parts = re.split(r"[\s,;]+", text or "")
    return next((p for p in parts if p), None)


def _paper_from_arxiv(payload: Element, fail: Fail) -> Paper:
    """The ``arXiv`` format: structured authors, ``created``/``updated`` days, no versions."""
    created_text, updated_text = _field(payload, "created"), _field(payload, "updated")
    created = _iso_day(created_text, "created", fail) if created_text else None
    updated = _iso_day(updated_text, "updated", fail) if updated_text else created
    authors_element = _children(payload, "authors")
    authors = _structured_authors(authors_element[0]) if authors_element else ()
    return Paper(
        **_common_fields(payload, fail),
        authors=authors,
        published=created,
        updated=updated,
        announced=created,
    )


def _is_name(text: str) -> bool:
    """arXiv's author parsing leaves fragments such as ":" as authors; they are none."""
    return any(char.isalnum() for char in text)


def _structured_authors(authors: Element) -> tuple[Author, ...]:
    found = []
    for author in _children(authors, "author"):
        parts = (_field(author, part) for part in ("forenames", "keyname", "suffix"))
        name = " ".join(p for p in parts if p)
        if _is_name(name):
            affiliations = (text_of(a) for a in _children(author, "affiliation"))
            found.append(Author(name, tuple(a for a in affiliations if a)))
    return tuple(found)


def _paper_from_raw(payload: Element, fail: Fail) -> Paper:
    """The ``arXivRaw`` format: dated versions and the author list as one string."""
    versions = _versions(payload, fail)
    first = versions[0][1] if versions else None
    latest_number, latest_date = versions[-1] if versions else (None, None)
    return Paper(
        **_common_fields(payload, fail),
        authors=split_author_list(_field(payload, "authors") or ""),
        version=latest_number,
        published=first,
        updated=latest_date,
        announced=first,
    )


def _versions(payload: Element, fail: Fail) -> list[tuple[int, date]]:
    """``(number, day)`` of every version, oldest first."""
    versions = []
    for element in _children(payload, "version"):
        label = (element.get("version") or "").strip().lower()
        if not (label.startswith("v") and label[1:].isdigit()):
            raise fail(f"bad version label {label[:20]!r}")
        versions.append((int(label[1:]), _rfc2822_day(_field(element, "date"), fail)))
    return sorted(versions)


def _rfc2822_day(text: str | None, fail: Fail) -> date:
    if text is None:
        raise fail("version without <date>")
    try:
        moment: datetime = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise fail(f"bad version date {text[:40]!r}") from exc
    return moment.date()


_SEPARATOR = re.compile(r"\s*(?:[,;&]|\band\b)\s*")
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_ET_AL = re.compile(r"(?:^|\s+)et\.?\s+al\.?$", re.IGNORECASE)


def split_author_list(text: str) -> tuple[Author, ...]:
    """Split arXivRaw's "A, B (Inst) and C" into authors; parentheses hold affiliations.

    Separators (commas, semicolons, "and", "&") count only outside parentheses, so
    "(1) MIT, (2) Harvard" stays one affiliation. A lone "Jr." joins the name before it.
    """
    masked = _mask_parenthesized(text)
    pieces, start = [], 0
    for match in _SEPARATOR.finditer(masked):
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    authors: list[Author] = []
    for piece in pieces:
        author = _author_from_piece(piece)
        if author is None:
            continue
        if authors and author.name.lower() in _SUFFIXES:
            previous = authors.pop()
            author = Author(f"{previous.name} {author.name}", previous.affiliations)
        authors.append(author)
    return tuple(authors)


def _mask_parenthesized(text: str) -> str:
    """``text`` with everything inside parentheses blanked (same length)."""
    out, depth = [], 0
    for char in text:
        depth += char == "("
        out.append("_" if depth else char)
        depth = max(0, depth - (char == ")"))
    return "".join(out)


def _author_from_piece(piece: str) -> Author | None:
    masked = _mask_parenthesized(piece)
    outside = "".join(c for c, m in zip(piece, masked, strict=True) if m != "_")
    name = _ET_AL.sub("", " ".join(outside.split()))
    if not _is_name(name):
        return None
    groups = re.findall(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)", piece)
    return Author(name, tuple(" ".join(g.split()) for g in groups if g.strip()))


@dataclass(frozen=True, slots=True)
class _Harvest:
    """The checkpoint as values; see the module docstring for its meaning."""

    from_day: date | None = None
    token: str | None = None
    last_datestamp: date | None = None

    @classmethod
    def load(cls, checkpoint: Checkpoint, where: str) -> _Harvest:
        try:
            token = checkpoint.get("resumption_token")
            if token is not None and not isinstance(token, str):
                raise TypeError(f"bad resumption_token {token!r}")
            from_day = _load_day(checkpoint.get("from"))
            return cls(from_day, token or None, _load_day(checkpoint.get("last_datestamp")))
        except (TypeError, ValueError) as exc:
            raise SourceError(SOURCE_NAME, where, f"unreadable checkpoint: {exc}") from exc

    def after(self, response: OAIResponse) -> _Harvest:
        """The state once ``response``'s records are stored."""
        stamps = [d for d in (self.last_datestamp, response.max_datestamp) if d]
        last = max(stamps, default=None)
        if response.resumption_token:
            return replace(self, token=response.resumption_token, last_datestamp=last)
        return self.completed(last)

    def completed(self, last: date | None) -> _Harvest:
        """A closed harvest: the next one starts at the newest datestamp seen."""
        return _Harvest(last or self.from_day, None, last)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.from_day.isoformat() if self.from_day else None,
            "resumption_token": self.token,
            "last_datestamp": self.last_datestamp.isoformat() if self.last_datestamp else None,
        }


def _load_day(value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"bad day {value!r}")
    return date.fromisoformat(value)


class ArxivOAISource(Source):
    """Every arXiv record (of a set) changed since a day, harvested over OAI-PMH."""

    name: ClassVar[str] = SOURCE_NAME

    def __init__(
        self,
        *,
        metadata_prefix: MetadataPrefix = "arXiv",
        set_spec: str | None = None,
        from_date: date | None = None,
        until_date: date | None = None,
        base_url: str = DEFAULT_BASE_URL,
        client: PoliteClient | None = None,
    ) -> None:
        if metadata_prefix not in ("arXiv", "arXivRaw"):
            raise ValueError(f"metadata_prefix is 'arXiv' or 'arXivRaw', not {metadata_prefix!r}")
        self.metadata_prefix = metadata_prefix
        self.set_spec = set_spec
        self.from_date = from_date
        self.until_date = until_date
        self.base_url = base_url
        self._client = client

    @property
    def checkpoint_key(self) -> str:
        query = {"metadataPrefix": self.metadata_prefix, "set": self.set_spec or ""}
        return f"{self.name}?{urlencode(query)}"

    @property
    def client(self) -> PoliteClient:
        """The shared arXiv pacing group: one request every 3 s across arXiv's services."""
        if self._client is None:
            self._client = PoliteClient(pace_group="arxiv", min_interval=3.0)
        return self._client

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        """Yield one page per response until the resumption token runs out."""
        harvest = self._start_state(checkpoint)
        restarts = 0
        while True:
            url = self.request_url(harvest)
            response = self._fetch(url)
            if response.error is not None:
                code, message = response.error
                if code == "noRecordsMatch":
                    yield from self._nothing_matched(harvest, url, message)
                    return
                if code == "badResumptionToken" and harvest.token and restarts < MAX_TOKEN_RESTARTS:
                    restarts += 1
                    harvest = replace(harvest, token=None)
                    continue
                raise SourceError(self.name, url, f"OAI error {code}: {message}")
            if harvest.token and response.resumption_token == harvest.token:
                raise SourceError(self.name, url, "server repeated the resumptionToken sent")
            harvest = harvest.after(response)
            papers = [record.paper for record in response.records]
            yield Page(papers, harvest.to_json(), url, self._info(response, restarts))
            if harvest.token is None:
                return

    def _start_state(self, checkpoint: Checkpoint | None) -> _Harvest:
        """A saved state wins over ``from_date``, which only seeds the first harvest."""
        if checkpoint:
            return _Harvest.load(checkpoint, self.checkpoint_key)
        return _Harvest(self.from_date)

    def _nothing_matched(self, harvest: _Harvest, url: str, message: str) -> Iterator[Page]:
        """No records: a fresh harvest just ends; an open one is closed by an empty page."""
        if harvest.token is not None:
            closed = harvest.completed(harvest.last_datestamp)
            yield Page([], closed.to_json(), url, {"no_records_match": message})

    @staticmethod
    def _info(response: OAIResponse, restarts: int) -> dict[str, Any]:
        return {
            "records": len(response.records),
            "deleted": response.deleted,
            "complete_list_size": response.complete_list_size,
            "token_restarts": restarts,
        }

    def request_url(self, harvest: _Harvest) -> str:
        """The request for ``harvest``: a token request carries nothing but the token."""
        params: dict[str, str] = {"verb": "ListRecords"}
        if harvest.token:
            params["resumptionToken"] = harvest.token
        else:
            params["metadataPrefix"] = self.metadata_prefix
            optional = {"set": self.set_spec, "from": harvest.from_day, "until": self.until_date}
            params.update({k: str(v) for k, v in optional.items() if v})
        return f"{self.base_url}?{urlencode(params)}"

    def _fetch(self, url: str) -> OAIResponse:
        """Fetch and parse; an OAI error sent with an HTTP error status is still read."""
        try:
            body = self.client.get(url).body
        except HTTPFetchError as exc:
            response = _error_in_body(exc.body, url)
            if response is None:
                raise SourceError(self.name, exc.url, exc.problem) from exc
            return response
        return parse_oai_response(body, url)


def _error_in_body(body: bytes, url: str) -> OAIResponse | None:
    if not body:
        return None
    try:
        response = parse_oai_response(body, url)
    except SourceError:
        return None
    return response if response.error else None
