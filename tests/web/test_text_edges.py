"""What pages and feeds carry of hostile text: no control characters, bounded abstracts.

The papers here are stored directly, as records stored before ingest cleaned them
would be: pages must hold up on their own. (No NUL in them: PostgreSQL never stored one.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.store import PaperStore
from paperfeed.web import create_app
from tests.factories import make_paper
from tests.web.conftest import DAY, SECRET

CONTROLS = [chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)]]
HUGE = "We show that " + "graph networks generalise well. " * 27_000  # about 860 KB

search = pytest.importorskip("paperfeed.search")


def has_controls(text: str) -> bool:
    return any(c in text for c in CONTROLS)


@pytest.fixture
def hostile_client(store: PaperStore, settings: Settings) -> Iterator[TestClient]:
    store.upsert_papers(
        [
            make_paper(
                "2603.01001",
                title="Graph\x01 Networks \x1b[31mred\x1b[0m\x85",
                abstract="Flows \x02with\x07 bells \x9b and whistles.",
                announced=DAY,
            ),
            make_paper("2603.01002", title="Normalizing flows at length", abstract=HUGE,
                       announced=DAY),
        ],
        source="jsonl",
    )  # fmt: skip
    service = search.SearchService(store, settings)
    app = create_app(settings, store=store, search=service, secret_key=SECRET, cache_stale_for=0)
    with TestClient(app, follow_redirects=False) as client:
        yield client
    service.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/papers/2603.01001",
        "/search?q=graph%00networks%1b%5B31m%C2%85&category=cs.LG%00",
        "/search?q=%00&since=%00",
        "/feeds/today.rss",
        "/feeds/today.atom",
        "/feeds/search.rss?q=flows%00%07",
    ],
)
def test_no_control_character_reaches_a_page_or_feed(hostile_client: TestClient, path: str) -> None:
    response = hostile_client.get(path)
    assert response.status_code in (200, 400), response.text
    assert not has_controls(response.text)


def test_control_characters_are_dropped_from_queries_before_use(
    hostile_client: TestClient,
) -> None:
    page = hostile_client.get("/search?q=normalizing%00flows%1b")
    assert 'value="normalizing flows"' in page.text
    api = hostile_client.get("/api/v1/search?q=normalizing%00flows").json()
    assert api["query"] == "normalizing flows"
    assert api["results"][0]["paper"]["id"] == "2603.01002"


def test_a_huge_abstract_makes_no_huge_page_or_feed(hostile_client: TestClient) -> None:
    page = hostile_client.get("/papers/2603.01002")
    assert page.status_code == 200 and "graph networks generalise well" in page.text
    assert len(page.content) < 40_000
    for feed in ("/feeds/today.rss", "/feeds/today.atom"):
        assert len(hostile_client.get(feed).content) < 40_000
