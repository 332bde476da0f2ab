"""The arXiv API source against recorded arXiv responses served over real HTTP."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.papers.ids import parse_arxiv_id
from paperfeed.papers.model import Author, Paper
from paperfeed.sources.arxiv_api import ApiFeed, ArxivAPISource, parse_api_feed
from paperfeed.sources.base import Page, SourceError
from paperfeed.sources.http import PoliteClient
from tests.recorded_server import RecordedServer, Reply

FIXTURES = Path(__file__).parent.parent / "fixtures" / "arxiv_api_atom"
PATH = "/api/query"


def recorded(name: str) -> bytes:
    """The bytes arXiv sent for fixture ``name`` (file name less its hash, or a 2016 file).

    The recorder stored the UTF-8 body decoded as Latin-1 (arXiv sends no charset),
    so encoding it back as Latin-1 restores the exact bytes on the wire.
    """
    if name.startswith("2016/"):
        return (FIXTURES / name).read_bytes()
    (path,) = FIXTURES.glob(f"2026/{name}_{'?' * 12}.json")
    body: str = json.loads(path.read_text())["body"]
    return body.encode("latin-1")


def entries_of(body: bytes) -> list[str]:
    return re.findall(r"  <entry>.*?</entry>\n", body.decode(), flags=re.DOTALL)


def with_entries(body: bytes, entries: list[str], total: int | None = None) -> bytes:
    """A copy of a recorded page holding ``entries`` (and optionally another total)."""
    text = body.decode()
    head = text[: text.index("  <entry>")] if "  <entry>" in text else text[: text.index("</feed>")]
    if total is not None:
        head = re.sub(r"totalResults>\d+<", f"totalResults>{total}<", head)
    return ("".join([head, *entries]) + "</feed>\n").encode()


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with PoliteClient(pace_group="test", min_interval=0, backoff=0.01) as polite:
        yield polite


def make_source(server: RecordedServer, client: PoliteClient, **kwargs: Any) -> ArxivAPISource:
    kwargs.setdefault("search_query", None if "id_list" in kwargs else "testing")
    return ArxivAPISource(base_url=server.url + PATH, client=client, **kwargs)


def serve_testing_pages(server: RecordedServer) -> None:
    for start in range(0, 60, 10):
        body = recorded(f"q_testing_s{start}_m10")
        server.add(PATH, Reply(body), query={"start": str(start), "max_results": "10"})


def all_papers(pages: list[Page]) -> list[Paper]:
    return [paper for page in pages for paper in page.papers]


def starts(server: RecordedServer) -> list[int]:
    return [int(query["start"]) for _, query in server.requests]


def test_pages_follow_start_until_max_results(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_testing_pages(recorded_server)
    source = make_source(recorded_server, client, page_size=10, max_results=60, sort_by="relevance")

    pages = list(source.pages(None))

    assert starts(recorded_server) == [0, 10, 20, 30, 40, 50]
    assert [page.checkpoint["start"] for page in pages] == [10, 20, 30, 40, 50, None]
    expected = parse_api_feed(recorded("q_testing_s0_m100"), "s0_m100").entries[:60]
    assert [p.id for p in all_papers(pages)] == [e.paper.id for e in expected]
    assert pages[0].info["total_results"] == 214881
    newest = max(e.updated_at for e in expected)
    assert pages[-1].checkpoint == {"start": None, "run_mark": None, "mark": newest.isoformat()}
    _, query = recorded_server.requests[0]
    assert query == {
        "search_query": "testing",
        "start": "0",
        "max_results": "10",
        "sortBy": "relevance",
        "sortOrder": "descending",
    }


def test_killed_run_resumes_at_saved_start(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_testing_pages(recorded_server)
    source = make_source(recorded_server, client, page_size=10, max_results=60, sort_by="relevance")
    run = source.pages(None)
    first, second = next(run), next(run)
    del run  # the process dies after committing the second page

    resumed = list(
        make_source(
            recorded_server, client, page_size=10, max_results=60, sort_by="relevance"
        ).pages(second.checkpoint)
    )

    assert starts(recorded_server) == [0, 10, 20, 30, 40, 50]
    ids = [p.id for p in all_papers([first, second, *resumed])]
    assert len(ids) == 60 == len(set(ids))


def newest_first(body: bytes) -> list[str]:
    """The page's entries re-ordered as a ``lastUpdatedDate`` descending query returns them."""
    return sorted(entries_of(body), key=lambda e: re.findall("<updated>(.*?)<", e)[0], reverse=True)


