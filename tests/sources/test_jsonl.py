"""JSON Lines bulk import from real files (plain, gzip, xz) written to a temporary folder.

The lines are real arXiv metadata (CC0): the recorded Hugging Face daily papers turned
into paperfeed's dump format, and entries of the recorded arXiv API responses written
in Kaggle's snapshot format.
"""

from __future__ import annotations

import gzip
import json
import lzma
from collections.abc import Callable
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.papers.ids import is_arxiv_id
from paperfeed.papers.model import Paper
from paperfeed.sources.base import Page, SourceError
from paperfeed.sources.jsonl import MAX_LINE_BYTES, JSONLSource

FIXTURES = Path(__file__).parent.parent / "fixtures"
HF_ITEMS = json.loads((FIXTURES / "hf_daily_papers" / "hf_daily_papers.json").read_bytes())

# From the arXiv API responses in tests/fixtures/arxiv_api_atom/2026 (id_list=1605.08386,
# id_list=quant-ph/0201082v1), in paperfeed's dump format.
DUMP_FROM_ATOM: list[dict[str, Any]] = [
    {
        "id": "1605.08386",
        "title": "Heat-bath random walks with Markov bases",
        "abstract": "Graphs on lattice points are studied whose edges come from a finite set of "
        "allowed moves of arbitrary length.",
        "authors": ["Caprice Stanley", "Tobias Windisch"],
        "categories": ["math.CO", "math.ST"],
        "published": "2016-05-26",
    },
    {
        "id": "quant-ph/0201082",
        "title": "Quantum Computers and Quantum Computer Languages: "
        "Quantum Assembly Language and Quantum C Language",
        "abstract": None,
        "authors": ["Stephen Blaha"],
        "categories": ["quant-ph", "cs.PL"],
        "published": None,
    },
]

# The same API responses (search_query=testing) in Kaggle's snapshot format, hard-wrapped
# as Kaggle writes them. The recording has mojibake in names ("AzaÃ¯s"); written here
# decoded. 1706.00679's v2 date is not in the recording, so only v1 and v3 are listed.
KAGGLE: list[dict[str, Any]] = [
    {
        "id": "hep-ph/0301050",
        "submitter": "Hitoshi Murayama",
        "authors": "Andre de Gouvea, Hitoshi Murayama",
        "title": "Statistical Test of Anarchy",
        "comments": "5 pages, 2 figures. Improved criteria for testing the hypothesis and\n  "
        "deriving lower limits on theta_{13}",
        "journal-ref": "Phys.Lett.B573:94-100,2003",
        "doi": "10.1016/j.physletb.2003.08.045",
        "report-no": None,
        "categories": "hep-ph",
        "license": None,
        "abstract": '  "Anarchy" is the hypothesis that there is no fundamental distinction\n'
        "among the three flavors of neutrinos.\n",
        "versions": [
            {"version": "v1", "created": "Wed, 8 Jan 2003 20:15:43 GMT"},
            {"version": "v2", "created": "Mon, 30 Jun 2003 03:20:20 GMT"},
        ],
        "update_date": "2003-06-30",
        "authors_parsed": [["de Gouvea", "Andre", ""], ["Murayama", "Hitoshi", ""]],
    },
    {
        "id": "1706.00679",
        "submitter": "Yohann De Castro",
        "authors": "Jean-Marc Aza\u00efs, Yohann De Castro and St\u00e9phane Mourareau",
        "title": "Testing Gaussian Process with Applications to\n  Super-Resolution",
        "comments": "Final version, 6 figures, Python code and Jupyter notebook available at\n  "
        "https://github.com/ydecastro/super-resolution-testing",
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": "math.ST cs.IT math.PR",
        "license": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        "abstract": "  This article introduces exact testing procedures on the mean of a Gaussian\n"
        "process $X$ derived from the outcomes of $\\ell_1$-minimization.\n",
        "versions": [
            {"version": "v1", "created": "Fri, 2 Jun 2017 13:17:03 GMT"},
            {"version": "v3", "created": "Mon, 2 Jul 2018 13:07:55 GMT"},
        ],
        "update_date": "2018-07-03",
    },
]


def dump_from_hf(item: dict[str, Any]) -> dict[str, Any]:
    paper = item["paper"]
    return {
        "id": paper["id"],
        "title": paper["title"],
        "abstract": paper["summary"],
        "authors": [a["name"] for a in paper["authors"]],
        "categories": [],
        "published": paper["publishedAt"][:10],
    }


RECORDS: list[dict[str, Any]] = [
    *DUMP_FROM_ATOM,
    *KAGGLE,
    *(dump_from_hf(item) for item in HF_ITEMS),
]
LINES = [json.dumps(record).encode() + b"\n" for record in RECORDS]
WRITERS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda data: data,
    "gz": lambda data: gzip.compress(data, compresslevel=1, mtime=0),
    "xz": lambda data: lzma.compress(data, preset=0),
}


def write(path: Path, lines: list[bytes], kind: str = "plain") -> Path:
    path.write_bytes(WRITERS[kind](b"".join(lines)))
    return path


