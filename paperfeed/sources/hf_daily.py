"""Hugging Face daily papers (``/api/daily_papers?date=YYYY-MM-DD&p=N&limit=N``).

Hugging Face adds what arXiv lacks for ranking: upvotes, comments, a linked repository
and an AI summary. Days are walked in order, each paged until a short page.

Field notes, from a recorded response:

* ``paper.publishedAt`` is the arXiv date (→ ``published``). The top-level
  ``publishedAt`` is *not* the featured day: in the recording it is four hours before
  ``paper.publishedAt`` for every item, while all items share one
  ``paper.submittedOnDailyAt``. ``featured_on`` is therefore the day the listing was
  requested for (the walk), else ``paper.submittedOnDailyAt`` (single look-ups).
* ``submitter`` is the Hugging Face user name (``submittedBy.name``, stable and
  linkable), falling back to the display name.
* There is no category and no arXiv version.

Checkpoint: ``{"last_complete_day": "YYYY-MM-DD", "page": N}`` — the next page to read
is ``N`` of the day after ``last_complete_day``, so a run killed mid-day resumes at that
page. Today (UTC) is never complete: papers and votes keep arriving, so a later run
reads it again from page 0 (the store's upsert makes that cheap).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import orjson

from paperfeed.papers.codelinks import find_code_links
from paperfeed.papers.ids import ArxivId, InvalidArxivId, parse_arxiv_id
from paperfeed.papers.model import Author, HFInfo, Paper
from paperfeed.sources.base import Checkpoint, Page, Source, SourceError
from paperfeed.sources.http import HTTPFetchError, PoliteClient

# A server that ignores ``p`` would page forever; no real day has this many papers.
MAX_PAGES_PER_DAY = 100


def _utc_today() -> date:
    return datetime.now(UTC).date()


class HFDailySource(Source):
    """Daily papers from ``since`` (or the checkpoint) up to ``until``, page by page.

    Without a checkpoint or ``since`` the walk starts at ``until``: only that day is read.
    """

    name: ClassVar[str] = "hf-daily"

    def __init__(
        self,
        *,
        since: date | None = None,
        until: date | None = None,
        base_url: str = "https://huggingface.co",
        page_size: int = 50,
        client: PoliteClient | None = None,
        today: Callable[[], date] = _utc_today,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.since = since
        self.until = until
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self._client = client
        self._today = today

    @property
    def checkpoint_key(self) -> str:
        return self.name

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        today = self._today()
        until = min(self.until or today, today)  # future days have nothing yet
        day, page_no = self._start(checkpoint, until)
        with _ClientScope(self._client) as client:
            while day <= until:
                yield from self._day_pages(client, day, page_no, complete=day < today)
                day, page_no = day + timedelta(days=1), 0

    def fetch_paper(self, arxiv_id: str) -> Paper:
        """One paper's Hugging Face record (``/api/papers/{id}``), mapped like the walk."""
        try:
            ident = parse_arxiv_id(arxiv_id)
        except InvalidArxivId as exc:
            raise SourceError(self.name, arxiv_id, str(exc)) from exc
        url = f"{self.base_url}/api/papers/{quote(ident.id, safe='')}"
        with _ClientScope(self._client) as client:
            data = _load_json(self._get(client, url, None), url)
        if not isinstance(data, dict):
            raise SourceError(self.name, url, f"expected an object, found {_kind(data)}")
        return paper_from_hf(data, data, featured_on=None, where=url)

    def _start(self, checkpoint: Checkpoint | None, until: date) -> tuple[date, int]:
        """First day and page to read: after the checkpoint, or ``since``, or ``until``."""
        start, page_no = (self.since or until), 0
        if checkpoint and checkpoint.get("last_complete_day"):
            resumed = _checkpoint_day(checkpoint["last_complete_day"]) + timedelta(days=1)
            if self.since is None or resumed >= self.since:
                start, page_no = resumed, _checkpoint_page(checkpoint.get("page"))
        return start, page_no

    def _day_pages(
        self, client: PoliteClient, day: date, page_no: int, *, complete: bool
    ) -> Iterator[Page]:
        seen: set[str] = set()
        for _ in range(MAX_PAGES_PER_DAY):
            url = f"{self.base_url}/api/daily_papers"
            params = {"date": day.isoformat(), "p": page_no, "limit": self.page_size}
            where = f"{url}?date={day.isoformat()}&p={page_no}&limit={self.page_size}"
            papers = papers_from_daily(self._get(client, url, params), day, where)
            fresh = [paper for paper in papers if paper.id not in seen]
            seen.update(paper.id for paper in papers)
            last = len(papers) < self.page_size or not fresh
            yield Page(
                fresh,
                self._checkpoint(day, page_no + 1, last=last, complete=complete),
                where,
                {"day": day.isoformat(), "page": page_no, "items": len(papers)},
            )
            if last:
                return
            page_no += 1

    @staticmethod
    def _checkpoint(day: date, next_page: int, *, last: bool, complete: bool) -> dict[str, Any]:
        if last and complete:
            return {"last_complete_day": day.isoformat(), "page": 0}
        previous = (day - timedelta(days=1)).isoformat()
        return {"last_complete_day": previous, "page": 0 if last else next_page}

    def _get(self, client: PoliteClient, url: str, params: Mapping[str, Any] | None) -> bytes:
        try:
            return client.get(url, params).body
        except HTTPFetchError as exc:
            problem = "not found (HTTP 404)" if exc.status == 404 else exc.problem
            raise SourceError(self.name, exc.url, problem) from exc


