"""Keyword search end to end on a real SQLite store: syntax, filters, safety."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.papers.model import Author
from paperfeed.search import SearchFilters, SearchService
from paperfeed.store import PaperStore, open_store
from tests.factories import make_paper
from tests.search.conftest import search_settings

PAPERS = [
    make_paper(
        "2112.12345",
        title="Revisiting Transformation Invariant Geometric Deep Learning",
        authors=(Author("Ziwei Zhang"), Author("Xin Wang")),
        categories=("cs.LG",),
        announced=date(2021, 12, 23),
    ),
    make_paper(
        "2407.04325",
        title="Understanding the Role of Invariance in Transfer Learning",
        abstract="Invariance to transformations matters for transfer learning.",
        authors=(Author("Till Speicher"),),
        categories=("cs.LG",),
        announced=date(2024, 7, 5),
        doi="10.1000/Example.42",
    ),
    make_paper(
        "2402.13572",
        title="On the Expressive Power of a Variant of the Looped Transformer",
        abstract="Looped transformers with a fixed number of layers; in $\\mathbb{R}^n$.",
        authors=(Author("Yihang Gao"),),
        categories=("cs.CL",),
        announced=date(2024, 2, 21),
    ),
    make_paper(
        "2310.11366",
        title="Lie Group Decompositions for Equivariant Neural Networks",
        abstract="Equivariance and invariance with respect to Lie groups, self-supervised.",
        authors=(Author("Mircea Mironenco"), Author("Patrick Forré")),
        categories=("cs.LG", "stat.ML"),
        announced=date(2023, 10, 17),
    ),
]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaperStore]:
    folder = tmp_path_factory.mktemp("keyword")
    store = open_store(f"sqlite:///{folder / 'paperfeed.db'}")
    store.upsert_papers(PAPERS, source="test")
    yield store
    store.close()


@pytest.fixture(scope="module")
def service(small_store: PaperStore, tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    return SearchService(small_store, search_settings(tmp_path_factory.mktemp("var")))


def ids(service: SearchService, query: str, **kwargs: object) -> list[str]:
    results = service.search(query, mode="keyword", **kwargs)  # type: ignore[arg-type]
    return [h.paper.paper.id for h in results.hits]


def test_words_match_stems_and_title_outranks_abstract(service: SearchService) -> None:
    found = ids(service, "invariant")
    assert set(found[:2]) == {"2112.12345", "2407.04325"}  # in the title
    assert found[2] == "2310.11366"  # "invariance" only in the abstract


def test_phrase_is_exact(service: SearchService) -> None:
    assert ids(service, '"looped transformer"') == ["2402.13572"]
    assert ids(service, '"transformer looped"') == []


def test_prefix(service: SearchService) -> None:
    assert ids(service, "equivar*") == ["2310.11366"]


def test_author_operator_and_filter(service: SearchService) -> None:
    assert ids(service, "author:speicher") == ["2407.04325"]
    assert ids(service, 'invariance author:"xin wang"') == ["2112.12345"]
    assert ids(service, "invariance", filters=SearchFilters(author="Forré")) == ["2310.11366"]


def test_category_and_dates(service: SearchService) -> None:
    assert ids(service, "invariance cat:stat.ML") == ["2310.11366"]
    assert set(ids(service, "invariance since:2023-01-01")) == {"2407.04325", "2310.11366"}
    assert ids(service, "invariance", filters=SearchFilters(until=date(2022, 1, 1))) == [
        "2112.12345"
    ]


def test_exclusion(service: SearchService) -> None:
    assert "2310.11366" not in ids(service, "invariance -lie")


def test_hyphenated_words_and_math_letters(service: SearchService) -> None:
    assert ids(service, "self-supervised") == ["2310.11366"]
    assert ids(service, "ℝ^n looped")[0] == "2402.13572"


def test_highlighted_title_and_snippet(service: SearchService) -> None:
    hit = service.search("transfer invariance", mode="keyword").hits[0]
    assert ("Invariance", True) in hit.title
    assert any(marked for _, marked in hit.snippet)
    assert hit.matched_by == frozenset({"keyword"})


def test_pins_by_id_url_doi_and_title(service: SearchService) -> None:
    for query, kind in [
        ("2402.13572", "id"),
        ("https://arxiv.org/abs/2402.13572v2", "url"),
        ("arXiv:2402.13572", "id"),
    ]:
        results = service.search(query, mode="keyword")
        assert (results.pinned, results.pin_kind) == ("2402.13572", kind)
        assert results.hits[0].pinned and results.hits[0].paper.paper.id == "2402.13572"
    by_doi = service.search("doi:10.1000/example.42", mode="keyword")
    assert (by_doi.pinned, by_doi.pin_kind) == ("2407.04325", "doi")
    by_title = service.search(
        "  understanding the ROLE of invariance in transfer learning ", mode="keyword"
    )
    assert (by_title.pinned, by_title.pin_kind) == ("2407.04325", "title")
    assert by_title.hits[0].matched_by == frozenset({"keyword", "pin"})


def test_a_pin_appears_once_across_pages(service: SearchService) -> None:
    first = ids(service, "2112.12345 invariance", limit=1)
    rest = ids(service, "2112.12345 invariance", limit=10, offset=1)
    assert first == ["2112.12345"] and "2112.12345" not in rest


def test_operators_only_and_empty_queries_answer_nothing(service: SearchService) -> None:
    assert ids(service, "") == []
    assert ids(service, "-invariance") == []
    assert ids(service, '""') == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=80)
    | st.lists(
        st.sampled_from(
            ['"', "*", "-", ":", "(", ")", "^", "+", "NEAR", "AND", "OR", "NOT", "{", "}",
             "author:", "cat:", "since:", "'", ";", "--", "\\", "\x00", "ℝ", "𝒪", "é",
             "invariance", "title", "a"]
        ),
        max_size=12,
    ).map(" ".join)
    | st.lists(st.sampled_from(['"', "*", "-", ":", "(", "^", "x", "NEAR"]), max_size=10).map(
        "".join
    )
)  # fmt: skip
def test_any_user_text_searches_without_error(service: SearchService, query: str) -> None:
    results = service.search(query, mode="keyword", limit=5)
    assert results.mode_used == "keyword"
    assert len(results.hits) <= 5


def test_many_words_keep_the_rarest(service: SearchService) -> None:
    query = "the role of invariance in transfer learning for neural networks and models today"
    assert ids(service, query)[0] == "2407.04325"


def test_unknown_mode_is_an_error(service: SearchService) -> None:
    from paperfeed.search import SearchError

    with pytest.raises(SearchError, match="unknown search mode"):
        service.search("x", mode="fuzzy")  # type: ignore[arg-type]


def test_demo_corpus_path_exists() -> None:
    assert (Path(__file__).parents[2] / "paperfeed" / "demo" / "papers.jsonl.gz").is_file()