def read_all(source: JSONLSource, checkpoint: dict[str, Any] | None = None) -> list[Page]:
    return list(source.pages(checkpoint))


def ids(pages: list[Page]) -> list[str]:
    return [paper.id for page in pages for paper in page.papers]


@pytest.mark.parametrize("kind", ["plain", "gz", "xz"])
def test_every_line_becomes_a_paper_in_batches(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path / f"papers.jsonl.{kind}", LINES, kind)

    pages = read_all(JSONLSource(path, batch_size=10))

    assert ids(pages) == [str(record["id"]) for record in RECORDS]
    assert [len(page.papers) for page in pages] == [10, 10, 10, 4]
    size = path.stat().st_size
    assert [page.checkpoint for page in pages] == [
        {"line": 10, "size": size},
        {"line": 20, "size": size},
        {"line": 30, "size": size},
        {"line": 34, "size": size},
    ]
    assert pages[1].where == f"{path}:11-20"
    assert pages[1].info["first_line"] == 11 and pages[1].info["invalid"] == 0


@pytest.mark.parametrize("kind", ["gz", "xz"])
def test_concatenated_streams_read_as_one_file(tmp_path: Path, kind: str) -> None:
    # What parallel compressors (pigz, xz -T) and `cat a.gz b.gz` produce.
    path = tmp_path / f"papers.jsonl.{kind}"
    path.write_bytes(WRITERS[kind](b"".join(LINES[:20])) + WRITERS[kind](b"".join(LINES[20:])))

    assert ids(read_all(JSONLSource(path))) == [str(record["id"]) for record in RECORDS]


def test_the_dump_format_maps_its_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "papers.jsonl", LINES)

    papers = {p.id: p for page in read_all(JSONLSource(path)) for p in page.papers}

    walks = papers["1605.08386"]
    assert walks.title == "Heat-bath random walks with Markov bases"
    assert [a.name for a in walks.authors] == ["Caprice Stanley", "Tobias Windisch"]
    assert walks.categories == ("math.CO", "math.ST") and walks.primary_category == "math.CO"
    assert walks.published == walks.announced == date(2016, 5, 26)
    assert walks.version is None and walks.updated is None
    old_style = papers["quant-ph/0201082"]
    assert old_style.abstract == "" and old_style.published is None
    with_code = papers["2606.07867"]
    assert with_code.code_links == ("github.com/Trustworthy-ML-Lab/Agent-Cold-Start-Safety-Gap",)


def test_the_kaggle_format_maps_its_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "arxiv-metadata-oai-snapshot.json", LINES)

    papers = {p.id: p for page in read_all(JSONLSource(path)) for p in page.papers}

    anarchy = papers["hep-ph/0301050"]
    assert anarchy.version == 2
    assert anarchy.published == anarchy.announced == date(2003, 1, 8)
    assert anarchy.updated == date(2003, 6, 30)
    assert [a.name for a in anarchy.authors] == ["Andre de Gouvea", "Hitoshi Murayama"]
    assert anarchy.abstract.startswith('"Anarchy" is the hypothesis that there is no')
    assert "\n" not in anarchy.abstract
    assert anarchy.comments == (
        "5 pages, 2 figures. Improved criteria for testing the "
        "hypothesis and deriving lower limits on theta_{13}"
    )
    assert anarchy.journal_ref == "Phys.Lett.B573:94-100,2003"
    assert anarchy.doi == "10.1016/j.physletb.2003.08.045"
    assert anarchy.license is None and anarchy.categories == ("hep-ph",)
    gaussian = papers["1706.00679"]
    assert gaussian.title == "Testing Gaussian Process with Applications to Super-Resolution"
    assert gaussian.version == 3 and gaussian.updated == date(2018, 7, 2)
    assert [a.name for a in gaussian.authors] == [  # no authors_parsed: the string is split
        "Jean-Marc Aza\u00efs",
        "Yohann De Castro",
        "St\u00e9phane Mourareau",
    ]
    assert gaussian.categories == ("math.ST", "cs.IT", "math.PR")
    assert gaussian.code_links == ("github.com/ydecastro/super-resolution-testing",)
    assert gaussian.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


@pytest.mark.parametrize("kind", ["plain", "xz"])
def test_a_rerun_resumes_after_the_last_stored_page(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path / f"papers.jsonl.{kind}", LINES, kind)
    # The first run is killed after two pages were committed.
    stored = list(islice(JSONLSource(path, batch_size=8).pages(None), 2))

    resumed = read_all(JSONLSource(path, batch_size=8), dict(stored[-1].checkpoint))

    assert ids(stored) + ids(resumed) == [str(record["id"]) for record in RECORDS]
    assert resumed[0].where == f"{path}:17-24"
    assert read_all(JSONLSource(path), dict(resumed[-1].checkpoint)) == []


def test_a_file_that_changed_size_is_read_from_the_start(tmp_path: Path) -> None:
    path = write(tmp_path / "papers.jsonl", LINES[:10])
    [page] = read_all(JSONLSource(path))
    write(path, LINES)

    pages = read_all(JSONLSource(path), dict(page.checkpoint))

    assert len(ids(pages)) == len(LINES)
    assert pages[0].info["restarted"] == "file size changed since the checkpoint"


