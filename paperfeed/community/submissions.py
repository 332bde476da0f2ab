"""Submitting a paper by arXiv id or URL: fetched through the arXiv API if new.

Like Hugging Face, a paper may be submitted up to ``submission_max_age_days`` after its
first version. Submitting a paper paperfeed already lists counts as the submitter's
upvote; the first submitter is remembered ("Submitted by ...").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from paperfeed.community.errors import CommunityError
from paperfeed.community.ratelimits import Limit, take
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings
from paperfeed.config import Settings
from paperfeed.papers.clean import clean_paper
from paperfeed.papers.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.papers.model import Paper
from paperfeed.sources.arxiv_api import ArxivAPISource
from paperfeed.sources.base import SourceError
from paperfeed.sources.http import FetchCancelled, HTTPFetchError, PoliteClient
from paperfeed.store.base import PaperStore
from paperfeed.store.community import Account, NewMark
from paperfeed.summaries.refresh import summarize_pending

log = logging.getLogger(__name__)
SOURCE = "submission"
PaperFetcher = Callable[[str], Paper | None]


@dataclass(frozen=True, slots=True)
class SubmitResult:
    paper_id: str
    fetched: bool  # new to paperfeed: fetched from arXiv
    first_submission: bool


def arxiv_fetcher(settings: Settings, stop: threading.Event | None = None) -> PaperFetcher:
    """Fetch one paper by id through the arXiv API source (paced like every arXiv call).

    Once ``stop`` is set (the server is shutting down) no further request starts, and a
    paper fetched meanwhile is not handed on to be stored.
    """
    stop = stop or threading.Event()

    def fetch(paper_id: str) -> Paper | None:
        client = PoliteClient(
            pace_group="arxiv",
            min_interval=float(settings.get("arxiv_request_interval")),
            max_retries=int(settings.get("http_max_retries")),
            timeout=float(settings.get("http_timeout")),
            stop=stop,
        )
        with client:
            source = ArxivAPISource(
                id_list=[paper_id], base_url=str(settings.get("arxiv_api_url")), client=client
            )
            found = [p for page in source.pages(None) for p in page.papers if p.id == paper_id]
        if stop.is_set():
            cancelled = FetchCancelled(source.base_url, "cancelled: paperfeed is stopping")
            raise SourceError(source.name, source.base_url, cancelled.problem) from cancelled
        return found[0] if found else None

    return fetch


def parse_submission(text: str) -> str:
    try:
        return parse_arxiv_id(text.strip()[:300]).id
    except InvalidArxivId as exc:
        raise CommunityError(
            "Enter an arXiv identifier (2503.14603) or its URL (https://arxiv.org/abs/...)."
        ) from exc


def submit_paper(
    store: PaperStore,
    community: CommunitySettings,
    model: TrendingModel,
    fetch: PaperFetcher,
    *,
    account: Account,
    text: str,
    ip: str,
    today: date | None = None,
) -> SubmitResult:
    paper_id = parse_submission(text)
    take(
        store,
        [
            Limit("submit-account", community.rate_submissions_per_account, str(account.id),
                  "submissions from your account"),
            Limit("submit-ip", community.rate_submissions_per_ip, ip,
                  "submissions from your network"),
        ],
    )  # fmt: skip
    fetched = False
    if store.get_paper(paper_id) is None:
        _store_new_paper(store, community, fetch, paper_id, today or datetime.now(UTC).date())
        fetched = True
    first = store.record_submission(paper_id, account.id)
    store.add_marks("upvote", [NewMark(account.id, paper_id, time.time())], model)
    return SubmitResult(paper_id, fetched, first)


def _store_new_paper(
    store: PaperStore,
    community: CommunitySettings,
    fetch: PaperFetcher,
    paper_id: str,
    today: date,
) -> None:
    try:
        paper = fetch(paper_id)
    except SourceError as exc:
        log.warning("fetching submitted paper %s failed: %s", paper_id, exc)  # with the URL
        raise CommunityError(
            f"paperfeed could not fetch {paper_id} from arXiv just now: {what_failed(exc)}."
            " Try again in a few minutes."
        ) from exc
    if paper is None:
        raise CommunityError(f"arXiv has no paper {paper_id}.")
    first_version = paper.published or paper.updated
    oldest = today - timedelta(days=community.submission_max_age_days)
    if first_version is not None and first_version < oldest:
        raise CommunityError(
            f"Papers can be submitted up to {community.submission_max_age_days} days after"
            f" their first version; {paper_id} first appeared on {first_version.isoformat()}."
        )
    store.upsert_papers([clean_paper(paper).paper], source=SOURCE)
    summarize_pending(store, among=[paper_id])  # its card shows a TL;DR from the start


def what_failed(exc: SourceError) -> str:
    """What went wrong, for the person who submitted: never the upstream URL."""
    cause = exc.__cause__
    if isinstance(cause, FetchCancelled):
        return "paperfeed is restarting"
    if isinstance(cause, HTTPFetchError):
        if cause.timed_out:
            return "arXiv did not answer in time"
        if cause.status is not None:
            return f"arXiv answered with an error (HTTP {cause.status})"
        if cause.problem.startswith("connection failed"):
            return "the connection to arXiv failed"
        return "arXiv's answer was not usable"
    return "arXiv's answer could not be read"
