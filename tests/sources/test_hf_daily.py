"""Hugging Face daily papers, read from a real HTTP server replaying a recorded response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.papers.ids import is_arxiv_id
from paperfeed.papers.model import Paper
from paperfeed.sources.base import SourceError
from paperfeed.sources.hf_daily import HFDailySource, papers_from_daily
from paperfeed.sources.http import PoliteClient
from tests.recorded_server import RecordedServer, Reply

FIXTURE = Path(__file__).parent.parent / "fixtures" / "hf_daily_papers" / "hf_daily_papers.json"
RAW = FIXTURE.read_bytes()
ITEMS: list[dict[str, Any]] = json.loads(RAW)
DAILY = "/api/daily_papers"


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with PoliteClient(pace_group="test", min_interval=0, backoff=0.01) as polite:
        yield polite


def body(items: list[dict[str, Any]]) -> bytes:
    return json.dumps(items).encode()


def serve_day(server: RecordedServer, day: str, *pages: list[dict[str, Any]]) -> None:
    for number, items in enumerate(pages):
        server.add(DAILY, Reply(body(items)), query={"date": day, "p": str(number)})


def source(server: RecordedServer, client: PoliteClient, **options: Any) -> HFDailySource:
    options.setdefault("today", lambda: date(2026, 7, 1))
    return HFDailySource(base_url=server.url, client=client, **options)


def test_items_map_to_papers_with_hugging_face_fields(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_day(recorded_server, "2026-06-12", ITEMS)
    day = date(2026, 6, 12)
    [page] = source(recorded_server, client, since=day, until=day).pages(None)

    assert [p.id for p in page.papers] == [item["paper"]["id"] for item in ITEMS]
    msa = next(p for p in page.papers if p.id == "2606.13392")
    assert msa.title == "MiniMax Sparse Attention"
    assert msa.published == date(2026, 6, 11)  # paper.publishedAt, the arXiv date
    assert msa.version is None and msa.categories == ()
    assert [a.name for a in msa.authors] == [a["name"] for a in ITEMS[21]["paper"]["authors"]]
    assert msa.hf is not None
    assert msa.hf.upvotes == 103
    assert msa.hf.featured_on == day
    assert msa.hf.submitter == "ryanlee-dev"
    assert msa.hf.github_repo == "github.com/MiniMax-AI/MSA"
    assert msa.hf.github_stars == 251
    assert msa.hf.organization == "MiniMaxAI"
    assert msa.hf.num_comments == 4
    assert msa.hf.thumbnail == ITEMS[21]["thumbnail"]
    assert "sparse attention" in msa.hf.ai_keywords
    assert msa.hf.ai_summary and msa.hf.ai_summary.startswith("MiniMax Sparse Attention")
    webchallenger = next(p for p in page.papers if p.id == "2606.10423")
    assert webchallenger.hf is not None
    assert webchallenger.hf.project_page == "https://jayoohwang1.github.io/webchallenger-site/"
    assert recorded_server.requests == [(DAILY, {"date": "2026-06-12", "p": "0", "limit": "50"})]


def test_multi_day_walk_pages_each_day_until_a_short_page(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_day(recorded_server, "2026-06-10", ITEMS[:10], ITEMS[10:14])
    serve_day(recorded_server, "2026-06-11", [])
    serve_day(recorded_server, "2026-06-12", ITEMS[14:24], ITEMS[24:])
    walk = source(
        recorded_server, client, since=date(2026, 6, 10), until=date(2026, 6, 12), page_size=10
    )

    pages = list(walk.pages(None))

    assert [len(page.papers) for page in pages] == [10, 4, 0, 10, 6]
    assert [page.checkpoint for page in pages] == [
        {"last_complete_day": "2026-06-09", "page": 1},
        {"last_complete_day": "2026-06-10", "page": 0},
        {"last_complete_day": "2026-06-11", "page": 0},
        {"last_complete_day": "2026-06-11", "page": 1},
        {"last_complete_day": "2026-06-12", "page": 0},
    ]
    assert [(q["date"], q["p"], q["limit"]) for _, q in recorded_server.requests] == [
        ("2026-06-10", "0", "10"),
        ("2026-06-10", "1", "10"),
        ("2026-06-11", "0", "10"),
        ("2026-06-12", "0", "10"),
        ("2026-06-12", "1", "10"),
    ]
    assert pages[0].papers[0].hf is not None
    assert pages[0].papers[0].hf.featured_on == date(2026, 6, 10)


def test_a_run_killed_mid_day_resumes_at_the_next_page(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_day(recorded_server, "2026-06-12", ITEMS[:10], ITEMS[10:20], ITEMS[20:], [])
    day = date(2026, 6, 12)
    walk = source(recorded_server, client, since=day, until=day, page_size=10)
    [stored] = islice(walk.pages(None), 1)  # killed after the first page was committed

    resumed = list(
        source(recorded_server, client, until=day, page_size=10).pages(stored.checkpoint)
    )

    ids = [p.id for p in stored.papers] + [p.id for page in resumed for p in page.papers]
    assert ids == [item["paper"]["id"] for item in ITEMS]
    assert [q["p"] for _, q in recorded_server.requests] == ["0", "1", "2", "3"]
    assert resumed[-1].checkpoint == {"last_complete_day": "2026-06-12", "page": 0}


def test_a_checkpoint_continues_with_the_day_after_the_last_complete_one(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_day(recorded_server, "2026-06-12", ITEMS)
    walk = source(recorded_server, client, until=date(2026, 6, 12))

    pages = list(walk.pages({"last_complete_day": "2026-06-11", "page": 0}))

    assert len(pages) == 1 and len(pages[0].papers) == 30
    assert [q["date"] for _, q in recorded_server.requests] == ["2026-06-12"]
    assert list(walk.pages(pages[-1].checkpoint)) == []  # nothing left to read


def test_today_is_read_again_next_run_because_it_is_not_complete(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_day(recorded_server, "2026-06-12", ITEMS)
    walk = source(recorded_server, client, today=lambda: date(2026, 6, 12))

    [page] = walk.pages(None)

    assert len(page.papers) == 30
    assert page.checkpoint == {"last_complete_day": "2026-06-11", "page": 0}


def test_a_server_ignoring_the_page_parameter_does_not_loop_forever(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(DAILY, Reply(body(ITEMS[:10])))  # every page is the same
    day = date(2026, 6, 12)

    pages = list(source(recorded_server, client, since=day, until=day, page_size=10).pages(None))

    assert [len(page.papers) for page in pages] == [10, 0]
    assert pages[-1].checkpoint == {"last_complete_day": "2026-06-12", "page": 0}


def test_429_with_retry_after_is_retried(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(
        DAILY, Reply(b"slow down", status=429, headers={"Retry-After": "0"}), Reply(RAW)
    )
    day = date(2026, 6, 12)

    [page] = source(recorded_server, client, since=day, until=day).pages(None)

    assert len(page.papers) == 30
    assert len(recorded_server.requests) == 2


def test_a_dropped_connection_is_retried(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(DAILY, Reply(RAW, drop_after=1000), Reply(RAW))
    day = date(2026, 6, 12)

    [page] = source(recorded_server, client, since=day, until=day).pages(None)

    assert len(page.papers) == 30
    assert len(recorded_server.requests) == 2


def test_a_persistent_server_error_becomes_a_source_error(
    recorded_server: RecordedServer,
) -> None:
    recorded_server.add(DAILY, Reply(b"down", status=503))
    day = date(2026, 6, 12)
    with PoliteClient(pace_group="test", min_interval=0, backoff=0.001, max_retries=2) as client:
        walk = source(recorded_server, client, since=day, until=day)
        with pytest.raises(SourceError, match=r"hf-daily: .*daily_papers.*HTTP 503"):
            list(walk.pages(None))


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (RAW[: len(RAW) // 2], r"daily_papers\?date=2026-06-12&p=0&limit=50: malformed JSON"),
        (b'{"error": "no"}', r"expected a list, found an object"),
        (body([ITEMS[0], {"paper": {"title": "no id"}}]), r"item 1: missing paper.id"),
    ],
)
def test_malformed_responses_name_the_url_and_item(
    recorded_server: RecordedServer, client: PoliteClient, reply: bytes, message: str
) -> None:
    recorded_server.add(DAILY, Reply(reply))
    day = date(2026, 6, 12)

    with pytest.raises(SourceError, match=message) as caught:
        list(source(recorded_server, client, since=day, until=day).pages(None))
    assert recorded_server.url in str(caught.value)


def with_paper(index: int, **changes: object) -> dict[str, Any]:
    return {**ITEMS[index], "paper": {**ITEMS[index]["paper"], **changes}}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([ITEMS[0], ITEMS[1], {"title": "x"}], r"item 2: 'paper' is"),
        ([ITEMS[0], "oops"], r"item 1: expected an object"),
        ([with_paper(0, upvotes="5")], r"item 0: upvotes is not an integer"),
        ([with_paper(0, upvotes=True)], r"item 0: upvotes is not an integer"),
        ([with_paper(0, id="not-an-id")], r"item 0: paper.id 'not-an-id' is not an arXiv id"),
        ([with_paper(0, id=2606.00467)], r"item 0: paper.id is not a string"),
        ([with_paper(0, authors={"name": "x"})], r"item 0: authors is not a list"),
        ([with_paper(0, ai_keywords=[1, 2])], r"item 0: ai_keywords is not a list of strings"),
        ([with_paper(0, publishedAt="yesterday")], r"item 0: publishedAt is not a timestamp"),
        ([with_paper(0, title=None)], r"item 0: missing title"),
        ([{**ITEMS[1], "submittedBy": "someone"}], r"item 0: submittedBy is not an object"),
    ],
)
def test_wrong_shapes_name_the_item(items: list[Any], message: str) -> None:
    with pytest.raises(SourceError, match=message):
        papers_from_daily(body(items), date(2026, 6, 12), "recorded")


def test_fetch_paper_maps_a_single_paper_like_the_daily_walk(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    item = ITEMS[21]
    # /api/papers/{id} returns the fields of ``paper`` at the top level.
    recorded_server.add("/api/papers/2606.13392", Reply(json.dumps(item["paper"])))
    [from_walk] = papers_from_daily(body([item]), date(2026, 6, 12), "recorded")

    paper = source(recorded_server, client).fetch_paper("arXiv:2606.13392v1")

    assert paper.core_json() == from_walk.core_json()
    assert paper.hf is not None
    assert paper.hf.featured_on == date(2026, 6, 12)  # paper.submittedOnDailyAt
    assert paper.hf.submitter == "ryanlee-dev"  # paper.submittedOnDailyBy
    assert paper.hf.github_repo == "github.com/MiniMax-AI/MSA"


def test_fetch_paper_not_on_hugging_face(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    with pytest.raises(SourceError, match=r"api/papers/2606.99999: not found"):
        source(recorded_server, client).fetch_paper("2606.99999")


def assert_valid(paper: Paper) -> None:
    assert is_arxiv_id(paper.id) and paper.version is None
    assert isinstance(paper.title, str) and paper.title.strip()
    assert isinstance(paper.abstract, str)
    assert all(isinstance(a.name, str) and a.name for a in paper.authors)
    assert paper.hf is not None
    assert paper.hf.upvotes is None or isinstance(paper.hf.upvotes, int)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(RAW)))
def test_truncated_responses_parse_or_raise_source_error(cut: int) -> None:
    try:
        papers = papers_from_daily(RAW[:cut], date(2026, 6, 12), "recorded")
    except SourceError:
        return
    for paper in papers:
        assert_valid(paper)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(RAW) - 1), st.integers(0, 255)), max_size=8))
def test_byte_flips_parse_or_raise_source_error(flips: list[tuple[int, int]]) -> None:
    data = bytearray(RAW)
    for position, value in flips:
        data[position] = value
    try:
        papers = papers_from_daily(bytes(data), date(2026, 6, 12), "recorded")
    except SourceError:
        return
    for paper in papers:
        assert_valid(paper)