def test_checkpoint_key_names_the_resolved_file(tmp_path: Path) -> None:
    path = write(tmp_path / "papers.jsonl", LINES)
    assert JSONLSource(path).checkpoint_key == f"jsonl:{path.resolve()}"


@pytest.mark.parametrize("kind", ["gz", "xz"])
def test_a_truncated_compressed_file_fails_after_yielding_what_it_read(
    tmp_path: Path, kind: str
) -> None:
    many = LINES * 120
    whole = WRITERS[kind](b"".join(many))
    path = tmp_path / f"papers.jsonl.{kind}"
    path.write_bytes(whole[: len(whole) // 2])
    pages: list[Page] = []
    reading = JSONLSource(path, batch_size=5).pages(None)

    with pytest.raises(SourceError, match="truncated or corrupt") as caught:
        pages.extend(reading)

    reached = int(caught.value.where.rsplit(":", 1)[1])
    assert caught.value.where == f"{path}:{reached}"
    assert len(pages) >= 3 and pages[-1].checkpoint["line"] == reached - 1
    assert ids(pages) == [str(RECORDS[i % len(RECORDS)]["id"]) for i in range(reached - 1)]


def test_a_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        read_all(JSONLSource(tmp_path / "absent.jsonl"))


BAD_LINES = [
    (b"{not json}\n", "not valid JSON"),
    (b"[1, 2]\n", "expected a JSON object, found list"),
    (b'{"title": "No id"}\n', "missing id"),
    (b'{"id": "1605.08386"}\n', "missing title"),
    (b'{"id": "12345", "title": "Bad id"}\n', "invalid arXiv id '12345'"),
    (b'{"id": "1605.08386", "title": "T", "authors": [1, 2]}\n', "authors must be"),
    (b'{"id": "1605.08386", "title": "T", "published": "26 May 2016"}\n', "published is not"),
    ('{"id": "1605.08386", "title": "caf\u00e9"}\n'.encode("latin-1"), "not valid UTF-8"),
    (b'{"id": "1605.08386", "title": "' + b"x" * MAX_LINE_BYTES + b'"}\n', "line longer than"),
    (
        b'{"id": "hep-ph/0301050", "title": "T", "versions": [{"version": "1"}]}\n',
        "bad version label",
    ),
]


@pytest.mark.parametrize(("bad", "problem"), BAD_LINES)
def test_a_bad_line_stops_the_import_naming_file_and_line(
    tmp_path: Path, bad: bytes, problem: str
) -> None:
    path = write(tmp_path / "papers.jsonl", [*LINES[:3], b"\n", bad, *LINES[3:]])

    with pytest.raises(SourceError, match=problem) as caught:
        read_all(JSONLSource(path))

    assert caught.value.source == "jsonl"
    assert caught.value.where == f"{path}:5"


def test_skip_invalid_counts_and_skips_bad_lines(tmp_path: Path) -> None:
    bad = [line for line, _ in BAD_LINES]
    path = write(tmp_path / "papers.jsonl", [*LINES[:10], *bad, *LINES[10:]])

    pages = read_all(JSONLSource(path, batch_size=10, skip_invalid=True))

    assert ids(pages) == [str(record["id"]) for record in RECORDS]
    assert sum(page.info["invalid"] for page in pages) == len(bad)
    assert pages[-1].info["invalid_total"] == len(bad)
    assert pages[-1].checkpoint["line"] == len(LINES) + len(bad)


def assert_valid(paper: Paper) -> None:
    assert is_arxiv_id(paper.versioned_id)
    assert isinstance(paper.title, str) and paper.title.strip()
    assert isinstance(paper.abstract, str)
    assert all(isinstance(a.name, str) and a.name for a in paper.authors)
    assert all(isinstance(c, str) for c in paper.categories)


def read_or_source_error(path: Path) -> None:
    try:
        for page in JSONLSource(path, batch_size=7).pages(None):
            for paper in page.papers:
                assert_valid(paper)
    except SourceError:
        pass


SMALL = b"".join(LINES[:8])


TMP_PATH_OK = [HealthCheck.function_scoped_fixture]  # each example writes its own file name


@settings(max_examples=60, deadline=None, suppress_health_check=TMP_PATH_OK)
@given(st.sampled_from(sorted(WRITERS)), st.floats(0, 1))
def test_truncated_files_parse_or_raise_source_error(
    tmp_path: Path, kind: str, fraction: float
) -> None:
    data = WRITERS[kind](SMALL)
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(data[: int(len(data) * fraction)])
    read_or_source_error(path)


@settings(max_examples=150, deadline=None, suppress_health_check=TMP_PATH_OK)
@given(
    st.sampled_from(sorted(WRITERS)),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6),
)
def test_byte_flips_parse_or_raise_source_error(
    tmp_path: Path, kind: str, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(WRITERS[kind](SMALL))
    for where, value in flips:
        data[int(where * len(data))] = value
    path = tmp_path / f"flipped.{kind}"
    path.write_bytes(bytes(data))
    read_or_source_error(path)
