"""The arXiv OAI-PMH source against recorded OAI responses served over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.papers.ids import parse_arxiv_id
from paperfeed.papers.model import Author, Paper
from paperfeed.sources.arxiv_oai import (
    ArxivOAISource,
    OAIResponse,
    parse_oai_response,
    split_author_list,
)
from paperfeed.sources.base import Page, SourceError
from paperfeed.sources.http import PoliteClient
from tests.recorded_server import RecordedServer, Reply

FIXTURES = Path(__file__).parent.parent / "fixtures" / "arxiv_oai_pmh"
PATH = "/oai"
TOKEN = "726959|1001"  # the token in the recorded ListRecordsResponse.xml


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def as_list_records(name: str, token: str = "") -> bytes:
    """A recorded GetRecord response re-wrapped as the last page of a ListRecords harvest."""
    text = recorded(name).decode()
    text = text.replace("<GetRecord>", "<ListRecords>")
    closing = f"<resumptionToken>{token}</resumptionToken></ListRecords>"
    return text.replace("</GetRecord>", closing).encode()


def raw_page() -> bytes:
    """The recorded arXivRaw ``ListRecords`` page: 6 records and a resumption token."""
    return recorded("ListRecordsResponse.xml")


def without_token(body: bytes) -> bytes:
    return re.sub(rb"<resumptionToken[^>]*>[^<]*</resumptionToken>", b"", body)


@pytest.fixture
def client() -> Iterator[PoliteClient]:
    with PoliteClient(pace_group="test", min_interval=0, backoff=0.01) as polite:
        yield polite


def make_source(server: RecordedServer, client: PoliteClient, **kwargs: Any) -> ArxivOAISource:
    return ArxivOAISource(base_url=server.url + PATH, client=client, **kwargs)


def all_papers(pages: list[Page]) -> list[Paper]:
    return [paper for page in pages for paper in page.papers]


def serve_two_page_harvest(server: RecordedServer) -> None:
    server.add(PATH, Reply(raw_page()), query={"metadataPrefix": "arXivRaw"})
    server.add(
        PATH, Reply(as_list_records("GetRecordResponse.xml")), query={"resumptionToken": TOKEN}
    )


def test_resumption_token_is_followed_to_the_end(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_two_page_harvest(recorded_server)
    source = make_source(
        recorded_server,
        client,
        metadata_prefix="arXivRaw",
        set_spec="physics",
        from_date=date(2014, 10, 1),
        until_date=date(2015, 1, 6),
    )

    first, last = source.pages(None)

    assert [query for _, query in recorded_server.requests] == [
        {
            "verb": "ListRecords",
            "metadataPrefix": "arXivRaw",
            "set": "physics",
            "from": "2014-10-01",
            "until": "2015-01-06",
        },
        {"verb": "ListRecords", "resumptionToken": TOKEN},
    ]
    assert [len(first.papers), len(last.papers)] == [6, 1]
    assert first.checkpoint == {
        "from": "2014-10-01",
        "resumption_token": TOKEN,
        "last_datestamp": "2014-12-22",
    }
    # Completed: the next harvest starts at the newest datestamp seen.
    assert last.checkpoint == {
        "from": "2014-12-22",
        "resumption_token": None,
        "last_datestamp": "2014-12-22",
    }
    assert first.info["complete_list_size"] == 58011


def test_arxivraw_fields(recorded_server: RecordedServer, client: PoliteClient) -> None:
    recorded_server.add(PATH, Reply(without_token(raw_page())))

    (page,) = make_source(recorded_server, client, metadata_prefix="arXivRaw").pages(None)

    papers = {p.id: p for p in page.papers}
    revised = papers["0704.0716"]
    assert revised.version == 4  # the latest version
    assert (revised.published, revised.updated, revised.announced) == (
        date(2007, 4, 5),
        date(2008, 11, 14),
        date(2007, 4, 5),
    )
    assert revised.categories == ("math-ph", "math.MP")
    assert revised.primary_category == "math-ph"
    assert revised.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert revised.comments is not None and "\n" not in revised.comments
    assert [a.name for a in papers["0704.0471"].authors] == [
        "D.V. Shetty",
        "S.J. Yennello",
        "G.A. Souliotis",
    ]
    assert [a.name for a in papers["0704.1109"].authors] == [
        "Valeria M. Rosa",
        "Patricio S. letelier",
    ]
    # Two DOIs in one field: the paper's own comes first.
    assert papers["0704.0471"].doi == "10.1103/PhysRevC.76.024606"
    assert papers["0704.0471"].abstract.startswith("The density dependence")


def test_arxivraw_submitter_is_parsed() -> None:
    response = parse_oai_response(recorded("GetRecordResponse.xml"), "GetRecordResponse.xml")
    (record,) = response.records
    assert record.submitter == "Michael Saelim"
    assert record.datestamp == date(2013, 4, 3)
    assert [a.name for a in record.paper.authors] == [
        "Joshua Berger",
        "Maxim Perelstein",
        "Michael Saelim",
        "Philip Tanedo",
    ]


def test_arxiv_format_fields(recorded_server: RecordedServer, client: PoliteClient) -> None:
    recorded_server.add(
        PATH,
        Reply(as_list_records("hepcrawl-sample_arxiv_record.xml")),
        query={"metadataPrefix": "arXiv"},
    )

    (page,) = make_source(recorded_server, client).pages(None)

    papers = {p.id: p for p in page.papers}
    assert len(papers) == 12
    # This record's <arXiv> carries no namespace of its own: it is still read.
    coherence = papers["1601.03238"]
    assert coherence.title == (
        "Irreversible degradation of quantum coherence under relativistic motion"
    )
    assert coherence.authors[1] == Author("Jieci Wang")
    assert coherence.categories == ("quant-ph", "gr-qc", "hep-th")
    assert coherence.license == "https://creativecommons.org/licenses/by/3.0/"
    assert coherence.version is None  # the arXiv format does not say
    assert coherence.published == coherence.updated == date(2016, 1, 13)
    planck = papers["1604.05585"]
    assert planck.authors[0] == Author("Günter Burigana", ("on behalf of Planck Collaboration",))
    assert papers["1606.07066"].authors[0].affiliations == ("Technion", "DESY")
    assert ":" not in [a.name for a in papers["1603.05976"].authors]


def test_arxiv_format_updated_and_suffix() -> None:
    single = parse_oai_response(as_list_records("hepcrawl-arxiv-single.xml"), "single")
    (paper,) = [r.paper for r in single.records]
    assert (paper.published, paper.updated) == (date(2014, 1, 9), date(2017, 10, 23))
    assert paper.doi == "10.1007/s11005-017-1013-4"
    bicep = parse_oai_response(as_list_records("hepcrawl-sample_arxiv_record4.xml"), "bicep")
    names = [a.name for a in bicep.records[0].paper.authors]
    assert "R. W. IV" in names


def test_deleted_records_are_skipped_and_counted(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    text = without_token(raw_page()).decode()
    # Mark the second record (0704.0716, the newest datestamp) deleted, as OAI does.
    text = text.replace(
        "<header>\n <identifier>oai:arXiv.org:0704.0716",
        '<header status="deleted">\n <identifier>oai:arXiv.org:0704.0716',
    )
    text = re.sub(
        r"(oai:arXiv.org:0704.0716.*?</header>\n)<metadata>.*?</metadata>\n",
        r"\1",
        text,
        flags=re.DOTALL,
    )
    recorded_server.add(PATH, Reply(text))

    (page,) = make_source(recorded_server, client, metadata_prefix="arXivRaw").pages(None)

    assert "0704.0716" not in [p.id for p in page.papers]
    assert len(page.papers) == 5
    assert page.info["deleted"] == 1
    assert page.checkpoint["last_datestamp"] == "2014-12-22"  # deletions are changes too


def test_no_records_match_is_a_clean_empty_finish(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(recorded("ErrorResponseNoRecordsMatch.xml")))
    source = make_source(recorded_server, client, set_spec="moo")
    checkpoint = {"from": "2015-06-20", "resumption_token": None, "last_datestamp": "2015-06-20"}

    assert list(source.pages(checkpoint)) == []
    assert recorded_server.requests[0][1]["from"] == "2015-06-20"


def test_expired_token_restarts_from_the_saved_from(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_two_page_harvest(recorded_server)
    recorded_server.add(
        PATH, Reply(recorded("ErrorResponseBadResumptionToken.xml")), query={"resumptionToken": "3"}
    )
    saved = {"from": "2014-10-01", "resumption_token": "3", "last_datestamp": "2014-11-18"}

    pages = list(make_source(recorded_server, client, metadata_prefix="arXivRaw").pages(saved))

    assert [query for _, query in recorded_server.requests] == [
        {"verb": "ListRecords", "resumptionToken": "3"},
        {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2014-10-01"},
        {"verb": "ListRecords", "resumptionToken": TOKEN},
    ]
    assert len(all_papers(pages)) == 7
    assert pages[0].info["token_restarts"] == 1
    assert pages[-1].checkpoint["resumption_token"] is None


def test_token_that_keeps_expiring_gives_up(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(raw_page()), query={"metadataPrefix": "arXivRaw"})
    recorded_server.add(
        PATH,
        Reply(recorded("ErrorResponseBadResumptionToken.xml")),
        query={"resumptionToken": TOKEN},
    )

    with pytest.raises(SourceError, match="badResumptionToken"):
        list(make_source(recorded_server, client, metadata_prefix="arXivRaw").pages(None))

    assert len(recorded_server.requests) == 6  # three harvests of two requests each


def test_a_token_that_never_advances_is_an_error(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(raw_page()))
    saved = {"from": None, "resumption_token": TOKEN, "last_datestamp": None}
    with pytest.raises(SourceError, match="repeated the resumptionToken"):
        list(make_source(recorded_server, client, metadata_prefix="arXivRaw").pages(saved))


@pytest.mark.parametrize(
    ("fixture", "code", "message"),
    [
        ("ErrorResponseBadArgument.xml", "badArgument", "illegal argument 'identifier'"),
        ("ErrorResponseBadVerb.xml", "badVerb", "Verb 'wah' not implemented"),
        ("ErrorResponseIdDoesNotExist.xml", "idDoesNotExist", "does not correspond"),
    ],
)
def test_other_oai_errors_raise_with_code_and_message(
    recorded_server: RecordedServer, client: PoliteClient, fixture: str, code: str, message: str
) -> None:
    recorded_server.add(PATH, Reply(recorded(fixture)))

    with pytest.raises(SourceError) as caught:
        list(make_source(recorded_server, client).pages(None))

    assert caught.value.source == "arxiv-oai"
    assert caught.value.where.startswith(recorded_server.url + PATH + "?verb=ListRecords")
    assert f"OAI error {code}: " in caught.value.problem
    assert message in caught.value.problem


def test_oai_error_sent_with_http_400_is_still_understood(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(recorded("ErrorResponseNoRecordsMatch.xml"), status=400))
    assert list(make_source(recorded_server, client).pages(None)) == []


def test_resuming_from_a_checkpoint_sends_only_the_token(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    serve_two_page_harvest(recorded_server)
    saved = {"from": "2014-10-01", "resumption_token": TOKEN, "last_datestamp": "2014-12-22"}
    source = make_source(
        recorded_server,
        client,
        metadata_prefix="arXivRaw",
        set_spec="physics",
        from_date=date(2000, 1, 1),
    )

    (page,) = source.pages(saved)

    assert recorded_server.requests[0][1] == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert [p.id for p in page.papers] == ["1302.2146"]
    assert page.checkpoint == {
        "from": "2014-12-22",
        "resumption_token": None,
        "last_datestamp": "2014-12-22",
    }


def test_completed_checkpoint_starts_the_next_harvest_at_last_datestamp(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    recorded_server.add(PATH, Reply(as_list_records("hepcrawl-arxiv-single.xml")))
    saved = {"from": "2014-12-22", "resumption_token": None, "last_datestamp": "2014-12-22"}

    (page,) = make_source(recorded_server, client, from_date=date(2000, 1, 1)).pages(saved)

    assert recorded_server.requests[0][1] == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "from": "2014-12-22",
    }
    assert page.checkpoint["from"] == "2018-01-25"


def test_503_flow_control_is_waited_out(
    recorded_server: RecordedServer, client: PoliteClient
) -> None:
    busy = Reply(b"Retry later", status=503, headers={"Retry-After": "0"})
    recorded_server.add(PATH, busy, busy, Reply(without_token(raw_page())))
    pages = list(make_source(recorded_server, client, metadata_prefix="arXivRaw").pages(None))
    assert len(all_papers(pages)) == 6
    assert len(recorded_server.requests) == 3


def test_server_error_that_persists_is_a_source_error(recorded_server: RecordedServer) -> None:
    recorded_server.add(PATH, Reply(b"down", status=500))
    with (
        PoliteClient(pace_group="test", min_interval=0, backoff=0.01, max_retries=1) as client,
        pytest.raises(SourceError, match="HTTP 500"),
    ):
        list(make_source(recorded_server, client).pages(None))


def damaged(how: str) -> bytes:
    text = without_token(raw_page()).decode()
    if how == "truncated":
        return text[: len(text) // 2].encode()
    if how == "no id":
        return text.replace("<id>0704.0874</id>", "").encode()
    if how == "no title":
        return re.sub(r"<title>Higher ramification[^<]*</title>", "", text).encode()
    if how == "bad version":
        return text.replace("<date>Thu, 20 Nov 2014", "<date>Thu, 99 Nov 2014").encode()
    return b"<rss><channel/></rss>"


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("truncated", "malformed XML at line"),
        ("no id", "record 3 (oai:arXiv.org:0704.0874): no <id>"),
        ("no title", "record 3 (oai:arXiv.org:0704.0874): 0704.0874: no <title>"),
        ("bad version", "bad version date"),
        ("not oai", "not an OAI-PMH response"),
    ],
)
def test_bad_input_raises_source_error_naming_url_and_problem(
    recorded_server: RecordedServer, client: PoliteClient, how: str, problem: str
) -> None:
    recorded_server.add(PATH, Reply(damaged(how)))

    with pytest.raises(SourceError) as caught:
        list(make_source(recorded_server, client, metadata_prefix="arXivRaw").pages(None))

    assert caught.value.source == "arxiv-oai"
    assert caught.value.where.startswith(recorded_server.url + PATH + "?")
    assert problem in caught.value.problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "D.V. Shetty, S.J. Yennello, and G.A. Souliotis",
            [("D.V. Shetty", ()), ("S.J. Yennello", ()), ("G.A. Souliotis", ())],
        ),
        (
            "Valeria M. Rosa and Patricio S. letelier",
            [("Valeria M. Rosa", ()), ("Patricio S. letelier", ())],
        ),
        (
            "A. Gould (Ohio State), S. Dorsher (Ohio State) and B. S. Gaudi (CfA)",
            [
                ("A. Gould", ("Ohio State",)),
                ("S. Dorsher", ("Ohio State",)),
                ("B. S. Gaudi", ("CfA",)),
            ],
        ),
        (
            "J. Smith, Jr. and K. Lee ((1) MIT, (2) Harvard)",
            [("J. Smith Jr.", ()), ("K. Lee", ("(1) MIT, (2) Harvard",))],
        ),
        (
            "Alexander Anand; the ATLAS Collaboration et al.",
            [("Alexander Anand", ()), ("the ATLAS Collaboration", ())],
        ),
    ],
)
def test_split_author_list(text: str, expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(a.name, a.affiliations) for a in split_author_list(text)] == expected


def test_checkpoint_key_names_prefix_and_set() -> None:
    key = ArxivOAISource(metadata_prefix="arXivRaw", set_spec="cs:cs:LG").checkpoint_key
    assert key == "arxiv-oai?metadataPrefix=arXivRaw&set=cs%3Acs%3ALG"
    assert key != ArxivOAISource(set_spec="cs:cs:LG").checkpoint_key


MUTATED = [raw_page(), as_list_records("hepcrawl-sample_arxiv_record.xml")]


def parse_or_error(data: bytes) -> OAIResponse | SourceError:
    try:
        return parse_oai_response(data, "mutated")
    except SourceError as exc:
        return exc


def assert_valid_or_source_error(data: bytes) -> None:
    response = parse_or_error(data)
    if isinstance(response, SourceError):
        assert response.source == "arxiv-oai"
        return
    for record in response.records:
        paper = record.paper
        assert parse_arxiv_id(paper.id).id == paper.id
        assert paper.title.strip() == paper.title != ""
        assert all(a.name for a in paper.authors)
        assert isinstance(record.datestamp, date)


@settings(max_examples=150, deadline=None)
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