class _ClientScope:
    """The caller's client, or a Hugging Face client owned (and closed) by one call."""

    def __init__(self, client: PoliteClient | None) -> None:
        self._given = client
        self._owned: PoliteClient | None = None

    def __enter__(self) -> PoliteClient:
        if self._given is not None:
            return self._given
        self._owned = PoliteClient(pace_group="huggingface", min_interval=1.0)
        return self._owned

    def __exit__(self, *exc: object) -> None:
        if self._owned is not None:
            self._owned.close()


def _checkpoint_day(value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SourceError(HFDailySource.name, "checkpoint", f"bad day {value!r}") from None


def _checkpoint_page(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise SourceError(HFDailySource.name, "checkpoint", f"bad page {value!r}")


def _load_json(body: bytes, where: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SourceError(HFDailySource.name, where, f"malformed JSON: {exc}") from None


def papers_from_daily(body: bytes, day: date, where: str) -> list[Paper]:
    """Parse one ``daily_papers`` response; errors name ``where`` and the item index."""
    items = _load_items(body, where)
    return [
        paper_from_hf(
            _paper_of(item, f"{where} item {index}"),
            item,
            featured_on=day,
            where=f"{where} item {index}",
        )
        for index, item in enumerate(items)
    ]


def _load_items(body: bytes, where: str) -> list[dict[str, Any]]:
    data = _load_json(body, where)
    if not isinstance(data, list):
        raise SourceError(HFDailySource.name, where, f"expected a list, found {_kind(data)}")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise SourceError(
                HFDailySource.name,
                f"{where} item {index}",
                f"expected an object, found {_kind(item)}",
            )
    return data


def _paper_of(item: dict[str, Any], where: str) -> dict[str, Any]:
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise SourceError(HFDailySource.name, where, f"'paper' is {_kind(paper)}, not an object")
    return paper


_KINDS: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}


def _kind(value: object) -> str:
    return _KINDS.get(type(value)) or repr(value)[:20]


def paper_from_hf(
    paper: Mapping[str, Any], outer: Mapping[str, Any], *, featured_on: date | None, where: str
) -> Paper:
    """Map a Hugging Face paper (``paper``) and its listing entry (``outer``) to a Paper.

    For ``/api/papers/{id}`` both are the same object.
    """
    fields = _Fields(paper, where)
    ident = fields.arxiv_id()
    abstract = fields.text("summary") or ""
    published = fields.day("publishedAt")
    return Paper(
        id=ident.id,
        title=fields.text("title", required=True) or "",
        abstract=abstract,
        authors=fields.authors(),
        published=published,
        announced=published,
        code_links=find_code_links(abstract),
        hf=_hf_info(fields, _Fields(outer, where), featured_on),
    )


def _hf_info(paper: _Fields, outer: _Fields, featured_on: date | None) -> HFInfo:
    repo = paper.text("githubRepo")
    links = find_code_links(repo) if repo else ()
    submitter = outer.user("submittedBy") or paper.user("submittedOnDailyBy")
    return HFInfo(
        upvotes=paper.integer("upvotes"),
        featured_on=featured_on or paper.day("submittedOnDailyAt"),
        submitter=submitter,
        ai_summary=paper.text("ai_summary"),
        ai_keywords=paper.keywords("ai_keywords"),
        github_repo=links[0] if links else None,
        github_stars=paper.integer("githubStars"),
        project_page=paper.text("projectPage"),
        organization=outer.name_of("organization") or paper.name_of("organization"),
        num_comments=outer.integer("numComments"),
        thumbnail=outer.text("thumbnail"),
    )


class _Fields:
    """Typed reads from one JSON object; a wrong type is a ``SourceError`` at ``where``."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def fail(self, problem: str) -> SourceError:
        return SourceError(HFDailySource.name, self.where, problem)

    def arxiv_id(self) -> ArxivId:
        value = self.data.get("id")
        if not isinstance(value, str):
            raise self.fail("missing paper.id" if value is None else "paper.id is not a string")
        try:
            return parse_arxiv_id(value)
        except InvalidArxivId:
            raise self.fail(f"paper.id {value[:40]!r} is not an arXiv id") from None

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(f"missing {key}")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{key} is not a string")
        return " ".join(value.split())

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{key} is not an integer")
        return value

    def day(self, key: str) -> date | None:
        """The UTC calendar day of an ISO timestamp such as ``2026-05-30T00:00:00.000Z``."""
        text = self.text(key)
        if text is None:
            return None
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date()
        except ValueError:
            raise self.fail(f"{key} is not a timestamp: {text[:40]!r}") from None

    def keywords(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
            raise self.fail(f"{key} is not a list of strings")
        return tuple(value)

    def authors(self) -> tuple[Author, ...]:
        value = self.data.get("authors") or []
        if not isinstance(value, list):
            raise self.fail("authors is not a list")
        if not all(isinstance(author, dict) for author in value):
            raise self.fail("an entry of authors is not an object")
        names = (_Fields(author, self.where).text("name") for author in value)
        return tuple(Author(name) for name in names if name)

    def user(self, key: str) -> str | None:
        """A user's handle, else their display name."""
        user = _Fields(self._object(key), self.where)
        return user.text("name") or user.text("fullname")

    def name_of(self, key: str) -> str | None:
        return _Fields(self._object(key), self.where).text("name")

    def _object(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise self.fail(f"{key} is not an object")
        return value