def test_incremental_rerun_fetches_only_newer_entries(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    entries = newest_first(recorded("q_testing_s0_m10"))
    yesterday = with_entries(recorded("q_testing_s0_m10"), entries[3:], total=7)
    today = with_entries(recorded("q_testing_s0_m10"), entries, total=None)
    recorded_server.add(PATH, Reply(yesterday), Reply(today))
    source = make_source(recorded_server, client, page_size=10)

    first_run = list(source.pages(None))
    second_run = list(source.pages(first_run[-1].checkpoint))
    third_run = list(source.pages(second_run[-1].checkpoint))

    assert len(all_papers(first_run)) == 7
    (page,) = second_run
    assert [p.id for p in page.papers] == [
        parse_arxiv_id(re.findall(r"<id>(.*?)</id>", e)[0]).id for e in entries[:3]
    ]
    assert page.info["not_newer"] == 7
    assert page.checkpoint["start"] is None
    assert third_run == []  # nothing new: no page at all
    assert starts(recorded_server) == [0, 0, 0]  # each run stopped at the mark on page one


def test_entry_fields_of_an_old_style_id_with_affiliations(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(recorded("id_astro-ph_0601001_s0_m100")))

    (page,) = make_source(recorded_server, client, id_list=["astro-ph/0601001"]).pages(None)

    (paper,) = page.papers
    assert paper.id == "astro-ph/0601001"
    assert paper.version == 1
    assert paper.title.startswith("Frequency of Hot Jupiters and Very Hot Jupiters")
    assert paper.abstract.startswith("We derive the frequencies")  # leading blanks gone
    assert "Gould & Morgan (2003)" in paper.abstract
    assert paper.authors[0] == Author("Andrew Gould", ("Ohio State",))
    assert paper.authors[3] == Author("Andrzej Udalski", ("Warsaw University Observatory",))
    assert (paper.primary_category, paper.categories) == ("astro-ph", ("astro-ph",))
    assert paper.published == paper.announced == paper.updated == date(2006, 1, 2)
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.comments is not None and paper.comments.startswith("62 pages")


def test_doi_journal_code_links_and_non_ascii_names(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_testing_pages(recorded_server)
    source = make_source(recorded_server, client, page_size=10, max_results=60)

    papers = {p.id: p for p in all_papers(list(source.pages(None)))}

    first = papers["2202.12139"]
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.journal_ref is not None and "ICSTW" in first.journal_ref
    assert first.categories == ("cs.SE", "cs.LG")
    assert papers["2405.13786"].authors[0].name == "Aurora Ramírez"
    assert papers["1706.00679"].code_links == ("github.com/ydecastro/super-resolution-testing",)


@pytest.mark.parametrize(
    ("id_list", "fixture", "expected"),
    [
        (["1605.08386"], "id_1605.08386_s0_m100", [("1605.08386", 1)]),
        (["2104.12255v1"], "id_2104.12255v1_s0_m100", [("2104.12255", 1)]),
        (["quant-ph/0201082v1"], "id_quant-ph_0201082v1_s0_m100", [("quant-ph/0201082", 1)]),
        (["0808.05394", "1707.08567"], "id_0808.05394_1707.08567_s0_m100", [("1707.08567", 1)]),
        (["0808.05394"], "id_0808.05394_s0_m100", []),
        (["0000.0000"], "id_0000.0000_s0_m100", []),
    ],
)
def test_id_list_lookups(
    recorded_server: RecordedServer,
    client: PoliteClient,
    id_list: list[str],
    fixture: str,
    expected: list[tuple[str, int]],
) -> None:
    recorded_server.add(PATH, Reply(recorded(fixture)), query={"id_list": ",".join(id_list)})

    pages = list(make_source(recorded_server, client, id_list=id_list).pages(None))

    assert [(p.id, p.version) for p in all_papers(pages)] == expected
    (request,) = recorded_server.requests
    assert "search_query" not in request[1]


def test_title_zero_is_a_title(recorded_server: RecordedServer, client: PoliteClient) -> None:
    recorded_server.add(PATH, Reply(recorded("id_2104.12255v1_s0_m100")))
    (page,) = make_source(recorded_server, client, id_list=["2104.12255v1"]).pages(None)
    assert page.papers[0].title == "0"


def test_2016_format_with_wrapped_text(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(recorded("2016/id_list=1111.2011v2.xml")))

    (page,) = make_source(recorded_server, client, id_list=["1111.2011v2"]).pages(None)

    (paper,) = page.papers
    assert (paper.id, paper.version) == ("1111.2011", 2)
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert "\n" not in paper.abstract and "  " not in paper.abstract
    assert paper.abstract.startswith("Theoretical description of anisotropic systems, such as")
    assert (paper.published, paper.updated, paper.announced) == (
        date(2011, 11, 8),
        date(2012, 4, 2),
        date(2011, 11, 8),
    )
    assert paper.primary_category == "cond-mat.str-el"
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert paper.doi == "10.1103/PhysRevB.85.115117"
    assert paper.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert paper.comments == "8 pages, 3 figures. Published version"


def test_2016_search_page(recorded_server: RecordedServer, client: PoliteClient) -> None:
    recorded_server.add(PATH, Reply(recorded("2016/search_query=au_del_maestro.xml")))
    source = make_source(
        recorded_server, client, search_query="au:del_maestro", page_size=10, max_results=10
    )

    (page,) = source.pages(None)

    assert page.info["total_results"] == 31
    assert len(page.papers) == 10
    wrapped = next(p for p in page.papers if p.id == "1412.6529")
    assert wrapped.comments == (
        "10 pages, 8 figures; updated figure 5, added references, revised text, reformatted"
    )
    assert next(p for p in page.papers if p.id == "cond-mat/0607501").version == 2


def test_http_400_raises_with_arxivs_explanation(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(recorded("id_abc_s0_m100"), status=400))

    with pytest.raises(SourceError) as caught:
        list(make_source(recorded_server, client, id_list=["abc"]).pages(None))

    assert caught.value.source == "arxiv-api"
    assert "id_list=abc" in caught.value.where
    assert "incorrect id format for abc" in str(caught.value)
    assert len(recorded_server.requests) == 1  # a client error is not retried


def test_503_then_success(recorded_server: RecordedServer, client: PoliteClient) -> None:
    recorded_server.add(PATH, Reply(b"busy", status=503), Reply(recorded("id_1605.08386_s0_m100")))
    pages = list(make_source(recorded_server, client, id_list=["1605.08386"]).pages(None))
    assert [p.id for p in all_papers(pages)] == ["1605.08386"]
    assert len(recorded_server.requests) == 2


def test_429_waits_for_retry_after(recorded_server: RecordedServer, client: PoliteClient) -> None:
    slow_down = Reply(b"slow down", status=429, headers={"Retry-After": "1"})
    recorded_server.add(PATH, slow_down, Reply(recorded("id_1605.08386_s0_m100")))

    began = time.monotonic()
    pages = list(make_source(recorded_server, client, id_list=["1605.08386"]).pages(None))

    assert time.monotonic() - began >= 0.95
    assert len(all_papers(pages)) == 1
    assert len(recorded_server.requests) == 2


def test_connection_dropped_mid_body_is_retried(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    body = recorded("id_1707.08567_s0_m100")
    recorded_server.add(PATH, Reply(body, drop_after=len(body) // 2), Reply(body))
    pages = list(make_source(recorded_server, client, id_list=["1707.08567"]).pages(None))
    assert len(all_papers(pages)[0].authors) == 34
    assert len(recorded_server.requests) == 2


def test_empty_page_before_the_end_is_asked_again(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    body = recorded("q_testing_s10_m10")
    empty = with_entries(body, [])
    recorded_server.add(PATH, Reply(empty), Reply(empty), Reply(body))
    source = make_source(recorded_server, client, page_size=10, max_results=10, sort_by="relevance")

    (page,) = source.pages({"start": 0, "run_mark": None, "mark": None})

    assert len(page.papers) == 10
    assert page.info["empty_page_retries"] == 2
    assert starts(recorded_server) == [0, 0, 0]


def test_empty_pages_that_persist_end_the_run(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(with_entries(recorded("q_testing_s10_m10"), [])))
    (page,) = make_source(recorded_server, client, page_size=10).pages(None)
    assert page.papers == []
    assert page.checkpoint["start"] is None
    assert len(recorded_server.requests) == 4  # the first try and three more


def broken(body: bytes, how: str) -> bytes:
    text = body.decode()
    if how == "truncated":
        return body[: len(body) * 2 // 3]
    if how == "no id":
        return text.replace("<id>http://arxiv.org/abs/1605.08386v1</id>", "").encode()
    if how == "no title":
        return re.sub(r"<title>Heat-bath[^<]*</title>", "", text).encode()
    if how == "bad date":
        return text.replace("<published>2016-05-26", "<published>2016-15-26").encode()
    return b"<html><body>Service unavailable</body></html>"


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("truncated", "malformed XML at line"),
        ("no id", "entry 1: no <id>"),
        ("no title", "entry 1: 1605.08386v1: no <title>"),
        ("bad date", "bad <published>"),
        ("html", "not an Atom feed"),
    ],
)
def test_bad_input_raises_source_error_naming_url_and_problem(
    recorded_server: RecordedServer, client: PoliteClient, how: str, problem: str
) -> None:
    recorded_server.add(PATH, Reply(broken(recorded("id_1605.08386_s0_m100"), how)))

    with pytest.raises(SourceError) as caught:
        list(make_source(recorded_server, client, id_list=["1605.08386"]).pages(None))

    assert caught.value.source == "arxiv-api"
    assert caught.value.where.startswith(recorded_server.url + PATH + "?")
    assert problem in caught.value.problem


def test_checkpoint_key_names_the_query() -> None:
    key = ArxivAPISource("cat:cs.LG", ["2104.12255"]).checkpoint_key
    assert key.startswith("arxiv-api?search_query=cat%3Acs.LG&id_list=2104.12255")
    assert key != ArxivAPISource("cat:cs.CL").checkpoint_key


def test_unreadable_checkpoint_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="unreadable checkpoint"):
        next(ArxivAPISource("x").pages({"start": 0, "mark": "yesterday"}))


MUTATED = [recorded("id_1707.08567_s0_m100"), recorded("2016/id_list=1111.2011v2.xml")]


def parse_or_error(data: bytes) -> ApiFeed | SourceError:
    try:
        return parse_api_feed(data, "mutated")
    except SourceError as exc:
        return exc


def assert_valid_or_source_error(data: bytes) -> None:
    feed = parse_or_error(data)
    if isinstance(feed, SourceError):
        assert feed.source == "arxiv-api"
        return
    for entry in feed.entries:
        paper = entry.paper
        assert parse_arxiv_id(paper.id).id == paper.id
        assert paper.title.strip() == paper.title != ""
        assert all(isinstance(a, Author) and a.name for a in paper.authors)
        assert paper.updated is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MUTATED), st.floats(min_value=0, max_value=1))
def test_truncated_responses_parse_or_raise_source_error(body: bytes, fraction: float) -> None:
    assert_valid_or_source_error(body[: int(len(body) * fraction)])


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(MUTATED),
    st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4
    ),
)
def test_byte_flips_parse_or_raise_source_error(
    body: bytes, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(body)
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    assert_valid_or_source_error(bytes(data))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(MUTATED), st.integers(0, 59), st.integers(1, 255))
def test_damaged_xml_declaration_raises_source_error_or_parses(
    body: bytes, where: int, mask: int
) -> None:
    """Flips in ``<?xml ... encoding=...?>`` reach expat's encoding lookup, not just parsing."""
    data = bytearray(body)
    data[where] ^= mask
    assert_valid_or_source_error(bytes(data))
