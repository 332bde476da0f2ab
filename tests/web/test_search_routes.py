"""Search pages, API and feeds over the installed search service and a real store."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.web.conftest import SECRET

search = pytest.importorskip("paperfeed.search")


@pytest.fixture
def search_client(filled_store: PaperStore, settings: Settings) -> Iterator[TestClient]:
    service = search.SearchService(filled_store, settings)
    app = create_app(
        settings, store=filled_store, search=service, secret_key=SECRET, cache_stale_for=0
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_results_highlight_the_matched_words(search_client: TestClient) -> None:
    response = search_client.get("/search", params={"q": "normalizing flows"})
    assert response.status_code == 200
    assert "<mark>Normalizing</mark>" in response.text
    assert 'href="/papers/2603.01003"' in response.text


def test_an_arxiv_id_or_exact_title_goes_straight_to_the_paper(
    search_client: TestClient,
) -> None:
    for query in ("2603.01001", "arXiv:2603.01001v1", "https://arxiv.org/abs/2603.01001"):
        response = search_client.get("/search", params={"q": query})
        assert response.status_code == 303, query
        assert response.headers["location"] == "/papers/2603.01001"
    title = search_client.get(
        "/search", params={"q": "Knowledge Graph Embedding by Normalizing Flows"}
    )
    assert title.status_code == 303 and title.headers["location"] == "/papers/2603.01003"


def test_search_filters_are_validated(search_client: TestClient) -> None:
    assert search_client.get("/search?q=flows&since=2026-13-01").status_code == 400
    assert search_client.get("/search?q=flows&category=%3Cx%3E").status_code == 400
    bad_range = search_client.get("/search?q=flows&since=2026-03-12&until=2026-03-01")
    assert bad_range.status_code == 400
    in_category = search_client.get("/search?q=identifiers&category=hep-th")
    assert in_category.status_code == 200 and "hep-th/9108028" in in_category.text


def test_search_api_and_huggingface_search(search_client: TestClient) -> None:
    data = search_client.get("/api/v1/search", params={"q": "normalizing flows"}).json()
    assert data["results"][0]["paper"]["id"] == "2603.01003"
    assert "mode_used" in data and "next_cursor" in data
    items = search_client.get("/api/papers/search", params={"q": "normalizing flows"}).json()
    assert items[0]["paper"]["id"] == "2603.01003" and "title" in items[0]
    assert search_client.get("/api/papers/search").json() == []


def test_search_feed_is_valid(search_client: TestClient) -> None:
    response = search_client.get("/feeds/search.atom", params={"q": "normalizing flows"})
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    assert parsed.entries[0].id == "https://arxiv.org/abs/2603.01003"


def test_similar_papers_answer(search_client: TestClient) -> None:
    response = search_client.get("/api/v1/papers/2603.01001/similar")
    assert response.status_code == 200
    assert all(p["id"] != "2603.01001" for p in response.json()["papers"])
    assert search_client.get("/api/v1/papers/2603.09999/similar").status_code == 404
    assert search_client.get("/papers/2603.01001").status_code == 200
