"""arXiv RSS listings, read from a real HTTP server replaying recorded feeds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.papers.ids import is_arxiv_id
from paperfeed.papers.model import Paper
from paperfeed.sources.arxiv_rss import ArxivRSSSource, parse_feed, split_authors
from paperfeed.sources.base import SourceError
from paperfeed.sources.http import PoliteClient
from tests.recorded_server import RecordedServer, Reply

FIXTURES = Path(__file__).parent.parent / "fixtures" / "arxiv_rss"
CS_AI = (FIXTURES / "arxiv_cs_ai.xml").read_bytes()
CS_LG = (FIXTURES / "arxiv_cs_lg.xml").read_bytes()
ITEM = re.compile(rb"\s*<item>.*?</item>", re.DOTALL)


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with PoliteClient(pace_group="test", min_interval=0, backoff=0.01) as polite:
        yield polite


def rss(server: RecordedServer, client: PoliteClient, *categories: str) -> ArxivRSSSource:
    return ArxivRSSSource(categories, base_url=server.url, client=client)


def test_feed_items_become_papers(recorded_server: RecordedServer, client: PoliteClient) -> None:
    recorded_server.add("/rss/cs.AI", Reply(CS_AI))

    [page] = rss(recorded_server, client, "cs.AI").pages(None)

    assert [p.versioned_id for p in page.papers] == ["2604.21935v1", "2604.21936v1", "2604.21937v1"]
    paper = page.papers[0]
    assert paper.title.startswith("Math Takes Two: A test for emergent mathematical")
    assert [a.name for a in paper.authors] == ["Michael Cooper", "Samuel Cooper"]
    assert paper.abstract.startswith("Although language models demonstrate")
    assert "Announce Type" not in paper.abstract
    assert paper.categories == ("cs.AI", "cs.LG") and paper.primary_category == "cs.AI"
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert paper.announced == paper.published == date(2026, 4, 27)
    assert paper.updated is None
    assert len(page.papers[1].authors) == 18
    assert page.papers[1].categories == ("cs.AI", "cs.CV", "cs.MA")
    assert page.info["announce_type"] == {p.id: "new" for p in page.papers}
    assert page.checkpoint == {"last_announced": "2026-04-27"}
    assert recorded_server.requests == [("/rss/cs.AI", {})]


def test_several_categories_are_one_feed(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add("/rss/cs.AI+cs.LG", Reply(CS_LG))

    [page] = rss(recorded_server, client, "cs.AI", "cs.LG").pages(None)

    assert [p.id for p in page.papers] == ["2604.21952", "2604.21953", "2604.21956"]
    assert page.papers[0].primary_category == "cs.LG"
    assert "&" in page.papers[0].abstract  # "&amp;" in the feed is an entity, not text


def test_a_feed_not_newer_than_the_checkpoint_yields_nothing(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add("/rss/cs.AI", Reply(CS_AI))
    source = rss(recorded_server, client, "cs.AI")

    [again] = source.pages({"last_announced": "2026-04-27"})
    [newer] = source.pages({"last_announced": "2026-04-24"})

    assert again.papers == [] and again.checkpoint == {"last_announced": "2026-04-27"}
    assert len(newer.papers) == 3 and newer.checkpoint == {"last_announced": "2026-04-27"}


def test_an_empty_weekend_feed_is_normal(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    weekend = ITEM.sub(b"", CS_AI).replace(b"Mon, 27 Apr 2026", b"Sat, 25 Apr 2026")
    recorded_server.add("/rss/cs.AI", Reply(weekend))

    [page] = rss(recorded_server, client, "cs.AI").pages({"last_announced": "2026-04-24"})

    assert page.papers == []
    assert page.checkpoint == {"last_announced": "2026-04-25"}


def test_replacements_and_cross_lists_are_dated_by_what_the_feed_knows() -> None:
    items = ITEM.findall(CS_AI)
    replaced = (
        items[0]
        .replace(b"2604.21935v1", b"2604.21935v3")
        .replace(b"Announce Type: new", b"Announce Type: replace")
        .replace(b">new<", b">replace<")
    )
    crossed = (
        items[1]
        .replace(b"Announce Type: new", b"Announce Type: cross")
        .replace(b">new<", b">cross<")
    )
    feed = CS_AI.replace(items[0], replaced).replace(items[1], crossed)

    parsed = parse_feed(feed, "recorded")

    replacement, cross = parsed.items[0], parsed.items[1]
    assert replacement.announce_type == "replace"
    assert replacement.paper.versioned_id == "2604.21935v3"
    assert replacement.paper.updated == date(2026, 4, 27)
    assert replacement.paper.published is None and replacement.paper.announced is None
    assert cross.announce_type == "cross"
    assert cross.paper.published == cross.paper.announced == date(2026, 4, 27)


def test_http_errors_become_source_errors(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    where = re.escape(f"{recorded_server.url}/rss/cs.XX")
    with pytest.raises(SourceError, match=rf"arxiv-rss: {where}: HTTP 404"):
        list(rss(recorded_server, client, "cs.XX").pages(None))


def test_a_dropped_connection_then_success(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add("/rss/cs.AI", Reply(CS_AI, drop_after=500), Reply(CS_AI))

    [page] = rss(recorded_server, client, "cs.AI").pages(None)

    assert len(page.papers) == 3
    assert len(recorded_server.requests) == 2


@pytest.mark.parametrize(
    ("feed", "message"),
    [
        (CS_AI[:3000], r"recorded: malformed XML at line \d+"),
        (b"<html><body>maintenance</body></html>", r"not an RSS feed \(root <html>\)"),
        (
            CS_AI.replace(
                b"<title>Math Takes Two: A test for emergent mathematical reasoning in "
                b"communication</title>",
                b"",
            ),
            r"item 0: item has no title",
        ),
        (
            re.sub(rb"oai:arXiv.org:2604.21936v1|arXiv:2604.21936v1|abs/2604.21936", b"x", CS_AI),
            r"item 1: item has no arXiv id",
        ),
        (
            CS_AI.replace(
                b"<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate>",
                b"<pubDate>someday</pubDate>",
                1,
            ),
            r"channel: bad date 'someday'",
        ),
        (b'<!DOCTYPE rss [<!ENTITY a "aaaa">]><rss>&a;</rss>', r"forbidden XML construct"),
    ],
)
def test_broken_feeds_raise_source_errors(feed: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_feed(feed, "recorded")


@pytest.mark.parametrize(
    ("creators", "names"),
    [
        ("Michael Cooper, Samuel Cooper", ["Michael Cooper", "Samuel Cooper"]),
        ("Ann Anderson and Bo Band", ["Ann Anderson", "Bo Band"]),
        ("A. One, B. Two, and C. Three", ["A. One", "B. Two", "C. Three"]),
        ("A. One (MIT, CSAIL), B. Two", ["A. One (MIT, CSAIL)", "B. Two"]),
        ("", []),
    ],
)
def test_split_authors(creators: str, names: list[str]) -> None:
    assert split_authors(creators) == names


def assert_valid(paper: Paper) -> None:
    assert is_arxiv_id(paper.versioned_id)
    assert isinstance(paper.title, str) and paper.title
    assert isinstance(paper.abstract, str)
    assert all(isinstance(a.name, str) and a.name for a in paper.authors)
    assert paper.primary_category in (None, *paper.categories)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([CS_AI, CS_LG]), st.integers(0, len(CS_AI)))
def test_truncated_feeds_parse_or_raise_source_error(feed: bytes, cut: int) -> None:
    try:
        parsed = parse_feed(feed[:cut], "recorded")
    except SourceError:
        return
    for item in parsed.items:
        assert_valid(item.paper)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([CS_AI, CS_LG]),
    st.lists(st.tuples(st.integers(0, len(CS_LG) - 1), st.integers(0, 255)), max_size=8),
)
def test_byte_flips_parse_or_raise_source_error(feed: bytes, flips: list[tuple[int, int]]) -> None:
    data = bytearray(feed)
    for position, value in flips:
        data[position] = value
    try:
        parsed = parse_feed(bytes(data), "recorded")
    except SourceError:
        return
    for item in parsed.items:
        assert_valid(item.paper)
